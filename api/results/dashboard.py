"""The board's view of one round: every number the dashboard, its charts and downloads show.

All of them come from here, and every number comes through `api.results.gate` on the way: a
page, chart or export cannot show a number the gate did not publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from api.platform import own_items as own_item_data
from api.platform.errors import NotFound
from api.platform.models import Institution, OwnItem, Round, Unit, utcnow
from api.platform.questionnaires import Catalog, Questionnaire, Text
from api.results import gate, scoring
from api.results import trend as trends
from api.results.gate import Reliability
from api.results.groups import Cell, GroupView, group_view
from api.results.releases import ReleaseState
from api.results.trend import TrendPoint, comparable

# Cell, GroupView, TrendPoint and comparable have modules of their own now; the surfaces that
# read a Dashboard still find them here.
__all__ = ["Cell", "Dashboard", "GroupView", "TrendPoint", "build_dashboard", "comparable",
           "latest_opened"]


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
    # the institution's own items and their numbers: a block apart from the knob scores
    own_items: list[OwnItem] = field(default_factory=list)
    own: gate.OwnPublished = field(default_factory=lambda: gate.OwnPublished(shown=False))
    # the sector benchmark of the round's version and study year (None: not asked for)
    sector: gate.SectorView | None = None

    @property
    def previous(self) -> TrendPoint | None:
        """The comparable round before this one, for the star's overlay and the changes."""
        earlier = [p for p in self.trend if p.round.opens_at < self.round.opens_at]
        return earlier[-1] if earlier else None

    @property
    def refusals(self) -> list[tuple[str, str, Text]]:
        """(version, knob, reason) for every knob the trend leaves out of the rounds of another
        version, so the page can say why, in the trend's order."""
        found: dict[tuple[str, str], Text] = {}
        for point in self.trend:
            for knob, reason in point.refused.items():
                found.setdefault((point.round.questionnaire_version, knob), reason)
        return [(version, knob, reason) for (version, knob), reason in found.items()]

    def unit(self, unit_id: int) -> GroupView | None:
        return next((u for u in self.units if u.key == unit_id), None)


def latest_opened(rounds: Sequence[Round], *, now: datetime | None = None) -> Round | None:
    """The latest of `rounds` (oldest first) that has opened: what "the latest round" means on
    every surface, as a planned round has nothing to show yet. None when none has opened."""
    moment = now or utcnow()
    opened = [r for r in rounds if r.opens_at <= moment]
    return opened[-1] if opened else None


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
        round_ = latest_opened([r for r, _ in rounds]) or rounds[-1][0]
    else:
        round_ = next((r for r, _ in rounds if r.id == round_id), None)
        if round_ is None:
            raise NotFound("This institution has no such round.")
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    k = gate.threshold(default_k=default_k, institution=institution)

    # every round sharing at least one comparable knob; each point empties the others
    trend_rounds = [r for r, _ in rounds if trends.comparison(
        catalog.require(r.questionnaire_slug, r.questionnaire_version), questionnaire).any]
    trend = trends.points(session=session, catalog=catalog, institution=institution,
                          rounds=trend_rounds, k=k, questionnaire=questionnaire)
    total = next(p.group for p in trend if p.round.id == round_.id)

    units = session.exec(select(Unit).where(Unit.institution_id == institution.id)
                         .order_by(Unit.name)).all()
    by_unit = {key[1]: g for key, g in
               gate.scores(session=session, round_ids=[round_.id], k=k, group_by="unit").items()}
    invited = gate.invitations_per_unit(session=session, round_id=round_.id)
    answered = gate.units_with_responses(session=session, round_id=round_.id)
    unit_views = [
        group_view(key=u.id, label=u.name, published=by_unit.get(u.id),
                   questionnaire=questionnaire, invited=invited.get(u.id), kind=u.kind)
        for u in units if u.id in by_unit or u.id in invited or u.id in answered
    ]

    by_role = {key[1]: g for key, g in
               gate.scores(session=session, round_ids=[round_.id], k=k, group_by="role").items()}
    role_views = [
        group_view(key=role.key, label=role.name.get(lang), published=by_role.get(role.key),
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
        own_items=own_item_data.of_round(session=session, round_id=round_.id) if details else [],
        own=(gate.own_items(session=session, round_id=round_.id, k=k) if detailed
             else gate.OwnPublished(shown=False)),
        sector=(gate.sector_benchmark(session=session, institution=institution, round_=round_,
                                      k=k) if details else None),
    )
