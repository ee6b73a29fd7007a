"""The demo board member reads the charts on a phone, a laptop and on paper, in a real chromium.

Every text in every chart is at least 11 px as the page shows it (the SVG is scaled by CSS, so
the test measures the drawn width, not the SVG's own), the trend has one panel per knob in a
row, and the printed A4 dashboard holds the collapsed sections (advice per practoraat, open
answers) but no interaction hints. Screenshots at 320, 375 and 1280 px and the PDF land in
test-artifacts/.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.web.browser import ARTIFACTS, PAGE_WAIT_MS, needs_chromium
from tests.web.test_browser_dashboard import demo, log_in  # noqa: F401 (demo is a fixture)

pytestmark = [pytest.mark.browser, needs_chromium]
MIN_TEXT_PX = 11
A4_CONTENT_PX = 688  # 210 mm minus the 2 × 14 mm page margins of kennisster.css, at 96 px/inch
SORT_HINT = "Klik op een kolomkop om te sorteren"

TEXT_SIZES = """() => [...document.querySelectorAll('main svg')].map(svg => {
    const drawn = svg.getBoundingClientRect().width;
    const own = svg.viewBox.baseVal.width || svg.width.baseVal.value;
    const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
        .map(t => parseFloat(getComputedStyle(t).fontSize));
    const figure = svg.closest('figure');
    const caption = figure && figure.querySelector('figcaption');
    return {what: figure ? figure.className + ' ' + (caption ? caption.textContent : '') : '?',
            drawn, own, smallest: Math.min(...sizes) * drawn / own, texts: sizes.length};
})"""


def shown_text_sizes(page) -> list[dict]:
    return page.evaluate(TEXT_SIZES)


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_every_chart_text_is_at_least_11_px_as_shown_on_a_phone_and_a_laptop(
    live_server, chromium, demo, width  # noqa: F811
):
    slug, (first, latest) = demo
    context = chromium.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(PAGE_WAIT_MS)
    try:
        page = context.new_page()
        log_in(page, live_server, slug)
        page.goto(f"{live_server}/dashboard/{slug}?previous=1")  # the overlay adds a legend line
        charts = shown_text_sizes(page)
        assert len(charts) >= 3 + 5, charts  # star, roles, trend and the shown units' stars
        small = [c for c in charts if c["smallest"] < MIN_TEXT_PX]
        assert small == [], small
        page.screenshot(path=str(ARTIFACTS / "screenshots" / f"charts-{width}.png"), full_page=True)
    finally:
        context.close()


def test_the_printed_dashboard_holds_the_collapsed_sections_and_readable_charts_not_the_hints(
    live_server, chromium, demo  # noqa: F811
):
    slug, _ = demo
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_WAIT_MS)
    try:
        page = context.new_page()
        log_in(page, live_server, slug)
        assert page.locator("details.unit-advice[open], details.open-answers[open]").count() == 0
        assert page.get_by_text(SORT_HINT).is_visible()  # on screen the hint helps
        unit_advice = page.locator("details.unit-advice li").first.text_content().split("(")[0]
        open_answer = page.locator("details.open-answers li").first.text_content()

        # laid out at the width of an A4 page's text, as printed
        page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
        page.emulate_media(media="print")
        assert page.locator("details.unit-advice li").first.is_visible()
        assert page.locator("details.open-answers li").first.is_visible()
        assert page.get_by_text(SORT_HINT).is_hidden()
        assert page.locator("p.downloads").first.is_hidden()
        charts = shown_text_sizes(page)
        small = [c for c in charts if c["smallest"] < MIN_TEXT_PX]
        assert small == [], small
        star = next(c for c in charts if "star" in c["what"] and "unit" not in c["what"])
        assert 14 * 96 / 2.54 <= star["drawn"] <= 16.5 * 96 / 2.54, star  # about 15 cm wide

        pdf = page.pdf(path=str(ARTIFACTS / "dashboard-charts-print.pdf"), format="A4",
                       print_background=True)
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                        .split())
        assert " ".join(open_answer.split()) in text
        assert " ".join(unit_advice.split()) in text
        assert SORT_HINT not in text
        assert "Download" not in text
    finally:
        context.close()
