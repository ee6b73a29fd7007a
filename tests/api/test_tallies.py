"""The running tallies behind every aggregate always equal a GROUP BY over the stored responses,
whichever way the responses came in (survey, import, demo)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from api.platform.models import KnobScore, KnobTally, Response, ResponseTally, Round, Unit
from api.setup.demo import load_demo
from api.survey.imports import CheckedRow, import_responses
from tests.builders import all_answers, make_institution, make_round, make_unit, stored_response


def _from_responses(session) -> tuple[dict, dict]:
    people = {(r, u, role): n for r, u, role, n in session.exec(
        select(Response.round_id, Response.unit_id, Response.role, func.count())
        .group_by(Response.round_id, Response.unit_id, Response.role))}
    knobs = {(r, u, role, k): (n, t, q) for r, u, role, k, n, t, q in session.exec(
        select(KnobScore.round_id, KnobScore.unit_id, KnobScore.role, KnobScore.knob,
               func.count(), func.sum(KnobScore.score),
               func.sum(KnobScore.score * KnobScore.score))
        .group_by(KnobScore.round_id, KnobScore.unit_id, KnobScore.role, KnobScore.knob))}
    return people, knobs


def _from_tallies(session) -> tuple[dict, dict]:
    people = {(t.round_id, t.unit_id, t.role): t.n for t in session.exec(select(ResponseTally))}
    knobs = {(t.round_id, t.unit_id, t.role, t.knob): (t.n, t.total, t.total_sq)
             for t in session.exec(select(KnobTally))}
    return people, knobs


def _assert_equal(session) -> None:
    session.expire_all()
    people, knobs = _from_responses(session)
    tally_people, tally_knobs = _from_tallies(session)
    assert tally_people == people
    assert tally_knobs.keys() == knobs.keys()
    for key, (n, total, total_sq) in knobs.items():
        t_n, t_total, t_sq = tally_knobs[key]
        assert t_n == n
        assert abs(t_total - total) < 1e-9 and abs(t_sq - total_sq) < 1e-9


def test_the_tallies_equal_a_group_by_over_the_demo_responses(session, catalog, settings):
    load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                     default_k=settings.anonymity_k)
    _assert_equal(session)


def test_responses_stored_one_by_one_and_imported_in_bulk_are_all_counted(session, catalog):
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution = make_institution(session)
    unit, other = make_unit(session, institution), make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    half = {item.id: 2 for item in questionnaire.items_of("strategie")[:3]}
    stored_response(session, questionnaire, round_, unit, answers=half, role="practor")
    stored_response(session, questionnaire, round_, unit, role="practor")
    stored_response(session, questionnaire, round_, other, role="anders")
    rows = [CheckedRow(unit_id=other.id, role="practor", answers=all_answers(questionnaire, 5),
                       open_answers={}) for _ in range(3)]
    import_responses(session=session, round_=round_, questionnaire=questionnaire, rows=rows)
    _assert_equal(session)
    tally = session.get(ResponseTally, (round_.id, unit.id, "practor"))
    assert tally.n == 2
    # the respondent who answered half of strategie only counts for that knob
    assert session.get(KnobTally, (round_.id, unit.id, "practor", "strategie")).n == 2
    assert session.get(KnobTally, (round_.id, unit.id, "practor", "mensen")).n == 1
    assert session.exec(select(func.count()).select_from(Round)).one() == 1
    assert session.exec(select(func.count()).select_from(Unit)).one() == 2
