"""The board's charts and downloads on the demo data, through the real HTTP app.

A board member lays units and the previous round over the star and clicks every download the
page offers: each one works and parses. The charts keep their promises (readable text sizes,
colour-blind-safe series that never share the band rings' grey, the previous round dashed, one
row of trend panels, a title on every download), each chart has a data table, and the small
star per unit shows nothing of a unit the gate hides.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from api.platform.models import Round, Unit
from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD, load_demo
from tests.web.test_dashboard import login, text
from web import charts, dashboard_charts
from web.charts import BAND_COLOR, MIN_SHOWN_SCALE, PALETTE
from web.i18n import translate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SVG_NS = "{http://www.w3.org/2000/svg}"
SMALLEST = "Practoraat Leven Lang Ontwikkelen"  # 3 responses in the latest round, k = 5
MIN_TEXT_PX = 11
CSS = Path(__file__).resolve().parents[2] / "web" / "static" / "kennisster.css"


@pytest.fixture
def demo(client, session, catalog, settings):
    """The demo institution, its rounds (oldest first) and units by name; the board logged in."""
    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    rounds = list(session.exec(select(Round).where(Round.institution_id == institution.id,
                                                   Round.questionnaire_slug == "galbraith-star")
                               .order_by(Round.opens_at)))  # the star's two (not the scan's)
    units = {u.name: u.id for u in session.exec(select(Unit).where(
        Unit.institution_id == institution.id))}
    session.commit()
    login(client, DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD, next=f"/dashboard/{institution.slug}")
    return institution, rounds, units


def html(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def svg_root(svg_text: str) -> ET.Element:
    return ET.fromstring(svg_text)


def font_sizes(root: ET.Element) -> list[float]:
    return [float(t.get("font-size").removesuffix("px")) for t in root.iter(f"{SVG_NS}text")
            if "".join(t.itertext()).strip()]


def check_parses(response, media: str) -> None:
    """The body is what its media type says, and opens in the program a board member uses."""
    body = response.content
    if media == "image/svg+xml":
        assert svg_root(response.text).tag == f"{SVG_NS}svg"
    elif media == "image/png":
        assert body[:8] == b"\x89PNG\r\n\x1a\n"
    elif media == "text/csv":  # the dashboard's CSVs are for Dutch Excel: BOM and semicolons
        assert body.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) > 1 and len(rows[0]) > 5 and all(len(r) == len(rows[0]) for r in rows)
    elif media == XLSX:
        assert load_workbook(io.BytesIO(body)).active.max_row > 1
    elif media == "application/pdf":
        assert len(PdfReader(io.BytesIO(body)).pages) > 1
    elif media == "text/html":
        BeautifulSoup(response.text, "html.parser").select_one("h1")
    else:
        raise AssertionError(f"unexpected media type {media}")


OVERLAYS = {
    "none": lambda units: {},
    "previous": lambda units: {"previous": "1"},
    "one unit": lambda units: {"compare": [units["Practoraat Zorg en Welzijn"]]},
    "two units": lambda units: {"compare": [units["Practoraat Zorg en Welzijn"],
                                            units["Practoraat Duurzame Techniek"]]},
    "previous and units": lambda units: {"previous": "1", "compare": [
        units["Practoraat Kansengelijkheid"], units["Practoraat Ondernemerschap"]]},
}


# --- downloads --------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_download_link_on_the_dashboard_works_with_every_overlay(client, demo, overlay):
    institution, rounds, units = demo
    params = OVERLAYS[overlay](units)
    page = html(client.get(f"/dashboard/{institution.slug}", params=params))
    links = {a["href"] for a in page.select("a[href]")
             if a.has_attr("download") or urlsplit(a["href"]).path.startswith("/dashboard/")}
    downloads = {href for href in links if page.select_one(f'a[href="{href}"][download]')}
    # star, roles, trend as SVG and PNG; the units table and the action plan as CSV and XLSX;
    # the PDF report
    assert len(downloads) == 3 * 2 + 2 + 2 + 1, downloads
    for href in sorted(links):
        assert "%5B" not in href and "None" not in href, href  # no list or None in one parameter
        response = client.get(href)
        assert response.status_code == 200, (href, response.text[:300])
        media = response.headers["content-type"].split(";")[0]
        if href in downloads:
            assert media != "text/html", href
            assert response.headers["content-disposition"].startswith("attachment"), href
        check_parses(response, media)
    star = next(href for href in downloads if "/charts/star.svg" in href)
    query = urlsplit(star).query
    assert query.count("compare=") == len(params.get("compare", []))
    assert ("previous=1" in query) == ("previous" in params)


def test_the_downloaded_star_draws_what_the_page_laid_over_it(client, demo):
    institution, (*_, previous, latest), units = demo
    params = OVERLAYS["previous and units"](units)
    page = html(client.get(f"/dashboard/{institution.slug}", params=params))
    star = page.select_one('a[href*="/charts/star.svg"]')["href"]
    svg = client.get(star).text
    for name in ("Practoraat Kansengelijkheid", "Practoraat Ondernemerschap", previous.name):
        assert name in svg
    assert "vorige meting" in svg


def test_a_broken_dashboard_link_tells_the_board_member_to_go_back_to_the_dashboard(client, demo):
    institution, (*_, latest), _ = demo
    # the links the dashboard used to make
    for query in ("compare=%5B%5D&previous=None", "compare=%5B4%2C+3%5D"):
        response = client.get(f"/dashboard/{institution.slug}/rounds/{latest.id}/charts/star.svg"
                              f"?{query}")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        page = text(BeautifulSoup(response.text, "html.parser").select_one("main"))
        assert "uitnodiging" not in page
        assert "Ga terug naar het dashboard" in page
    # a respondent's pages keep speaking to a respondent
    assert "uitnodiging" in translate("nl", "errors.invalid_input")


# --- readable charts --------------------------------------------------------------------------

def test_every_downloaded_chart_names_institution_round_and_release_in_its_title(client, demo):
    institution, (*_, latest), _ = demo
    for chart in ("star", "roles", "trend"):
        svg = client.get(f"/dashboard/{institution.slug}/rounds/{latest.id}/charts/{chart}.svg")
        root = svg_root(svg.text)
        title = " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")
                         if "role-title" in _classes_above(root, t))
        assert institution.name in title and latest.name in title, (chart, title)
        assert re.search(r"tussenstand \d+ \(\d+ \w+ \d{4} \d\d:\d\d\)", title), title


def _classes_above(root: ET.Element, node: ET.Element) -> str:
    parents = {child: parent for parent in root.iter() for child in parent}
    classes = []
    while node in parents:
        node = parents[node]
        classes.append(node.get("class", ""))
    return " ".join(classes)


def test_chart_texts_stay_readable_at_the_smallest_width_the_page_draws_them(client, demo):
    """The stylesheet never draws the star below 280 px (MIN_SHOWN_SCALE of its width) and the
    trend never below its own size on screen: every text of 14 px or more stays ≥ 11 px there.
    The browser test (test_browser_charts) measures the same on the drawn page and in print."""
    institution, (*_, latest), units = demo
    base = f"/dashboard/{institution.slug}/rounds/{latest.id}/charts"
    star = svg_root(client.get(f"{base}/star.svg", params={"previous": "1"}).text)
    width = float(star.get("width"))
    assert min(font_sizes(star)) * 280 / width >= MIN_TEXT_PX
    assert 280 / width >= MIN_SHOWN_SCALE
    css = CSS.read_text(encoding="utf-8")
    assert ".chart.star svg, .chart.roles svg { min-width: 280px; }" in css
    for chart in ("roles", "trend"):
        assert min(font_sizes(svg_root(client.get(f"{base}/{chart}.svg").text))) >= 14, chart


def test_series_take_colour_blind_safe_colours_and_only_the_band_rings_are_grey_and_labelled(
    client, demo
):
    institution, (*_, previous, latest), units = demo
    svg = client.get(f"/dashboard/{institution.slug}/rounds/{latest.id}/charts/star.svg",
                     params=OVERLAYS["previous and units"](units)).text
    root = svg_root(svg)
    lines = [p for p in root.iter(f"{SVG_NS}path") if p.get("stroke-width") == "2.5"]
    colours = {p.get("stroke").lower() for p in lines}
    assert colours == {c.lower() for c in PALETTE[:4]}, colours  # the Okabe–Ito order
    assert BAND_COLOR.lower() not in {c.lower() for c in PALETTE}
    rings = [p for p in root.iter(f"{SVG_NS}path") if p.get("stroke") == BAND_COLOR]
    assert len(rings) == 3 and all(p.get("stroke-dasharray") for p in rings)  # two and the key
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert "Bandgrenzen: Aandacht nodig 2,5 · Sterk 3,5" in texts, texts
    assert {"1", "2", "3", "4", "5"} <= set(texts)  # the ring values
    dashed = [p for p in lines if p.get("stroke-dasharray") not in (None, "1,0")]
    assert len(dashed) == 1  # the previous round, and only that line
    legend = [t for t in texts if "vorige meting" in (t or "")]
    assert legend == [f"{previous.name} (vorige meting)"]


def test_the_trend_has_one_panel_per_knob_in_one_row(client, demo):
    institution, (*_, latest), _ = demo
    root = svg_root(client.get(
        f"/dashboard/{institution.slug}/rounds/{latest.id}/charts/trend.svg").text)
    scope = next(g for g in root.iter(f"{SVG_NS}g") if "role-scope cell" in g.get("class", ""))
    panels = [g.get("transform") for g in scope if g.get("transform")]
    assert len(panels) == 5, panels
    assert len({p.split(",")[1] for p in panels}) == 1, panels  # one row, no empty sixth panel


# --- data tables ------------------------------------------------------------------------------

def test_every_chart_has_a_data_table_with_the_charted_numbers(client, demo):
    institution, rounds, units = demo
    previous, latest = rounds[-2:]
    zorg = units["Practoraat Zorg en Welzijn"]
    page = html(client.get(f"/dashboard/{institution.slug}",
                           params={"previous": "1", "compare": [zorg, units[SMALLEST]]}))
    overlay = page.select_one("#overlay-table")
    names = [text(th) for th in overlay.select("tbody th")]
    assert names == [f"{institution.name} · {latest.name}",
                     f"{previous.name} (vorige meting)", "Practoraat Zorg en Welzijn"]
    institution_means = [text(td) for td in page.select("#institution-table td.mean")]
    assert [text(td) for td in overlay.select("tbody tr")[0].select("td")] == institution_means
    zorg_row = page.select_one(f'#units-table tr[data-unit="{zorg}"]')
    assert [text(td) for td in overlay.select("tbody tr")[2].select("td")] == [
        text(td).split()[0] for td in zorg_row.select("td")[2:7]]

    trend = page.select_one("#trend-table")
    assert trend.find_parent(attrs={"role": "region"})["aria-labelledby"] == "trend-caption"
    rows = trend.select("tbody tr")
    assert [text(r.th) for r in rows] == [r.name for r in rounds]  # 1.0, 1.0 and 1.1
    cells = rows[-1].select("td")
    assert [text(td).split()[0] for td in cells] == institution_means
    assert all(re.fullmatch(r"\d,\d\d \[\d,\d\d – \d,\d\d\] n = \d+", text(td)) for td in cells)
    ci = [text(td) for td in page.select("#institution-table tbody tr td:nth-of-type(2)")]
    assert [text(td.select_one(".interval")).strip("[]") for td in cells] == ci

    # the roles chart and the units' stars point to their tables
    assert page.select_one('section[aria-labelledby="roles-title"] .svg')[
        "aria-describedby"] == "roles-caption"
    assert page.select_one("#roles-table") is not None and page.select_one("#units-table")


# --- a star per unit --------------------------------------------------------------------------

def test_each_unit_has_a_small_star_and_a_hidden_unit_is_named_without_numbers(client, demo):
    institution, (first, *_), units = demo
    page = html(client.get(f"/dashboard/{institution.slug}"))
    items = page.select("#unit-stars li[data-unit]")
    names = sorted(text(th) for th in page.select("#units-table tbody th"))
    assert sorted(text(li.figcaption) for li in items) == names and len(names) == 6
    hidden = page.select_one(f'#unit-stars li[data-unit="{units[SMALLEST]}"]')
    assert hidden.select("svg") == [] and "te weinig reacties" in text(hidden)
    assert not re.search(r"\d", text(hidden).replace(SMALLEST, ""))
    assert SMALLEST not in "".join(str(li.svg) for li in items if li.svg)
    shown = [li for li in items if li.svg]
    assert len(shown) == 5
    zorg = page.select_one(f'#unit-stars li[data-unit="{units["Practoraat Zorg en Welzijn"]}"]')
    label = zorg.select_one('[role="img"]')["aria-label"]
    row = page.select_one(f'#units-table tr[data-unit="{units["Practoraat Zorg en Welzijn"]}"]')
    assert [m for m in re.findall(r"\d,\d\d", label)] == [
        text(td).split()[0] for td in row.select("td")[2:7]]

    # in the earlier round every unit had enough responses: six stars
    earlier = html(client.get(f"/dashboard/{institution.slug}", params={"round": first.id}))
    assert len(earlier.select("#unit-stars li svg")) == 6


def test_the_unit_stars_are_drawn_once_per_release(client, demo, monkeypatch):
    institution, _, _ = demo
    dashboard_charts._unit_svgs.clear()
    drawn = []
    real = charts.render_svg
    monkeypatch.setattr(charts, "render_svg", lambda spec: drawn.append(spec) or real(spec))
    html(client.get(f"/dashboard/{institution.slug}"))
    first_view = len(drawn)
    assert first_view == 4 + 5  # four charts (star, roles, trend, sector) and five units
    html(client.get(f"/dashboard/{institution.slug}"))
    assert drawn[first_view:] == []  # the second view comes from the release: nothing drawn


# --- print -----------------------------------------------------------------------------------

def test_the_sort_hint_is_its_own_element_that_print_hides(client, demo):
    institution, _, _ = demo
    page = html(client.get(f"/dashboard/{institution.slug}"))
    hint = page.select_one(".interaction-hint")
    assert text(hint) == "Klik op een kolomkop om te sorteren."
    assert "sorteren" not in text(hint.parent).replace(text(hint), "")
    css = CSS.read_text(encoding="utf-8")
    assert ".interaction-hint { display: none; }" in css.split("@media print")[-1]
    assert page.select_one('script[src$="/static/print.js"]') is not None
    assert page.select("script:not([src])") == []  # no inline script: the CSP forbids it
