"""Scores across rounds: which rounds may stand in one trend, and their published numbers.

The dashboard's trend chart and `/api/v1/institutions/{slug}/trend` read their points here. Every
round's numbers come from one aggregate over the released tallies (through `api.results.gate`),
so a trend of twenty rounds costs the database as many queries as a trend of two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlmodel import Session

from api.platform.errors import Conflict, NotFound
from api.platform.models import Institution, Round, Unit
from api.platform.questionnaires import Catalog, Questionnaire, Text
from api.results import gate, scoring
from api.results.groups import Cell, GroupView, group_view
from api.results.releases import ReleaseState

# the reason given for a knob when nothing is declared: the statements differ between versions
UNDECLARED = Text(
    nl="De stellingen verschillen tussen de versies en de vragenlijst verklaart deze knop niet "
       "vergelijkbaar.",
    en="The statements differ between the versions and the questionnaire does not declare this "
       "knob comparable.")
OTHER_QUESTIONNAIRE = Text(nl="Dit is een andere vragenlijst.",
                           en="This is another questionnaire.")


@dataclass(frozen=True)
class Comparison:
    """Per knob of the reference version: None when its scores may stand in one trend with the
    other version's, else the reason why not (in Dutch and English)."""

    knobs: dict[str, Text | None]

    @property
    def comparable(self) -> list[str]:
        return [key for key, reason in self.knobs.items() if reason is None]

    @property
    def refused(self) -> dict[str, Text]:
        return {key: reason for key, reason in self.knobs.items() if reason is not None}

    @property
    def any(self) -> bool:
        return bool(self.comparable)

    @property
    def all(self) -> bool:
        return not self.refused


def comparison(other: Questionnaire, reference: Questionnaire) -> Comparison:
    """Which of `reference`'s knobs `other`'s scores may be compared with: all of them for the
    same version or the same statements on the same scale (only other texts changed); otherwise
    what either file declares about the other version (per knob, or every knob for the list
    form); otherwise none."""
    keys = [knob.key for knob in reference.knobs]
    if other.slug != reference.slug:
        return Comparison({key: OTHER_QUESTIONNAIRE for key in keys})
    declared = (reference.declared_comparability(other.version)
                or other.declared_comparability(reference.version))
    if other.version == reference.version or _shape(other) == _shape(reference):
        return Comparison(dict.fromkeys(keys))
    if declared is None:
        return Comparison({key: UNDECLARED for key in keys})
    return Comparison({key: None if key in declared.comparable
                       else declared.not_comparable.get(key, UNDECLARED) for key in keys})


def _shape(q: Questionnaire) -> tuple:
    return ([(i.id, i.knob, i.reverse, i.statement) for i in q.items], q.scale.min, q.scale.max)


def comparable(a: Questionnaire, b: Questionnaire) -> bool:
    """Every knob of the two versions may stand in one trend."""
    return comparison(a, b).all


def _without(view: GroupView, refused: dict[str, Text]) -> GroupView:
    """The group with the refused knobs' cells left empty: a trend shows them for no round of
    a version they are not comparable with (alignment stays the round's own)."""
    if not refused:
        return view
    return replace(view, cells={key: Cell(summary=None, band=None) if key in refused else cell
                                for key, cell in view.cells.items()})


@dataclass(frozen=True)
class TrendPoint:
    """A round in a trend: its published group (the refused knobs' cells empty) and, per knob
    that is not comparable with the trend's reference version, the reason."""

    round: Round
    group: GroupView
    refused: dict[str, Text] = field(default_factory=dict)


def points(
    *, session: Session, catalog: Catalog, institution: Institution, rounds: Sequence[Round],
    k: int, unit: Unit | None = None, questionnaire: Questionnaire | None = None,
    compare_to: Questionnaire | None = None,
) -> list[TrendPoint]:
    """The institution's (or one unit's) published group in each round, oldest first.

    `questionnaire` reads every point with that version's knobs and bands (the dashboard reads
    its trend against the round it shows) and empties, per point, the knobs that are not
    comparable with it; without it each round is read with its own version, and `compare_to`
    (the API's trend) only empties the knobs not comparable with that version.
    A unit's point is left out of a round in which it neither answered nor was invited, as the
    round's dashboard does not list it either. A fixed number of queries, whatever the rounds.
    """
    ids = [r.id for r in rounds]

    def own(round_: Round) -> Questionnaire:
        return catalog.require(round_.questionnaire_slug, round_.questionnaire_version)

    def read_with(round_: Round) -> Questionnaire:
        return questionnaire or own(round_)

    def point(round_: Round, view: GroupView) -> TrendPoint:
        against = questionnaire or compare_to
        refused = comparison(own(round_), against).refused if against else {}
        return TrendPoint(round=round_, group=_without(view, refused), refused=refused)

    if unit is None:
        totals = gate.scores(session=session, round_ids=ids, k=k)
        return [point(r, group_view(
            key=None, label=institution.name, published=totals.get((r.id, None)),
            questionnaire=read_with(r))) for r in rounds]
    by_unit = gate.scores(session=session, round_ids=ids, k=k, group_by="unit")
    invited = gate.invitations_per_round_and_unit(session=session, round_ids=ids)
    answered = gate.units_with_responses_per_round(session=session, round_ids=ids)
    return [point(r, group_view(
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
    refused: dict[str, Text] = field(default_factory=dict)


@dataclass(frozen=True)
class Trend:
    questionnaire: str  # the slug
    versions: list[str]
    reference: Questionnaire  # the latest round's version: the knobs of the table
    unit: Unit | None
    steps: list[TrendStep]
    # per earlier version, the reference's knobs its rounds are left out of, with the reason
    refused: dict[str, dict[str, Text]] = field(default_factory=dict)


def institution_trend(
    *, session: Session, catalog: Catalog, institution: Institution, default_k: int,
    unit_id: int | None = None, questionnaire: str | None = None,
) -> Trend:
    """Scores across the rounds of one questionnaire (`slug` or `slug/version`; by default the
    latest round's), for the institution or one of its units.

    Each knob crosses the versions that are comparable with the latest round's for that knob;
    the points of a version leave the other knobs empty and name them with the reason. 404
    without rounds, without rounds of that questionnaire or for a unit of another institution;
    409 when a version the rounds use shares no comparable knob with the latest round's.
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
    compared = {v: comparison(catalog.require(q_slug, v), reference) for v in versions}
    clash = [v for v, c in compared.items() if not c.any]
    if clash:
        raise Conflict(
            f"Rounds use {q_slug} versions {', '.join(versions)}; no knob of "
            f"{', '.join(clash)} is comparable with {reference.version}: their items differ and "
            f"the questionnaire file does not declare any knob comparable; ask for one version "
            f"with questionnaire={q_slug}/<version>.")
    unit = None
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.institution_id != institution.id:
            raise NotFound(f"No unit {unit_id} in this institution.")
    k = gate.threshold(default_k=default_k, institution=institution)
    found = points(session=session, catalog=catalog, institution=institution, rounds=chosen, k=k,
                   unit=unit, compare_to=reference)
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
                               change=change, refused=point.refused))
        previous = view
    return Trend(questionnaire=q_slug, versions=versions, reference=reference, unit=unit,
                 steps=steps, refused={v: c.refused for v, c in compared.items() if c.refused})
