"""The board's view of one round: every number the dashboard, its charts and downloads show.

All of them come from here, and every number comes through `api.results.gate` on the way: a
page, chart or export cannot show a number the gate did not publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from api.platform.errors import NotFound
from api.platform.models import Institution, Round, Unit, utcnow
from api.platform.questionnaires import Band, Catalog, Questionnaire
from api.results import gate, scoring
from api.results.gate import Published, Reliability
from api.results.releases import ReleaseState


@dataclass(frozen=True)
class Cell:
    """One knob of one group: its statistics and band, or nothing when anonymity hides it."""

    summary: scoring.Summary | None
    band: Band | None

    @property
    def mean(self) -> float | None:
        return self.summary.mean if self.summary else None


@dataclass(frozen=True)
class GroupView:
    key: object  # unit id, role key, or None for the institution
    label: str
    n: int
    shown: bool
    cells: dict[str, Cell]
    alignment: scoring.Alignment | None = None
    invited: int | None = None
    kind: str = ""

    def means(self) -> dict[str, float | None]:
        return {knob: cell.mean for knob, cell in self.cells.items()}

    @property
    def rate(self) -> float | None:
        if not self.shown or not self.invited:
            return None
        return min(1.0, self.n / self.invited)


@dataclass(frozen=True)
class TrendPoint:
    round: Round
    group: GroupView


@dataclass(frozen=True)
class Dashboard:
    institution: Institution
    round: Round
    rounds: list[tuple[Round, int]]
    questionnaire: Questionnaire
    k: int
    release: ReleaseState
    total: GroupView
    units: list[GroupView]
    roles: list[GroupView]
    trend: list[TrendPoint]
    changes: dict[str, scoring.Change]
    reliability: dict[str, Reliability]
    advice: list[scoring.KnobAdvice]
    unit_advice: dict[object, list[scoring.KnobAdvice]]
    open_answers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def previous(self) -> TrendPoint | None:
        """The comparable round before this one, for the star's overlay and the changes."""
        earlier = [p for p in self.trend if p.round.opens_at < self.round.opens_at]
        return earlier[-1] if earlier else None

    def unit(self, unit_id: int) -> GroupView | None:
        return next((u for u in self.units if u.key == unit_id), None)


def _view(*, key: object, label: str, published: Published | None,
          questionnaire: Questionnaire, invited: int | None = None, kind: str = "") -> GroupView:
    published = published or gate.HIDDEN
    cells = {}
    for knob in questionnaire.knobs:
        summary = published.knobs.get(knob.key)
        cells[knob.key] = Cell(
            summary=summary,
            band=scoring.band_for(summary.mean, questionnaire.bands) if summary else None)
    means = {knob: cell.mean for knob, cell in cells.items()}
    found = scoring.alignment(means) if published.shown else None
    alignment = (scoring.Alignment(weakest=found.weakest, strongest=found.strongest,
                                   spread=gate.rounded(found.spread)) if found else None)
    return GroupView(key=key, label=label, n=published.n, shown=published.shown, cells=cells,
                     alignment=alignment, invited=invited, kind=kind)


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


def build_dashboard(
    *, session: Session, catalog: Catalog, institution: Institution, round_id: int | None,
    default_k: int, lang: str = "nl", details: bool = True,
) -> Dashboard:
    """Everything about one round (the latest when `round_id` is None), every number through
    `api.results.gate`.

    `details=False` leaves out reliability, suggestions and open answers, which the API's score
    tables do not need.
    """
    rounds = gate.rounds_of(session=session, institution=institution)
    if not rounds:
        raise NotFound("This institution has no rounds yet.", code="no_rounds")
    if round_id is None:  # the latest round that has opened; a planned round has nothing yet
        opened = [r for r, _ in rounds if r.opens_at <= utcnow()]
        round_ = opened[-1] if opened else rounds[-1][0]
    else:
        round_ = next((r for r, _ in rounds if r.id == round_id), None)
        if round_ is None:
            raise NotFound("This institution has no such round.")
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    k = gate.threshold(default_k=default_k, institution=institution)

    trend_rounds = [r for r, _ in rounds if comparable(
        catalog.require(r.questionnaire_slug, r.questionnaire_version), questionnaire)]
    totals = gate.scores(session=session, round_ids=[r.id for r in trend_rounds], k=k)
    trend = [TrendPoint(round=r, group=_view(key=None, label=institution.name,
                                             published=totals.get((r.id, None)),
                                             questionnaire=questionnaire))
             for r in trend_rounds]
    total = next(p.group for p in trend if p.round.id == round_.id)

    units = session.exec(select(Unit).where(Unit.institution_id == institution.id)
                         .order_by(Unit.name)).all()
    by_unit = {key[1]: g for key, g in
               gate.scores(session=session, round_ids=[round_.id], k=k, group_by="unit").items()}
    invited = gate.invitations_per_unit(session=session, round_id=round_.id)
    answered = gate.units_with_responses(session=session, round_id=round_.id)
    unit_views = [
        _view(key=u.id, label=u.name, published=by_unit.get(u.id), questionnaire=questionnaire,
              invited=invited.get(u.id), kind=u.kind)
        for u in units if u.id in by_unit or u.id in invited or u.id in answered
    ]

    by_role = {key[1]: g for key, g in
               gate.scores(session=session, round_ids=[round_.id], k=k, group_by="role").items()}
    role_views = [
        _view(key=role.key, label=role.name.get(lang), published=by_role.get(role.key),
              questionnaire=questionnaire)
        for role in questionnaire.roles if role.key in by_role
    ]

    previous = [p for p in trend if p.round.opens_at < round_.opens_at]
    changes = {}
    if previous and total.shown and previous[-1].group.shown:
        before = previous[-1].group
        for knob in questionnaire.knobs:
            a, b = before.cells[knob.key].summary, total.cells[knob.key].summary
            if a is not None and b is not None:
                changes[knob.key] = gate.change(a, b)

    detailed = details and total.shown
    return Dashboard(
        institution=institution, round=round_, rounds=rounds, questionnaire=questionnaire, k=k,
        release=gate.release_state(session=session, round_=round_),
        total=total, units=unit_views, roles=role_views, trend=trend, changes=changes,
        reliability=(gate.reliability(session=session, questionnaire=questionnaire,
                                      round_id=round_.id, k=k) if detailed else {}),
        advice=scoring.advice(total.means(), questionnaire) if detailed else [],
        unit_advice={u.key: scoring.advice(u.means(), questionnaire)
                     for u in unit_views if u.shown and details},
        open_answers=(gate.open_answers(session=session, questionnaire=questionnaire,
                                        round_id=round_.id, k=k) if detailed else {}),
    )
