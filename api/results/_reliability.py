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

`version_cross_sums` does the same for one questionnaire version over every institution and
round, for the item analysis of `api.results.item_analysis`: n, the item sums and the sums of
products of every pair of items, from which the covariance matrix follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from api.platform.models import Answer, Institution, Release, Response, Round
from api.platform.questionnaires import Item, Questionnaire
from api.results import scoring
from api.results.anonymity import MIN_K
from api.results.item_analysis import CrossSums


@dataclass(frozen=True)
class Reliability:
    """Cronbach's alpha of one knob, with the numbers it rests on."""

    alpha: float | None  # None: fewer than two complete respondents or no variance in the totals
    n_complete: int  # respondents who answered all the knob's items with a value
    items: int  # number of items of the knob


def knob_reliability(
    *, session: Session, questionnaire: Questionnaire, round_id: int, k: int,
    unit_ids: list[int] | None = None,
) -> dict[str, Reliability]:
    """Cronbach's alpha per knob of the questionnaire over one round, taken by whole releases.

    A release adds at least k respondents with a knob score, but a knob score needs only half
    of the knob's items and alpha needs all of them: a release of five scored respondents of
    whom one answered every item would move alpha and its n by one person. So a release counts
    for a knob only when it brings at least k complete respondents of that knob (the rule of
    `version_cross_sums`); two views then differ by whole steps of k or more, never by fewer.
    """
    return {
        knob.key: _knob_reliability(session=session, questionnaire=questionnaire, knob=knob.key,
                                    round_id=round_id, k=k, unit_ids=unit_ids)
        for knob in questionnaire.knobs
    }


def _on_scale(answer, questionnaire: Questionnaire, items: list[Item]):
    """The answer's value on the scale as SQL: reverse-coded statements mirrored (min + max − x,
    the rule of `api.results.scoring.item_value`), "weet niet" stays NULL. `answer` is the
    Answer table or an alias of it."""
    reverse_ids = [item.id for item in items if item.reverse]
    if not reverse_ids:
        return answer.value
    scale = questionnaire.scale
    return case((answer.item_id.in_(reverse_ids), scale.min + scale.max - answer.value),
                else_=answer.value)


def _knob_reliability(
    *, session: Session, questionnaire: Questionnaire, knob: str, round_id: int, k: int,
    unit_ids: list[int] | None,
) -> Reliability:
    items = questionnaire.items_of(knob)
    item_ids = [item.id for item in items]
    value = _on_scale(Answer, questionnaire, items)

    # released respondents of the round (and units) with a value for every item of the knob; COUNT(value)
    # skips NULL, and (response_id, item_id) is the primary key, so the count means all answered
    complete = (
        select(Answer.response_id.label("response_id"), Response.release_id.label("release_id"))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_not(None),
               Answer.item_id.in_(item_ids))
        .group_by(Answer.response_id, Response.release_id)
        .having(func.count(Answer.value) == len(item_ids))
    )
    if unit_ids is not None:
        complete = complete.where(Response.unit_id.in_(unit_ids))
    complete = complete.cte("complete")
    whole_steps = (select(complete.c.release_id).group_by(complete.c.release_id)
                   .having(func.count() >= k))
    counted = select(complete.c.response_id).where(complete.c.release_id.in_(whole_steps))
    of_complete = (Answer.item_id.in_(item_ids), Answer.response_id.in_(counted))

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


# --- one instrument version over every institution and round ------------------------------------


def _k_of_institution(default_k: int):
    """`api.results.anonymity.threshold` as SQL: the institution's own k or the default, ≥ 3."""
    own = func.coalesce(Institution.anonymity_k, default_k)
    return case((own < MIN_K, MIN_K), else_=own)


def version_cross_sums(*, session: Session, questionnaire: Questionnaire, knob: str,
                       default_k: int) -> CrossSums:
    """n, Σx_i and Σx_i·x_j of one knob over the version's released complete respondents, taken
    by whole releases: a release counts for this knob only when it holds at least its
    institution's k complete respondents of the knob.

    The release rule guarantees steps of at least k respondents with a knob score, but a knob
    score needs only half of the knob's items; alpha needs all of them. Without this rule a
    release of five scored respondents of whom one answered every item would move these sums by
    one person. With it, two views of the sums differ by whole releases of at least k complete
    respondents each, never by fewer.

    One query, all in the database: the complete respondents (a CTE), the releases that bring k
    of them, and a self-join of the answers on the response id that sums the products of every
    pair of the knob's items. It returns one row per pair of items, never an answer.
    """
    items = questionnaire.items_of(knob)
    item_ids = [item.id for item in items]
    complete = (
        select(Answer.response_id.label("response_id"), Response.release_id.label("release_id"))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_slug == questionnaire.slug,
               Response.questionnaire_version == questionnaire.version,
               Response.release_id.is_not(None), Answer.item_id.in_(item_ids))
        .group_by(Answer.response_id, Response.release_id)
        .having(func.count(Answer.value) == len(item_ids))
        .cte("complete")
    )
    whole_steps = (
        select(complete.c.release_id)
        .select_from(complete)
        .join(Release, Release.id == complete.c.release_id)
        .join(Round, Round.id == Release.round_id)
        .join(Institution, Institution.id == Round.institution_id)
        .group_by(complete.c.release_id, Institution.anonymity_k)
        .having(func.count() >= _k_of_institution(default_k))
    )
    first, second = aliased(Answer), aliased(Answer)
    first_value = _on_scale(first, questionnaire, items)
    second_value = _on_scale(second, questionnaire, items)
    rows = session.exec(
        select(first.item_id, second.item_id, func.count(), func.sum(first_value),
               func.sum(first_value * second_value))
        .select_from(complete)
        .join(first, first.response_id == complete.c.response_id)
        .join(second, second.response_id == complete.c.response_id)
        .where(first.item_id.in_(item_ids), second.item_id.in_(item_ids),
               complete.c.release_id.in_(whole_steps))
        .group_by(first.item_id, second.item_id)
    ).all()
    if not rows:
        return CrossSums(n=0, item_sums={}, products={})
    return CrossSums(
        n=int(rows[0][2]),
        item_sums={a: int(total) for a, b, _, total, _ in rows if a == b},
        products={(a, b): int(product) for a, b, _, _, product in rows},
    )


def version_k(*, session: Session, questionnaire: Questionnaire, default_k: int) -> int:
    """The largest k of the institutions that run (or ran) this version; the default when none."""
    found = session.exec(
        select(func.max(_k_of_institution(default_k)))
        .select_from(Institution)
        .join(Round, Round.institution_id == Institution.id)
        .where(Round.questionnaire_slug == questionnaire.slug,
               Round.questionnaire_version == questionnaire.version)
    ).one()
    return max(MIN_K, int(found) if found is not None else default_k)
