"""Aggregates of released knob scores, computed by the database with one GROUP BY.

Private to `api.results.gate`: no other module may import it (a test enforces this), so every
number reaches a page, a download or the API through the gate's rules.

The database returns count, sum and sum of squares per group and knob; `api.results.scoring`
turns those into mean, sd and confidence interval. No response is ever loaded into Python to be
averaged. The GROUP BY runs over the running tallies (`knob_tally`, `response_tally`: one row per
round, unit, role and knob, added to by every release in `api.results.releases`), so its cost
does not grow with the number of responses, and they hold released responses only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, literal
from sqlmodel import Session, select

from api.platform.models import (
    Invitation,
    InvitationKind,
    KnobTally,
    OpenAnswer,
    OwnAnswer,
    Response,
    ResponseTally,
)
from api.results import scoring

GroupBy = Literal["institution", "unit", "role"]


@dataclass(frozen=True)
class GroupScores:
    """One group of respondents: how many answered, and a summary per scored knob."""

    n: int
    knobs: dict[str, scoring.Summary] = field(default_factory=dict)

    def means(self) -> dict[str, float]:
        return {knob: summary.mean for knob, summary in self.knobs.items()}


def scores_by(
    *, session: Session, round_ids: list[int], group_by: GroupBy = "institution",
    unit_ids: list[int] | None = None,
) -> dict[tuple[int, object], GroupScores]:
    """Scores per (round, group) over respondents; the group is None for the whole institution.

    Two GROUP BY queries: respondents per group, and count/sum/sum of squares per group and knob.
    """
    if not round_ids:
        return {}

    def group_column(model):
        if group_by == "unit":
            return model.unit_id
        if group_by == "role":
            return model.role
        return literal(None)

    n_group = group_column(ResponseTally)
    n_query = (select(ResponseTally.round_id, n_group, func.sum(ResponseTally.n))
               .where(ResponseTally.round_id.in_(round_ids))
               .group_by(ResponseTally.round_id, n_group))
    k_group = group_column(KnobTally)
    knob_query = (select(KnobTally.round_id, k_group, KnobTally.knob, func.sum(KnobTally.n),
                         func.sum(KnobTally.total), func.sum(KnobTally.total_sq))
                  .where(KnobTally.round_id.in_(round_ids))
                  .group_by(KnobTally.round_id, k_group, KnobTally.knob))
    if unit_ids is not None:
        n_query = n_query.where(ResponseTally.unit_id.in_(unit_ids))
        knob_query = knob_query.where(KnobTally.unit_id.in_(unit_ids))
    if group_by == "institution":  # a constant is not a column to group by on every database
        n_query = n_query.group_by(None).group_by(ResponseTally.round_id)
        knob_query = knob_query.group_by(None).group_by(KnobTally.round_id, KnobTally.knob)

    knobs: dict[tuple[int, object], dict[str, scoring.Summary]] = defaultdict(dict)
    for round_id, group, knob, count, total, total_sq in session.exec(knob_query):
        summary = scoring.summarize_sums(int(count), float(total), float(total_sq))
        if summary is not None:
            knobs[(round_id, group)][knob] = summary
    return {(round_id, group): GroupScores(n=int(n), knobs=knobs.get((round_id, group), {}))
            for round_id, group, n in session.exec(n_query)}


def round_scores(
    *, session: Session, round_id: int, unit_ids: list[int] | None = None,
) -> GroupScores:
    """The scores of all respondents of a round (or of some units), over respondents."""
    found = scores_by(session=session, round_ids=[round_id], unit_ids=unit_ids)
    return found.get((round_id, None), GroupScores(n=0))


def invitations_per_unit(*, session: Session, round_ids: list[int]) -> dict[tuple[int, int], int]:
    """Personal invitations issued per (round, unit): the denominator of a response rate."""
    if not round_ids:
        return {}
    rows = session.exec(
        select(Invitation.round_id, Invitation.unit_id, func.count())
        .where(Invitation.round_id.in_(round_ids), Invitation.kind == InvitationKind.personal)
        .group_by(Invitation.round_id, Invitation.unit_id))
    return {(round_id, unit_id): int(n) for round_id, unit_id, n in rows}


def released_open_answers(*, session: Session, round_id: int) -> list[tuple[str, str]]:
    """(question id, text) of every released response of the round, in no meaningful order."""
    return list(session.exec(
        select(OpenAnswer.question_id, OpenAnswer.text)
        .join(Response, Response.id == OpenAnswer.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_not(None))))


def released_own_counts(*, session: Session, round_id: int,
                        ) -> list[tuple[int, int, int | None, int]]:
    """(unit id, own item id, value, respondents) of the round's released answers to its own
    statements, one GROUP BY; value None is "weet niet". Open answers (text) are not counted."""
    return [(unit_id, item_id, value, int(n)) for unit_id, item_id, value, n in session.exec(
        select(Response.unit_id, OwnAnswer.item_id, OwnAnswer.value, func.count())
        .join(Response, Response.id == OwnAnswer.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_not(None),
               OwnAnswer.text.is_(None))
        .group_by(Response.unit_id, OwnAnswer.item_id, OwnAnswer.value))]


def released_own_texts(*, session: Session, round_id: int) -> list[tuple[int, str]]:
    """(own item id, text) of every released answer to the round's own open questions."""
    return list(session.exec(
        select(OwnAnswer.item_id, OwnAnswer.text)
        .join(Response, Response.id == OwnAnswer.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_not(None),
               OwnAnswer.text.is_not(None))))


def released_per_round(*, session: Session, round_ids: list[int]) -> dict[int, int]:
    """Released respondents per round, from the tallies."""
    if not round_ids:
        return {}
    rows = session.exec(select(ResponseTally.round_id, func.sum(ResponseTally.n))
                        .where(ResponseTally.round_id.in_(round_ids))
                        .group_by(ResponseTally.round_id))
    return {round_id: int(n) for round_id, n in rows}
