"""Radar charts of the five knobs as Altair specs, rendered to SVG on the server.

Vega-Lite has no polar line mark, so each knob sits on a spoke at angle θ and a score r becomes the
point (r·sin θ, r·cos θ); the first point is repeated to close the star.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import altair as alt
import vl_convert as vlc

PALETTE = ["#1f5fa8", "#d9822b", "#2e8540", "#8e44ad", "#c0392b", "#16a085"]
THRESHOLD_COLORS = ["#c0392b", "#2e8540", "#7f8c8d"]
LABEL_RADIUS_EXTRA = 0.9


@dataclass(frozen=True)
class Series:
    """One star: a label (shown in the legend) and a score per knob key (None = no score)."""

    label: str
    scores: Mapping[str, float | None]


def _point(radius: float, index: int, count: int) -> tuple[float, float]:
    """A position on the chart, to two decimals: no number in a chart (aria-labels included)
    carries more digits than the page shows."""
    theta = 2 * math.pi * index / count
    return round(radius * math.sin(theta), 2), round(radius * math.cos(theta), 2)


def radar_spec(
    series: Sequence[Series],
    *,
    knobs: Sequence[tuple[str, str]],
    scale_min: int = 1,
    scale_max: int = 5,
    thresholds: Sequence[tuple[float, str]] = (),
    title: str = "",
    size: int = 340,
) -> dict:
    """An Altair radar chart as a Vega-Lite dict; `knobs` is a list of (key, label).

    Building an Altair chart costs tens of milliseconds, so the chart without its data is built
    once per set of knobs, scale and bands, and each call only puts its stars in the dataset.
    """
    count = len(knobs)
    rows = []
    for index, s in enumerate(series):
        present = [(i, label) for i, (key, label) in enumerate(knobs)
                   if s.scores.get(key) is not None]
        closing = present + present[:1] if len(present) > 2 else present
        for order, (i, label) in enumerate(closing):
            score = round(float(s.scores[knobs[i][0]]), 2)
            x, y = _point(score, i, count)
            # no field carries more digits than the page shows: x and y are positions only
            rows.append({"series": s.label, "idx": index, "knob": label, "score": score,
                         "order": order, "x": x, "y": y,
                         "description": f"{s.label}, {label}: {score:.2f}"})
    spec = json.loads(_radar_template(tuple(knobs), scale_min, scale_max, tuple(thresholds),
                                      title, size))
    if rows:
        spec["datasets"] = {"stars": rows}
    else:  # no star may be shown: an empty named dataset would leave Vega no size to draw
        spec["layer"] = [layer for layer in spec["layer"]
                         if layer.get("data", {}).get("name") != "stars"]
    return spec


@lru_cache(maxsize=128)
def _radar_template(knobs: tuple[tuple[str, str], ...], scale_min: int, scale_max: int,
                    thresholds: tuple[tuple[float, str], ...], title: str, size: int) -> str:
    count = len(knobs)
    ring_rows, spoke_rows, label_rows, threshold_rows = [], [], [], []
    for level in range(scale_min, scale_max + 1):
        for i in range(count + 1):
            x, y = _point(level, i % count, count)
            ring_rows.append({"ring": level, "order": i, "x": x, "y": y})
    for value, name in thresholds:
        for i in range(count + 1):
            x, y = _point(value, i % count, count)
            threshold_rows.append({"band": name, "order": i, "x": x, "y": y})
    for i, (key, label) in enumerate(knobs):
        for radius, order in ((0, 0), (scale_max, 1)):
            x, y = _point(radius, i, count)
            spoke_rows.append({"knob": key, "order": order, "x": x, "y": y})
        x, y = _point(scale_max + LABEL_RADIUS_EXTRA, i, count)
        align = "center" if abs(x) < 0.3 else ("left" if x > 0 else "right")
        label_rows.append({"label": label, "x": x, "y": y, "align": align})

    extent = scale_max + LABEL_RADIUS_EXTRA + 1.6
    # labels run sideways, so x gets more room than y; keep the aspect so the star stays round
    x_enc = alt.X("x:Q", scale=alt.Scale(domain=[-extent - 1.2, extent + 1.2]), axis=None)
    y_enc = alt.Y("y:Q", scale=alt.Scale(domain=[-extent + 0.6, extent - 0.6]), axis=None)

    # grid, spokes, labels and band rings are drawing, not data: no aria-labels of their own
    rings = alt.Chart(alt.Data(values=ring_rows)).mark_line(
        color="#c8ccd2", strokeWidth=0.8, aria=False).encode(x_enc, y_enc, detail="ring:N", order="order:Q")
    spokes = alt.Chart(alt.Data(values=spoke_rows)).mark_line(
        color="#c8ccd2", strokeWidth=0.8, aria=False).encode(x_enc, y_enc, detail="knob:N", order="order:Q")
    # text alignment is a mark property, not a channel: one text layer per alignment
    labels = [
        alt.Chart(alt.Data(values=[r for r in label_rows if r["align"] == align])).mark_text(
            fontSize=13, fontWeight="bold", color="#222", align=align, aria=False).encode(
            x_enc, y_enc, text="label:N")
        for align in ("left", "center", "right")
        if any(r["align"] == align for r in label_rows)
    ]
    layers = [rings, spokes]
    if threshold_rows:
        layers.append(alt.Chart(alt.Data(values=threshold_rows)).mark_line(
            strokeDash=[4, 3], strokeWidth=1.2, aria=False).encode(
            x_enc, y_enc, order="order:Q",
            color=alt.Color("band:N", scale=alt.Scale(
                domain=[name for _, name in thresholds],
                range=THRESHOLD_COLORS[: len(thresholds)]), legend=None)))
    # the stars come from the named dataset "stars"; colours follow the order of the series
    color = alt.Color("series:N", title=None, sort=alt.EncodingSortField("idx"),
                      scale=alt.Scale(range=PALETTE),
                      legend=alt.Legend(orient="bottom", labelFontSize=12, symbolType="stroke",
                                        labelLimit=320, columns=1))
    tooltip = [alt.Tooltip("series:N"), alt.Tooltip("knob:N"), alt.Tooltip("score:Q")]
    stars = alt.Chart(alt.NamedData(name="stars"))
    layers.append(stars.mark_line(strokeWidth=2.5, aria=False).encode(
        x_enc, y_enc, color, detail="series:N", order="order:Q"))
    # each point tells a screen reader its series, knob and score, not its coordinates
    layers.append(stars.mark_point(filled=True, size=45).encode(
        x_enc, y_enc, color.legend(None), tooltip=tooltip, description="description:N"))
    layers.extend(labels)
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(
        width=size + 2 * round(size * 1.2 / (2 * extent)), height=size).configure_view(stroke=None)
    if title:
        chart = chart.properties(title=title)
    return json.dumps(chart.to_dict(validate=False))  # the spec is ours and tested


_render_lock = threading.Lock()


def render_svg(spec: dict) -> str:
    """SVG markup without the XML prologue, ready to inline in a page."""
    svg = vlc.vegalite_to_svg(vl_spec=spec)
    return re.sub(r"^<\?xml[^>]*>\s*", "", svg)


def render_png(spec: dict, *, scale: float = 2.0) -> bytes:
    return vlc.vegalite_to_png(vl_spec=spec, scale=scale)


def warm_up() -> None:
    """The first render in a process starts V8 (about half a second); pay it at start-up."""
    with _render_lock:
        render_svg(radar_spec([Series("warm", {"a": 3, "b": 3, "c": 3})],
                              knobs=[("a", "a"), ("b", "b"), ("c", "c")]))


def trend_spec(rows: Sequence[dict], *, scale_min: int = 1, scale_max: int = 5,
               thresholds: Sequence[tuple[float, str]] = (), width: int = 150) -> dict:
    """Each knob across rounds: the mean with its 95% interval, one small panel per knob.

    `rows` hold knob, round (label), order (for the x axis), mean, low and high.
    """
    order = [r["round"] for r in sorted(rows, key=lambda r: r["order"])]
    order = list(dict.fromkeys(order))
    domain = alt.Scale(domain=[scale_min, scale_max], zero=False)
    y = alt.Y("mean:Q", title=None, scale=domain)
    x = alt.X("round:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=130))
    base = alt.Chart().properties(width=width, height=160)
    layers = [
        base.mark_rule(strokeWidth=2, color="#7a8799").encode(x, alt.Y("low:Q", title=None, scale=domain),
                                                              alt.Y2("high:Q")),
        base.mark_line(color=PALETTE[0]).encode(x, y),
        base.mark_point(filled=True, size=60, color=PALETTE[0]).encode(
            x, y, tooltip=[alt.Tooltip("round:N"), alt.Tooltip("mean:Q", format=".2f"),
                           alt.Tooltip("low:Q", format=".2f"), alt.Tooltip("high:Q", format=".2f"),
                           alt.Tooltip("n:Q")]),
    ]
    for value, _name in thresholds:
        layers.append(base.mark_rule(strokeDash=[4, 3], color="#b35c00", opacity=0.6, aria=False).encode(
            y=alt.datum(value)))
    chart = alt.layer(*layers, data=alt.Data(values=list(rows))).facet(
        facet=alt.Facet("knob:N", title=None, sort=list(dict.fromkeys(r["knob"] for r in rows)),
                        header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        columns=3,
    ).configure_view(stroke="#d5dae1")
    return chart.to_dict(validate=False)  # the spec is ours and tested; validation costs ~70 ms
