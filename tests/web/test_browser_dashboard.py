"""The board's dashboard in a real headless chromium, on the demo data, served by a live uvicorn.

The demo board member logs in through the form, then reads the dashboard of both demo rounds at
desktop and phone width, in Dutch and in English, choosing the round with the page's own round
selector. A second test prints the dashboard to PDF and logs out. Screenshots and the PDF land in
test-artifacts/. Chromium is Debian's (`apt-get install chromium`); without /usr/bin/chromium the
tests skip, or fail when KENNISSTER_BROWSER_REQUIRED=1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from api.platform.models import Round
from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD, PROFILES, load_demo
from tests.web.browser import PAGE_WAIT_MS, needs_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
VIEWS = {"desktop": DESKTOP, "phone": PHONE}

TOO_FEW = {"nl": "te weinig reacties", "en": "too few responses"}
SHOW = {"nl": "Toon", "en": "Show"}
UNIT_NAMES = sorted(profile.name for profile in PROFILES)
SMALLEST = "Practoraat Leven Lang Ontwikkelen"  # 3 responses in the second round, k = 5

pytestmark = [pytest.mark.browser, needs_chromium]


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def demo(session, catalog, settings) -> tuple[str, list[Round]]:
    """The demo institution with its first round and its newest (on questionnaire 1.1); nothing
    left uncommitted."""
    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                     default_k=settings.anonymity_k)
    assert institution is not None
    rounds = list(session.exec(select(Round).where(Round.institution_id == institution.id,
                                                   Round.questionnaire_slug == "galbraith-star")
                               .order_by(Round.opens_at)))  # the scan's round has its own tests
    session.commit()  # no open (on SQLite: write-locking) transaction while the server works
    assert len(rounds) == 3  # two on 1.0, the newest on 1.1
    return institution.slug, [rounds[0], rounds[-1]]


# --- helpers ------------------------------------------------------------------------------------

def watch(page) -> list[str]:
    """Every JavaScript error, console error and HTTP error response of this page, as text."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text} {msg.location}")
            if msg.type == "error" and not _is_favicon_miss(msg) else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return problems


def _is_favicon_miss(msg) -> bool:
    """Chromium asks for /favicon.ico on its own; the site has none (the response is checked)."""
    return msg.text.startswith("Failed to load resource") and msg.location.get("url", "").endswith(
        "/favicon.ico")


def log_in(page, live_server: str, slug: str) -> None:
    """Through the login form, the way a board member does: the dashboard asks for a login."""
    page.goto(f"{live_server}/dashboard")
    assert re.search(r"/login\?next=%2Fdashboard$", page.url), page.url
    page.locator("#email").fill(DEMO_BOARD_EMAIL)
    page.locator("#password").fill(DEMO_BOARD_PASSWORD)
    with page.expect_navigation(url=f"**/dashboard/{slug}"):
        page.locator("#password").press("Enter")


def shoot(page, view: str, lang: str, number: int, backend: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{view}-{lang}-round{number}-{backend}.png"),
                    full_page=True)


def sideways_overflow(page) -> dict:
    """How wide the page is against the screen, and what sticks out (outside .table-scroll).

    With is_mobile, chromium widens the layout viewport to the content, so window.innerWidth grows
    along with an overflowing page (556 px on a 390 px phone): the page width is compared with
    the device's viewport width as well, not only with innerWidth.
    """
    return page.evaluate("""(screen) => {
        const width = document.documentElement.scrollWidth;
        const culprits = [];
        for (const e of document.querySelectorAll('main *, header.site *')) {
            const right = Math.round(e.getBoundingClientRect().right);
            if (right > screen && !e.closest('.table-scroll') && !culprits.some(c => e.closest(c.sel))) {
                const sel = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                    (e.className ? '.' + String(e.className).trim().split(/\\s+/).join('.') : '');
                culprits.push({sel, right});
            }
        }
        return {width, innerWidth: window.innerWidth, screen,
                culprits: culprits.map(c => `${c.sel} (${c.right}px)`)};
    }""", page.viewport_size["width"])


def assert_tables_scroll_inside_their_container(page, what: str) -> None:
    box = page.locator("#units-table").locator("xpath=..").bounding_box()
    screen = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= screen, f"{what}: .table-scroll is {box}"
    inner = page.locator("#units-table").locator("xpath=..").evaluate(
        "e => [e.className, e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX]")
    assert inner[0] == "table-scroll" and inner[3] == "auto", inner
    assert inner[1] > inner[2], f"{what}: the units table fits the phone? {inner}"


def choose_round(page, view: str, round_: Round) -> None:
    """The other round through the page's own form: keyboard on the phone, select_option else."""
    select = page.locator("select#round")
    if view == "phone":
        select.focus()
        current = select.input_value()
        options = select.locator("option").evaluate_all("els => els.map(e => e.value)")
        steps = options.index(str(round_.id)) - options.index(current)
        for _ in range(abs(steps)):  # one key per option passed (other rounds may lie between)
            page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    else:
        select.select_option(str(round_.id))
    assert select.input_value() == str(round_.id)
    with page.expect_navigation(url=re.compile(rf"[?&]round={round_.id}(&|$)")):
        page.locator("form.filters button[type=submit]").click()


def check_dashboard(page, *, lang: str, round_: Round, latest: bool, view: str) -> None:
    what = f"the {view} dashboard ({lang}, {round_.name})"
    assert page.locator("html").get_attribute("lang") == lang, what
    assert page.locator("h1").inner_text() == "ROC Rivierenland (demo)"
    assert page.locator("#summary-title").inner_text() == round_.name, what
    assert page.locator("select#round").input_value() == str(round_.id), what
    assert page.locator("form.filters button[type=submit]").inner_text() == SHOW[lang]

    star = page.locator("section[aria-labelledby=star-title] figure.chart svg")
    assert star.count() == 1, what
    assert star.bounding_box()["width"] > 200, what
    assert page.locator("#kpi-n").inner_text().isdigit()

    rows = page.locator("#units-table tbody tr")
    assert rows.count() == 6, what
    assert sorted(rows.locator("th").all_inner_texts()) == UNIT_NAMES, what
    suppressed = page.locator("#units-table tbody tr:has(td.suppressed)")
    if latest:
        assert suppressed.count() >= 1, what
        assert set(suppressed.locator("td.suppressed").all_inner_texts()) == {TOO_FEW[lang]}, what
        assert SMALLEST in suppressed.locator("th").all_inner_texts(), what
    else:
        assert suppressed.count() == 0, what  # every practoraat had 10 or more responses

    trend = page.locator("section[aria-labelledby=trend-title] figure.chart svg")
    assert trend.count() == 1, what
    assert trend.bounding_box()["width"] > 200, what

    advice = page.locator("section.advice article.knob-advice")
    assert advice.count() >= 1, what
    assert advice.locator("li").count() >= 1, what  # concrete suggestions, not only a band
    assert page.locator("details.unit-advice").count() >= 1, what

    if view == "phone":  # the wide units table scrolls inside its own box (the page: see below)
        assert_tables_scroll_inside_their_container(page, what)


# --- tests --------------------------------------------------------------------------------------

def test_the_board_reads_both_demo_rounds_on_desktop_and_phone_in_dutch_and_english(
    live_server, chromium, demo, backend
):
    slug, (first, latest) = demo
    context = chromium.new_context(**DESKTOP)
    context.set_default_timeout(PAGE_WAIT_MS)
    page = context.new_page()
    problems = watch(page)
    log_in(page, live_server, slug)
    assert page.locator("header.site .who").inner_text() == DEMO_BOARD_EMAIL
    logged_in = context.storage_state()
    session_cookie = next(c for c in logged_in["cookies"] if c["name"] == "ks_session")
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"
    context.close()

    for view, options in VIEWS.items():
        context = chromium.new_context(**options, storage_state=logged_in)
        context.set_default_timeout(PAGE_WAIT_MS)
        try:
            page = context.new_page()
            problems += watch(page)
            for lang in ("nl", "en"):
                page.goto(f"{live_server}/dashboard/{slug}?lang={lang}")  # the latest round first
                check_dashboard(page, lang=lang, round_=latest, latest=True, view=view)
                shoot(page, view, lang, 2, backend)

                choose_round(page, view, first)  # the language is remembered in a cookie
                check_dashboard(page, lang=lang, round_=first, latest=False, view=view)
                shoot(page, view, lang, 1, backend)
        finally:
            context.close()
    assert problems == []


def test_the_dashboard_prints_to_a_multi_page_a4_pdf_and_the_board_logs_out(
    live_server, chromium, demo, backend
):
    slug, (_, latest) = demo
    context = chromium.new_context(**DESKTOP)
    context.set_default_timeout(PAGE_WAIT_MS)
    try:
        page = context.new_page()
        problems = watch(page)
        log_in(page, live_server, slug)
        check_dashboard(page, lang="nl", round_=latest, latest=True, view="desktop")

        page.emulate_media(media="print")
        assert page.locator("form.filters").is_hidden()  # the controls are not printed
        assert page.locator("form.logout").is_hidden()
        assert page.locator("#units-table").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf_path = ARTIFACTS / f"dashboard-print-{backend}.pdf"
        pdf = page.pdf(path=str(pdf_path), format="A4", print_background=True)
        assert pdf.startswith(b"%PDF-")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages > 1, f"the printed dashboard has {pages} page(s)"
        assert len(pdf) > 50_000
        page.emulate_media(media="screen")

        with page.expect_navigation(url="**/login?uit=1"):
            page.locator("form.logout button[type=submit]").click()
        assert "ks_session" not in {c["name"] for c in context.cookies()}
        page.goto(f"{live_server}/dashboard/{slug}")
        assert re.search(rf"/login\?next=%2Fdashboard%2F{slug}$", page.url), page.url
        assert problems == []
    finally:
        context.close()


def test_the_phone_dashboard_does_not_scroll_sideways(live_server, chromium, demo):
    slug, rounds = demo
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(PAGE_WAIT_MS)
    try:
        page = context.new_page()
        log_in(page, live_server, slug)
        overflowing = []
        for lang in ("nl", "en"):
            for round_ in rounds:
                page.goto(f"{live_server}/dashboard/{slug}?lang={lang}&round={round_.id}")
                found = sideways_overflow(page)
                if not found["width"] <= min(found["innerWidth"], found["screen"]):
                    overflowing.append((lang, round_.name, found))
        assert overflowing == []
    finally:
        context.close()
