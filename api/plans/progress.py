"""Each action next to the change of its knob, for its group, since the round it was made after.

Only published numbers are used: the summaries come from `api.results.gate` (per unit for an
action of a unit, in total for an action of the institution) and the change from `gate.change`,
the same as the dashboard's changes. A group hidden in either round (fewer than k) gives no
change, only the fact that it cannot be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from api.plans import actions as plan
from api.platform.errors import NotFound
from api.platform.models import Action, Institution, Round
from api.platform.questionnaires import Catalog, Text
from api.results import gate, scoring, tables
from api.results.dashboard import latest_opened
from api.results.trend import comparison


class Standing(StrEnum):
    measured = "measured"  # a change with its interval
    hidden = "hidden"  # the group (or its knob) is below k in one of the two rounds
    not_yet = "not_yet"  # made in this round or later: the next round will tell
    not_comparable = "not_comparable"  # the knob is not comparable between the two versions


@dataclass(frozen=True)
class Progress:
    action: Action
    baseline: Round
    standing: Standing
    change: scoring.Change | None = None
    before: float | None = None
    after: float | None = None
    reason: Text | None = None  # why the knob is not comparable (not_comparable only)

    @property
    def within_noise(self) -> bool:
        """The interval holds 0 (or is unknown): no demonstrable change."""
        return self.change is not None and not self.change.clear

    @property
    def verdict(self) -> str:
        """up, down, noise, hidden, not_yet or not_comparable: what the line says."""
        if self.change is None:
            return str(self.standing)
        if self.within_noise:
            return "noise"
        return "up" if self.change.difference > 0 else "down"


# an action on a knob the shown round's version does not have
_UNKNOWN_KNOB = Text(nl="Deze knop komt in de vragenlijst van die meting niet voor.",
                     en="This knob is not part of that round's questionnaire.")


def latest_round(*, session: Session, institution: Institution) -> Round | None:
    """The round a plan is read against when none is chosen: the latest that has opened, as on
    the dashboard."""
    rounds = [r for r, _ in gate.rounds_of(session=session, institution=institution)]
    return latest_opened(rounds) or (rounds[-1] if rounds else None)


def progress(*, session: Session, catalog: Catalog, institution: Institution,
             shown: Round | None, default_k: int,
             actions: list[Action] | None = None) -> list[Progress]:
    """The institution's actions (oldest first), each with its change up to the shown round."""
    found = actions if actions is not None else plan.list_actions(session=session,
                                                                   institution=institution)
    if not found:
        return []
    rounds = {r.id: r for r, _ in gate.rounds_of(session=session, institution=institution)}
    k = gate.threshold(default_k=default_k, institution=institution)
    earlier: list[Action] = []
    results: dict[int, Progress] = {}
    shown_q = plan.questionnaire_of(catalog=catalog, round_=shown) if shown else None
    for action in found:
        baseline = rounds[action.round_id]
        if shown is None or baseline.id == shown.id or baseline.opens_at >= shown.opens_at:
            results[action.id] = Progress(action=action, baseline=baseline,
                                          standing=Standing.not_yet)
        elif (reason := comparison(plan.questionnaire_of(catalog=catalog, round_=baseline),
                                   shown_q).knobs.get(action.knob, _UNKNOWN_KNOB)) is not None:
            results[action.id] = Progress(action=action, baseline=baseline,
                                          standing=Standing.not_comparable, reason=reason)
        else:
            earlier.append(action)
    if earlier:
        round_ids = sorted({a.round_id for a in earlier} | {shown.id})
        totals = gate.scores(session=session, round_ids=round_ids, k=k)
        per_unit = (gate.scores(session=session, round_ids=round_ids, k=k, group_by="unit")
                    if any(a.unit_id for a in earlier) else {})
        for action in earlier:
            published = totals if action.unit_id is None else per_unit
            a = published.get((action.round_id, action.unit_id), gate.HIDDEN).knobs.get(action.knob)
            b = published.get((shown.id, action.unit_id), gate.HIDDEN).knobs.get(action.knob)
            baseline = rounds[action.round_id]
            if a is None or b is None:
                results[action.id] = Progress(action=action, baseline=baseline,
                                              standing=Standing.hidden)
            else:
                results[action.id] = Progress(action=action, baseline=baseline,
                                              standing=Standing.measured,
                                              change=gate.change(a, b), before=a.mean,
                                              after=b.mean)
    return [results[a.id] for a in found]


PLAN_COLUMNS = [tables.Column(key, kind, part, header=f"actions.col_{key}") for key, kind, part in (
    ("title", "text", "title"), ("knob", "text", "knob"), ("group", "text", "group"),
    ("baseline", "text", "baseline"), ("status", "choice", "actions.status"),
    ("owner", "text", "owner"), ("due_on", "text", "due_on"), ("change", "score", "change"),
    ("low", "score", "low"), ("high", "score", "high"),
    ("standing", "choice", "actions.standing"), ("suggestion", "text", "suggestion"),
    ("notes", "text", "notes"))]


def plan_table(*, session: Session, catalog: Catalog, institution: Institution,
               round_id: int | None, default_k: int, lang: str,
               ) -> tuple[Round | None, tables.Table]:
    """The action plan as a table for CSV and XLSX, read against a round (the latest when None).

    Changes are numbers (published precision), empty when hidden or not yet measurable; status
    and standing stay keys, which the reader's `Labels` turn into words.
    """
    rounds = {r.id: r for r, _ in gate.rounds_of(session=session, institution=institution)}
    shown = rounds.get(round_id) if round_id is not None else latest_round(
        session=session, institution=institution)
    if round_id is not None and shown is None:
        raise NotFound("This institution has no such round.")
    units = {u.id: u.name for u in plan.units_of(session=session, institution=institution)}
    rows = []
    for item in progress(session=session, catalog=catalog, institution=institution, shown=shown,
                         default_k=default_k):
        action = item.action
        questionnaire = plan.questionnaire_of(catalog=catalog, round_=item.baseline)
        knob = questionnaire.knob_by_key.get(action.knob)
        suggestion = next((s for s in questionnaire.suggestions if s.id == action.suggestion_id),
                          None)
        change = item.change
        rows.append([
            action.title, knob.name.get(lang) if knob else action.knob,
            units.get(action.unit_id, "") if action.unit_id else institution.name,
            item.baseline.name, str(action.status), action.owner,
            action.due_on.isoformat() if action.due_on else "",
            change.difference if change else None, change.low if change else None,
            change.high if change else None, item.verdict,
            suggestion.title.get(lang) if suggestion else "", action.notes,
        ])
    return shown, tables.Table(columns=PLAN_COLUMNS, rows=rows)


@dataclass(frozen=True)
class PlanView:
    """The plan as the dashboard shows it under a round: each action with its progress line."""

    round: Round | None
    items: list[Progress]
    unit_names: dict[int, str]

    def group(self, action: Action) -> str | None:
        """The unit's name, or None for the whole institution."""
        return self.unit_names.get(action.unit_id) if action.unit_id else None


def plan_view(*, session: Session, catalog: Catalog, institution: Institution,
              shown: Round | None, default_k: int, latest: bool = False) -> PlanView:
    """The plan under `shown`, or under the latest opened round with `latest=True` (the API)."""
    if latest:
        shown = latest_round(session=session, institution=institution)
    return PlanView(round=shown, items=progress(session=session, catalog=catalog,
                                                institution=institution, shown=shown,
                                                default_k=default_k),
                    unit_names={u.id: u.name for u in plan.units_of(session=session,
                                                                   institution=institution)})
