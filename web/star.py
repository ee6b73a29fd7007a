"""The respondent's own star next to their practoraat's and institution's, where k allows."""

from __future__ import annotations

from dataclasses import dataclass

from api.results import anonymity
from api.results._aggregation import GroupScores
from api.survey.answering import SurveyContext
from web import charts
from web.i18n import translate


@dataclass(frozen=True)
class StarRow:
    knob: str
    label: str
    own: float | None
    unit: float | None
    institution: float | None


@dataclass(frozen=True)
class Star:
    svg: str
    rows: list[StarRow]
    unit_shown: bool
    institution_shown: bool


def survey_star(*, ctx: SurveyContext, own: dict[str, float], unit: GroupScores,
                total: GroupScores, k: int, lang: str) -> Star:
    q = ctx.questionnaire
    rows = []
    for knob in q.knobs:
        unit_summary = unit.knobs.get(knob.key)
        total_summary = total.knobs.get(knob.key)
        part_ok, total_ok = anonymity.total_beside_part(
            total_n=total_summary.n if total_summary else 0,
            part_n=unit_summary.n if unit_summary else 0, k=k)
        rows.append(StarRow(
            knob=knob.key, label=knob.name.get(lang), own=own.get(knob.key),
            unit=unit_summary.mean if unit_summary and part_ok else None,
            institution=total_summary.mean if total_summary and total_ok else None,
        ))
    # The group lines appear only when the group as a whole reaches k respondents.
    unit_ok, total_ok = anonymity.total_beside_part(total_n=total.n, part_n=unit.n, k=k)
    series = [charts.Series(translate(lang, "star.you"), {r.knob: r.own for r in rows})]
    if unit_ok:
        series.append(charts.Series(ctx.unit.name, {r.knob: r.unit for r in rows}))
    if total_ok:
        series.append(charts.Series(ctx.institution.name,
                                    {r.knob: r.institution for r in rows}))
    spec = charts.radar_spec(
        series, knobs=[(kn.key, kn.name.get(lang)) for kn in q.knobs],
        scale_min=q.scale.min, scale_max=q.scale.max,
        thresholds=[(band.min, band.name.get(lang)) for band in q.bands[1:]],
    )
    if not unit_ok:
        rows = [StarRow(r.knob, r.label, r.own, None, r.institution) for r in rows]
    if not total_ok:
        rows = [StarRow(r.knob, r.label, r.own, r.unit, None) for r in rows]
    return Star(svg=charts.render_svg(spec), rows=rows, unit_shown=unit_ok,
                institution_shown=total_ok)
