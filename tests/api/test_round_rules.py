"""One rule says when a round takes answers — from its opening until it closes — for the survey,
the API import and the command line's import alike. Only an administrator importing late paper
forms on the command line may pass --allow-closed, and the audit log records it."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from api.platform.db import session_scope
from api.platform.errors import Conflict, InvalidInput
from api.platform.models import AuditEvent, Institution, PublishedQuestionnaire, Response, Round
from api.setup import institutions, questionnaire_versions, rounds
from tests.api.test_cli import kennisster, output, runner  # noqa: F401 (fixtures)
from tests.builders import make_institution, make_round, make_token, make_unit, personal_link

UNIT = "Practoraat Regels"


@pytest.fixture
def world(session, catalog):
    inst = make_institution(session, "Hogeschool Regels")
    make_unit(session, inst, UNIT)
    rounds = {state: make_round(session, catalog, inst, state=state)
              for state in ("open", "closed", "not_open")}
    token = make_token(session, [inst], scopes=("read", "import"))
    session.commit()
    return {"rounds": {state: r.id for state, r in rounds.items()}, "token": token,
            "inst": inst, "round_objs": rounds}


def responses(session, round_id: int) -> int:
    count = session.exec(select(func.count()).select_from(Response).where(
        Response.round_id == round_id)).one()
    session.commit()
    return count


CSV = f"unit,role,str1,str2\n{UNIT},practor,4,3\n"


@pytest.mark.parametrize("state, status", [("open", 201), ("closed", 410), ("not_open", 403)])
def test_the_api_import_follows_the_surveys_round_rule(client, session, world, state, status):
    round_id = world["rounds"][state]
    answer = client.post(f"/api/v1/rounds/{round_id}/responses", content=CSV,
                         headers={"Authorization": f"Bearer {world['token']}",
                                  "Content-Type": "text/csv"})
    assert answer.status_code == status, answer.text
    assert responses(session, round_id) == (1 if state == "open" else 0)
    if status != 201:
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("state, status", [("closed", 410), ("not_open", 403)])
def test_the_survey_refuses_the_same_rounds(client, session, world, state, status):
    unit = institutions.list_units(session=session, institution=world["inst"])[0]
    token = personal_link(session, world["round_objs"][state], unit)
    assert client.get(f"/s/{token}").status_code == status


def test_the_command_line_import_follows_the_rule_and_allow_closed_is_audited(
        kennisster, session, world, tmp_path):  # noqa: F811
    file = tmp_path / "papier.csv"
    file.write_text(CSV)
    ids = world["rounds"]

    opened = kennisster("round", "import", ids["open"], file)
    assert opened.exit_code == 0, output(opened)
    assert responses(session, ids["open"]) == 1

    refused = kennisster("round", "import", ids["closed"], file)
    assert refused.exit_code == 1 and "closed" in output(refused)
    assert responses(session, ids["closed"]) == 0

    early = kennisster("round", "import", ids["not_open"], file, "--allow-closed")
    assert early.exit_code == 1 and "not opened" in output(early)
    assert responses(session, ids["not_open"]) == 0

    late = kennisster("round", "import", ids["closed"], file, "--allow-closed")
    assert late.exit_code == 0, output(late)
    assert responses(session, ids["closed"]) == 1
    [event] = session.exec(select(AuditEvent).where(
        AuditEvent.action == "responses_imported_after_close")).all()
    assert event.actor == "cli" and f"closed round {ids['closed']}" in event.detail
    assert event.institution_id == world["inst"].id


# --- the first round on a version and its archiving, at the same moment -------------------------

def _in_thread(work) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("first", ["round", "archive"])
def test_a_first_round_and_an_archive_of_its_version_at_once_end_in_one_clear_refusal(
        engine, session, catalog, first):
    """An administrator archives galbraith-star 1.1 while a coordinator opens the first round on
    it: whichever transaction holds the version first wins, the other is refused in words
    (never a 500 from two inserts of the version's row, never an open round on an archived
    version). The second one is started while the first has not committed, so it must wait."""
    institution_id = make_institution(session, "Hogeschool Tegelijk").id
    session.commit()

    def open_first_round(own):
        return rounds.open_round(session=own, catalog=catalog, name="Eerste meting",
                                 institution=own.get(Institution, institution_id),
                                 slug="galbraith-star", version="1.1")

    def archive(own):
        return questionnaire_versions.archive(session=own, catalog=catalog,
                                              slug="galbraith-star", version="1.1")

    def committed(work):
        def run():
            with session_scope(engine, write=True) as own:
                result = work(own)
                own.commit()
                return result
        return run

    holder, waiter = (open_first_round, archive) if first == "round" else (archive,
                                                                           open_first_round)
    with session_scope(engine, write=True) as own:
        holder(own)
        thread, outcome = _in_thread(committed(waiter))
        thread.join(timeout=0.5)
        assert thread.is_alive()  # it waits for the first one's commit
        own.commit()
    thread.join(timeout=30)
    [refusal] = outcome
    if first == "round":
        assert isinstance(refusal, Conflict) and refusal.code == "version_in_use"
        assert "Eerste meting" in str(refusal)
    else:
        assert isinstance(refusal, InvalidInput) and refusal.code == "questionnaire_archived"
    rounds_on_it = session.exec(select(func.count()).select_from(Round).where(
        Round.questionnaire_version == "1.1")).one()
    record = session.get(PublishedQuestionnaire, ("galbraith-star", "1.1"))
    assert (rounds_on_it, record.archived_at is None) == ((1, True) if first == "round"
                                                          else (0, False))
