"""The respondent's own star next to their practoraat's and institution's published stars."""

from __future__ import annotations

from dataclasses import dataclass

from api.platform.questionnaires import Questionnaire
from api.results.gate import Published
from web import charts, dashboard_charts
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
    own_shown: bool
    unit_shown: bool
    institution_shown: bool


def survey_spec(*, questionnaire: Questionnaire, unit_name: str, institution_name: str,
                own: dict[str, float], unit: Published, total: Published, lang: str,
                title: str = "") -> tuple[dict, list[StarRow], bool]:
    """The chart spec, its table rows and whether any line is drawn."""
    q = questionnaire
    rows = [StarRow(knob=knob.key, label=knob.name.get(lang), own=own.get(knob.key),
                    unit=unit.means().get(knob.key), institution=total.means().get(knob.key))
            for knob in q.knobs]
    series = [charts.Series(translate(lang, "star.you"), {r.knob: r.own for r in rows})] if own else []
    if unit.shown:
        series.append(charts.Series(unit_name, {r.knob: r.unit for r in rows}))
    if total.shown:
        series.append(charts.Series(institution_name, {r.knob: r.institution for r in rows}))
    if q.chart != "radar":  # the questionnaire's own drawing, as on its dashboard
        return (dashboard_charts.scores_spec(series, q, lang, title=title), rows, bool(series))
    # drawn once per respondent: the lighter spec of the same chart (charts.star_spec)
    spec = charts.star_spec(
        series, knobs=[(kn.key, kn.name.get(lang)) for kn in q.knobs],
        scale_min=q.scale.min, scale_max=q.scale.max,
        thresholds=[(band.min, band.name.get(lang)) for band in q.bands[1:]], title=title,
        band_key=translate(lang, "charts.band_key"),
    )
    return spec, rows, bool(series)


def survey_star(*, questionnaire: Questionnaire, unit_name: str, institution_name: str,
                own: dict[str, float], unit: Published, total: Published, lang: str) -> Star:
    """The group lines are the gate's published numbers, exactly as on the dashboard; the own
    line is drawn only in the answer to the submit and behind the private results link, never
    behind the invitation link (`own` empty there)."""
    spec, rows, drawn = survey_spec(questionnaire=questionnaire, unit_name=unit_name,
                                    institution_name=institution_name, own=own, unit=unit,
                                    total=total, lang=lang)
    return Star(svg=render(spec, questionnaire) if drawn else "", rows=rows,
                own_shown=bool(own), unit_shown=unit.shown, institution_shown=total.shown)


def render(spec: dict, questionnaire: Questionnaire) -> str:
    """The own star's SVG: the star's lighter layered drawing, or the plain one for bars."""
    if questionnaire.chart == "radar":
        return charts.render_svg_layered(spec)
    return charts.render_svg(spec)


