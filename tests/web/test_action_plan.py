"""The action plan through the real HTTP app and a real database: a board member turns a
suggestion of round 1 into an action, and round 2's dashboard shows it next to the change of its
knob for its group — the same numbers as the dashboard's own change, and nothing for a group
below k. Bad input re-renders the form with the message and what was typed; nothing is stored.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from api.platform.models import Action, AuditEvent, Institution
from api.results.dashboard import build_dashboard
from tests.builders import csrf_of, make_institution, make_round, make_token, make_unit
from tests.web.test_dashboard import (
    K,
    login,
    make_account,
    page,
    publish,
    respond,
    scored_answers,
    text,
)

KNOBS = ("strategie", "structuur", "processen", "beloningen", "mensen")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def nl(value: float, sign: bool = False) -> str:
    return (f"{value:+.2f}" if sign else f"{value:.2f}").replace(".", ",")


@pytest.fixture
def questionnaire(catalog):
    return catalog.require("galbraith-star", "1.0")


@pytest.fixture
def two_rounds(session, catalog, questionnaire):
    """An institution with a big practoraat (6 + 6) and a small one (5 in round 1, 3 in round 2:
    below k, so its round 2 waits); beloningen rises clearly, the other knobs barely move."""
    institution = make_institution(session, "Hogeschool Plan")
    big = make_unit(session, institution, "Practoraat Groot")
    small = make_unit(session, institution, "Practoraat Klein")
    other = make_institution(session, "ROC Elders")
    foreign = make_unit(session, other, "Practoraat Elders")
    make_round(session, catalog, other)
    round1 = make_round(session, catalog, institution, state="closed")
    round2 = make_round(session, catalog, institution)
    for i in range(6):
        respond(session, questionnaire, round1, big, scored_answers(
            questionnaire, {"strategie": 3, "structuur": 3 + i % 2, "processen": 3,
                            "beloningen": 1 + i % 2, "mensen": 3 + i % 2}))
        respond(session, questionnaire, round2, big, scored_answers(
            questionnaire, {"strategie": 3, "structuur": 3 + i % 2, "processen": 3 + i % 2,
                            "beloningen": 3 + i % 2, "mensen": 3 + i % 2}))
    for i in range(5):
        respond(session, questionnaire, round1, small, scored_answers(
            questionnaire, dict.fromkeys(KNOBS, 2 + i % 2)))
    for _ in range(3):
        respond(session, questionnaire, round2, small, scored_answers(
            questionnaire, dict.fromkeys(KNOBS, 4)))
    publish(session)
    board = make_account(session, "bestuur@plan.nl", institutions=[institution])
    coordinator_b = make_account(session, "coordinator@elders.nl", role="coordinator",
                                 institutions=[other])
    return {"institution": institution.id, "slug": institution.slug, "big": big.id,
            "small": small.id, "round1": round1.id, "round1_name": round1.name,
            "round2": round2.id, "foreign": foreign.id, "board": board,
            "coordinator_b": coordinator_b}


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def form_fields(html) -> dict[str, str]:
    form = html.select_one("form.action-form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    for select_ in form.select("select[name]"):
        chosen = select_.select_one("option[selected]")
        fields[select_["name"]] = chosen["value"] if chosen else ""
    fields["notes"] = form.select_one("textarea[name=notes]").get_text()
    fields.pop("csrf_token")
    return fields


def actions_in(session) -> list[Action]:
    """What is stored, read in a transaction that ends at once (SQLite: no lock left held)."""
    session.expire_all()
    found = list(session.exec(select(Action).order_by(Action.id)))
    session.expunge_all()
    session.rollback()
    return found


def change_on_dashboard(session, catalog, settings, w, knob: str):
    """The dashboard's own change of a knob for the institution, round 1 → round 2."""
    dash = build_dashboard(session=session, catalog=catalog,
                           institution=session.get(Institution, w["institution"]),
                           round_id=w["round2"], default_k=settings.anonymity_k)
    session.rollback()
    return dash.changes[knob]


def audit_actions(session) -> list[str]:
    found = list(session.exec(select(AuditEvent.action).where(AuditEvent.action.like("action.%"))
                              .order_by(AuditEvent.id)))
    session.rollback()
    return found


def make_action(client, slug: str, **fields):
    data = {"round": "", "knob": "beloningen", "unit": "", "title": "Iets doen",
            "suggestion": "", "owner": "", "due_on": "", "status": "gepland", "notes": "",
            "back_round": "", **fields}
    response = post(client, f"/dashboard/{slug}/acties", data)
    assert response.status_code == 303, response.text
    return response


def test_a_board_member_makes_an_action_from_a_suggestion_in_round_1_and_sees_its_change_in_round_2(
        client, session, catalog, settings, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])

    # round 1's "Wat nu?" offers each suggestion as an action; beloningen is the weakest knob
    round1 = page(client.get(f"/dashboard/{slug}?round={w['round1']}"))
    advice = round1.select_one("article.knob-advice[data-knob=beloningen]")
    link = advice.select_one("a.make-action")["href"]
    form = page(client.get(link))
    fields = form_fields(form)
    assert fields["knob"] == "beloningen" and fields["unit"] == ""
    assert fields["round"] == str(w["round1"]) and fields["suggestion"] == "bel_s1"
    assert fields["title"] == "Erken bijdragen hardop"
    assert "Erken bijdragen hardop" in text(form.select_one(".action-suggestion"))

    response = post(client, f"/dashboard/{slug}/acties", {**fields, "owner": "Lector Plan",
                                                          "due_on": "2027-03-01",
                                                          "status": "klaar"})
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"?round={w['round1']}#actieplan")
    [action] = actions_in(session)
    assert (action.knob, action.unit_id, action.round_id, action.status, action.due_on) == (
        "beloningen", None, w["round1"], "klaar", date(2027, 3, 1))
    assert audit_actions(session) == ["action.created"]

    # in round 1 itself the action waits for the next round
    round1 = page(client.get(f"/dashboard/{slug}?round={w['round1']}"))
    item = round1.select_one(f"#actieplan li[data-action='{action.id}']")
    assert item["data-verdict"] == "not_yet"

    # round 2's dashboard: the change of beloningen for the institution, equal to the dashboard's
    change = change_on_dashboard(session, catalog, settings, w, "beloningen")
    assert change.clear and change.difference > 0
    round2 = page(client.get(f"/dashboard/{slug}"))
    item = round2.select_one(f"#actieplan li[data-action='{action.id}']")
    assert item["data-verdict"] == "up"
    line = text(item.select_one(".action-progress"))
    assert line == (f"Beloningen {nl(change.difference, sign=True)} [{nl(change.low)} – "
                    f"{nl(change.high)}] sinds ‘Erken bijdragen hardop’ (klaar)")
    # and in English with decimal points
    english = page(client.get(f"/dashboard/{slug}?lang=en"))
    line = text(english.select_one(f"#actieplan li[data-action='{action.id}'] .action-progress"))
    assert line == (f"Rewards {change.difference:+.2f} [{change.low:.2f} – {change.high:.2f}] "
                    "since ‘Erken bijdragen hardop’ (done)")


def test_an_action_within_the_noise_says_so(client, session, catalog, settings, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    make_action(client, slug, round=str(w["round1"]), knob="strategie", title="Praat samen",
                status="bezig")
    [action] = actions_in(session)
    change = change_on_dashboard(session, catalog, settings, w, "strategie")
    assert not change.clear
    item = page(client.get(f"/dashboard/{slug}")).select_one(
        f"#actieplan li[data-action='{action.id}']")
    assert item["data-verdict"] == "noise"
    line = text(item.select_one(".action-progress"))
    assert line.startswith(f"Strategie {nl(change.difference, sign=True)} [{nl(change.low)} – ")
    assert line.endswith("(bezig) — binnen de ruis: geen aantoonbare verandering")


def test_an_action_for_a_unit_below_k_shows_no_change_only_that_it_cannot_be_shown(
        client, session, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    # the small practoraat had 5 in round 1 (shown) and has 3 in round 2 (waiting, below k)
    round1 = page(client.get(f"/dashboard/{slug}?round={w['round1']}"))
    unit_advice = round1.select_one(f"details.unit-advice[data-unit='{w['small']}']")
    href = unit_advice.select_one("a.make-action")["href"]
    fields = form_fields(page(client.get(href)))
    assert fields["unit"] == str(w["small"])
    assert post(client, f"/dashboard/{slug}/acties", fields).status_code == 303
    [action] = actions_in(session)
    assert action.unit_id == w["small"]

    item = page(client.get(f"/dashboard/{slug}")).select_one(
        f"#actieplan li[data-action='{action.id}']")
    assert item["data-verdict"] == "hidden"
    line = text(item.select_one(".action-progress"))
    assert "kan niet worden getoond" in line and f"minder dan {K}" in line
    rest = line.replace(w["round1_name"], "").replace(f"minder dan {K}", "")
    assert "[" not in rest and not any(ch.isdigit() for ch in rest), line  # no number at all


def test_a_coordinator_of_another_institution_gets_404_on_every_action_page(
        client, session, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    make_action(client, slug, round=str(w["round1"]))
    [action] = actions_in(session)
    login(client, w["coordinator_b"])
    base = f"/dashboard/{slug}/acties"
    for url in (f"{base}/nieuw", f"{base}/{action.id}", f"{base}/{action.id}/verwijderen",
                f"/dashboard/{slug}/acties.csv"):
        assert client.get(url).status_code == 404, url
    for url, data in ((base, {"title": "x", "knob": "beloningen",
                              "round": str(w["round1"]), "status": "gepland"}),
                      (f"{base}/{action.id}", {"title": "x"}),
                      (f"{base}/{action.id}/status", {"status": "klaar"}),
                      (f"{base}/{action.id}/verwijderen", {})):
        assert post(client, url, data).status_code == 404, url
    [still] = actions_in(session)
    assert (still.title, still.status) == ("Iets doen", "gepland")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "   ", "Beschrijf wat jullie gaan doen."),
    ("knob", "geluk", "Kies een van de vijf knoppen."),
    ("unit", "foreign", "Kies de hele instelling of een van haar eenheden."),
    ("due_on", "2027-02-30", "Vul een bestaande datum in"),
    ("title", "Erken\x00bijdragen", "onzichtbare stuurtekens"),
    ("notes", "regel één\nmet een \x00 erin", "onzichtbare stuurtekens"),
    ("owner", "x" * 121, "hoogstens 120"),
])
def test_bad_input_re_renders_the_form_with_the_message_and_the_input_kept_and_stores_nothing(
        client, session, two_rounds, field, value, message):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    if value == "foreign":
        value = str(w["foreign"])
    data = {"round": str(w["round1"]), "knob": "beloningen", "unit": str(w["big"]),
            "title": "Vier resultaten samen", "suggestion": "", "owner": "Lector Plan",
            "due_on": "2027-04-01", "status": "bezig", "notes": "Elke maand.", "back_round": "",
            field: value}
    response = post(client, f"/dashboard/{slug}/acties", data)
    assert response.status_code == 422
    html = page(response)
    assert message in text(html.select_one(".error-summary"))
    assert html.select_one(f"#{field}-error") is not None
    assert html.select_one(f"#{field}")["aria-invalid"] == "true"
    kept = form_fields(html)
    for name in ("title", "owner", "due_on", "status", "knob", "unit"):
        if name == field and name in ("knob", "unit"):
            assert kept[name] == value  # the refused choice is kept, shown as such
        elif name != field or "\x00" not in value:
            assert kept[name] == data[name], name
    assert actions_in(session) == []


def test_an_action_is_edited_its_status_changed_and_deleted_after_a_confirm(
        client, session, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    make_action(client, slug, round=str(w["round1"]), title="Eerste versie")
    [action] = actions_in(session)
    edit = page(client.get(f"/dashboard/{slug}/acties/{action.id}"))
    fields = form_fields(edit)
    assert fields["title"] == "Eerste versie"
    response = post(client, f"/dashboard/{slug}/acties/{action.id}",
                    {**fields, "title": "Tweede versie", "unit": str(w["big"]),
                     "notes": "Regel 1\nRegel 2"})
    assert response.status_code == 303
    [action] = actions_in(session)
    assert (action.title, action.unit_id, action.notes) == ("Tweede versie", w["big"],
                                                            "Regel 1\nRegel 2")

    dashboard = page(client.get(f"/dashboard/{slug}"))
    status_form = dashboard.select_one(f"#actieplan li[data-action='{action.id}'] form")
    assert post(client, status_form["action"], {"status": "klaar"}).status_code == 303
    assert actions_in(session)[0].status == "klaar"
    # an unknown status is refused, the action keeps its status
    assert post(client, status_form["action"], {"status": "vergeten"}).status_code == 422
    assert actions_in(session)[0].status == "klaar"

    confirm = page(client.get(f"/dashboard/{slug}/acties/{action.id}/verwijderen"))
    assert "Tweede versie" in text(confirm.select_one("p.lead"))
    assert actions_in(session) != []  # asking is not deleting
    assert post(client, confirm.select_one("main form")["action"], {}).status_code == 303
    assert actions_in(session) == []
    assert audit_actions(session) == ["action.created", "action.updated", "action.status", "action.deleted"]


def test_the_action_plan_downloads_as_csv_and_xlsx_with_the_change_of_each_action(
        client, session, catalog, settings, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    make_action(client, slug, round=str(w["round1"]), title="=SOM(1) erkennen", status="klaar")
    make_action(client, slug, round=str(w["round1"]), unit=str(w["small"]),
                title="Klein beginnen")
    change = change_on_dashboard(session, catalog, settings, w, "beloningen")
    dashboard = page(client.get(f"/dashboard/{slug}"))
    links = {a.get_text(): a["href"] for a in dashboard.select("#actieplan .downloads a")}

    response = client.get(links["CSV"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    # for Dutch Excel: a BOM, semicolons and decimal commas
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["Actie"] for r in rows] == ["'=SOM(1) erkennen", "Klein beginnen"]

    def nl(cell: str) -> float:
        return float(cell.replace(",", "."))
    assert nl(rows[0]["Verandering"]) == change.difference
    assert (nl(rows[0]["Interval laag"]), nl(rows[0]["Interval hoog"])) == (change.low,
                                                                           change.high)
    assert rows[0]["Uitkomst"] == "aantoonbaar gestegen"
    assert rows[1]["Verandering"] == "" and rows[1]["Voor wie"] == "Practoraat Klein"

    response = client.get(links["XLSX"])
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header_row = next(i for i, row in enumerate(values) if row and row[0] == "Actie")
    body = values[header_row + 1:]
    headers = values[header_row]
    first = dict(zip(headers, body[0], strict=False))
    assert first["Verandering"] == change.difference
    assert sheet.title == "Actieplan"


def test_the_api_lists_only_the_token_institutions_actions_with_their_change_in_the_latest_round(
        client, session, catalog, settings, two_rounds):
    w = two_rounds
    slug = w["slug"]
    login(client, w["board"])
    make_action(client, slug, round=str(w["round1"]), title="Erken bijdragen", status="klaar")
    make_action(client, slug, round=str(w["round1"]), unit=str(w["small"]), title="Klein")
    client.cookies.clear()
    change = change_on_dashboard(session, catalog, settings, w, "beloningen")
    institution, other = (session.get(Institution, w["institution"]),
                          session.exec(select(Institution).where(
                              Institution.slug == "roc-elders")).one())
    ours, theirs = make_token(session, [institution]), make_token(session, [other])
    session.rollback()

    response = client.get(f"/api/v1/institutions/{slug}/actions",
                          headers={"Authorization": f"Bearer {ours}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and [a["title"] for a in body["items"]] == ["Erken bijdragen",
                                                                          "Klein"]
    first, second = body["items"]
    assert first["progress"] == {"round_id": w["round2"], "standing": "measured", "change": {
        "difference": change.difference, "ci_low": change.low, "ci_high": change.high,
        "clear": True}, "reason": None}
    assert second["progress"] == {"round_id": w["round2"], "standing": "hidden", "change": None,
                                  "reason": None}
    assert (first["status"], first["unit_id"], second["unit_id"]) == ("klaar", None, w["small"])
    paged = client.get(f"/api/v1/institutions/{slug}/actions?limit=1&offset=1",
                       headers={"Authorization": f"Bearer {ours}"})
    assert [a["title"] for a in paged.json()["items"]] == ["Klein"]

    for token in (theirs,):
        refused = client.get(f"/api/v1/institutions/{slug}/actions",
                             headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 404
    assert client.get("/api/v1/institutions/roc-elders/actions",
                      headers={"Authorization": f"Bearer {theirs}"}).json()["items"] == []
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/institutions/{slug}/actions" in schema["paths"]
    assert "ActionOut" in schema["components"]["schemas"]
