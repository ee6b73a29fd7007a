"""Reliability of the knobs: Cronbach's alpha per knob per round over released responses,
computed by the database. Private to `api.results.gate`, like `api.results._aggregation`.

A knob is measured by a set of statements. Its score only means something when those statements
hold together: respondents who agree with one tend to agree with the others. Cronbach's alpha says
how well a knob's set of statements hangs together as one scale, so users can see whether a knob's
score can be trusted in their round (roughly: ≥ 0.7 holds, well below that it does not).

Alpha needs complete rows, so only respondents who answered every item of the knob with a value
count (listwise, like `api.scoring.cronbach_alpha`); "weet niet" and skipped items leave a
respondent out for that knob only. Reverse-coded items are mirrored in SQL before anything is
summed.

As in `api.results._aggregation`, the database does the work: per knob it returns the item sums and sums of
squares, and the count, sum and sum of squares of the respondents' totals, and
`api.scoring.cronbach_alpha_from_sums` turns those into alpha. No answer is loaded into Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import Session, select

from api.platform.models import Answer, Response
from api.platform.questionnaires import Questionnaire
from api.results import scoring


@dataclass(frozen=True)
class Reliability:
    """Cronbach's alpha of one knob, with the numbers it rests on."""

    alpha: float | None  # None: fewer than two complete respondents or no variance in the totals
    n_complete: int  # respondents who answered all the knob's items with a value
    items: int  # number of items of the knob


def knob_reliability(
    *, session: Session, questionnaire: Questionnaire, round_id: int, unit_ids: list[int] | None = None,
) -> dict[str, Reliability]:
    """Cronbach's alpha per knob of the questionnaire over one round (or some of its units)."""
    return {
        knob.key: _knob_reliability(session=session, questionnaire=questionnaire, knob=knob.key,
                                    round_id=round_id, unit_ids=unit_ids)
        for knob in questionnaire.knobs
    }


def _knob_reliability(
    *, session: Session, questionnaire: Questionnaire, knob: str, round_id: int,
    unit_ids: list[int] | None,
) -> Reliability:
    items = questionnaire.items_of(knob)
    item_ids = [item.id for item in items]
    reverse_ids = [item.id for item in items if item.reverse]
    scale = questionnaire.scale

    # the item's value on the scale: reverse-coded statements mirrored, "weet niet" stays NULL
    value = (
        case((Answer.item_id.in_(reverse_ids), scale.min + scale.max - Answer.value),
             else_=Answer.value)
        if reverse_ids else Answer.value
    )

    # respondents of the round (and units) with a value for every item of the knob; COUNT(value)
    # skips NULL, and (response_id, item_id) is the primary key, so k means all k items answered
    complete = (
        select(Answer.response_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_not(None),
               Answer.item_id.in_(item_ids))
        .group_by(Answer.response_id)
        .having(func.count(Answer.value) == len(item_ids))
    )
    if unit_ids is not None:
        complete = complete.where(Response.unit_id.in_(unit_ids))
    of_complete = (Answer.item_id.in_(item_ids), Answer.response_id.in_(complete))

    per_item = (
        select(Answer.item_id, func.sum(value), func.sum(value * value))
        .where(*of_complete)
        .group_by(Answer.item_id)
    )
    sums = {item_id: (float(s), float(sq)) for item_id, s, sq in session.exec(per_item)}

    totals = (
        select(func.sum(value).label("total"))
        .where(*of_complete)
        .group_by(Answer.response_id)
        .subquery()
    )
    n, total_sum, total_sum_sq = session.exec(
        select(func.count(), func.sum(totals.c.total), func.sum(totals.c.total * totals.c.total))
    ).one()

    if not n:
        return Reliability(alpha=None, n_complete=0, items=len(item_ids))
    alpha = scoring.cronbach_alpha_from_sums(
        n=int(n),
        item_sums=[sums[item_id][0] for item_id in item_ids],
        item_sums_sq=[sums[item_id][1] for item_id in item_ids],
        total_sum=float(total_sum),
        total_sum_sq=float(total_sum_sq),
    )
    return Reliability(alpha=alpha, n_complete=int(n), items=len(item_ids))
