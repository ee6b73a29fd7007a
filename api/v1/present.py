"""From domain objects to the API's public shapes, and the flat CSV form of each table."""

from __future__ import annotations

from api.plans.progress import Progress
from api.platform.models import Institution, Round, Unit, utcnow
from api.platform.questionnaires import Questionnaire
from api.results import tables
from api.results.comparison import InstitutionsComparison, UnitComparison
from api.results.groups import GroupView
from api.results.releases import ReleaseState
from api.results.scoring import Change
from api.results.trend import Trend
from api.v1 import schemas


def round_out(round_: Round, release: ReleaseState) -> schemas.RoundOut:
    return schemas.RoundOut(
        id=round_.id, name=round_.name,
        questionnaire=f"{round_.questionnaire_slug}/{round_.questionnaire_version}",
        opens_at=round_.opens_at, closes_at=round_.closes_at, status=round_.status(utcnow()),
        responses=release.counted, release=schemas.ReleaseOut(
            id=release.release_id, number=release.number, published_at=release.published_at,
            counted=release.counted, pending=release.pending))


def institution_out(institution: Institution, k: int) -> schemas.InstitutionOut:
    return schemas.InstitutionOut(slug=institution.slug, name=institution.name, anonymity_k=k)


def unit_tree(units: list[Unit]) -> list[schemas.UnitOut]:
    nodes = {u.id: schemas.UnitOut(id=u.id, name=u.name, kind=u.kind, parent_id=u.parent_id)
             for u in units}
    roots = []
    for unit in units:
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(nodes[unit.id])
    return roots


def group_out(view: GroupView, kind: str) -> schemas.GroupScoresOut:
    ref = schemas.GroupRef(type=kind, id=view.key, name=view.label)
    if not view.shown:
        return schemas.GroupScoresOut(group=ref, suppressed=True)
    knobs = {
        key: schemas.KnobStats(n=c.summary.n, mean=c.summary.mean, sd=c.summary.sd,
                               ci_low=c.summary.ci_low, ci_high=c.summary.ci_high,
                               band=c.band.key) if c.summary else None
        for key, c in view.cells.items()
    }
    a = view.alignment
    return schemas.GroupScoresOut(
        group=ref, suppressed=False, n=view.n, knobs=knobs,
        weakest=a.weakest if a else None, strongest=a.strongest if a else None,
        spread=a.spread if a else None)


def change_out(change: Change) -> schemas.ChangeOut:
    return schemas.ChangeOut(difference=change.difference, ci_low=change.low,
                             ci_high=change.high, clear=change.clear)


def action_out(item: Progress, shown: Round | None) -> schemas.ActionOut:
    a = item.action
    return schemas.ActionOut(
        id=a.id, round_id=a.round_id, unit_id=a.unit_id, knob=a.knob, title=a.title,
        suggestion=a.suggestion_id, owner=a.owner, due_on=a.due_on, status=a.status,
        notes=a.notes, created_at=a.created_at, updated_at=a.updated_at,
        progress=schemas.ActionProgressOut(
            round_id=shown.id if shown else None, standing=item.standing,
            change=change_out(item.change) if item.change else None))


def questionnaire_out(q: Questionnaire) -> schemas.QuestionnaireOut:
    data = q.model_dump(mode="json")
    return schemas.QuestionnaireOut(
        slug=q.slug, version=q.version, title=data["title"], content_hash=q.content_hash,
        scale=data["scale"], knobs=data["knobs"], items=data["items"], roles=data["roles"],
        bands=[{"key": b["key"], "name": b["name"], "min": b["min"]} for b in data["bands"]],
        suggestions=data["suggestions"], comparable_with=q.comparable_with)


ROUND_COLUMNS = [tables.Column("round_id", "id", "round_id"),
                 tables.Column("round_name", "text", "round_name")]
INSTITUTION_COLUMNS = [tables.Column("institution", "text", "institution"), *ROUND_COLUMNS]


def difference_columns(knobs: list[str]) -> list[tables.Column]:
    return [tables.Column(f"{k}_difference", "score", "difference", knob=k) for k in knobs]


def _knob_keys(questionnaire: Questionnaire) -> list[str]:
    return [knob.key for knob in questionnaire.knobs]


def compare_out(found: UnitComparison) -> schemas.CompareOut:
    dash = found.dashboard
    rows = [schemas.CompareRow(**group_out(row.group, "unit").model_dump(),
                               difference=row.difference) for row in found.rows]
    return schemas.CompareOut(round=round_out(dash.round, dash.release), k=dash.k,
                              institution=group_out(dash.total, "institution"), units=rows)


def compare_table(found: UnitComparison) -> tables.Table:
    """The institution first, then each unit with its differences."""
    dash, knobs = found.dashboard, _knob_keys(found.dashboard.questionnaire)
    differences = [[None] * len(knobs)] + [[(row.difference or {}).get(k) for k in knobs]
                                           for row in found.rows]
    return tables.groups_table(
        [(dash.total, "institution")] + [(row.group, "unit") for row in found.rows], knobs,
        extra=difference_columns(knobs), extra_values=differences)


def institutions_compare_out(found: InstitutionsComparison) -> schemas.InstitutionsCompareOut:
    return schemas.InstitutionsCompareOut(questionnaire=found.questionnaire.slug, institutions=[
        schemas.InstitutionScores(institution=institution_out(d.institution, d.k),
                                  round=round_out(d.round, d.release),
                                  scores=group_out(d.total, "institution"))
        for d in found.dashboards])


def institutions_compare_table(found: InstitutionsComparison) -> tables.Table:
    return tables.groups_table(
        [(d.total, "institution") for d in found.dashboards], _knob_keys(found.questionnaire),
        lead=INSTITUTION_COLUMNS,
        lead_values=[[d.institution.slug, d.round.id, d.round.name] for d in found.dashboards])


def _group_type(found: Trend) -> str:
    return "institution" if found.unit is None else "unit"


def trend_out(found: Trend) -> schemas.TrendOut:
    points = [schemas.TrendPointOut(
        round=round_out(step.round, step.release), scores=group_out(step.group, _group_type(found)),
        change=None if step.change is None else {
            knob: change_out(change) for knob, change in step.change.items()})
        for step in found.steps]
    unit = found.unit
    return schemas.TrendOut(
        questionnaire=found.questionnaire, versions=found.versions, points=points,
        unit=schemas.UnitOut(id=unit.id, name=unit.name, kind=unit.kind,
                             parent_id=unit.parent_id) if unit else None)


def trend_table(found: Trend) -> tables.Table:
    return tables.groups_table(
        [(step.group, _group_type(found)) for step in found.steps], _knob_keys(found.reference),
        lead=ROUND_COLUMNS, lead_values=[[step.round.id, step.round.name] for step in found.steps])


def network_map_out(found) -> schemas.NetworkMapOut:
    """`api.results.network_dashboard.RoundMaps` as the API shows it."""
    groups = []
    for unit_id, view in found.maps.items():
        targets = [schemas.NetworkTargetOut(
            target=t.target, kind=t.kind, unit_id=t.unit_id, frequency=t.frequency,
            unmarked=t.unmarked, at_least_monthly=t.at_least_monthly, forms=t.forms,
            typical=t.typical, dominant=t.dominant) for t in view.targets.values()]
        groups.append(schemas.NetworkGroupOut(unit_id=unit_id, shown=view.shown, n=view.n,
                                              targets=targets))
    return schemas.NetworkMapOut(round=round_out(found.round, found.release), k=found.k,
                                 groups=groups)
