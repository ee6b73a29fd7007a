"""Scores across rounds: which rounds may stand in one trend, and their published numbers.

The dashboard's trend chart and `/api/v1/institutions/{slug}/trend` read their points here. Every
round's numbers come from one aggregate over the released tallies (through `api.results.gate`),
so a trend of twenty rounds costs the database as many queries as a trend of two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from api.platform.errors import Conflict, NotFound
from api.platform.models import Institution, Round, Unit
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import gate, scoring
from api.results.groups import GroupView, group_view
from api.results.releases import ReleaseState


def comparable(a: Questionnaire, b: Questionnaire) -> bool:
    """Two versions whose knob scores may stand in one trend: the same statements on the same
    knobs and scale (only other texts changed), or declared comparable in the questionnaire file."""
    if a.slug != b.slug:
        return False
    if a.version == b.version or a.version in b.comparable_with or b.version in a.comparable_with:
        return True

    def shape(q: Questionnaire) -> tuple:
        return ([(i.id, i.knob, i.reverse, i.statement) for i in q.items], q.scale.min, q.scale.max)
    return shape(a) == shape(b)


@dataclass(frozen=True)
class TrendPoint:
    round: Round
    group: GroupView


def points(
    *, session: Session, catalog: Catalog, institution: Institution, rounds: Sequence[Round],
    k: int, unit: Unit | None = None, questionnaire: Questionnaire | None = None,
) -> list[TrendPoint]:
    """The institution's (or one unit's) published group in each round, oldest first.

    `questionnaire` reads every point with that version's knobs and bands (the dashboard reads
    its trend against the round it shows); without it each round is read with its own version.
    A unit's point is left out of a round in which it neither answered nor was invited, as the
    round's dashboard does not list it either. A fixed number of queries, whatever the rounds.
    """
    ids = [r.id for r in rounds]

    def read_with(round_: Round) -> Questionnaire:
        return questionnaire or catalog.require(round_.questionnaire_slug,
                                                round_.questionnaire_version)

    if unit is None:
        totals = gate.scores(session=session, round_ids=ids, k=k)
        return [TrendPoint(round=r, group=group_view(
            key=None, label=institution.name, published=totals.get((r.id, None)),
            questionnaire=read_with(r))) for r in rounds]
    by_unit = gate.scores(session=session, round_ids=ids, k=k, group_by="unit")
    invited = gate.invitations_per_round_and_unit(session=session, round_ids=ids)
    answered = gate.units_with_responses_per_round(session=session, round_ids=ids)
    return [TrendPoint(round=r, group=group_view(
        key=unit.id, label=unit.name, published=by_unit.get((r.id, unit.id)),
        questionnaire=read_with(r), invited=invited.get((r.id, unit.id)), kind=unit.kind))
        for r in rounds
        if (r.id, unit.id) in by_unit or (r.id, unit.id) in invited or (r.id, unit.id) in answered]


@dataclass(frozen=True)
class TrendStep:
    """A point of the API's trend: the round with its release, the group, and per knob the
    change since the previous point (None when either of the two is hidden)."""

    round: Round
    release: ReleaseState
    group: GroupView
    change: dict[str, scoring.Change] | None


@dataclass(frozen=True)
class Trend:
    questionnaire: str  # the slug
    versions: list[str]
    reference: Questionnaire  # the latest round's version: the knobs of the table
    unit: Unit | None
    steps: list[TrendStep]


def institution_trend(
    *, session: Session, catalog: Catalog, institution: Institution, default_k: int,
    unit_id: int | None = None, questionnaire: str | None = None,
) -> Trend:
    """Scores across the rounds of one questionnaire (`slug` or `slug/version`; by default the
    latest round's), for the institution or one of its units.

    404 without rounds, without rounds of that questionnaire or for a unit of another
    institution; 409 when the rounds use versions that are not comparable.
    """
    all_rounds = gate.rounds_of(session=session, institution=institution)
    if not all_rounds:
        raise NotFound("This institution has no rounds yet.")
    wanted = questionnaire or all_rounds[-1][0].questionnaire_slug
    q_slug, _, q_version = wanted.partition("/")
    chosen = [r for r, _ in all_rounds if r.questionnaire_slug == q_slug
              and (not q_version or r.questionnaire_version == q_version)]
    if not chosen:
        raise NotFound(f"No rounds of {wanted!r} in this institution.")
    versions = sorted({r.questionnaire_version for r in chosen})
    reference = catalog.require(q_slug, chosen[-1].questionnaire_version)
    clash = [v for v in versions if not comparable(catalog.require(q_slug, v), reference)]
    if clash:
        raise Conflict(
            f"Rounds use {q_slug} versions {', '.join(versions)}, whose items differ and which the "
            f"questionnaire file does not declare comparable; ask for one version with "
            f"questionnaire={q_slug}/<version>.")
    unit = None
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.institution_id != institution.id:
            raise NotFound(f"No unit {unit_id} in this institution.")
    k = gate.threshold(default_k=default_k, institution=institution)
    found = points(session=session, catalog=catalog, institution=institution, rounds=chosen, k=k,
                   unit=unit)
    states = gate.release_states(session=session, rounds=[p.round for p in found])
    steps: list[TrendStep] = []
    previous: GroupView | None = None
    for point in found:
        view, change = point.group, None
        if previous is not None and view.shown and previous.shown:
            change = {key: gate.change(previous.cells[key].summary, cell.summary)
                      for key, cell in view.cells.items()
                      if cell.summary is not None and previous.cells[key].summary is not None}
        steps.append(TrendStep(round=point.round, release=states[point.round.id], group=view,
                               change=change))
        previous = view
    return Trend(questionnaire=q_slug, versions=versions, reference=reference, unit=unit,
                 steps=steps)
