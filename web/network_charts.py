"""The network map's circle model as an Altair spec, drawn on the server like the stars.

After the circle model of Van den Boom-Muilenburg & Ommering (z.j.): concentric rings for how
often (weekly in the centre, at least monthly, less than monthly outside), sectors for the kind of
contact (own team, elsewhere in the institution, outside), and a marker per target on the ring of
its typical (median) frequency, coloured by the form of knowledge named most often, in the
article's colours (scientific purple, professional blue, experiential orange). Markers carry a
number that the data table beside the chart explains; a target whose typical answer is "not" is
in the table only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt

from api.results import network
from api.results.network import MapView, Target
from web import charts
from web.i18n import translate

FORM_COLORS = {"wetenschappelijk": "#7B3FA0", "professioneel": "#0072B2", "ervaring": "#E08A00",
               "none": "#8A8F98"}
RING_RADIUS = {"weekly": 0.5, "monthly": 1.5, "less": 2.5}
# clockwise from the top; the gap at the bottom (165°–195°) holds the rings' names
SECTORS = {"own": (-30.0, 30.0), "institution": (30.0, 165.0), "outside": (195.0, 330.0)}
OUTER = 3.0
SIZE = 360


@dataclass(frozen=True)
class Row:
    """One line of the data table and one marker of the chart."""

    number: int
    target: Target
    label: str
    view: network.TargetView | None


def target_label(target: Target, lang: str) -> str:
    if target.kind == "institution":
        return target.name
    return translate(lang, f"network.target.{target.key}")


def rows(view: MapView, targets: Sequence[Target], lang: str) -> list[Row]:
    """The targets in the order of the form (own team, other units, outside), numbered."""
    return [Row(number=i, target=t, label=target_label(t, lang), view=view.targets.get(t.key))
            for i, t in enumerate(targets, start=1)]


def _point(radius: float, degrees: float) -> tuple[float, float]:
    theta = math.radians(degrees)
    return round(radius * math.sin(theta), 2), round(radius * math.cos(theta), 2)


def circle_spec(table: Sequence[Row], lang: str, *, title: str = "") -> dict:
    """The circle model of one map as a Vega-Lite dict."""
    extent = OUTER + 0.9
    x_enc = alt.X("x:Q", scale=alt.Scale(domain=[-extent, extent]), axis=None)
    y_enc = alt.Y("y:Q", scale=alt.Scale(domain=[-extent, extent]), axis=None)
    ring_rows = [{"ring": r, "order": i, **dict(zip(("x", "y"), _point(r, i * 6), strict=True))}
                 for r in (1, 2, 3) for i in range(61)]
    spoke_rows = []
    for index, edge in enumerate(sorted({a for pair in SECTORS.values() for a in pair})):
        for order, radius in ((0, 0.0), (1, OUTER)):
            x, y = _point(radius, edge)
            spoke_rows.append({"spoke": index, "order": order, "x": x, "y": y})
    sector_rows = []
    for kind, (start, end) in SECTORS.items():
        x, y = _point(OUTER + 0.45, (start + end) / 2)
        sector_rows.append({"text": translate(lang, f"network.kind.{kind}"), "x": x, "y": y})
    # each ring's name just inside its outer line, in the gap at the bottom where no marker sits
    ring_label_rows = [{"text": translate(lang, f"network.freq_short.{frequency}"), "x": 0,
                        "y": round(-boundary + 0.22, 2)}
                       for frequency, boundary in zip(RING_RADIUS, (1, 2, 3), strict=True)]
    by_kind: dict[str, list[Row]] = {}
    for row in table:
        by_kind.setdefault(row.target.kind, []).append(row)
    markers = []
    for kind, members in by_kind.items():
        start, end = SECTORS[kind]
        step = (end - start) / len(members)
        for index, row in enumerate(members):
            view = row.view
            if view is None or view.typical not in RING_RADIUS:
                continue
            form = view.dominant or "none"
            x, y = _point(RING_RADIUS[view.typical], start + step * (index + 0.5))
            markers.append({
                "x": x, "y": y, "number": str(row.number), "form": form,
                "label": translate(lang, f"network.forms.{form}"),
                "description": f"{row.number}. {row.label}: "
                               f"{translate(lang, f'network.freq.{view.typical}')}, "
                               f"{translate(lang, f'network.forms.{form}')}"})
    rings = alt.Chart(alt.Data(values=ring_rows)).mark_line(
        color=charts.GRID_COLOR, strokeWidth=1, aria=False).encode(
        x_enc, y_enc, detail="ring:N", order="order:Q")
    spokes = alt.Chart(alt.Data(values=spoke_rows)).mark_line(
        color=charts.GRID_COLOR, strokeWidth=1, aria=False).encode(
        x_enc, y_enc, detail="spoke:N", order="order:Q")
    sectors = alt.Chart(alt.Data(values=sector_rows)).mark_text(
        fontSize=charts.KNOB_LABEL_PX, fontWeight="bold", color="#222", aria=False).encode(
        x_enc, y_enc, text="text:N")
    ring_labels = alt.Chart(alt.Data(values=ring_label_rows)).mark_text(
        fontSize=charts.SMALL_PX, color=charts.RING_NUMBER_COLOR, align="center",
        baseline="middle", aria=False).encode(x_enc, y_enc, text="text:N")
    layers = [rings, spokes, ring_labels, sectors]
    forms = [*network.FORMS, "none"]
    present = [f for f in forms if any(m["form"] == f for m in markers)]
    if markers:
        color = alt.Color(
            "label:N", title=None,
            scale=alt.Scale(domain=[translate(lang, f"network.forms.{f}") for f in present],
                            range=[FORM_COLORS[f] for f in present]),
            legend=alt.Legend(orient="bottom", labelFontSize=charts.LEGEND_PX, columns=1,
                              symbolType="circle", symbolSize=200, labelLimit=SIZE))
        layers.append(alt.Chart(alt.Data(values=markers))
                      .mark_circle(size=520, opacity=1, stroke="white", strokeWidth=1.5)
                      .encode(x_enc, y_enc, color, description="description:N",
                              tooltip=[alt.Tooltip("description:N", title=None)]))
        # the number in white on purple, blue and grey, in near-black on orange (contrast)
        for light, ink in ((False, "white"), (True, "#1a1a1a")):
            chosen = [m for m in markers if (m["form"] == "ervaring") == light]
            if chosen:
                layers.append(alt.Chart(alt.Data(values=chosen)).mark_text(
                    fontSize=charts.SMALL_PX, fontWeight="bold", color=ink, aria=False).encode(
                    x_enc, y_enc, text="number:N"))
    chart = alt.layer(*layers).properties(width=SIZE, height=SIZE).configure_view(stroke=None)
    if title:
        chart = chart.properties(title=alt.TitleParams(title, fontSize=charts.LEGEND_PX,
                                                       anchor="start", limit=SIZE))
    return chart.to_dict(validate=False)


def circle_svg(table: Sequence[Row], lang: str) -> str:
    return charts.render_svg(circle_spec(table, lang))


def summary(table: Sequence[Row], lang: str) -> str:
    """One sentence a screen reader gets before the table: how many targets are consulted by
    anyone, and which form of knowledge is named most over all of them."""
    marked = [r for r in table if r.view is not None and r.view.typical in RING_RADIUS]
    totals = {f: sum(r.view.forms.get(f, 0.0) for r in table if r.view) for f in network.FORMS}
    best = max(network.FORMS, key=lambda f: (totals[f], -network.FORMS.index(f)))
    dominant = translate(lang, f"network.forms.{best}") if totals[best] else \
        translate(lang, "network.nobody")
    return translate(lang, "network.summary", marked=len(marked), total=len(table),
                     dominant=dominant)
