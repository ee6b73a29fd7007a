"""An institution's own items in a round: the coordinator adds them before the round opens,
respondents answer them on a page of their own, and the board reads them as a block apart from
the knob scores, under the same anonymity rule — through the real HTTP app and database."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from sqlmodel import select

from api.platform.models import (
    AccountRole,
    AuditEvent,
    KnobScore,
    OwnAnswer,
    OwnItem,
    Round,
)
from api.results import scoring
from api.setup import accounts, own_items
from tests.builders import (
    all_answers,
    complete_survey,
    csrf_of,
    make_institution,
    make_own_items,
    make_round,
    make_token,
    make_unit,
    open_now,
    personal_link,
    stored_response,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


@pytest.fixture
def alfa(session):
    institution = make_institution(session, "Hogeschool Alfa")
    make_unit(session, institution, "Practoraat Data")
    accounts.create_account(session=session, email="coordinator@alfa.nl", password=PASSWORD,
                            role=AccountRole.coordinator, institutions=[institution])
    session.commit()
    return institution


def own_items_of(session, round_id: int) -> list[OwnItem]:
    """The round's own items as stored now, read in a transaction that ends at once (the test's
    session writes, and on SQLite a writing transaction holds the one write lock)."""
    session.expire_all()
    found = [item.model_copy() for item in session.exec(
        select(OwnItem).where(OwnItem.round_id == round_id).order_by(OwnItem.position))]
    session.commit()
    return found


def test_the_coordinator_adds_two_statements_and_an_open_question_before_the_round_opens(
        client, session, catalog, alfa):
    web_login(client, "coordinator@alfa.nl", PASSWORD)
    round_ = make_round(session, catalog, alfa, state="not_open")
    base = f"/beheer/{alfa.slug}/metingen/{round_.id}"
    section = page(client.get(base)).select_one("#own-items-section")
    assert section.select_one("#own-item-add") is not None

    added = post(client, f"{base}/eigen-vragen", {
        "kind": "likert", "statement_nl": "Wij delen onderzoek in de lerarenkamer.",
        "statement_en": "We share research in the staff room.", "knob": "processen"})
    assert added.status_code == 303
    post(client, f"{base}/eigen-vragen", {"kind": "likert", "statement_nl": "Ik weet wie wat doet.",
                                          "statement_en": "", "knob": ""})
    post(client, f"{base}/eigen-vragen", {"kind": "open", "statement_nl": "Wat mis je?",
                                          "statement_en": "What do you miss?", "knob": ""})
    items = own_items_of(session, round_.id)
    assert [(i.kind, i.statement_nl, i.knob) for i in items] == [
        ("likert", "Wij delen onderzoek in de lerarenkamer.", "processen"),
        ("likert", "Ik weet wie wat doet.", None), ("open", "Wat mis je?", None)]

    # no Dutch text: the page says so next to the field, with the English text kept
    refused = post(client, f"{base}/eigen-vragen", {"kind": "likert", "statement_nl": "  ",
                                                    "statement_en": "Kept text", "knob": ""})
    assert refused.status_code == 422
    shown = page(refused)
    assert shown.select_one("#own_statement_nl-error").get_text(strip=True) == \
        "Vul de Nederlandse tekst in."
    assert shown.select_one("#own_statement_en").get_text() == "Kept text"

    # a text over the limit, and a knob the questionnaire does not have
    too_long = post(client, f"{base}/eigen-vragen", {"kind": "likert", "statement_nl": "x" * 301,
                                                     "statement_en": "", "knob": ""})
    assert too_long.status_code == 422 and "hooguit 300 tekens" in too_long.text
    assert post(client, f"{base}/eigen-vragen", {"kind": "likert", "statement_nl": "Goed",
                                                 "statement_en": "", "knob": "geld"}
                ).status_code == 422

    # the limits: 3 open questions, then the fourth is refused with its words kept
    for n in range(2):
        post(client, f"{base}/eigen-vragen", {"kind": "open", "statement_nl": f"Vraag {n}",
                                              "statement_en": "", "knob": ""})
    fourth = post(client, f"{base}/eigen-vragen", {"kind": "open", "statement_nl": "Nog een",
                                                   "statement_en": "", "knob": ""})
    assert fourth.status_code == 422
    assert "hooguit 3 eigen open vragen" in page(fourth).select_one("#own_kind-error").text
    assert page(fourth).select_one("#own_statement_nl").get_text() == "Nog een"
    for n in range(8):
        make_own_items(session, catalog, session.get(Round, round_.id),
                       [("likert", f"Stelling {n}", "", "")])
    eleventh = post(client, f"{base}/eigen-vragen", {"kind": "likert", "statement_nl": "Elf",
                                                     "statement_en": "", "knob": ""})
    assert eleventh.status_code == 422 and "hooguit 10 eigen stellingen" in eleventh.text

    # edit, reorder, remove
    first, second = items[0], items[1]
    assert post(client, f"{base}/eigen-vragen/{second.id}", {"action": "up"}).status_code == 303
    assert [i.id for i in own_items_of(session, round_.id)][:2] == [second.id, first.id]
    edited = post(client, f"{base}/eigen-vragen/{first.id}", {
        "action": "save", "statement_nl": "Wij delen onderzoek.", "statement_en": "",
        "knob": "mensen"})
    assert edited.status_code == 303
    bad_edit = post(client, f"{base}/eigen-vragen/{first.id}", {
        "action": "save", "statement_nl": "", "statement_en": "Still here", "knob": ""})
    assert bad_edit.status_code == 422
    assert page(bad_edit).select_one(f"#own-{first.id}-statement_en").get_text() == "Still here"
    removed = post(client, f"{base}/eigen-vragen/{items[2].id}", {"action": "remove"})
    assert removed.status_code == 303
    kept = own_items_of(session, round_.id)
    assert items[2].id not in [i.id for i in kept]
    assert [i.position for i in kept] == list(range(1, len(kept) + 1))
    assert (kept[1].statement_nl, kept[1].knob) == ("Wij delen onderzoek.", "mensen")
    assert {e.action for e in session.exec(select(AuditEvent))} >= {
        "round.own_item_added", "round.own_item_edited", "round.own_item_moved",
        "round.own_item_removed"}
    session.commit()

    # once the round opens the items are fixed: the page says why, and a post is refused
    open_now(session, session.get(Round, round_.id))
    locked = page(client.get(base))
    assert locked.select_one("#own-items-locked") is not None
    assert locked.select_one("#own-item-add") is None
    late = post(client, f"{base}/eigen-vragen", {"kind": "likert", "statement_nl": "Te laat",
                                                 "statement_en": "", "knob": ""})
    assert late.status_code == 422 and "liggen vast" in late.text
    assert post(client, f"{base}/eigen-vragen/{first.id}", {"action": "remove"}).status_code == 422
    assert len(own_items_of(session, round_.id)) == len(kept)


@pytest.fixture
def round_with_own(session, catalog, alfa):
    round_ = make_round(session, catalog, alfa, state="not_open")
    items = make_own_items(session, catalog, round_, [
        ("likert", "Wij delen onderzoek in de lerarenkamer.", "We share research.", "processen"),
        ("likert", "Ik weet wie wat doet.", "", ""),
        ("open", "Wat mis je?", "What do you miss?", "")])
    open_now(session, round_)
    return round_, items


def test_a_respondent_answers_the_own_page_after_the_knobs_resumes_it_and_submits_it(
        client, session, catalog, alfa, round_with_own):
    round_, (s1, s2, oq) = round_with_own
    unit = make_unit(session, alfa, "Practoraat Zorg")
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    token = personal_link(session, round_, unit)
    assert post(client, f"/s/{token}", {"role": "practor"}).status_code == 303
    answers = all_answers(questionnaire, 4)
    last = questionnaire.knobs[-1].key
    for knob in questionnaire.knobs:
        values = {f"item-{i.id}": "4" for i in questionnaire.items_of(knob.key)}
        moved = post(client, f"/s/{token}/k/{knob.key}", {**values, "action": "next"})
    assert moved.headers["location"].endswith(f"/s/{token}/eigen")
    own = page(client.get(f"/s/{token}/eigen"))
    assert own.h1.get_text(strip=True) == "Vragen van je eigen instelling"
    total = len(questionnaire.knobs) + 2
    assert f"Stap {total - 1} van {total}" in own.select_one(".progress").text
    assert own.select(f'input[name="own-{s1.id}"]') and own.select_one(f"#own-{oq.id}")

    off_scale = post(client, f"/s/{token}/eigen", {f"own-{s1.id}": "9", f"own-{oq.id}": "Meer tijd"})
    assert off_scale.status_code == 422
    assert page(off_scale).select_one(f"#own-{oq.id}").get_text() == "Meer tijd"
    saved = post(client, f"/s/{token}/eigen", {f"own-{s1.id}": "5", f"own-{s2.id}": "dk",
                                               f"own-{oq.id}": "Meer tijd", "action": "save"})
    assert saved.status_code == 303
    resumed = page(client.get(f"/s/{token}/eigen"))
    assert resumed.select_one(f'input[name="own-{s1.id}"][value="5"]').has_attr("checked")
    assert resumed.select_one(f'input[name="own-{s2.id}"][value="dk"]').has_attr("checked")
    back = post(client, f"/s/{token}/eigen", {f"own-{s1.id}": "5", f"own-{s2.id}": "dk",
                                              f"own-{oq.id}": "Meer tijd", "action": "back"})
    assert back.headers["location"].endswith(f"/s/{token}/k/{last}")
    ahead = post(client, f"/s/{token}/eigen", {f"own-{s1.id}": "5", f"own-{s2.id}": "dk",
                                               f"own-{oq.id}": "Meer tijd"})
    assert ahead.headers["location"].endswith(f"/s/{token}/afronden")
    review = page(client.get(f"/s/{token}/afronden"))
    listed = review.select_one(".own-review").get_text(" ", strip=True)
    assert "Ik weet wie wat doet." in listed and "Meer tijd" in listed
    assert review.select_one("a.button")["href"].endswith(f"/s/{token}/eigen")

    # in English, a statement without English text is shown in Dutch, marked so
    english = page(client.get(f"/s/{token}/eigen?lang=en"))
    assert english.select_one(f"#own-{s2.id} legend span[lang=nl]").get_text() == \
        "Ik weet wie wat doet."
    assert english.select_one(f"#own-{s1.id} legend").get_text(" ", strip=True).endswith(
        "We share research.")

    assert post(client, f"/s/{token}/afronden", {}).status_code == 200
    session.expire_all()
    stored = {a.item_id: (a.value, a.text) for a in session.exec(select(OwnAnswer))}
    assert stored == {s1.id: (5, None), s2.id: (None, None), oq.id: (None, "Meer tijd")}
    # the knob scores are the instrument's alone, as for the same answers without own items
    assert {k.knob: k.score for k in session.exec(select(KnobScore))} == \
        scoring.knob_scores(answers, questionnaire)
    session.commit()


def test_a_round_without_own_items_has_no_own_page_in_the_steps(client, session, catalog, alfa):
    round_ = make_round(session, catalog, alfa)
    unit = make_unit(session, alfa, "Practoraat Geen")
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    token = personal_link(session, round_, unit)
    post(client, f"/s/{token}", {"role": "practor"})
    last = questionnaire.knobs[-1]
    values = {f"item-{i.id}": "3" for i in questionnaire.items_of(last.key)}
    moved = post(client, f"/s/{token}/k/{last.key}", {**values, "action": "next"})
    assert moved.headers["location"].endswith(f"/s/{token}/afronden")
    assert client.get(f"/s/{token}/eigen", follow_redirects=False).status_code == 303
    assert complete_survey(client, questionnaire, token, all_answers(questionnaire)
                           ).status_code == 200


# --- what the board reads -----------------------------------------------------------------------

BOARD = "bestuur@alfa.nl"


@dataclass
class World:
    institution: object
    round: object
    units: dict
    items: list
    questionnaire: object


def _world(session, catalog, name: str, *, own: bool, counts: dict[str, int]) -> World:
    """An institution whose round's respondents answer the knobs alike in every world; with
    `own`, two statements (one tied to processen) and an open question, answered too."""
    institution = make_institution(session, name)
    units = {label: make_unit(session, institution, label) for label in counts}
    round_ = make_round(session, catalog, institution, state="not_open")
    items = make_own_items(session, catalog, round_, [
        ("likert", "Wij delen onderzoek in de lerarenkamer.", "We share research.", "processen"),
        ("likert", "Ik weet wie wat doet.", "", ""),
        ("open", "Wat mis je?", "What do you miss?", "")]) if own else []
    open_now(session, round_)
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    for u, (label, count) in enumerate(counts.items()):
        for i in range(count):
            answers = {item.id: 1 + (i + j + u) % 5 for j, item in enumerate(questionnaire.items)}
            own_answers = ({items[0].id: 1 + (i + u) % 5,
                            items[1].id: 4 if label == "Practoraat Data" else None,
                            items[2].id: f"Meer tijd {label}"} if own else None)
            stored_response(session, questionnaire, round_, units[label], answers=answers,
                            own_answers=own_answers)
    return World(institution, round_, units, items, questionnaire)


def _board(client, session, *institutions) -> None:
    accounts.create_account(session=session, email=BOARD, password=PASSWORD,
                            role=AccountRole.bestuur, institutions=list(institutions))
    session.commit()
    web_login(client, BOARD, PASSWORD)


def test_after_k_released_responses_every_surface_shows_the_own_block_apart_from_the_knobs(
        client, session, catalog):
    world = _world(session, catalog, "Hogeschool Eigen", own=True,
                   counts={"Practoraat Data": 5, "Practoraat Zorg": 5})
    plain = _world(session, catalog, "Hogeschool Zonder", own=False,
                   counts={"Practoraat Data": 5, "Practoraat Zorg": 5})
    _board(client, session, world.institution, plain.institution)
    s1, s2, oq = world.items
    data, zorg = world.units["Practoraat Data"], world.units["Practoraat Zorg"]

    shown = page(client.get(f"/dashboard/{world.institution.slug}"))
    block = shown.select_one("#own-items")
    assert block.h2.get_text(strip=True) == "Eigen stellingen"
    assert block.select_one('h3[data-knob="processen"]').get_text(strip=True) == "Processen"
    table = block.select_one(f'table[data-own-item="{s1.id}"]')
    total = table.select_one('tr[data-group="institution"]')
    # s1: Data answered 1..5, Zorg 2,3,4,5,1: mean 3, n 10, two of each value
    assert total.select_one('[data-part="n"]').text == "10"
    assert total.select_one('[data-part="mean"]').text == "3,00"
    assert total.select_one('[data-part="distribution"]').text == "2 · 2 · 2 · 2 · 2"
    assert table.select_one(f'tr[data-key="{data.id}"] [data-part="n"]').text == "5"
    # s2: only Data answered (Zorg said weet niet): Zorg has fewer than k answers, so no number
    second = block.select_one(f'table[data-own-item="{s2.id}"]')
    assert second.select_one('tr[data-group="institution"] [data-part="n"]').text == "5"
    assert second.select_one('tr[data-group="institution"] [data-part="dont_know"]').text == "5"
    assert second.select_one(f'tr[data-key="{zorg.id}"] .hidden-cell') is not None
    assert {li.text for li in block.select(f'details[data-own-item="{oq.id}"] li')} == {
        "Meer tijd Practoraat Data", "Meer tijd Practoraat Zorg"}

    csv_text = client.get(f"/dashboard/{world.institution.slug}/rounds/{world.round.id}"
                          "/own-items.csv").content.decode("utf-8-sig")
    assert "Wij delen onderzoek in de lerarenkamer." in csv_text
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    assert rows[0][:3] == ["Plaats", "Knop", "Stelling (Nederlands)"]
    assert len(rows) == 1 + 2 * 3  # two statements × (institution + two units)
    xlsx = client.get(f"/dashboard/{world.institution.slug}/rounds/{world.round.id}"
                      "/own-items.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    pdf = client.get(f"/dashboard/{world.institution.slug}/rounds/{world.round.id}/report.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Eigen stellingen" in text and "Wij delen onderzoek in de lerarenkamer." in text

    token = make_token(session, [world.institution, plain.institution])
    auth = {"Authorization": f"Bearer {token}"}
    api = client.get(f"/api/v1/rounds/{world.round.id}/own-items", headers=auth).json()
    assert api["shown"] is True and api["k"] == 5
    by_id = {s["id"]: s for s in api["statements"]}
    assert by_id[s1.id]["knob"] == "processen"
    assert by_id[s1.id]["groups"][0] == {
        "group": {"type": "institution", "id": None, "name": "Hogeschool Eigen"},
        "suppressed": False, "n": 10, "mean": 3.0, "sd": by_id[s1.id]["groups"][0]["sd"],
        "counts": {"1": 2, "2": 2, "3": 2, "4": 2, "5": 2}, "dont_know": 0}
    zorg_s2 = next(g for g in by_id[s2.id]["groups"] if g["group"]["id"] == zorg.id)
    assert zorg_s2 == {"group": {"type": "unit", "id": zorg.id, "name": "Practoraat Zorg"},
                       "suppressed": True, "n": None, "mean": None, "sd": None, "counts": None,
                       "dont_know": None}
    assert sorted(api["open_questions"][0]["answers"]) == (
        ["Meer tijd Practoraat Data"] * 5 + ["Meer tijd Practoraat Zorg"] * 5)
    api_csv = client.get(f"/api/v1/rounds/{world.round.id}/own-items?format=csv", headers=auth)
    assert api_csv.text.splitlines()[0].startswith("item_id,position,knob,statement_nl")

    # the knob scores are identical with and without own items
    def knobs(round_id: int) -> list:
        groups = client.get(f"/api/v1/rounds/{round_id}/scores?group_by=unit",
                            headers=auth).json()["groups"]
        return [(g["group"]["name"], g["n"], g["knobs"]) for g in groups]
    assert knobs(world.round.id) == knobs(plain.round.id)
    assert client.get(f"/api/v1/rounds/{plain.round.id}/own-items", headers=auth).json()[
        "statements"] == []
    assert page(client.get(f"/dashboard/{plain.institution.slug}")).select_one(
        "#own-items") is None


def test_with_fewer_than_k_released_the_own_block_only_says_it_waits(client, session, catalog):
    world = _world(session, catalog, "Hogeschool Klein", own=True,
                   counts={"Practoraat Data": 4})
    _board(client, session, world.institution)
    block = page(client.get(f"/dashboard/{world.institution.slug}")).select_one("#own-items")
    assert "Wacht op meer antwoorden" in block.select_one("#own-waiting").text
    assert block.select("table") == [] and block.select("details") == []
    assert "Meer tijd" not in block.text
    token = make_token(session, [world.institution])
    api = client.get(f"/api/v1/rounds/{world.round.id}/own-items",
                     headers={"Authorization": f"Bearer {token}"}).json()
    assert api["shown"] is False
    assert all(s["groups"] == [] for s in api["statements"])
    assert api["open_questions"][0]["answers"] == []
    csv_text = client.get(f"/dashboard/{world.institution.slug}/rounds/{world.round.id}"
                          "/own-items.csv").content.decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1  # the header only

    # the fifth respondent makes a release: the cached page shows the block now
    stored_response(session, world.questionnaire, world.round, world.units["Practoraat Data"],
                    own_answers={world.items[0].id: 3, world.items[1].id: 3})
    block = page(client.get(f"/dashboard/{world.institution.slug}")).select_one("#own-items")
    assert block.select_one("#own-waiting") is None
    assert block.select_one('tr[data-group="institution"] [data-part="n"]').text == "5"


def test_editing_own_items_before_the_round_opens_changes_the_rounds_stamp(session, catalog):
    from api.results import rendered_cache

    institution = make_institution(session, "Hogeschool Stempel")
    round_ = make_round(session, catalog, institution, state="not_open")

    def stamp() -> str:
        found = rendered_cache.round_stamp(session=session, institution=institution,
                                           round_id=round_.id, default_k=5).digest
        session.commit()
        return found
    before = stamp()
    (item,) = make_own_items(session, catalog, round_, [("likert", "Een", "", "")])
    added = stamp()
    own_items.edit_item(session=session, actor=None, round_=round_,
                        questionnaire=catalog.require(round_.questionnaire_slug,
                                                      round_.questionnaire_version),
                        item_id=item.id, statement_nl="Twee")
    assert len({before, added, stamp()}) == 3


def test_an_import_brings_own_answers_by_item_id_and_names_every_bad_one(
        client, session, catalog, alfa, round_with_own):
    round_, (s1, s2, oq) = round_with_own
    token = make_token(session, [alfa], scopes=("read", "import"))
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/rounds/{round_.id}/responses"
    bad = client.post(url, headers=auth, json={"responses": [
        {"unit": "Practoraat Data", "role": "practor", "answers": {},
         "own": {str(s1.id): 9, "999999": 3, str(oq.id): "Ok"}}]})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {e["column"] for e in bad.json()["errors"]} == {f"own.{s1.id}", "own.999999"}
    good = client.post(url, headers=auth, json={"responses": [
        {"unit": "Practoraat Data", "role": "practor", "answers": {},
         "own": {str(s1.id): 4, str(s2.id): "dk", str(oq.id): "Meer overleg"}}]})
    assert good.status_code == 201, good.text
    session.expire_all()
    assert {a.item_id: (a.value, a.text) for a in session.exec(select(OwnAnswer))} == {
        s1.id: (4, None), s2.id: (None, None), oq.id: (None, "Meer overleg")}
    session.commit()
