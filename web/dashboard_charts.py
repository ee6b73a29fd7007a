"""Chart specs of the dashboard, built from `api.dashboard` data: the page and the downloads
draw the very same spec."""

from __future__ import annotations

from api.results.dashboard import Dashboard
from web import charts


def _knobs(dash: Dashboard, lang: str) -> list[tuple[str, str]]:
    return [(knob.key, knob.name.get(lang)) for knob in dash.questionnaire.knobs]


def _thresholds(dash: Dashboard, lang: str) -> list[tuple[float, str]]:
    return [(band.min, band.name.get(lang)) for band in dash.questionnaire.bands[1:]]


def star_spec(dash: Dashboard, lang: str, *, compare: list[int] = (), previous: bool = False,
              ) -> dict:
    """The institution's star, with chosen units and/or the previous round laid over it."""
    series = []
    if dash.total.shown:
        series.append(charts.Series(f"{dash.institution.name} · {dash.round.name}",
                                    dash.total.means()))
    before = dash.previous
    if previous and before is not None and before.group.shown:
        series.append(charts.Series(f"{dash.institution.name} · {before.round.name}",
                                    before.group.means()))
    for unit_id in compare:
        unit = dash.unit(unit_id)
        if unit is not None and unit.shown:
            series.append(charts.Series(unit.label, unit.means()))
    q = dash.questionnaire
    return charts.radar_spec(series, knobs=_knobs(dash, lang), scale_min=q.scale.min,
                             scale_max=q.scale.max, thresholds=_thresholds(dash, lang))


def unit_star_spec(dash: Dashboard, lang: str, unit_id: int, *, size: int = 200) -> dict | None:
    """One unit's own star, for the small multiples on the page and in the report; None when the
    unit is hidden (fewer than k), so no caller can draw a star the gate did not publish."""
    unit = dash.unit(unit_id)
    if unit is None or not unit.shown:
        return None
    q = dash.questionnaire
    return charts.radar_spec([charts.Series(unit.label, unit.means())], knobs=_knobs(dash, lang),
                             scale_min=q.scale.min, scale_max=q.scale.max,
                             thresholds=_thresholds(dash, lang), size=size)


def roles_spec(dash: Dashboard, lang: str) -> dict:
    series = [charts.Series(role.label, role.means()) for role in dash.roles if role.shown]
    q = dash.questionnaire
    return charts.radar_spec(series, knobs=_knobs(dash, lang), scale_min=q.scale.min,
                             scale_max=q.scale.max, thresholds=_thresholds(dash, lang))


def trend_chart_spec(dash: Dashboard, lang: str) -> dict:
    rows = []
    for order, point in enumerate(dash.trend):
        if not point.group.shown:
            continue
        for key, label in _knobs(dash, lang):
            summary = point.group.cells[key].summary
            if summary is None:
                continue
            # the summaries come from the gate, already at the published two decimals
            rows.append({"knob": label, "round": point.round.name, "order": order,
                         "mean": summary.mean, "n": summary.n,
                         "low": summary.ci_low if summary.ci_low is not None else summary.mean,
                         "high": summary.ci_high if summary.ci_high is not None
                         else summary.mean})
    q = dash.questionnaire
    return charts.trend_spec(rows, scale_min=q.scale.min, scale_max=q.scale.max,
                             thresholds=_thresholds(dash, lang))


CHARTS = {"star": star_spec, "roles": roles_spec, "trend": trend_chart_spec}
