"""Cronbach's alpha per knob, computed by the database, checked against hand-computed numbers.

The stories use the real questionnaire (galbraith-star 1.0). Its knob `strategie` has six items,
str1–str5 plus the reverse-coded str6, so every expected alpha below also proves that str6 is
mirrored (6 − x) before it is summed. All other items are answered 4 throughout, so the other knobs
have no variance in their totals and no alpha.

Alpha is computed over released responses only. The institution here has its own k = 3, so a
unit of three respondents stored together is released at once; a response that waits for its
release is in no alpha.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

import pytest
import sqlalchemy as sa

from api.platform.questionnaires import Questionnaire
from api.results import releases, scoring
from api.results._reliability import Reliability, knob_reliability
from api.survey.responses import record_response
from tests.builders import (
    SLUG,
    VERSION,
    all_answers,
    make_institution,
    make_round,
    make_unit,
    stored_response,
)

K = 3
STRATEGIE = ["str1", "str2", "str3", "str4", "str5", "str6"]

# Unit A's three respondents, as they ticked the strategie items str1..str6 (str6 raw):
UNIT_A = [
    [2, 2, 2, 2, 2, 5],  # str6 5 → mirrored 1
    [3, 3, 3, 3, 3, 3],  # str6 3 → mirrored 3
    [4, 4, 4, 4, 4, 1],  # str6 1 → mirrored 5
]
# After mirroring str6 the rows are (2,2,2,2,2,1), (3,3,3,3,3,3), (4,4,4,4,4,5), n = 3, k = 6:
#   str1..str5 each (2, 3, 4): mean 3, var = (1 + 0 + 1) / 2 = 1        → five items: 5
#   str6 mirrored (1, 3, 5):   mean 3, var = (4 + 0 + 4) / 2 = 4
#   Σ var_i = 5 + 4 = 9
#   totals T = 11, 18, 25:     mean 18, var = (49 + 0 + 49) / 2 = 49
#   alpha = 6/5 · (1 − 9/49) = 6/5 · 40/49 = 48/49 ≈ 0.97959
# Without mirroring str6 would be (5, 3, 1), T = 15, 18, 21, var_T = 9 and alpha = 6/5 · 0 = 0.
ALPHA_A = 48 / 49

# Unit B's three respondents; mirrored rows (5,5,5,5,5,4), (3,3,3,3,3,3), (1,1,1,1,1,2):
UNIT_B = [
    [5, 5, 5, 5, 5, 2],  # str6 2 → mirrored 4
    [3, 3, 3, 3, 3, 3],  # str6 3 → mirrored 3
    [1, 1, 1, 1, 1, 4],  # str6 4 → mirrored 2
]
#   str1..str5 each (5, 3, 1): mean 3, var = (4 + 0 + 4) / 2 = 4        → five items: 20
#   str6 mirrored (4, 3, 2):   mean 3, var = (1 + 0 + 1) / 2 = 1
#   Σ var_i = 21
#   totals T = 29, 18, 7:      mean 18, var = (121 + 0 + 121) / 2 = 121
#   alpha = 6/5 · (1 − 21/121) = 6/5 · 100/121 = 120/121 ≈ 0.99174
ALPHA_B = 120 / 121

# Both units together, n = 6:
#   str1..str5 each (2, 3, 4, 5, 3, 1): mean 3, var = (1+0+1+4+0+4) / 5 = 2  → five items: 10
#   str6 mirrored (1, 3, 5, 4, 3, 2):   mean 3, var = (4+0+4+1+0+1) / 5 = 2
#   Σ var_i = 12
#   totals T = 11, 18, 25, 29, 18, 7:   mean 18, var = (49+0+49+121+0+121) / 5 = 68
#   alpha = 6/5 · (1 − 12/68) = 6/5 · 14/17 = 84/85 ≈ 0.98824, not a mix of 48/49 and 120/121
ALPHA_AB = 84 / 85


def answers_with(questionnaire: Questionnaire, strategie: Mapping[str, int | None]) -> dict:
    """All 30 items answered 4, except the strategie items given here."""
    return {**all_answers(questionnaire, 4), **strategie}


def store(session, questionnaire, round_, unit, rows: Sequence[Sequence[int]]) -> None:
    """The rows as respondents of one unit, stored together and then released together."""
    for row in rows:
        record(session, questionnaire, round_, unit,
               answers_with(questionnaire, dict(zip(STRATEGIE, row, strict=True))))
    release(session, round_)


def record(session, questionnaire, round_, unit, answers: Mapping[str, int | None]) -> None:
    """One response stored, not yet released."""
    record_response(session=session, round_=round_, unit_id=unit.id, role="practor",
                    questionnaire=questionnaire, answers=answers, open_answers={},
                    submission_key=f"alpha-{uuid.uuid4().hex}")


def release(session, round_) -> None:
    releases.release_due(session=session, round_id=round_.id, default_k=5)
    session.commit()


def mirrored(questionnaire: Questionnaire, rows: Sequence[Sequence[int]]) -> list[list[float | None]]:
    """The rows as the scale sees them, reverse coding applied with the pure scoring function."""
    items = [questionnaire.item_by_id[item_id] for item_id in STRATEGIE]
    return [[scoring.item_value(raw, reverse=item.reverse) for raw, item in zip(row, items, strict=True)]
            for row in rows]


@pytest.fixture
def questionnaire(catalog) -> Questionnaire:
    return catalog.require(SLUG, VERSION)


@pytest.fixture
def setting(session, catalog):
    """An institution with its own k = 3, two units and an open round."""
    institution = make_institution(session, k=K)
    unit_a = make_unit(session, institution, "Practoraat A")
    unit_b = make_unit(session, institution, "Practoraat B")
    round_ = make_round(session, catalog, institution)
    return institution, unit_a, unit_b, round_


def test_alpha_from_the_database_equals_the_hand_computed_alpha(session, questionnaire, setting):
    _, unit_a, _, round_ = setting
    store(session, questionnaire, round_, unit_a, UNIT_A)

    result = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K)

    strategie = result["strategie"]
    assert strategie.n_complete == 3
    assert strategie.items == 6
    assert strategie.alpha == pytest.approx(ALPHA_A)
    # the same rows through the reference implementation, reverse coding applied by hand
    assert scoring.cronbach_alpha(mirrored(questionnaire, UNIT_A)) == pytest.approx(ALPHA_A)
    # every knob is reported; the others were answered 4 throughout, so their totals do not vary
    assert set(result) == {knob.key for knob in questionnaire.knobs}
    for key in ("structuur", "processen", "beloningen", "mensen"):
        assert result[key] == Reliability(alpha=None, n_complete=3, items=6)


def test_a_respondent_with_a_weet_niet_or_a_skipped_strategie_item_is_left_out(
    session, questionnaire, setting,
):
    _, unit_a, _, round_ = setting
    for row in UNIT_A:
        record(session, questionnaire, round_, unit_a,
               answers_with(questionnaire, dict(zip(STRATEGIE, row, strict=True))))
    # "weet niet" on str3 is stored as NULL ...
    record(session, questionnaire, round_, unit_a,
           answers_with(questionnaire, {"str1": 1, "str2": 5, "str3": None}))
    # ... and a skipped str4 is not stored at all
    skipped = answers_with(questionnaire, {"str1": 5, "str2": 1})
    del skipped["str4"]
    record(session, questionnaire, round_, unit_a, skipped)
    release(session, round_)  # the five are released together

    result = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K)

    # listwise: both are left out of strategie, so alpha is unit A's three complete rows again
    assert result["strategie"].n_complete == 3
    assert result["strategie"].alpha == pytest.approx(ALPHA_A)
    # but only for strategie: they answered every structuur item and count there
    assert result["structuur"].n_complete == 5


def test_the_unit_filter_counts_only_the_chosen_units(session, questionnaire, setting):
    _, unit_a, unit_b, round_ = setting
    store(session, questionnaire, round_, unit_a, UNIT_A)
    store(session, questionnaire, round_, unit_b, UNIT_B)

    def strategie(unit_ids: list[int] | None) -> Reliability:
        return knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K,
                                unit_ids=unit_ids)["strategie"]

    assert strategie([unit_a.id]).n_complete == 3
    assert strategie([unit_a.id]).alpha == pytest.approx(ALPHA_A)
    assert strategie([unit_b.id]).n_complete == 3
    assert strategie([unit_b.id]).alpha == pytest.approx(ALPHA_B)
    assert scoring.cronbach_alpha(mirrored(questionnaire, UNIT_B)) == pytest.approx(ALPHA_B)
    # the whole round is all six respondents together, not a mix of the unit alphas
    everyone = scoring.cronbach_alpha(mirrored(questionnaire, UNIT_A + UNIT_B))
    assert everyone == pytest.approx(ALPHA_AB)
    assert strategie(None).n_complete == 6
    assert strategie(None).alpha == pytest.approx(ALPHA_AB)
    assert strategie([unit_a.id, unit_b.id]).alpha == pytest.approx(ALPHA_AB)
    assert strategie([]) == Reliability(alpha=None, n_complete=0, items=6)


def test_other_rounds_are_not_counted(session, catalog, questionnaire, setting):
    institution, unit_a, unit_b, round_ = setting
    store(session, questionnaire, round_, unit_a, UNIT_A)
    later = make_round(session, catalog, institution)
    store(session, questionnaire, later, unit_b, UNIT_B)

    first = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K)
    second = knob_reliability(session=session, questionnaire=questionnaire, round_id=later.id, k=K)

    assert (first["strategie"].n_complete, first["strategie"].alpha) == (3, pytest.approx(ALPHA_A))
    assert (second["strategie"].n_complete, second["strategie"].alpha) == (3, pytest.approx(ALPHA_B))


def test_fewer_than_two_complete_respondents_give_no_alpha(session, questionnaire, setting):
    _, unit_a, _, round_ = setting

    empty = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K)
    assert all(r == Reliability(alpha=None, n_complete=0, items=6) for r in empty.values())

    record(session, questionnaire, round_, unit_a,
           answers_with(questionnaire, dict(zip(STRATEGIE, UNIT_A[0], strict=True))))
    record(session, questionnaire, round_, unit_a, answers_with(questionnaire, {"str6": None}))
    record(session, questionnaire, round_, unit_a, answers_with(questionnaire, {"str1": None}))
    release(session, round_)

    result = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K)
    # one complete strategie respondent in a release of three: not a whole step of k, not counted
    assert result["strategie"] == Reliability(alpha=None, n_complete=0, items=6)
    assert result["structuur"] == Reliability(alpha=None, n_complete=3, items=6)


def test_a_release_with_fewer_than_k_complete_respondents_moves_no_alpha(
    session, questionnaire, setting,
):
    """A release brings k scored respondents, but alpha counts only those who answered every
    statement of the knob: a release in which one of them did must not move alpha or its n by
    that one person, or the difference of two views would show their answers."""
    _, unit_a, unit_b, round_ = setting
    store(session, questionnaire, round_, unit_a, UNIT_A)
    before = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id,
                              k=K)["strategie"]

    # a second release of three: one answers every strategie statement, two skip one each
    record(session, questionnaire, round_, unit_b,
           answers_with(questionnaire, dict(zip(STRATEGIE, UNIT_B[0], strict=True))))
    record(session, questionnaire, round_, unit_b, answers_with(questionnaire, {"str2": None}))
    record(session, questionnaire, round_, unit_b, answers_with(questionnaire, {"str5": None}))
    release(session, round_)
    after = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id,
                             k=K)["strategie"]

    assert after == before == Reliability(alpha=pytest.approx(ALPHA_A), n_complete=3, items=6)


def test_a_response_waiting_for_its_release_is_in_no_alpha(session, questionnaire, setting):
    _, unit_a, unit_b, round_ = setting
    store(session, questionnaire, round_, unit_a, UNIT_A)

    def strategie(unit_ids: list[int] | None = None) -> Reliability:
        return knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K,
                                unit_ids=unit_ids)["strategie"]

    # the first two of unit B answer one after the other, as in the survey: they wait (2 < k)
    for row in UNIT_B[:2]:
        stored_response(session, questionnaire, round_, unit_b,
                        answers=answers_with(questionnaire, dict(zip(STRATEGIE, row, strict=True))))
    assert strategie() == Reliability(alpha=pytest.approx(ALPHA_A), n_complete=3, items=6)
    assert strategie([unit_b.id]) == Reliability(alpha=None, n_complete=0, items=6)

    # the third of unit B releases all three, and alpha is now over everyone
    stored_response(session, questionnaire, round_, unit_b,
                    answers=answers_with(questionnaire, dict(zip(STRATEGIE, UNIT_B[2], strict=True))))
    assert strategie([unit_b.id]) == Reliability(alpha=pytest.approx(ALPHA_B), n_complete=3, items=6)
    assert strategie() == Reliability(alpha=pytest.approx(ALPHA_AB), n_complete=6, items=6)


def test_the_database_sends_back_sums_not_answers(session, engine, questionnaire, setting):
    _, unit_a, _, round_ = setting
    store(session, questionnaire, round_, unit_a, UNIT_A * 4)
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().lower().startswith(("select", "with")):  # not BEGIN IMMEDIATE
            statements.append(statement.lower())

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        result = knob_reliability(session=session, questionnaire=questionnaire, round_id=round_.id, k=K)
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)

    # each row thrice more: the variances scale by (n − 1)-corrections, alpha of 12 rows differs
    assert result["strategie"].n_complete == 12
    assert result["strategie"].alpha == pytest.approx(
        scoring.cronbach_alpha(mirrored(questionnaire, UNIT_A * 4)))
    # two aggregate queries per knob: item sums, and count and sums of the respondents' totals
    assert len(statements) == 2 * len(questionnaire.knobs)
    assert all("sum(" in statement and "group by" in statement for statement in statements)


def test_alpha_from_sums_matches_cronbach_alpha_on_a_hand_example():
    rows = [[1, 2], [2, 2], [3, 4]]
    # item 1 (1, 2, 3): Σ = 6, Σx² = 14, var = (3·14 − 36) / (3·2) = 1
    # item 2 (2, 2, 4): Σ = 8, Σx² = 24, var = (3·24 − 64) / 6 = 4/3
    # totals (3, 4, 7): Σ = 14, Σx² = 74, var = (3·74 − 196) / 6 = 13/3
    # alpha = 2/1 · (1 − (1 + 4/3) / (13/3)) = 2 · (1 − 7/13) = 12/13
    from_sums = scoring.cronbach_alpha_from_sums(
        n=3, item_sums=[6, 8], item_sums_sq=[14, 24], total_sum=14, total_sum_sq=74)
    assert from_sums == pytest.approx(12 / 13)
    assert scoring.cronbach_alpha(rows) == pytest.approx(12 / 13)


def test_alpha_from_sums_gives_none_where_alpha_is_undefined():
    # one respondent
    assert scoring.cronbach_alpha_from_sums(
        n=1, item_sums=[1, 2], item_sums_sq=[1, 4], total_sum=3, total_sum_sq=9) is None
    # one item
    assert scoring.cronbach_alpha_from_sums(
        n=3, item_sums=[6], item_sums_sq=[14], total_sum=6, total_sum_sq=14) is None
    # totals (3, 3) do not vary: rows (1, 2) and (2, 1)
    assert scoring.cronbach_alpha_from_sums(
        n=2, item_sums=[3, 3], item_sums_sq=[5, 5], total_sum=6, total_sum_sq=18) is None
    assert scoring.cronbach_alpha([[1, 2], [2, 1]]) is None
