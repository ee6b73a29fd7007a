"""Horizontal bars per dimension, for questionnaires whose dimensions are many and not one
system (`chart: bars`, the knowledge-workplace scan's nine success factors).

Why bars and not a radar there: a radar's shape and area depend on the order of its spokes,
which for the star is the model itself but for a list of success factors is arbitrary; with nine
spokes the labels crowd a phone's width; and a bar's length reads more precisely than a
distance along a spoke. Each dimension is one row with its name above its bars (so long names
get the full width on a phone), one bar per series in the Okabe–Ito colours of `web.charts`,
and the band thresholds as grey dashed lines, the same conventions as the radar. Every bar tells
a screen reader its series, dimension and score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

import altair as alt

from web.charts import BAND_COLOR, GRID_COLOR, KNOB_LABEL_PX, LEGEND_PX, PALETTE, SMALL_PX, Series

BAR_PX = 14  # one bar's thickness; rows grow with the number of series


def bars_spec(
    series: Sequence[Series],
    *,
    knobs: Sequence[tuple[str, str]],
    scale_min: int = 1,
    scale_max: int = 5,
    thresholds: Sequence[tuple[float, str]] = (),
    title: str | Sequence[str] = "",
    size: int = 320,
    legend: bool = True,
    band_key: str = "",
) -> dict:
    """A Vega-Lite dict of horizontal bars, same arguments as `web.charts.radar_spec` except
    that `band_key` is the whole sentence naming the dashed thresholds; a series
    without a score for a dimension has no bar there. With no series the rows and the scale are
    drawn empty, so the page keeps its shape."""
    labels = list(dict.fromkeys(s.label for s in series))
    rows = []
    for index, s in enumerate(series):
        for order, (key, label) in enumerate(knobs):
            value = s.scores.get(key)
            if value is None:
                continue
            score = round(float(value), 2)
            rows.append({"series": s.label, "idx": index, "knob": label, "order": order,
                         "score": score, "description": f"{s.label}, {label}: {score:.2f}"})
    title = title if isinstance(title, str) else tuple(title)
    spec = json.loads(_template(tuple(label for _, label in knobs), scale_min, scale_max,
                                tuple(thresholds), title, size, legend and bool(labels),
                                tuple(labels), band_key))
    spec["datasets"] = {"bars": rows}
    return spec


@lru_cache(maxsize=64)
def _template(knobs: tuple[str, ...], scale_min: int, scale_max: int,
              thresholds: tuple[tuple[float, str], ...], title: str | tuple[str, ...],
              size: int, legend: bool, labels: tuple[str, ...], band_key: str) -> str:
    """The chart without its data, built once per set of dimensions, scale, bands, size and
    series names (building an Altair chart costs tens of milliseconds): one small chart per
    dimension, stacked, its name as its title, the scale's numbers under the last one."""
    domain = alt.Scale(domain=[scale_min, scale_max], zero=False, nice=False)
    key = alt.Legend(orient="bottom", direction="vertical", labelFontSize=LEGEND_PX,
                     symbolType="square", labelLimit=size, title=None) if legend else None
    color = alt.Color("series:N", title=None, legend=key,
                      scale=alt.Scale(domain=list(labels) or [""], range=PALETTE))
    y = alt.Y("series:N", title=None, axis=None,
              scale=alt.Scale(domain=list(labels) or [""], paddingInner=0.15, paddingOuter=0.05))
    rows = []
    for order, label in enumerate(knobs):
        last = order == len(knobs) - 1
        axis = alt.Axis(tickCount=scale_max - scale_min, format="d", labelFontSize=SMALL_PX,
                        grid=True, gridColor=GRID_COLOR, domain=False, labels=last,
                        ticks=last)
        x = alt.X("score:Q", title=None, scale=domain, axis=axis)
        base = alt.Chart(alt.NamedData(name="bars")).transform_filter(
            alt.datum.order == order)
        layers = [base.mark_bar(height=BAR_PX - 3, cornerRadiusEnd=2).encode(
            x=x, x2=alt.datum(scale_min), y=y, color=color,
            tooltip=[alt.Tooltip("series:N"), alt.Tooltip("knob:N"),
                     alt.Tooltip("score:Q", format=".2f")],
            description="description:N")]
        if thresholds:  # the band thresholds: grey dashed, as on the radar
            layers.append(alt.Chart(alt.Data(values=[{"limit": v} for v, _ in thresholds]))
                          .mark_rule(strokeDash=[2, 3], color=BAND_COLOR, strokeWidth=1.4,
                                     aria=False)
                          .encode(x=alt.X("limit:Q", scale=domain, axis=axis)))
        rows.append(alt.layer(*layers).properties(
            width=size, height=max(len(labels), 1) * BAR_PX + 2,
            title=alt.TitleParams(label, anchor="start", fontSize=KNOB_LABEL_PX,
                                  fontWeight="bold", offset=3, limit=size)))
    chart = alt.vconcat(*rows, spacing=10).configure_view(stroke=None)
    # `band_key` names the dashed lines in words (a radar labels its rings; a bar row has no
    # room): under the title, or in the title's place
    lines = list(title) if isinstance(title, tuple) else ([title] if title else [])
    if lines:
        chart = chart.properties(title=alt.TitleParams(
            lines, fontSize=LEGEND_PX, anchor="start", limit=size,
            subtitle=band_key or alt.Undefined, subtitleFontSize=SMALL_PX,
            subtitleColor=BAND_COLOR, subtitlePadding=4))
    elif band_key:
        chart = chart.properties(title=alt.TitleParams(
            band_key, fontSize=SMALL_PX, fontWeight="normal", color=BAND_COLOR, anchor="start",
            limit=size))
    return json.dumps(chart.to_dict(validate=False))  # the spec is ours and tested
