"""Aggregates of knob scores, computed by the database with one GROUP BY.

The database returns count, sum and sum of squares per group and knob; `api.scoring` turns those
into mean, sd and confidence interval. No response is ever loaded into Python to be averaged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from api import scoring
from api.models import KnobScore, Response


@dataclass(frozen=True)
class GroupScores:
    """One group of respondents: how many answered, and a summary per scored knob."""

    n: int
    knobs: dict[str, scoring.Summary]

    def means(self) -> dict[str, float]:
        return {knob: summary.mean for knob, summary in self.knobs.items()}


def round_scores(
    *, session: Session, round_id: int, unit_ids: list[int] | None = None,
) -> GroupScores:
    """The scores of all respondents of a round (or of some units), over respondents."""
    n_query = select(func.count()).select_from(Response).where(Response.round_id == round_id)
    knob_query = (
        select(KnobScore.knob, func.count(), func.sum(KnobScore.score),
               func.sum(KnobScore.score * KnobScore.score))
        .where(KnobScore.round_id == round_id)
        .group_by(KnobScore.knob)
    )
    if unit_ids is not None:
        n_query = n_query.where(Response.unit_id.in_(unit_ids))
        knob_query = knob_query.where(KnobScore.unit_id.in_(unit_ids))
    n = session.exec(n_query).one()
    knobs = {
        knob: summary
        for knob, count, total, total_sq in session.exec(knob_query)
        if (summary := scoring.summarize_sums(count, float(total), float(total_sq))) is not None
    }
    return GroupScores(n=int(n), knobs=knobs)
