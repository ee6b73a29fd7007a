"""Radar charts of the five knobs as Altair specs, rendered to SVG on the server.

Vega-Lite has no polar line mark, so each knob sits on a spoke at angle θ and a score r becomes the
point (r·sin θ, r·cos θ); the first point is repeated to close the star.

Readability rules the charts keep (tests read them back from the SVG): every text is at least
MIN_TEXT_PX when the chart is shown at the smallest width the stylesheet allows; the series take
the Okabe–Ito colours, which colour-blind readers tell apart, and no series is grey: grey dashed
rings with their own label are the band thresholds only; a series marked `dashed` (the previous
round) is drawn dashed, in the legend too.
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

# Okabe & Ito (2008), in an order that keeps neighbours far apart; yellow is left out (too light
# on white) and so is black (the knob labels are near-black)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
BAND_COLOR = "#6b7280"  # the band rings: neutral grey, never a series colour
GRID_COLOR = "#c8ccd2"
RING_NUMBER_COLOR = "#5b6472"
LABEL_RADIUS_EXTRA = 0.9
MIN_TEXT_PX = 11
# a chart is never shown below MIN_SHOWN_SCALE of its own size (kennisster.css keeps the star at
# least 280 px wide and never shrinks the trend on screen), so 14 px stays at least 11 px
MIN_SHOWN_SCALE = 0.8  # 280 of about 350 px
KNOB_LABEL_PX = 14
LEGEND_PX = 14
SMALL_PX = 14  # ring numbers, band names, axis labels
DASH = [6, 4]
BAND_LABEL_MIN_SIZE = 260


@dataclass(frozen=True)
class Series:
    """One star: a label (shown in the legend) and a score per knob key (None = no score);
    a `dashed` star (the previous round) is drawn with a dashed line."""

    label: str
    scores: Mapping[str, float | None]
    dashed: bool = False


def _point(radius: float, index: int | float, count: int) -> tuple[float, float]:
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
    title: str | Sequence[str] = "",
    size: int = 280,
    legend: bool = True,
    band_key: str = "",
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
                         "order": order, "x": x, "y": y, "line": "dashed" if s.dashed else "solid",
                         "description": f"{s.label}, {label}: {score:.2f}"})
    title = title if isinstance(title, str) else tuple(title)  # lines; hashable for the cache
    spec = json.loads(_radar_template(tuple(knobs), scale_min, scale_max, tuple(thresholds),
                                      title, size, legend, band_key))
    if rows:
        spec["datasets"] = {"stars": rows}
        # one legend shows each series in its colour and dash: colour and dash get the same
        # domain (the series in order), or Vega-Lite draws two legends
        labels = list(dict.fromkeys(s.label for s in series))
        dashed = {s.label for s in series if s.dashed}
        for layer in spec["layer"]:
            encoding = layer.get("encoding", {})
            if encoding.get("color", {}).get("field") == "series":
                encoding["color"]["scale"] = {"domain": labels, "range": PALETTE}
                encoding["color"].pop("sort", None)
            if "strokeDash" in encoding:
                encoding["strokeDash"]["scale"] = {
                    "domain": labels, "range": [DASH if s in dashed else [1, 0] for s in labels]}
                encoding["strokeDash"].pop("sort", None)
    else:  # no star may be shown: an empty named dataset would leave Vega no size to draw
        spec["layer"] = [layer for layer in spec["layer"]
                         if layer.get("data", {}).get("name") != "stars"]
    return spec


@lru_cache(maxsize=128)
def _radar_template(knobs: tuple[tuple[str, str], ...], scale_min: int, scale_max: int,
                    thresholds: tuple[tuple[float, str], ...], title: str | tuple[str, ...], size: int,
                    legend: bool, band_key: str) -> str:
    count = len(knobs)
    ring_rows, spoke_rows, label_rows, threshold_rows = [], [], [], []
    number_rows, band_label_rows = [], []
    for level in range(scale_min, scale_max + 1):
        for i in range(count + 1):
            x, y = _point(level, i % count, count)
            ring_rows.append({"ring": level, "order": i, "x": x, "y": y})
        # the ring's value, small and grey, just right of the first (top) spoke
        number_rows.append({"text": str(level), "x": 0.18, "y": level})
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

    extent = scale_max + LABEL_RADIUS_EXTRA + 1.4
    side = 1.2  # labels run sideways, so x gets more room than y
    # keep the aspect so the star stays round
    x_enc = alt.X("x:Q", scale=alt.Scale(domain=[-extent - side, extent + side]), axis=None)
    unit = size / (2 * extent - 1.2)  # pixels per score point, the same along x and y
    width = size + 2 * round(side * unit)
    # below the star only as much room as its lowest label needs (no blank band above the legend)
    lowest = min(math.cos(2 * math.pi * i / count) for i in range(count))
    bottom = max(-extent + 0.6, lowest * (scale_max + LABEL_RADIUS_EXTRA) - 0.9)
    if thresholds and size >= BAND_LABEL_MIN_SIZE:
        # the key of the band rings, one line under the star: a grey dashed stroke, then the
        # bands and where they start ("Aandacht nodig 2,5 · Sterk 3,5"); on the rings themselves
        # the names would run over the lines; a small star leaves its caption to name them
        bottom -= 1.1
        left = -extent - side + 0.2
        names = " · ".join(f"{name} {value:g}".replace(".", ",") for value, name in thresholds)
        band_label_rows.append({"text": f"{band_key}: {names}" if band_key else names,
                                "x": left + 1.1, "y": bottom + 0.4})
        band_key_rows = [{"x": left, "y": bottom + 0.4, "order": 0},
                         {"x": left + 0.9, "y": bottom + 0.4, "order": 1}]
    else:
        band_key_rows = []
    height = round(unit * (extent - 0.6 - bottom))
    y_enc = alt.Y("y:Q", scale=alt.Scale(domain=[bottom, extent - 0.6]), axis=None)

    # grid, spokes, labels and band rings are drawing, not data: no aria-labels of their own
    rings = alt.Chart(alt.Data(values=ring_rows)).mark_line(
        color=GRID_COLOR, strokeWidth=0.8, aria=False).encode(x_enc, y_enc, detail="ring:N", order="order:Q")
    spokes = alt.Chart(alt.Data(values=spoke_rows)).mark_line(
        color=GRID_COLOR, strokeWidth=0.8, aria=False).encode(x_enc, y_enc, detail="knob:N", order="order:Q")
    numbers = alt.Chart(alt.Data(values=number_rows)).mark_text(
        fontSize=SMALL_PX, color=RING_NUMBER_COLOR, align="left", baseline="middle",
        aria=False).encode(x_enc, y_enc, text="text:N")
    # text alignment is a mark property, not a channel: one text layer per alignment
    labels = [
        alt.Chart(alt.Data(values=[r for r in label_rows if r["align"] == align])).mark_text(
            fontSize=KNOB_LABEL_PX, fontWeight="bold", color="#222", align=align,
            aria=False).encode(x_enc, y_enc, text="label:N")
        for align in ("left", "center", "right")
        if any(r["align"] == align for r in label_rows)
    ]
    layers = [rings, spokes]
    if threshold_rows:
        layers.append(alt.Chart(alt.Data(values=threshold_rows)).mark_line(
            strokeDash=[2, 3], strokeWidth=1.4, color=BAND_COLOR, aria=False).encode(
            x_enc, y_enc, detail="band:N", order="order:Q"))
    if band_label_rows:
        layers.append(alt.Chart(alt.Data(values=band_key_rows)).mark_line(
            strokeDash=[2, 3], strokeWidth=1.4, color=BAND_COLOR, aria=False).encode(
            x_enc, y_enc, order="order:Q"))
        layers.append(alt.Chart(alt.Data(values=band_label_rows)).mark_text(
            fontSize=SMALL_PX, color=BAND_COLOR, align="left", baseline="middle",
            aria=False).encode(x_enc, y_enc, text="text:N"))
    layers.append(numbers)
    # the stars come from the named dataset "stars"; colours follow the order of the series
    key = alt.Legend(orient="bottom", labelFontSize=LEGEND_PX, symbolType="stroke",
                     symbolStrokeWidth=3, symbolSize=400, labelLimit=width - 30,
                     columns=1) if legend else None
    color = alt.Color("series:N", title=None, sort=alt.EncodingSortField("idx"),
                      scale=alt.Scale(range=PALETTE), legend=key)
    # the domain and range of the dashes are filled in per call (radar_spec)
    dash = alt.StrokeDash("series:N", title=None, sort=alt.EncodingSortField("idx"),
                          legend=key)
    tooltip = [alt.Tooltip("series:N"), alt.Tooltip("knob:N"), alt.Tooltip("score:Q")]
    stars = alt.Chart(alt.NamedData(name="stars"))
    layers.append(stars.mark_line(strokeWidth=2.5, aria=False).encode(
        x_enc, y_enc, color, dash, detail="series:N", order="order:Q"))
    # each point tells a screen reader its series, knob and score, not its coordinates
    layers.append(stars.mark_point(filled=True, size=45).encode(
        x_enc, y_enc, color.legend(None), tooltip=tooltip, description="description:N"))
    layers.extend(labels)
    # one colour scale for lines and points, so the legend merges colour and dash per series
    chart = alt.layer(*layers).properties(width=width, height=height).configure_view(stroke=None)
    if title:
        chart = chart.properties(title=alt.TitleParams(
            list(title) if isinstance(title, tuple) else title, fontSize=LEGEND_PX,
            anchor="start", limit=width))
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
               thresholds: Sequence[tuple[float, str]] = (), width: int = 110,
               title: str | Sequence[str] = "", columns: int | None = None,
               knob_order: Sequence[str] = ()) -> dict:
    """Each knob across rounds: the mean with its 95% interval, one small panel per knob, all
    panels in one row (five knobs leave no empty panel) unless `columns` wraps them.

    `rows` hold knob, round (label), order (for the x axis), mean, low and high; `knob_order`
    (knob labels) keeps the questionnaire's order when an early round lacks some knobs.
    """
    order = [r["round"] for r in sorted(rows, key=lambda r: r["order"])]
    order = list(dict.fromkeys(order))
    present = set(r["knob"] for r in rows)
    knobs = [k for k in knob_order if k in present] or list(dict.fromkeys(r["knob"] for r in rows))
    domain = alt.Scale(domain=[scale_min, scale_max], zero=False)
    y = alt.Y("mean:Q", title=None, scale=domain, axis=alt.Axis(tickCount=scale_max - scale_min,
                                                                 format="d"))
    x = alt.X("round:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelLimit=240))
    base = alt.Chart().properties(width=width, height=150)
    layers = [
        base.mark_rule(strokeWidth=2, color="#7a8799").encode(x, alt.Y("low:Q", title=None, scale=domain),
                                                              alt.Y2("high:Q")),
        base.mark_line(color=PALETTE[0]).encode(x, y),
        base.mark_point(filled=True, size=60, color=PALETTE[0]).encode(
            x, y, tooltip=[alt.Tooltip("round:N"), alt.Tooltip("mean:Q", format=".2f"),
                           alt.Tooltip("low:Q", format=".2f"), alt.Tooltip("high:Q", format=".2f"),
                           alt.Tooltip("n:Q")]),
    ]
    for value, _name in thresholds:  # the band thresholds: grey dashed, as on the radar
        layers.append(base.mark_rule(strokeDash=[2, 3], color=BAND_COLOR, strokeWidth=1.4,
                                     aria=False).encode(y=alt.datum(value)))
    chart = alt.layer(*layers, data=alt.Data(values=list(rows))).facet(
        facet=alt.Facet("knob:N", title=None, sort=knobs,
                        header=alt.Header(labelFontSize=KNOB_LABEL_PX, labelFontWeight="bold")),
        columns=columns or max(len(knobs), 1),
    ).configure_view(stroke="#d5dae1").configure_axis(labelFontSize=SMALL_PX)
    if title:
        chart = chart.properties(title=alt.TitleParams(
            title if isinstance(title, str) else list(title), fontSize=LEGEND_PX, anchor="start"))
    return chart.to_dict(validate=False)  # the spec is ours and tested; validation costs ~70 ms


# --- the respondent's own star: the same drawing as `radar_spec`, in fewer layers, compiled once --
# The thank-you page draws a new star for every respondent, so its cost is paid per respondent.
# `star_spec` draws the grid, the band rings and every text of `radar_spec` in three layers with one
# dataset each (rings and spokes are one line layer, the band rings and the key's stroke another,
# ring numbers, band key and knob labels one text layer whose alignment and weight come from the
# row), and has no dash channel (no series of the own star is dashed); each star's outline is one
# segment per edge, in one mark. `render_svg_compiled` keeps the Vega-Lite → Vega compile of a
# chart's shape; `render_svg_layered` draws what does not depend on the stars once per shape (most
# of the cost is laying out text) and only the stars per call.


@lru_cache(maxsize=128)
def _star_template(knobs: tuple[tuple[str, str], ...], scale_min: int, scale_max: int,
                   thresholds: tuple[tuple[float, str], ...], title: str | tuple[str, ...],
                   size: int, band_key: str) -> str:
    count = len(knobs)
    grid, bands, texts = [], [], []  # grid and bands as straight segments: one mark each

    def ring(radius: float) -> list[dict]:
        corners = [_point(radius, i % count, count) for i in range(count + 1)]
        return [{"x": x, "y": y, "x2": x2, "y2": y2}
                for (x, y), (x2, y2) in zip(corners, corners[1:], strict=False)]

    for level in range(scale_min, scale_max + 1):
        grid += ring(level)
        texts.append({"text": str(level), "x": 0.18, "y": level, "align": "left",
                      "weight": "normal", "size": SMALL_PX, "color": RING_NUMBER_COLOR})
    for i in range(count):
        x, y = _point(scale_max, i, count)
        grid.append({"x": 0.0, "y": 0.0, "x2": x, "y2": y})
    for value, _name in thresholds:
        bands += ring(value)
    for i, (_key, label) in enumerate(knobs):
        x, y = _point(scale_max + LABEL_RADIUS_EXTRA, i, count)
        align = "center" if abs(x) < 0.3 else ("left" if x > 0 else "right")
        texts.append({"text": label, "x": x, "y": y, "align": align, "weight": "bold",
                      "size": KNOB_LABEL_PX, "color": "#222"})

    extent = scale_max + LABEL_RADIUS_EXTRA + 1.4
    side = 1.2
    x_enc = alt.X("x:Q", scale=alt.Scale(domain=[-extent - side, extent + side]), axis=None)
    unit = size / (2 * extent - 1.2)
    width = size + 2 * round(side * unit)
    lowest = min(math.cos(2 * math.pi * i / count) for i in range(count))
    bottom = max(-extent + 0.6, lowest * (scale_max + LABEL_RADIUS_EXTRA) - 0.9)
    if thresholds and size >= BAND_LABEL_MIN_SIZE:  # the key of the band rings, as radar_spec
        bottom -= 1.1
        left = -extent - side + 0.2
        names = " · ".join(f"{name} {value:g}".replace(".", ",") for value, name in thresholds)
        texts.append({"text": f"{band_key}: {names}" if band_key else names, "x": left + 1.1,
                      "y": bottom + 0.4, "align": "left", "weight": "normal", "size": SMALL_PX,
                      "color": BAND_COLOR})
        bands.append({"x": left, "y": bottom + 0.4, "x2": left + 0.9, "y2": bottom + 0.4})
    height = round(unit * (extent - 0.6 - bottom))
    y_enc = alt.Y("y:Q", scale=alt.Scale(domain=[bottom, extent - 0.6]), axis=None)

    ends = (alt.X2("x2:Q"), alt.Y2("y2:Q"))
    layers = [alt.Chart(alt.Data(values=grid)).mark_rule(
        color=GRID_COLOR, strokeWidth=0.8, aria=False).encode(x_enc, y_enc, *ends)]
    if bands:
        layers.append(alt.Chart(alt.Data(values=bands)).mark_rule(
            strokeDash=[2, 3], strokeWidth=1.4, color=BAND_COLOR, aria=False).encode(
            x_enc, y_enc, *ends))
    # one text layer: alignment and weight are mark properties, read from each row
    layers.append(alt.Chart(alt.Data(values=texts)).mark_text(
        baseline="middle", aria=False, align=alt.expr("datum.align"),
        fontWeight=alt.expr("datum.weight")).encode(
        x_enc, y_enc, text="text:N", color=alt.Color("color:N", scale=None),
        size=alt.Size("size:Q", scale=None)))
    key = alt.Legend(orient="bottom", labelFontSize=LEGEND_PX, symbolType="stroke",
                     symbolStrokeWidth=3, symbolSize=400, labelLimit=width - 30, columns=1)
    color = alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE), legend=key)
    tooltip = [alt.Tooltip("series:N"), alt.Tooltip("knob:N"), alt.Tooltip("score:Q")]
    stars = alt.Chart(alt.NamedData(name="stars"))
    layers.append(stars.mark_rule(strokeWidth=2.5, strokeCap="round", aria=False).encode(
        x_enc, y_enc, *ends, color))
    layers.append(stars.mark_point(filled=True, size=45).encode(
        x_enc, y_enc, color.legend(None), tooltip=tooltip, description="description:N"))
    chart = alt.layer(*layers).properties(width=width, height=height).configure_view(stroke=None)
    if title:
        chart = chart.properties(title=alt.TitleParams(
            list(title) if isinstance(title, tuple) else title, fontSize=LEGEND_PX,
            anchor="start", limit=width))
    return json.dumps(chart.to_dict(validate=False))


def star_spec(series: Sequence[Series], *, knobs: Sequence[tuple[str, str]], scale_min: int = 1,
              scale_max: int = 5, thresholds: Sequence[tuple[float, str]] = (),
              title: str | Sequence[str] = "", size: int = 280, band_key: str = "") -> dict:
    """The radar of `radar_spec` (same rings, spokes, band rings and key, ring numbers, labels,
    legend and accessible points, one per score) in five layers instead of eleven, for a star
    drawn per respondent; no series may be dashed."""
    count = len(knobs)
    rows = []
    for s in series:
        present = [(i, label, round(float(s.scores[key]), 2))
                   for i, (key, label) in enumerate(knobs) if s.scores.get(key) is not None]
        corners = [_point(score, i, count) for i, _label, score in present]
        for order, (_i, label, score) in enumerate(present):
            # each point also holds the edge to the next one (the star is closed when it has
            # more than two points); the outline is drawn as these edges, in one mark
            to = order + 1 if order + 1 < len(present) or len(present) > 2 else order
            (x, y), (x2, y2) = corners[order], corners[to % len(present)]
            rows.append({"series": s.label, "knob": label, "score": score, "x": x, "y": y,
                         "x2": x2, "y2": y2, "description": f"{s.label}, {label}: {score:.2f}"})
    title = title if isinstance(title, str) else tuple(title)
    spec = json.loads(_star_template(tuple(knobs), scale_min, scale_max, tuple(thresholds), title,
                                     size, band_key))
    if rows:
        spec["datasets"] = {"stars": rows}
        labels = list(dict.fromkeys(s.label for s in series))
        for layer in spec["layer"]:
            encoding = layer.get("encoding", {})
            if encoding.get("color", {}).get("field") == "series":
                encoding["color"]["scale"] = {"domain": labels, "range": PALETTE}
    else:
        spec["layer"] = [layer for layer in spec["layer"]
                         if layer.get("data", {}).get("name") != "stars"]
    return spec


@lru_cache(maxsize=64)
def _compiled(shape: str) -> str:
    return json.dumps(vlc.vegalite_to_vega(vl_spec=json.loads(shape)))


def render_svg_compiled(spec: dict) -> str:
    """`render_svg`, for a chart drawn again and again with other data: the spec without its
    named datasets (its shape) is compiled to Vega once and kept; each call puts the datasets
    into the kept Vega spec and only draws. The SVG is the one `render_svg` makes."""
    datasets = spec.get("datasets") or {}
    shape = json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)
    vega = json.loads(_compiled(shape))
    for entry in vega.get("data", []):
        if entry.get("name") in datasets:
            entry["values"] = datasets[entry["name"]]
    svg = vlc.vega_to_svg(vg_spec=vega)
    return re.sub(r"^<\?xml[^>]*>\s*", "", svg)


_EMPTY_MARKS = re.compile(r'<g class="mark-[a-z]+ role-mark [^"]*"[^>]*?(?:/>|></g>)')
_SVG_ROOT = re.compile(r'<g fill="none" stroke-miterlimit="10" transform="translate\(([^)]*)\)">')
_SVG_SIZE = re.compile(r'<svg [^>]*width="([\d.]+)" height="([\d.]+)"')


@lru_cache(maxsize=64)
def _drawn_once(shape: str) -> tuple[str, dict | None]:
    """The SVG of a chart's layers that read no named dataset, with the legend, title and frame
    (its named datasets left empty), and the Vega-Lite spec of the other layers set to draw in
    exactly the same place (same size, the padding the first drawing got, no legend, no title);
    None when the first drawing does not tell where that place is."""
    spec = json.loads(shape)
    names = set(spec.get("datasets", {}))
    # the layers of the named datasets are drawn per call; their empty mark groups here would
    # be graphics without a label for a screen reader (axe: svg-img-alt)
    static = _EMPTY_MARKS.sub("", render_svg_compiled(spec | {"datasets": dict.fromkeys(names, [])}))
    root, size = _SVG_ROOT.search(static), _SVG_SIZE.search(static)
    if root is None or size is None:
        return static, None
    left, top = (float(v) for v in root.group(1).split(","))
    total_w, total_h = float(size.group(1)), float(size.group(2))
    layers = []
    for layer in spec["layer"]:
        if layer.get("data", {}).get("name") not in names:
            continue
        layer = json.loads(json.dumps(layer))
        for channel in layer.get("encoding", {}).values():
            if isinstance(channel, dict) and channel.get("field") == "series":
                channel["legend"] = None  # the legend is in the drawing kept
        layers.append(layer)
    dynamic = {key: value for key, value in spec.items() if key not in ("layer", "title")}
    dynamic |= {"layer": layers, "autosize": {"type": "none"},
                "padding": {"left": left, "top": top, "right": total_w - left - spec["width"],
                            "bottom": total_h - top - spec["height"]},
                "background": None}
    return static, dynamic


def render_svg_layered(spec: dict) -> str:
    """`render_svg` for a chart whose drawing mostly does not depend on its data (the own star:
    rings, spokes, band rings, numbers, labels, legend): that part is drawn once per shape and
    kept, and only the layers of the named datasets are drawn per call, in the same place, and
    put on top. Falls back to drawing everything when the place cannot be read."""
    datasets = spec.get("datasets") or {}
    if not datasets:
        return render_svg_compiled(spec)
    static, dynamic = _drawn_once(json.dumps(spec | {"datasets": dict.fromkeys(datasets, [])},
                                             sort_keys=True))
    if dynamic is None:
        return render_svg_compiled(spec)
    drawn = render_svg_compiled(dynamic | {"datasets": datasets})
    ours, theirs = _SVG_ROOT.search(static), _SVG_ROOT.search(drawn)
    if theirs is None or ours.group(1) != theirs.group(1) or \
            _SVG_SIZE.search(drawn).groups() != _SVG_SIZE.search(static).groups():
        return render_svg_compiled(spec)
    end = static.rindex("</svg>")
    return static[:end] + drawn[theirs.start():drawn.rindex("</svg>")] + static[end:]


SECTOR_BAND_COLOR = "#8a939e"  # the sector's middle half: neutral grey, never a series colour


def with_sector_band(spec: dict, *, knobs: Sequence[tuple[str, str]],
                     q1: Mapping[str, float], q3: Mapping[str, float]) -> dict:
    """A radar spec (`radar_spec`) with the sector's interquartile band under its stars: a grey
    ring from Q1 to Q3 per knob (Q3 around one way, Q1 back the other, so the middle stays
    open). Knobs without a band are left out of it; fewer than three draw no band."""
    present = [(i, key) for i, (key, _) in enumerate(knobs) if key in q1 and key in q3]
    if len(present) < 3:
        return spec
    count, rows = len(knobs), []
    outer = present + present[:1]
    inner = list(reversed(present))
    inner = inner + inner[:1]
    for order, (i, key) in enumerate(outer):
        x, y = _point(q3[key], i, count)
        rows.append({"x": x, "y": y, "order": order})
    for order, (i, key) in enumerate(inner, start=len(outer)):
        x, y = _point(q1[key], i, count)
        rows.append({"x": x, "y": y, "order": order})
    first = spec["layer"][0]["encoding"]
    band = {"data": {"values": rows},
            "mark": {"type": "line", "fill": SECTOR_BAND_COLOR, "fillOpacity": 0.45,
                     "strokeOpacity": 0, "interpolate": "linear-closed", "aria": False},
            "encoding": {"x": first["x"], "y": first["y"],
                         "order": {"field": "order", "type": "quantitative"}}}
    spec = dict(spec)
    spec["layer"] = [*spec["layer"][:2], band, *spec["layer"][2:]]
    return spec
