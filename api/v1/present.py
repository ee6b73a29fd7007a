"""From domain objects to the API's public shapes, and the flat CSV form of each table."""

from __future__ import annotations

from api.plans.progress import Progress
from api.platform.models import Institution, OwnItem, Round, Unit, utcnow
from api.platform.questionnaire_diff import VersionDiff
from api.platform.questionnaire_status import VersionState
from api.platform.questionnaires import Questionnaire
from api.results import tables
from api.results.comparison import InstitutionsComparison, UnitComparison
from api.results.gate import ScaleEvidence
from api.results.groups import GroupView
from api.results.own_block import OwnBlock
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
            change=change_out(item.change) if item.change else None,
            reason=item.reason.model_dump() if item.reason else None))


def _status_fields(state: VersionState) -> dict:
    return {"status": state.status.value, "published_at": state.published_at,
            "archived_at": state.archived_at}


def questionnaire_summary(state: VersionState) -> schemas.QuestionnaireSummary:
    q = state.questionnaire
    return schemas.QuestionnaireSummary(slug=q.slug, version=q.version,
                                        title=q.title.model_dump(), content_hash=q.content_hash,
                                        **_status_fields(state))


def questionnaire_out(state: VersionState) -> schemas.QuestionnaireOut:
    q = state.questionnaire
    data = q.model_dump(mode="json")
    return schemas.QuestionnaireOut(
        slug=q.slug, version=q.version, title=data["title"], content_hash=q.content_hash,
        **_status_fields(state),
        scale=data["scale"], knobs=data["knobs"], items=data["items"],
        open_questions=data["open_questions"], roles=data["roles"],
        bands=[{"key": b["key"], "name": b["name"], "min": b["min"]} for b in data["bands"]],
        suggestions=data["suggestions"], comparable_with=list(q.comparable_with),
        comparable_knobs={version: data["comparable_with"][version]
                          for version in q.comparable_with} if isinstance(
            q.comparable_with, dict) else {})


def questionnaire_diff_out(found: VersionDiff, before: VersionState,
                           after: VersionState) -> schemas.QuestionnaireDiffOut:
    def dump(things) -> list[dict]:
        return [thing.model_dump(mode="json") for thing in things]

    return schemas.QuestionnaireDiffOut(
        slug=found.new.slug,
        from_=schemas.VersionRef(version=found.old.version, status=before.status.value),
        to=schemas.VersionRef(version=found.new.version, status=after.status.value),
        items_added=dump(found.items_added), items_removed=dump(found.items_removed),
        items_reworded=[{"id": c.after.id, "changes": list(c.changes),
                         "before": c.before.model_dump(mode="json"),
                         "after": c.after.model_dump(mode="json")}
                        for c in found.items_reworded],
        open_questions_added=dump(found.open_questions_added),
        open_questions_removed=dump(found.open_questions_removed),
        open_questions_reworded=[{"id": c.after.id, "changes": list(c.changes),
                                  "before": c.before.model_dump(mode="json"),
                                  "after": c.after.model_dump(mode="json")}
                                 for c in found.open_questions_reworded],
        knobs_added=found.knobs_added, knobs_removed=found.knobs_removed)


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
            knob: change_out(change) for knob, change in step.change.items()},
        not_comparable=list(step.refused))
        for step in found.steps]
    unit = found.unit
    return schemas.TrendOut(
        questionnaire=found.questionnaire, versions=found.versions,
        reference_version=found.reference.version, points=points,
        not_comparable=[schemas.RefusedKnobOut(version=version, knob=knob,
                                               reason=reason.model_dump())
                        for version, knobs in found.refused.items()
                        for knob, reason in knobs.items()],
        unit=schemas.UnitOut(id=unit.id, name=unit.name, kind=unit.kind,
                             parent_id=unit.parent_id) if unit else None)


TREND_EXTRA = [tables.Column("not_comparable", "text", "not_comparable")]


def trend_table(found: Trend) -> tables.Table:
    """A row per round; `not_comparable` names (space-separated) the knobs left empty in that
    row because its version is not comparable with the latest round's for them."""
    return tables.groups_table(
        [(step.group, _group_type(found)) for step in found.steps], _knob_keys(found.reference),
        lead=ROUND_COLUMNS, lead_values=[[step.round.id, step.round.name] for step in found.steps],
        extra=TREND_EXTRA, extra_values=[[" ".join(step.refused)] for step in found.steps])


def evidence_out(evidence: ScaleEvidence) -> schemas.ScaleEvidenceOut:
    return schemas.ScaleEvidenceOut(
        questionnaire=f"{evidence.slug}/{evidence.version}", minimum=evidence.minimum,
        knobs=[schemas.KnobEvidenceOut(
            knob=k.knob, items=k.items, shown=k.shown, n=k.n, needed=k.needed, alpha=k.alpha,
            ci_low=k.ci_low, ci_high=k.ci_high,
            item_stats=[schemas.ItemEvidenceOut(item=i.item_id, item_rest=i.item_rest, weak=i.weak,
                                                alpha_if_deleted=i.alpha_if_deleted,
                                                raises_alpha=i.raises_alpha)
                        for i in k.item_stats])
            for k in evidence.knobs])


def _own_item(item: OwnItem) -> dict:
    return {"id": item.id, "position": item.position, "kind": item.kind,
            "statement_nl": item.statement_nl, "statement_en": item.statement_en or None,
            "knob": item.knob}


def own_items_out(round_: Round, release: ReleaseState, block: OwnBlock) -> schemas.OwnItemsOut:
    """The own items' block (`api.results.own_block`) in the API's shape."""
    statements = []
    for found in block.statements:
        groups = []
        for group in found.groups:
            ref = schemas.GroupRef(type="institution" if group.key is None else "unit",
                                   id=group.key, name=group.label)
            stat = group.stat
            groups.append(schemas.OwnGroupOut(group=ref, suppressed=True) if stat is None else
                          schemas.OwnGroupOut(group=ref, suppressed=False, n=stat.summary.n,
                                              mean=stat.summary.mean, sd=stat.summary.sd,
                                              counts=stat.counts, dont_know=stat.dont_know))
        statements.append(schemas.OwnStatementOut(**_own_item(found.item),
                                                  groups=groups if block.shown else []))
    questions = [schemas.OwnQuestionOut(**_own_item(q.item), answers=q.answers)
                 for q in block.questions]
    return schemas.OwnItemsOut(round=round_out(round_, release), k=block.k, shown=block.shown,
                               statements=statements, open_questions=questions)


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


def sector_benchmark_out(round_id: int, view) -> schemas.SectorBenchmarkOut:
    """`api.results.gate.SectorView` as the API shows it: counts and numbers, no names."""
    return schemas.SectorBenchmarkOut(
        round_id=round_id, questionnaire=view.slug, version=view.version, period=view.period,
        institutions=view.institutions, sector_release=view.release_number,
        published_at=view.published_at,
        knobs=[schemas.SectorKnobOut(knob=k.knob, mean=k.mean, q1=k.q1, q3=k.q3, own=k.own,
                                     position=k.position) for k in view.knobs])
