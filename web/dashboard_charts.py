"""Chart specs of the dashboard, built from `api.dashboard` data: the page and the downloads
draw the very same spec (a download adds a title naming institution, round and release)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from api.platform.questionnaires import Questionnaire
from api.results.dashboard import Dashboard
from web import bar_charts, charts
from web.i18n import translate
from web.pages import local_time


def _knobs(dash: Dashboard, lang: str) -> list[tuple[str, str]]:
    return [(knob.key, knob.name.get(lang)) for knob in dash.questionnaire.knobs]


def _thresholds(dash: Dashboard, lang: str) -> list[tuple[float, str]]:
    return [(band.min, band.name.get(lang)) for band in dash.questionnaire.bands[1:]]


def scores_spec(series: list[charts.Series], q: Questionnaire, lang: str, *,
                title: str | list[str] = "", size: int | None = None,
                legend: bool = True) -> dict:
    """The questionnaire's own drawing of scores (`chart`): the star's radar, or bars for the
    scan's many dimensions. Page, downloads, report and thank-you page all come here."""
    knobs = [(knob.key, knob.name.get(lang)) for knob in q.knobs]
    thresholds = [(band.min, band.name.get(lang)) for band in q.bands[1:]]
    if q.chart == "bars":
        limits = ", ".join(f"{value:g}".replace(".", "," if lang == "nl" else ".")
                           for value, _ in thresholds)
        key = translate(lang, "charts.bars_key", limits=limits) if legend else ""
        return bar_charts.bars_spec(series, knobs=knobs, scale_min=q.scale.min,
                                    scale_max=q.scale.max, thresholds=thresholds, title=title,
                                    legend=legend, band_key=key,
                                    **({"size": size} if size else {}))
    return charts.radar_spec(series, knobs=knobs, scale_min=q.scale.min, scale_max=q.scale.max,
                             thresholds=thresholds, title=title, legend=legend,
                             band_key=translate(lang, "charts.band_key") if legend else "",
                             **({"size": size} if size else {}))


def download_title(dash: Dashboard, lang: str) -> list[str]:
    """What a downloaded chart says it shows, since it travels without the page around it:
    institution and round, then the release (two lines, so neither is cut off)."""
    first = translate(lang, "charts.download_title", institution=dash.institution.name,
                      round=dash.round.name)
    if not dash.release.number:
        return [first, translate(lang, "charts.download_release_none")]
    return [first, translate(lang, "charts.download_release", number=dash.release.number,
                             when=local_time(dash.release.published_at, lang))]


def star_spec(dash: Dashboard, lang: str, *, compare: list[int] = (), previous: bool = False,
              title: str | list[str] = "") -> dict:
    """The institution's star, with chosen units and/or the previous round (dashed) laid over
    it."""
    series = []
    if dash.total.shown:
        series.append(charts.Series(f"{dash.institution.name} · {dash.round.name}",
                                    dash.total.means()))
    before = dash.previous
    if previous and before is not None and before.group.shown:
        series.append(charts.Series(
            translate(lang, "charts.previous_series", round=before.round.name),
            before.group.means(), dashed=True))
    for unit_id in compare:
        unit = dash.unit(unit_id)
        if unit is not None and unit.shown:
            series.append(charts.Series(unit.label, unit.means()))
    return scores_spec(series, dash.questionnaire, lang, title=title)


def unit_star_spec(dash: Dashboard, lang: str, unit_id: int, *, size: int = 200) -> dict | None:
    """One unit's own star, for the small multiples on the page and in the report; None when the
    unit is hidden (fewer than k), so no caller can draw a star the gate did not publish. The
    caller names the unit next to the star: a one-line legend would only repeat it."""
    unit = dash.unit(unit_id)
    if unit is None or not unit.shown:
        return None
    return scores_spec([charts.Series(unit.label, unit.means())], dash.questionnaire, lang,
                       size=size if dash.questionnaire.chart == "radar" else 240, legend=False)


_unit_svgs: OrderedDict[tuple, str] = OrderedDict()
_unit_svgs_lock = threading.Lock()
UNIT_SVG_CACHE = 256


def unit_star_svg(dash: Dashboard, lang: str, unit_id: int) -> str | None:
    """The unit's small star as SVG, rendered once per release: six renders of 20–40 ms on every
    page view would double the page's time. The key holds everything the picture depends on
    (release, k, the unit's name and n), so a new release, a new k or a rename draws anew."""
    unit = dash.unit(unit_id)
    if unit is None or not unit.shown:
        return None
    key = (dash.round.id, dash.release.release_id, dash.release.number, dash.k, lang, unit_id,
           unit.label, unit.n)
    with _unit_svgs_lock:
        if key in _unit_svgs:
            _unit_svgs.move_to_end(key)
            return _unit_svgs[key]
    svg = charts.render_svg(unit_star_spec(dash, lang, unit_id))
    with _unit_svgs_lock:
        _unit_svgs[key] = svg
        while len(_unit_svgs) > UNIT_SVG_CACHE:
            _unit_svgs.popitem(last=False)
    return svg


def roles_spec(dash: Dashboard, lang: str, *, title: str | list[str] = "") -> dict:
    series = [charts.Series(role.label, role.means()) for role in dash.roles if role.shown]
    return scores_spec(series, dash.questionnaire, lang, title=title)


def trend_rows(dash: Dashboard, lang: str) -> list[dict]:
    """Per shown round and knob: mean, 95% interval and n, as the gate published them (the
    trend chart and its data table read the same rows)."""
    rows = []
    for order, point in enumerate(dash.trend):
        if not point.group.shown:
            continue
        for key, label in _knobs(dash, lang):
            summary = point.group.cells[key].summary
            if summary is None:
                continue
            # the summaries come from the gate, already at the published two decimals
            rows.append({"key": key, "knob": label, "round": point.round.name, "order": order,
                         "mean": summary.mean, "n": summary.n,
                         "low": summary.ci_low if summary.ci_low is not None else summary.mean,
                         "high": summary.ci_high if summary.ci_high is not None
                         else summary.mean})
    return rows


def trend_chart_spec(dash: Dashboard, lang: str, *, title: str | list[str] = "") -> dict:
    q = dash.questionnaire
    return charts.trend_spec(trend_rows(dash, lang), scale_min=q.scale.min,
                             scale_max=q.scale.max, thresholds=_thresholds(dash, lang),
                             title=title, columns=3 if len(q.knobs) > 5 else None,
                             knob_order=[label for _, label in _knobs(dash, lang)])


CHARTS = {"star": star_spec, "roles": roles_spec, "trend": trend_chart_spec}


def sector_spec(dash: Dashboard, lang: str) -> dict | None:
    """The institution's star beside the sector: the sector's middle half (Q1–Q3) as a grey
    band, its mean as a dashed star; None when no benchmark is shown or the questionnaire draws
    bars (its table says the same)."""
    view = dash.sector
    if view is None or not view.available or dash.questionnaire.chart != "radar":
        return None
    series = []
    if dash.total.shown:
        series.append(charts.Series(f"{dash.institution.name} · {dash.round.name}",
                                    dash.total.means()))
    series.append(charts.Series(translate(lang, "sector.mean_series"),
                                {row.knob: row.mean for row in view.knobs}, dashed=True))
    spec = scores_spec(series, dash.questionnaire, lang)
    return charts.with_sector_band(spec, knobs=_knobs(dash, lang),
                                   q1={row.knob: row.q1 for row in view.knobs},
                                   q3={row.knob: row.q3 for row in view.knobs})


def sector_svg(dash: Dashboard, lang: str) -> str | None:
    spec = sector_spec(dash, lang)
    return charts.render_svg(spec) if spec is not None else None
