"""The practor's survey in a real headless chromium, against the app served by a live uvicorn.

The first test fills in the whole survey at phone width with the keyboard only (Tab, arrow keys,
Space, Enter), then checks the thank-you page's chart and score table and what was stored. The
second test switches the survey to English. Screenshots land in test-artifacts/screenshots/.
Chromium is Debian's (`apt-get install chromium`); without /usr/bin/chromium the tests skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from api.platform.models import KnobScore, OpenAnswer, Response
from tests.builders import make_institution, make_round, make_unit, personal_link
from tests.web.browser import ARTIFACTS, PAGE_WAIT_MS, needs_chromium

SCREENSHOTS = ARTIFACTS / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

pytestmark = [pytest.mark.browser, needs_chromium]

# The answers typed per knob, in the order of the statements on the page (1..5, or "dk").
# Reverse-coded statements (str6, stu3, stu6, pro5, bel3, bel6, men6) count as 6 - value.
ANSWERS: dict[str, list[int | str]] = {
    "strategie": [1, 2, 3, 4, 5, 2],  # 1+2+3+4+5+(6-2) = 19 / 6
    "structuur": [5, 5, 1, 4, "dk", 5],  # 5+5+(6-1)+4+(6-5) = 20 / 5 answered
    "processen": [4, 4, 3, 4, 2, 3],  # 4+4+3+4+(6-2)+3 = 22 / 6
    "beloningen": [2, 2, 4, 2, 2, 4],  # 2+2+(6-4)+2+2+(6-4) = 12 / 6
    "mensen": [5, 4, 5, 4, 5, 2],  # 5+4+5+4+5+(6-2) = 27 / 6
}
EXPECTED = {"strategie": 19 / 6, "structuur": 20 / 5, "processen": 22 / 6, "beloningen": 12 / 6,
            "mensen": 27 / 6}
EXPECTED_TEXT = {"strategie": "3,2", "structuur": "4,0", "processen": "3,7", "beloningen": "2,0",
                 "mensen": "4,5"}
OPEN_TEXT = "Een vaste themadag per kwartaal"
ROLE = "docent_onderzoeker"  # the second role: one arrow key press from the first


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def survey_link(session, catalog):
    """An institution, a unit, an open round and one personal link; nothing left uncommitted."""
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    token = personal_link(session, round_, unit)
    session.commit()  # no open (on SQLite: write-locking) transaction while the server works
    return round_, unit, token


@pytest.fixture
def phone(chromium) -> Iterator:
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(PAGE_WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


# --- helpers ------------------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), type: e.getAttribute('type'), name: e.getAttribute('name'),
                value: e.getAttribute('value'), checked: !!e.checked};
    }""")


def tab_until(page, wanted: dict, limit: int = 30) -> dict:
    """Press Tab until the focused element matches every key of `wanted`."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if all(now.get(key) == value for key, value in wanted.items()):
            return now
        seen.append(now)
    pytest.fail(f"Tab never reached {wanted}; focus went through {seen}")


def choose_in_group(page, name: str, value: int | str, options: list[str]) -> None:
    """With focus on the first (unchecked) radio of group `name`, select `value` by keyboard."""
    assert focused(page) == {"tag": "input", "type": "radio", "name": name, "value": options[0],
                             "checked": False}
    index = options.index(str(value))
    if index == 0:
        page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowRight")
    now = focused(page)
    assert (now["name"], now["value"], now["checked"]) == (name, str(value), True)
    assert page.locator(f'input[name="{name}"]:checked').get_attribute("value") == str(value)


def submit_with_enter(page, url_part: str) -> None:
    with page.expect_navigation(url=f"**{url_part}"):
        page.keyboard.press("Enter")


def assert_no_horizontal_scroll(page, what: str) -> None:
    # On a mobile viewport Chromium widens window.innerWidth to the content, so compare with the
    # viewport the test asked for.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"the {what} page scrolls sideways: {width}px wide in a {viewport}px window"


def shoot(page, name: str, backend: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"survey-{name}-{backend}.png"), full_page=True)


def parse_nl(text: str) -> float:
    return float(text.strip().replace(",", "."))


# --- tests --------------------------------------------------------------------------------------

def test_a_practor_completes_the_survey_on_a_phone_with_the_keyboard_only(
    live_server, chromium, phone, survey_link, session, backend
):
    round_, unit, token = survey_link
    page = phone
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)  # /favicon.ico included: the site has one
    page.on("pageerror", lambda exc: failed.append(f"page error: {exc}"))

    # Intro: choose the role with Tab + an arrow key, start with Enter.
    page.goto(f"{live_server}/s/{token}")
    assert page.locator("#role legend").inner_text() == "Wat is je rol?"
    assert_no_horizontal_scroll(page, "intro")
    shoot(page, "phone-intro", backend)
    tab_until(page, {"tag": "input", "name": "role"})
    roles = page.locator('input[name="role"]').evaluate_all("els => els.map(e => e.value)")
    choose_in_group(page, "role", ROLE, roles)
    tab_until(page, {"tag": "button"}, limit=1)
    submit_with_enter(page, f"/s/{token}/k/strategie")

    # One page per knob: Tab into the first statement, then one Tab per statement.
    knobs = list(ANSWERS)
    for position, knob in enumerate(knobs):
        assert page.url.endswith(f"/s/{token}/k/{knob}")
        assert page.locator(".progress p").inner_text() == f"Stap {position + 1} van {len(knobs) + 1}"
        groups = page.locator("fieldset.likert").evaluate_all("els => els.map(e => e.id)")
        assert len(groups) == len(ANSWERS[knob])
        for number, (group, value) in enumerate(zip(groups, ANSWERS[knob], strict=True)):
            if number == 0:
                tab_until(page, {"tag": "input", "name": group})
            else:
                page.keyboard.press("Tab")
            options = page.locator(f'input[name="{group}"]').evaluate_all("els => els.map(e => e.value)")
            assert options == ["1", "2", "3", "4", "5", "dk"]
            choose_in_group(page, group, value, options)
        page.keyboard.press("Tab")
        assert focused(page) == {"tag": "textarea", "type": None, "name": f"open-open_{knob}",
                                 "value": None, "checked": False}
        if knob == "strategie":
            page.keyboard.type(OPEN_TEXT)
            assert page.locator(f"#open-open_{knob}").input_value() == OPEN_TEXT
        page.keyboard.press("Tab")
        assert focused(page)["tag"] == "button" and focused(page)["value"] == "next"
        if knob == "strategie":
            assert_no_horizontal_scroll(page, "knob")
            shoot(page, "phone-knob", backend)
        following = f"/s/{token}/k/{knobs[position + 1]}" if position + 1 < len(knobs) else \
            f"/s/{token}/afronden"
        submit_with_enter(page, following)

    # Review: every statement answered (one with "don't know"), every knob scored; submit with Enter.
    assert page.locator("h1").inner_text() == "Afronden"
    assert page.locator(".notice.warn").count() == 0
    assert page.locator("p.lead").inner_text() == "Je hebt 30 van de 30 stellingen beantwoord."  # dk counts
    assert_no_horizontal_scroll(page, "review")
    shoot(page, "phone-review", backend)
    tab_until(page, {"tag": "button", "type": "submit"})
    submit_with_enter(page, f"/s/{token}/afronden")  # the POST answers with the thank-you page

    # Thank-you page: the chart, and the own scores as computed by hand (Dutch decimal comma).
    assert page.locator("h1").inner_text() == "Dank je wel!"
    assert page.locator("figure.chart svg").count() == 1
    assert page.locator("figure.chart svg").bounding_box()["width"] > 100
    for knob, expected in EXPECTED.items():
        text = page.locator(f'td[data-knob="{knob}"][data-series="own"]').inner_text()
        assert text == EXPECTED_TEXT[knob], knob
        assert parse_nl(text) == pytest.approx(expected, abs=0.05), knob
    assert page.locator('td[data-series="unit"], td[data-series="institution"]').count() == 0  # k=5
    # the first respondent's answers wait for colleagues, and the page says so
    assert page.locator("main p.notice").inner_text().startswith(
        "Je antwoorden tellen mee in de cijfers van je practoraat en instelling zodra")
    assert page.locator("#release-state").inner_text() == (
        "Nog geen tussenstand: de eerste cijfers verschijnen zodra elke groep er minstens 5 "
        "reacties bij krijgt. 1 wachten tot hun groep groot genoeg is.")
    assert_no_horizontal_scroll(page, "thank-you")
    shoot(page, "phone-thanks", backend)
    assert failed == []

    # The link's thank-you page later, at desktop width (a personal link needs no cookie): the
    # own star was shown only in the submit's answer, and no group has k respondents yet.
    desktop = chromium.new_context(**DESKTOP)
    try:
        wide = desktop.new_page()
        wide.goto(f"{live_server}/s/{token}/bedankt")
        assert wide.url.endswith(f"/s/{token}/bedankt")
        assert wide.locator("#already-received").count() == 1
        assert wide.locator('td[data-series="own"]').count() == 0
        assert wide.locator("figure.chart svg").count() == 0
        shoot(wide, "desktop-thanks", backend)
    finally:
        desktop.close()

    # What was stored: one response for this round, its knob scores, the open answer.
    session.expire_all()
    stored = session.exec(select(Response).where(Response.round_id == round_.id)).all()
    assert len(stored) == 1
    response = stored[0]
    assert (response.unit_id, response.role) == (unit.id, ROLE)
    scores = {row.knob: row.score
              for row in session.exec(select(KnobScore).where(KnobScore.response_id == response.id))}
    assert scores == pytest.approx(EXPECTED)
    opens = {row.question_id: row.text
             for row in session.exec(select(OpenAnswer).where(OpenAnswer.response_id == response.id))}
    assert opens == {"open_strategie": OPEN_TEXT}
    session.commit()


def test_the_english_link_on_the_intro_switches_the_survey_to_english_for_the_next_pages(
    live_server, phone, survey_link, backend
):
    _, _, token = survey_link
    page = phone
    page.goto(f"{live_server}/s/{token}")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("#role legend").inner_text() == "Wat is je rol?"

    with page.expect_navigation():
        page.locator('nav.lang a[hreflang="en"]').click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#role legend").inner_text() == "What is your role?"
    assert page.locator("nav.lang [aria-current]").inner_text() == "EN"
    assert page.locator("button[type=submit]").inner_text() == "Start"
    shoot(page, "phone-intro-en", backend)

    page.locator('input[name="role"][value="practor"]').check()
    with page.expect_navigation(url=f"**/s/{token}/k/strategie"):
        page.locator("button[type=submit]").click()
    assert "lang=" not in page.url  # remembered in a cookie, not carried in the address
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Strategy"
    assert page.locator(".progress p").inner_text() == "Step 1 of 6"
    assert page.locator('button[value="next"]').inner_text() == "Next"
    assert page.locator("#item-str1 legend").inner_text().endswith(
        "In our institution it is clear why sharing knowledge between practorates matters.")
