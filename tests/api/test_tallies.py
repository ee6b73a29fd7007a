"""The running tallies behind every aggregate always equal a GROUP BY over the RELEASED responses,
whichever way the responses came in (survey, import, demo); a response that waits for its
release is in no tally."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from api.platform.models import KnobScore, KnobTally, Response, ResponseTally, Round, Unit
from api.setup.demo import load_demo
from api.survey.imports import CheckedRow, import_responses
from tests.builders import (
    all_answers,
    make_institution,
    make_round,
    make_unit,
    stored_response,
    stored_responses,
)

RELEASED = Response.release_id.is_not(None)


def _from_released_responses(session) -> tuple[dict, dict]:
    people = {(r, u, role): n for r, u, role, n in session.exec(
        select(Response.round_id, Response.unit_id, Response.role, func.count())
        .where(RELEASED)
        .group_by(Response.round_id, Response.unit_id, Response.role))}
    knobs = {(r, u, role, k): (n, t, q) for r, u, role, k, n, t, q in session.exec(
        select(KnobScore.round_id, KnobScore.unit_id, KnobScore.role, KnobScore.knob,
               func.count(), func.sum(KnobScore.score),
               func.sum(KnobScore.score * KnobScore.score))
        .join(Response, Response.id == KnobScore.response_id)
        .where(RELEASED)
        .group_by(KnobScore.round_id, KnobScore.unit_id, KnobScore.role, KnobScore.knob))}
    return people, knobs


def _from_tallies(session) -> tuple[dict, dict]:
    people = {(t.round_id, t.unit_id, t.role): t.n for t in session.exec(select(ResponseTally))}
    knobs = {(t.round_id, t.unit_id, t.role, t.knob): (t.n, t.total, t.total_sq)
             for t in session.exec(select(KnobTally))}
    return people, knobs


def _assert_equal(session) -> None:
    session.expire_all()
    people, knobs = _from_released_responses(session)
    tally_people, tally_knobs = _from_tallies(session)
    assert tally_people == people
    assert tally_knobs.keys() == knobs.keys()
    for key, (n, total, total_sq) in knobs.items():
        t_n, t_total, t_sq = tally_knobs[key]
        assert t_n == n
        assert abs(t_total - total) < 1e-9 and abs(t_sq - total_sq) < 1e-9


def _counted(session) -> int:
    return session.exec(select(func.coalesce(func.sum(ResponseTally.n), 0))).one()


def _waiting(session) -> int:
    return session.exec(select(func.count()).select_from(Response)
                        .where(Response.release_id.is_(None))).one()


def test_the_tallies_equal_a_group_by_over_the_released_demo_responses(session, catalog,
                                                                       settings):
    load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
              default_k=settings.anonymity_k)
    _assert_equal(session)
    # the demo's second round has a practoraat of 3: they wait, and the tallies leave them out
    total = session.exec(select(func.count()).select_from(Response)).one()
    assert _waiting(session) >= 3
    assert _counted(session) == total - _waiting(session)


def test_responses_stored_one_by_one_and_imported_in_bulk_are_counted_once_released(session,
                                                                                     catalog):
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution = make_institution(session)
    unit, other = make_unit(session, institution), make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    half = {item.id: 2 for item in questionnaire.items_of("strategie")[:3]}
    stored_response(session, questionnaire, round_, unit, answers=half, role="practor")
    stored_responses(session, questionnaire, round_, unit, 4, role="practor")
    # five practors, but only four of them scored mensen: nothing is released yet
    assert _counted(session) == 0 and _waiting(session) == 5
    _assert_equal(session)
    stored_response(session, questionnaire, round_, unit, role="practor")
    assert _counted(session) == 6 and _waiting(session) == 0
    _assert_equal(session)

    stored_response(session, questionnaire, round_, other, role="anders")  # the only "anders"
    rows = [CheckedRow(unit_id=other.id, role="practor", answers=all_answers(questionnaire, 5),
                       open_answers={}) for _ in range(5)]
    import_responses(session=session, round_=round_, questionnaire=questionnaire, rows=rows,
                     default_k=5)
    _assert_equal(session)
    assert session.get(ResponseTally, (round_.id, unit.id, "practor")).n == 6
    # the respondent who answered half of strategie only counts for that knob
    assert session.get(KnobTally, (round_.id, unit.id, "practor", "strategie")).n == 6
    assert session.get(KnobTally, (round_.id, unit.id, "practor", "mensen")).n == 5
    # the five imported practors are released; the lone "anders" beside them still waits
    assert session.get(ResponseTally, (round_.id, other.id, "practor")).n == 5
    assert session.get(ResponseTally, (round_.id, other.id, "anders")) is None
    assert session.get(KnobTally, (round_.id, other.id, "anders", "mensen")) is None
    assert _counted(session) == 11 and _waiting(session) == 1
    assert session.exec(select(func.count()).select_from(Round)).one() == 1
    assert session.exec(select(func.count()).select_from(Unit)).one() == 2


def _scoring(questionnaire, score: int) -> dict[str, int]:
    """Answers that give every knob this score: reverse-coded statements answered mirrored."""
    return {item.id: 6 - score if item.reverse else score for item in questionnaire.items}


def test_waiting_responses_are_in_no_tally_until_their_release(session, catalog):
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    stored_responses(session, questionnaire, round_, unit, 4, answers=_scoring(questionnaire, 2))
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Response)).one() == 4
    assert session.exec(select(func.count()).select_from(KnobScore)).one() == 4 * len(
        questionnaire.knobs)
    assert session.exec(select(ResponseTally)).all() == []
    assert session.exec(select(KnobTally)).all() == []

    stored_response(session, questionnaire, round_, unit, answers=_scoring(questionnaire, 4))
    _assert_equal(session)
    assert session.get(ResponseTally, (round_.id, unit.id, "practor")).n == 5
    tally = session.get(KnobTally, (round_.id, unit.id, "practor", "strategie"))
    assert (tally.n, tally.total, tally.total_sq) == (5, 4 * 2 + 4, 4 * 2 * 2 + 4 * 4)
