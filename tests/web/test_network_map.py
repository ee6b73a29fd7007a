"""The network map (netwerkkaart) as its users meet it: the coordinator switches it on before a
round opens, respondents fill it in on their phone after the knob pages (or skip it), the board
sees a unit's circle model, matrix and numbers only once at least k released respondents stand
behind them, and a team fills in a shared workshop map together."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from api.platform.models import AccountRole, NetworkAnswer, NetworkDraft, Response, Round
from api.results.network import unit_target
from api.setup import accounts
from tests.builders import (
    all_answers,
    csrf_of,
    make_institution,
    make_round,
    make_token,
    make_unit,
    personal_link,
    stored_network_response,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"


@pytest.fixture(autouse=True)
def _kept_after_commit(session):
    """What a builder made stays readable without a new transaction: on SQLite the test's own
    session would otherwise hold the write lock the app under test needs."""
    session.expire_on_commit = False


@pytest.fixture
def alfa(session):
    institution = make_institution(session, "Hogeschool Alfa")
    accounts.create_account(session=session, email="coordinator@alfa.nl", password=PASSWORD,
                            role=AccountRole.coordinator, institutions=[institution])
    session.commit()
    return institution


@pytest.fixture
def units(session, alfa):
    return [make_unit(session, alfa, name) for name in ("Practoraat Data", "Practoraat Zorg",
                                                       "Practoraat Techniek")]


@pytest.fixture
def coordinator(client, alfa):
    web_login(client, "coordinator@alfa.nl", PASSWORD)
    return client


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def post(client, url: str, data: dict | list, **kwargs):
    fields = dict(data)  # every field of the map has its own name
    return client.post(url, data={"csrf_token": csrf_of(client), **fields},
                       follow_redirects=False, **kwargs)


def network_flag(session, round_id: int) -> bool:
    flag = session.exec(select(Round.network_map).where(Round.id == round_id)).one()
    session.commit()
    return flag


# --- the coordinator's option ------------------------------------------------------------------


def test_the_coordinator_switches_the_map_on_before_the_round_opens_and_not_after(
        coordinator, session, catalog, alfa, units):
    ahead = make_round(session, catalog, alfa, state="not_open")
    running = make_round(session, catalog, alfa, state="open")
    base = f"/beheer/{alfa.slug}/metingen"

    shown = page(coordinator.get(f"{base}/{ahead.id}"))
    assert shown.select_one("#network-state")["data-on"] == "no"
    assert post(coordinator, f"{base}/{ahead.id}/netwerkkaart",
                {"network_map": "1"}).status_code == 303
    assert network_flag(session, ahead.id) is True
    assert page(coordinator.get(f"{base}/{ahead.id}")).select_one(
        "#network-state")["data-on"] == "yes"

    refused = post(coordinator, f"{base}/{running.id}/netwerkkaart", {"network_map": "1"})
    assert refused.status_code == 409
    assert "al open" in page(refused).select_one("#network_map .field-error").text
    assert network_flag(session, running.id) is False
    # an open round offers no switch at all
    assert page(coordinator.get(f"{base}/{running.id}")).select_one(
        "form[action$='/netwerkkaart']") is None


def test_a_round_opened_with_the_map_ticked_has_it(coordinator, session, catalog, alfa, units):
    created = post(coordinator, f"/beheer/{alfa.slug}/metingen", {
        "name": "Voorjaar", "questionnaire": "galbraith-star/1.0", "opens_date": "2030-01-06",
        "opens_time": "09:00", "closes_date": "2030-02-06", "closes_time": "17:00",
        "remind_days": "", "network_map": "1"})
    assert created.status_code == 303
    round_id = int(created.headers["location"].split("/metingen/")[1].split("?")[0])
    assert network_flag(session, round_id) is True


# --- the respondent's step ---------------------------------------------------------------------


def walk_to_the_map(client, questionnaire, token: str):
    assert post(client, f"/s/{token}", {"role": "practor"}).status_code == 303
    answers = all_answers(questionnaire)
    last = None
    for knob in questionnaire.knobs:
        values = {f"item-{item.id}": str(answers[item.id])
                  for item in questionnaire.items_of(knob.key)}
        last = post(client, f"/s/{token}/k/{knob.key}", {**values, "action": "next"})
        assert last.status_code == 303
    return last


def test_a_respondent_fills_in_the_map_on_the_phone_resumes_it_and_submits_it(
        client, session, catalog, alfa, units):
    questionnaire = catalog.get("galbraith-star", "1.0")
    data, zorg, techniek = units
    round_ = make_round(session, catalog, alfa, network_map=True)
    token = personal_link(session, round_, data)
    phone = {"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}

    after_knobs = walk_to_the_map(client, questionnaire, token)
    assert after_knobs.headers["location"].endswith(f"/s/{token}/netwerk")
    step = page(client.get(f"/s/{token}/netwerk", headers=phone))
    assert [h.text for h in step.select(".net-group h2")] == [
        "Eigen team", "Elders in de instelling", "Buiten de instelling"]
    legends = [fs.legend.text for fs in step.select("fieldset.net-target")]
    assert legends == ["Eigen team", "Practoraat Techniek", "Practoraat Zorg", "Werkveld",
                       "Onderzoek (onderzoekers)", "Externe experts"]
    assert step.select_one("progress")["max"] == str(len(questionnaire.knobs) + 2)

    zorg_key = unit_target(zorg.id)
    # forms of knowledge without how often: named back, with what was ticked kept
    wrong = post(client, f"/s/{token}/netwerk", [
        ("freq-own", "weekly"), ("kennis-own-ervaring", "1"),
        (f"kennis-{zorg_key}-wetenschappelijk", "1"), ("action", "next")])
    assert wrong.status_code == 422
    shown = page(wrong)
    assert shown.select_one(f"#net-{zorg_key}.has-error") is not None
    assert shown.select_one(f"input[name='kennis-{zorg_key}-wetenschappelijk']").has_attr("checked")
    assert shown.select_one("input[name='freq-own'][value='weekly']").has_attr("checked")

    saved = post(client, f"/s/{token}/netwerk", [
        ("freq-own", "weekly"), ("kennis-own-ervaring", "1"), ("kennis-own-professioneel", "1"),
        (f"freq-{zorg_key}", "monthly"), (f"kennis-{zorg_key}-wetenschappelijk", "1"),
        ("freq-werkveld", "less"), ("action", "save")])
    assert saved.status_code == 303
    resumed = page(client.get(f"/s/{token}/netwerk"))
    assert resumed.select_one(f"input[name='freq-{zorg_key}'][value='monthly']").has_attr("checked")
    assert resumed.select_one("input[name='kennis-own-professioneel']").has_attr("checked")

    assert post(client, f"/s/{token}/netwerk", [
        ("freq-own", "weekly"), ("kennis-own-ervaring", "1"),
        (f"freq-{zorg_key}", "monthly"), (f"kennis-{zorg_key}-wetenschappelijk", "1"),
        ("freq-werkveld", "less"), ("action", "next")]).headers["location"].endswith("/afronden")
    review = page(client.get(f"/s/{token}/afronden"))
    assert review.select_one("#net-review-state").text == "3 groepen ingevuld."

    assert post(client, f"/s/{token}/afronden", {}).status_code == 200
    stored = {row.target: row for row in session.exec(select(NetworkAnswer))}
    response_ids = set(session.exec(select(Response.id)))
    assert {row.response_id for row in stored.values()} == response_ids  # the response's id
    assert stored["own"].frequency == "weekly" and stored["own"].ervaring
    assert not stored["own"].professioneel  # the last saved page counts
    assert stored[zorg_key].frequency == "monthly" and stored[zorg_key].wetenschappelijk
    assert stored["werkveld"].frequency == "less"
    assert list(session.exec(select(NetworkDraft))) == []  # the draft's copy is gone
    session.commit()


def test_a_respondent_may_skip_the_map_and_nothing_of_it_is_stored(
        client, session, catalog, alfa, units):
    questionnaire = catalog.get("galbraith-star", "1.0")
    round_ = make_round(session, catalog, alfa, network_map=True)
    token = personal_link(session, round_, units[0])
    walk_to_the_map(client, questionnaire, token)
    skipped = post(client, f"/s/{token}/netwerk", [("freq-own", "weekly"), ("action", "skip")])
    assert skipped.headers["location"].endswith("/afronden")
    assert page(client.get(f"/s/{token}/afronden")).select_one(
        "#net-review-state").text == "Overgeslagen."
    assert post(client, f"/s/{token}/afronden", {}).status_code == 200
    assert len(list(session.exec(select(Response)))) == 1
    assert list(session.exec(select(NetworkAnswer))) == []
    session.commit()


def test_without_the_map_the_last_knob_leads_to_the_review_as_before(
        client, session, catalog, alfa, units):
    questionnaire = catalog.get("galbraith-star", "1.0")
    round_ = make_round(session, catalog, alfa)
    token = personal_link(session, round_, units[0])
    assert walk_to_the_map(client, questionnaire, token).headers["location"].endswith("/afronden")
    assert client.get(f"/s/{token}/netwerk", follow_redirects=False).status_code == 303
    assert page(client.get(f"/s/{token}/afronden")).select_one("#net-review-state") is None


# --- the board's page and the API ---------------------------------------------------------------


def fill(session, catalog, round_, data, zorg, *, data_count: int, zorg_count: int):
    """Of Data, three in five consult Zorg weekly for scientific knowledge, the others skip;
    every respondent of Zorg consults their own team weekly."""
    questionnaire = catalog.get("galbraith-star", "1.0")
    for i in range(data_count):
        marks = ({unit_target(zorg.id): ("weekly", ["wetenschappelijk"]),
                  "werkveld": ("less", ["professioneel", "ervaring"])} if i % 5 < 3 else None)
        stored_network_response(session, questionnaire, round_, data, marks)
    for _ in range(zorg_count):
        stored_network_response(session, questionnaire, round_, zorg,
                                {"own": ("weekly", ["ervaring"])})


def test_with_fewer_than_k_released_nothing_of_a_units_map_shows(
        coordinator, session, catalog, alfa, units):
    data, zorg, _ = units
    round_ = make_round(session, catalog, alfa, network_map=True)
    fill(session, catalog, round_, data, zorg, data_count=4, zorg_count=0)
    shown = page(coordinator.get(f"/dashboard/{alfa.slug}/netwerkkaart?unit={data.id}"))
    assert shown.select_one("#net-hidden") is not None
    assert shown.select_one("#net-table") is None and shown.select_one("svg") is None
    row = shown.select_one(f"#net-matrix tr[data-unit='{data.id}']")
    assert "minder dan 5" in row.text and "%" not in row.text
    whole = page(coordinator.get(f"/dashboard/{alfa.slug}/netwerkkaart"))
    assert whole.select_one("#net-hidden") is not None


def test_with_k_or_more_the_circle_matrix_and_api_show_the_expected_shares(
        coordinator, client, session, catalog, alfa, units):
    data, zorg, techniek = units
    round_ = make_round(session, catalog, alfa, network_map=True)
    fill(session, catalog, round_, data, zorg, data_count=5, zorg_count=2)  # Zorg's 2 wait

    shown = page(coordinator.get(f"/dashboard/{alfa.slug}/netwerkkaart?unit={data.id}"))
    assert shown.select_one("#net-n").text.startswith("5 respondenten")
    svg = shown.select_one(".net-circle svg")
    assert svg is not None and "Practoraat Zorg" not in svg.text  # numbers, named in the table
    zorg_row = shown.select_one(f"#net-table tr[data-target='u{zorg.id}']")
    assert zorg_row.select_one("[data-typical]")["data-typical"] == "weekly"
    assert zorg_row.select_one("[data-freq='weekly']").text == "60%"
    assert zorg_row.select_one("[data-form='wetenschappelijk']").text == "60%"
    assert shown.select_one("#net-table tr[data-target='werkveld'] [data-freq='less']").text == "60%"
    matrix = shown.select_one(f"#net-matrix tr[data-unit='{data.id}']")
    assert matrix.select_one(f"[data-to='{zorg.id}']").text == "60%"
    assert matrix.select_one(f"[data-to='{data.id}']").text == "0%"
    assert "minder dan 5" in shown.select_one(f"#net-matrix tr[data-unit='{zorg.id}']").text
    assert len(shown.select(".net-questions li")) == 5
    assert "Zijn er bepaalde kennisvormen die domineren" in shown.select_one(".net-questions").text
    assert page(coordinator.get(f"/dashboard/{alfa.slug}/netwerkkaart?unit={zorg.id}")
                ).select_one("#net-hidden") is not None

    token = make_token(session, [alfa])
    body = client.get(f"/api/v1/rounds/{round_.id}/network-map",
                      headers={"Authorization": f"Bearer {token}"}).json()
    groups = {g["unit_id"]: g for g in body["groups"]}
    assert body["k"] == 5
    assert groups[None]["n"] == 5 and groups[data.id]["n"] == 5
    assert zorg.id not in groups  # nothing released: not even listed
    target = {t["target"]: t for t in groups[data.id]["targets"]}[f"u{zorg.id}"]
    assert target["frequency"]["weekly"] == 0.6 and target["unmarked"] == 0.4
    assert target["at_least_monthly"] == 0.6 and target["forms"]["wetenschappelijk"] == 0.6
    assert target["dominant"] == "wetenschappelijk"

    english = page(coordinator.get(f"/dashboard/{alfa.slug}/netwerkkaart?unit={data.id}&lang=en"))
    assert "Do some forms of knowledge dominate" in english.select_one(".net-questions").text


def test_the_api_refuses_a_round_without_the_map_and_a_token_out_of_scope(
        client, session, catalog, alfa, units):
    plain = make_round(session, catalog, alfa)
    other = make_institution(session, "Hogeschool Beta")
    mapped = make_round(session, catalog, other, network_map=True)
    token = make_token(session, [alfa])
    auth = {"Authorization": f"Bearer {token}"}
    missing = client.get(f"/api/v1/rounds/{plain.id}/network-map", headers=auth)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/rounds/{mapped.id}/network-map", headers=auth).status_code == 404
    assert client.get(f"/api/v1/rounds/{plain.id}/network-map").status_code == 401


# --- a workshop map --------------------------------------------------------------------------------


def test_a_team_fills_in_a_workshop_map_together_and_sees_its_circle_at_once(
        coordinator, session, alfa, units):
    data, zorg, _ = units
    base = f"/beheer/{alfa.slug}/netwerkkaarten"
    form = page(coordinator.get(f"{base}/nieuw?unit={data.id}"))
    assert form.select_one("#team-artefact") is not None
    assert form.select_one("fieldset#net-own") is not None

    refused = post(coordinator, f"{base}?unit={data.id}", {"title": "", "held_on": "2026-12-01",
                                                           "notes": "", "freq-own": "weekly"})
    assert refused.status_code == 422
    assert page(refused).select_one("input[name='freq-own'][value='weekly']").has_attr("checked")

    made = post(coordinator, f"{base}?unit={data.id}", [
        ("title", "Teamdag december"), ("held_on", "2026-12-01"), ("notes", "Vaker naar Zorg."),
        ("freq-own", "weekly"), ("kennis-own-ervaring", "1"),
        (f"freq-u{zorg.id}", "less"), (f"kennis-u{zorg.id}-wetenschappelijk", "1"),
        ("freq-experts", "monthly")])
    assert made.status_code == 303
    view = page(coordinator.get(made.headers["location"]))
    assert view.select_one("#team-artefact") is not None
    assert view.select_one(".net-circle svg") is not None
    own = view.select_one("#ws-table tr[data-target='own']")
    assert own.select_one("[data-typical]")["data-typical"] == "weekly"
    assert "✓" in own.select_one("[data-form='ervaring']").text
    map_path = made.headers["location"].split("?")[0]

    edited = post(coordinator, map_path, [("title", "Teamdag december"), ("held_on", "2026-12-01"),
                                          ("notes", ""), ("freq-own", "monthly")])
    assert edited.status_code == 303
    again = page(coordinator.get(map_path))
    assert again.select_one("#ws-table tr[data-target='own'] [data-typical]")[
        "data-typical"] == "monthly"
    listed = page(coordinator.get(base))
    assert [a.text for a in listed.select("#workshops a")] == ["Teamdag december"]

    assert post(coordinator, f"{map_path}/verwijderen", {}).status_code == 422
    assert post(coordinator, f"{map_path}/verwijderen", {"confirm": "yes"}).status_code == 303
    assert coordinator.get(map_path).status_code == 404
