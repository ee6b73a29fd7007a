"""Releases through the real database: when waiting responses become part of the numbers.

A stored response counts in no number until a release includes it, and a release adds to every
group (the institution, each unit, each unit with what lies below it, each role) and to every
knob either nobody or at least k respondents. These stories follow responses arriving through
the survey, the import, the command line's close and the app's start-up, and read back what the
API, the dashboard and the tables say. The app's default k is 5.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select

from api.platform.db import session_scope
from api.platform.models import (
    KnobScore,
    Release,
    Response,
    ResponseTally,
    Round,
    UnitKind,
)
from api.platform.questionnaires import Questionnaire
from api.results import anonymity, gate, releases
from api.results.dashboard import build_dashboard
from api.setup import institutions, rounds
from api.survey.responses import record_response
from tests.builders import (
    SLUG,
    VERSION,
    complete_survey,
    make_institution,
    make_round,
    make_token,
    make_unit,
    personal_link,
    stored_response,
    stored_responses,
)

K = 5
NOT_YET = {"id": None, "number": 0, "published_at": None, "counted": 0}


@pytest.fixture
def questionnaire(catalog) -> Questionnaire:
    return catalog.require(SLUG, VERSION)


def scoring(questionnaire: Questionnaire, score: int) -> dict[str, int]:
    """Answers that give every knob this score: reverse-coded statements answered mirrored."""
    return {item.id: 6 - score if item.reverse else score for item in questionnaire.items}


def fetch(session, statement) -> list:
    """Rows read in a short transaction of their own: the test session must not hold SQLite's
    write lock while the app handles a request."""
    found = list(session.exec(statement).all())
    session.commit()
    return found


def api(client, token: str, path: str, **params) -> dict:
    response = client.get(f"/api/v1{path}", params=params,
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def round_release(client, token: str, round_: Round) -> dict:
    return api(client, token, f"/rounds/{round_.id}/scores")["round"]["release"]


def groups(client, token: str, round_: Round, group_by: str) -> dict:
    body = api(client, token, f"/rounds/{round_.id}/scores", group_by=group_by)
    return {g["group"]["id"]: g for g in body["groups"]}


def release_of(session, round_: Round) -> dict[int, int | None]:
    """Response id → the id of the release that holds it (None: waiting)."""
    return dict(fetch(session, select(Response.id, Response.release_id)
                      .where(Response.round_id == round_.id)))


def arrivals(session, round_: Round) -> dict[int, anonymity.Arrival]:
    """Every response of the round as the release rule sees it."""
    knobs: dict[int, set[str]] = defaultdict(set)
    for response_id, knob in fetch(session, select(KnobScore.response_id, KnobScore.knob)
                                   .where(KnobScore.round_id == round_.id)):
        knobs[response_id].add(knob)
    return {rid: anonymity.Arrival(key=rid, unit_id=unit_id, role=role,
                                   knobs=frozenset(knobs[rid]))
            for rid, unit_id, role in fetch(session, select(Response.id, Response.unit_id,
                                                            Response.role)
                                            .where(Response.round_id == round_.id))}


# --- one release at a time ------------------------------------------------------------------


def test_the_fifth_response_releases_the_first_five_in_one_release(client, session, catalog,
                                                                   questionnaire):
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution])
    links = [personal_link(session, round_, unit) for _ in range(5)]

    for answered, link in enumerate(links[:4], start=1):
        submitted = complete_survey(client, questionnaire, link, scoring(questionnaire, answered))
        assert submitted.status_code == 200  # the thank-you page
        assert fetch(session, select(Release)) == []
        assert round_release(client, token, round_) == {**NOT_YET, "pending": answered}
        [total] = api(client, token, f"/rounds/{round_.id}/scores")["groups"]
        assert total["suppressed"] is True and total["n"] is None

    assert complete_survey(client, questionnaire, links[4],
                           scoring(questionnaire, 5)).status_code == 200  # the thank-you page
    [release] = fetch(session, select(Release).where(Release.round_id == round_.id))
    assert (release.number, release.responses) == (1, 5)
    assert list(release_of(session, round_).values()) == [release.id] * 5
    state = round_release(client, token, round_)
    assert (state["id"], state["number"], state["counted"], state["pending"]) == (
        release.id, 1, 5, 0)
    published = datetime.fromisoformat(state["published_at"].replace("Z", "+00:00"))
    assert (published.second, published.microsecond) == (0, 0)  # to the minute, no more
    # the five scored 1, 2, 3, 4 and 5 on every knob: mean 3, sd √2.5 = 1.58
    [total] = api(client, token, f"/rounds/{round_.id}/scores")["groups"]
    assert total["n"] == 5
    for stats in total["knobs"].values():
        assert (stats["n"], stats["mean"], stats["sd"]) == (5, 3.0, 1.58)


def test_a_lone_respondent_of_a_second_unit_waits_and_the_round_says_one_is_pending(
    client, session, catalog, questionnaire, settings
):
    institution = make_institution(session)
    first, second = make_unit(session, institution), make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution])
    stored_responses(session, questionnaire, round_, first, 5, answers=scoring(questionnaire, 4))
    assert complete_survey(client, questionnaire, personal_link(session, round_, second),
                           scoring(questionnaire, 1)).status_code == 200  # the thank-you page

    state = round_release(client, token, round_)
    assert (state["number"], state["counted"], state["pending"]) == (1, 5, 1)
    units = groups(client, token, round_, "unit")
    assert units[first.id]["n"] == 5 and units[first.id]["suppressed"] is False
    assert units[second.id]["suppressed"] is True and units[second.id]["n"] is None
    [total] = api(client, token, f"/rounds/{round_.id}/scores")["groups"]
    assert total["n"] == 5 and total["knobs"]["strategie"]["mean"] == 4.0  # without the 1
    dashboard = build_dashboard(session=session, catalog=catalog, institution=institution,
                                round_id=round_.id, default_k=settings.anonymity_k)
    session.commit()
    assert (dashboard.release.counted, dashboard.release.pending) == (5, 1)
    assert dashboard.release.closed is False
    assert dashboard.unit(second.id).shown is False

    # four more of the second unit: the fifth of them releases all five, in release 2
    stored_responses(session, questionnaire, round_, second, 3, answers=scoring(questionnaire, 2))
    assert round_release(client, token, round_)["pending"] == 4
    stored_response(session, questionnaire, round_, second, answers=scoring(questionnaire, 2))
    state = round_release(client, token, round_)
    assert (state["number"], state["counted"], state["pending"]) == (2, 10, 0)
    units = groups(client, token, round_, "unit")
    assert (units[first.id]["n"], units[second.id]["n"]) == (5, 5)
    assert units[second.id]["knobs"]["strategie"]["mean"] == 1.8  # (1 + 4 × 2) / 5
    released = fetch(session, select(Release.number, Release.responses)
                     .where(Release.round_id == round_.id).order_by(Release.number))
    assert released == [(1, 5), (2, 5)]


def test_closing_a_round_publishes_what_the_rule_allows_and_keeps_the_waiting_ones_out(
    client, session, engine, catalog, questionnaire, settings
):
    institution = make_institution(session)
    first, second = make_unit(session, institution), make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution])
    # seven responses left unreleased by a server that stopped before its release: five of one
    # unit, which the rule allows, and two of a second unit, which it holds back
    for unit, n, score in ((first, 5, 4), (second, 2, 1)):
        for _ in range(n):
            record_response(session=session, round_=round_, unit_id=unit.id, role="practor",
                            questionnaire=questionnaire, answers=scoring(questionnaire, score),
                            open_answers={}, submission_key=f"close-{uuid.uuid4().hex}")
    session.commit()
    link = personal_link(session, round_, second)
    assert round_release(client, token, round_) == {**NOT_YET, "pending": 7}

    rounds.close_round(session=session, round_=round_, default_k=settings.anonymity_k)
    state = gate.release_state(session=session, round_=round_)
    session.commit()
    assert (state.number, state.counted, state.pending, state.closed) == (1, 5, 2, True)
    body = api(client, token, f"/rounds/{round_.id}/scores", group_by="unit")
    assert body["round"]["status"] == "closed"
    assert (body["round"]["release"]["counted"], body["round"]["release"]["pending"]) == (5, 2)
    units = {g["group"]["id"]: g for g in body["groups"]}
    assert units[first.id]["n"] == 5 and units[second.id]["suppressed"] is True
    assert units[first.id]["knobs"]["strategie"]["mean"] == 4.0

    # nobody can answer any more, and nothing later releases the two
    assert client.get(f"/s/{link}").status_code == 410
    with session_scope(engine, write=True) as other:
        assert releases.release_all_due(session=other, default_k=settings.anonymity_k) == 0
    session.commit()
    assert round_release(client, token, round_)["pending"] == 2
    dashboard = build_dashboard(session=session, catalog=catalog, institution=institution,
                                round_id=round_.id, default_k=settings.anonymity_k)
    session.commit()
    assert dashboard.release.closed is True and dashboard.release.pending == 2


def test_start_up_releases_responses_stored_before_releases_existed(app, session, catalog,
                                                                    questionnaire, settings):
    """Responses written by an older version carry no release; the app's start-up publishes what
    the rule allows of them (and `kennisster migrate` does the same)."""
    institution = make_institution(session)
    first, second = make_unit(session, institution), make_unit(session, institution)
    earlier, later = (make_round(session, catalog, institution, state="closed"),
                      make_round(session, catalog, institution))
    token = make_token(session, [institution])
    plan = [(earlier, first)] * 5 + [(later, first)] * 6 + [(later, second)]
    for round_, unit in plan:
        record_response(session=session, round_=round_, unit_id=unit.id, role="practor",
                        questionnaire=questionnaire, answers=scoring(questionnaire, 3),
                        open_answers={}, submission_key=f"old-{uuid.uuid4().hex}")
    session.commit()
    assert fetch(session, select(Release)) == []
    assert fetch(session, select(ResponseTally)) == []

    with TestClient(app) as client:
        for round_, counted, pending in ((earlier, 5, 0), (later, 6, 1)):
            state = round_release(client, token, round_)
            assert (state["number"], state["counted"], state["pending"]) == (1, counted, pending)
        [total] = api(client, token, f"/rounds/{later.id}/scores")["groups"]
        assert total["n"] == 6 and total["knobs"]["mensen"]["mean"] == 3.0

    # a second start finds nothing more to release
    with session_scope(app.state.engine, write=True) as other:
        assert releases.release_all_due(session=other, default_k=settings.anonymity_k) == 0
    assert len(fetch(session, select(Release))) == 2


# --- imports ----------------------------------------------------------------------------------


def test_imported_rows_follow_the_same_rule(client, session, catalog, questionnaire):
    institution = make_institution(session)
    first, second = make_unit(session, institution), make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution], scopes=("read", "import"))
    items = [item.id for item in questionnaire.items]

    def upload(rows: list[tuple[str, str, int]]):
        lines = ["unit,role," + ",".join(items)] + [
            f"{unit},{role}," + ",".join(str(v) for v in scoring(questionnaire, score).values())
            for unit, role, score in rows]
        response = client.post(f"/api/v1/rounds/{round_.id}/responses",
                               content=("\n".join(lines) + "\n").encode(),
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "text/csv"})
        assert response.status_code == 201, response.text
        assert response.json()["imported"] == len(rows)

    # five practors of the first unit, two "anders" beside them and one of the second unit:
    # the five are released together, the three others wait for their groups
    upload([(first.name, "practor", 4)] * 5 + [(first.name, "anders", 1)] * 2
           + [(second.name, "practor", 1)])
    state = round_release(client, token, round_)
    assert (state["number"], state["counted"], state["pending"]) == (1, 5, 3)
    assert set(groups(client, token, round_, "role")) == {"practor"}
    [total] = api(client, token, f"/rounds/{round_.id}/scores")["groups"]
    assert total["n"] == 5 and total["knobs"]["strategie"]["mean"] == 4.0

    # four more of the second unit make five practors there: released together as release 2
    upload([(second.name, "practor", 2)] * 4)
    state = round_release(client, token, round_)
    assert (state["number"], state["counted"], state["pending"]) == (2, 10, 2)
    units = groups(client, token, round_, "unit")
    # 1 + 2 + 2 + 2 + 2 over five: 1.8
    assert units[second.id]["n"] == 5 and units[second.id]["knobs"]["strategie"]["mean"] == 1.8
    assert fetch(session, select(Release.responses).where(Release.round_id == round_.id)
                 .order_by(Release.number)) == [5, 5]


# --- concurrency --------------------------------------------------------------------------------

THREADS, EACH = 8, 6


def test_concurrent_submits_never_make_a_release_that_breaks_the_rule(engine, session, catalog,
                                                                     questionnaire):
    """Eight respondents' servers submit at once, each in its own transaction that stores the
    response and releases what may be released, as the survey's submit does. Whatever order the
    database lets them commit in, every release adds 0 or at least k to every group and knob,
    no response is released twice, the tallies hold exactly the released responses, and
    nothing that could be released is left waiting. This matters most on PostgreSQL, where
    the transactions really run side by side and the round's row lock orders the releases;
    SQLite runs them one after the other."""
    institution = make_institution(session)
    centre = institutions.create_unit(session=session, institution=institution,
                                      name="Kenniscentrum", kind=UnitKind.afdeling)
    units = [institutions.create_unit(session=session, institution=institution,
                                      name=f"Practoraat {name}", parent=centre)
             for name in ("Noord", "Zuid")] + [make_unit(session, institution, "Practoraat Los")]
    round_ = make_round(session, catalog, institution)
    round_id = round_.id
    rng = random.Random(20261201)
    plan = []
    for _ in range(THREADS):
        jobs = []
        for _ in range(EACH):
            answers = scoring(questionnaire, rng.randint(1, 5))
            if rng.random() < 0.2:  # "weet niet" on all of strategie: no score for that knob
                answers.update({item.id: None for item in questionnaire.items_of("strategie")})
            jobs.append((rng.choice(units).id, rng.choice(["practor", "practor",
                                                           "docent_onderzoeker"]), answers))
        plan.append(jobs)
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def respondent(jobs) -> None:
        try:
            start.wait(timeout=30)
            for unit_id, role, answers in jobs:
                with session_scope(engine, write=True) as own:
                    record_response(session=own, round_=own.get(Round, round_id), unit_id=unit_id,
                                    role=role, questionnaire=questionnaire, answers=answers,
                                    open_answers={}, submission_key=f"race-{uuid.uuid4().hex}")
                    releases.release_due(session=own, round_id=round_id, default_k=K)
                    own.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    workers = [threading.Thread(target=respondent, args=(jobs,)) for jobs in plan]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)
    assert failures == []

    everyone = arrivals(session, round_)
    held_by = release_of(session, round_)
    assert len(everyone) == THREADS * EACH
    made = fetch(session, select(Release).where(Release.round_id == round_id)
                 .order_by(Release.number))
    assert len(made) >= 2  # the race produced several releases, not one at the end
    assert [r.number for r in made] == list(range(1, len(made) + 1))
    ancestors = releases.ancestors_of(session=session, institution_id=institution.id)
    session.commit()
    for release in made:
        batch = [everyone[rid] for rid, held in held_by.items() if held == release.id]
        assert len(batch) == release.responses
        assert anonymity.increments_ok(batch, k=K, ancestors=ancestors), release.number
    waiting = [everyone[rid] for rid, held in held_by.items() if held is None]
    assert anonymity.releasable(waiting, k=K, ancestors=ancestors) == set()
    # the tallies hold the released responses, each once
    tallied = dict(((u, r), n) for u, r, n in fetch(session, select(
        ResponseTally.unit_id, ResponseTally.role, ResponseTally.n)
        .where(ResponseTally.round_id == round_id)))
    counted = dict(((u, r), n) for u, r, n in fetch(session, select(
        Response.unit_id, Response.role, func.count())
        .where(Response.round_id == round_id, Response.release_id.is_not(None))
        .group_by(Response.unit_id, Response.role)))
    assert tallied == counted
    assert sum(counted.values()) == sum(r.responses for r in made) > 0
