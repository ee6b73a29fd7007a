"""The survey, the sign-in and the coordinator's pages on a phone, in a real headless chromium.

At 320 and 375 px (the narrowest phones in use) no page may scroll sideways, and no answer label
may break inside a word ("Helem|aal mee oneens"). The survey is walked as a respondent walks it:
intro, the role question with its error, every knob page (also with its error summary and after
"save and continue later"), the review, the thank-you page with the practoraat's and the
institution's columns, and the pages a used or unknown link shows. The keyboard walk checks the
first question page: a hint for keyboard users, focus in reading order, a visible focus ring.
Screenshots land in test-artifacts/phone/.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from api.platform.models import Round, Unit
from api.setup.demo import (
    DEMO_BOARD_EMAIL,
    DEMO_COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    PROFILES,
    load_demo,
)
from api.survey import invitations
from tests import two_factor_steps
from tests.web.browser import ARTIFACTS, PAGE_WAIT_MS, needs_chromium

SHOTS = ARTIFACTS / "phone"
WIDTHS = [320, 375]

pytestmark = [pytest.mark.browser, needs_chromium]

# Every answer label's words, each measured with a Range: a word drawn on two lines has two
# client rects. Returns the labels with a broken word, as "label text: word".
BROKEN_WORDS = """() => {
    const broken = [];
    for (const label of document.querySelectorAll('fieldset .option .label, fieldset .choice')) {
        const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                if (lines.size > 1) broken.push(`${label.textContent.trim()}: ${match[0]}`);
            }
        }
    }
    return broken;
}"""

# On a phone (is_mobile) chromium widens the layout viewport to fit a too-wide page, so
# innerWidth alone would hide it: the page is measured against the phone's own width.
WIDER = """(width) => {
    const wide = [...document.querySelectorAll('body *')].filter(e => {
        const box = e.getBoundingClientRect();
        return box.right > width + 0.5 && getComputedStyle(e).position !== 'absolute';
    }).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''));
    return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
            wide: [...new Set(wide)].slice(0, 8)};
}"""


# True, or the table box's scroll and client widths and its column widths.
TABLE_FITS = """() => {
    const box = document.querySelector('table.scores').parentElement;
    return box.scrollWidth <= box.clientWidth || [box.scrollWidth, box.clientWidth,
        [...document.querySelectorAll('table.scores thead th')].map(e => e.getBoundingClientRect().width)];
}"""


@pytest.fixture
def demo_link(session, catalog, settings) -> tuple[str, str]:
    """The demo institution and a fresh personal link of its open round, for the practoraat with
    the most respondents (its and the institution's stars are published)."""
    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    latest = session.exec(select(Round).where(Round.institution_id == institution.id)
                          .order_by(Round.opens_at.desc())).first()
    busiest = max(PROFILES, key=lambda p: p.respondents[1]).name
    unit = session.exec(select(Unit).where(Unit.institution_id == institution.id,
                                           Unit.name == busiest)).one()
    token = invitations.create_personal(session=session, round_=latest, unit=unit, count=1)[0]
    session.commit()
    return institution.slug, token


def phone_page(chromium, width: int, lang: str = "nl"):
    phone = width < 600
    context = chromium.new_context(viewport={"width": width, "height": 740 if phone else 900},
                                   is_mobile=phone, has_touch=phone, locale=lang)
    context.set_default_timeout(PAGE_WAIT_MS)
    return context


class Checker:
    """Looks at every page a test visits: no sideways scroll, no broken answer label, a screenshot."""

    def __init__(self, page, width: int):
        self.page, self.width = page, width
        self.problems: list[str] = []
        SHOTS.mkdir(parents=True, exist_ok=True)

    def look(self, what: str) -> None:
        state = self.page.evaluate(WIDER, self.width)
        if max(state["scroll"], state["inner"]) > self.width:
            self.problems.append(f"{what} ({self.page.url}) is {state['scroll']} px wide in "
                                 f"{self.width}: {state['wide']}")
        broken = sorted(set(self.page.evaluate(BROKEN_WORDS)))
        if broken:
            self.problems.append(f"{what}: labels broken inside a word: {broken[:8]}")
        name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
        self.page.screenshot(path=SHOTS / f"{name}-{self.width}.png", full_page=True)

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def submit_and_wait(page, locator, status: int | None = None) -> None:
    with page.expect_navigation() as navigation:
        locator.click()
    if status is not None:
        assert navigation.value.status == status, f"{navigation.value.status} {page.url}"


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", [*WIDTHS, 1280])
def test_every_survey_page_fits_a_phone_and_keeps_its_answer_labels_whole(
    live_server, chromium, demo_link, width, lang
):
    _, token = demo_link
    context = phone_page(chromium, width)
    page = context.new_page()
    seen = Checker(page, width)
    try:
        page.goto(f"{live_server}/s/{token}?lang={lang}")
        seen.look(f"survey intro {lang}")
        submit_and_wait(page, page.locator("form button[type=submit]").first, status=422)
        seen.look(f"survey role error {lang}")
        page.locator('input[name="role"]').first.check()
        submit_and_wait(page, page.locator("form button[type=submit]").first)
        assert "/k/" in page.url, page.url

        # the first knob: with an error summary (a tampered value), then saved for later
        page.evaluate("""() => { const radio = document.querySelector('fieldset.likert input');
                                 radio.value = '7'; radio.checked = true; }""")
        submit_and_wait(page, page.locator('button[value="next"]'), status=422)
        seen.look(f"survey knob error {lang}")
        while "/k/" in page.url:
            knob = page.url.rsplit("/", 1)[-1].split("?")[0]
            seen.look(f"survey knob {knob} {lang}")
            page.evaluate("""() => document.querySelectorAll('fieldset.likert').forEach(
                f => { f.querySelector('input[value="4"]').checked = true; })""")
            submit_and_wait(page, page.locator('button[value="next"]'))
        assert page.url.endswith("/afronden"), page.url
        seen.look(f"survey review {lang}")
        submit_and_wait(page, page.locator("form button[type=submit]").first, status=200)
        assert page.locator("table.scores thead th").count() == 4  # knob, you, unit, institution
        # the demo's names fit: the score table needs no scrolling of its own either
        assert page.evaluate(TABLE_FITS) is True
        seen.look(f"survey thanks {lang}")
        private = page.locator("#results-link").get_attribute("href")

        page.goto(private)  # the private results link, later: the own star beside the groups
        assert page.locator('td[data-series="own"]').count() > 0
        seen.look(f"private results link {lang}")
        page.goto(f"{live_server}/s/{token}")
        seen.look(f"survey used link {lang}")
        page.goto(f"{live_server}/s/geen-echte-link")
        seen.look(f"survey unknown link {lang}")
        seen.check()
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_in_account_and_coordinator_pages_fit_a_phone(live_server, app, chromium, demo_link,
                                                               width):
    slug, _ = demo_link
    app.state.settings = app.state.settings.model_copy(update={  # the SURFconext button shows
        "oidc_issuer": "http://127.0.0.1:9", "oidc_client_id": "kennisster"})
    context = phone_page(chromium, width)
    page = context.new_page()
    seen = Checker(page, width)
    try:
        page.goto(f"{live_server}/")
        seen.look("home")
        page.goto(f"{live_server}/login?next=/beheer")
        seen.look("login")
        page.locator("#email").fill(DEMO_COORDINATOR_EMAIL)
        page.locator("#password").fill("niet goed")
        submit_and_wait(page, page.locator("form.login button[type=submit]"), status=401)
        seen.look("login error")
        assert page.locator("#sso-button").count() == 1
        page.goto(f"{live_server}/login/sso/terug?code=x&state=niet-begonnen")
        seen.look("sign-in through SURFconext refused")
        page.goto(f"{live_server}/wachtwoord-vergeten")
        seen.look("forgotten password")
        page.goto(f"{live_server}/account/activeren/geen-echte-link")
        seen.look("unknown account link")
        page.goto(f"{live_server}/login?next=/beheer")
        two_factor_steps.sign_in_in_browser(page, DEMO_COORDINATOR_EMAIL, DEMO_PASSWORD,
                                            look=lambda _, what: seen.look(f"two-step {what}"))
        assert page.url.endswith(f"/beheer/{slug}"), page.url
        seen.look("admin institution")
        page.goto(f"{live_server}/")
        seen.look("home as coordinator")
        page.goto(f"{live_server}/account/wachtwoord")
        seen.look("account password")
        page.goto(f"{live_server}/account/tweestaps")
        seen.look("account two-step sign-in")
        for path in ("eenheden", "metingen", "accounts", "logboek", "tokens", "webhooks",
                     "sectorbenchmark"):
            page.goto(f"{live_server}/beheer/{slug}/{path}")
            seen.look(f"admin {path}")
        page.goto(f"{live_server}/beheer/{slug}/metingen")
        page.locator("main a[href*='/metingen/']").first.click()
        page.wait_for_load_state()
        seen.look("admin round")
        page.locator("main a[href*='/eenheden/']").first.click()
        page.wait_for_load_state()
        seen.look("admin round unit")
        page.goto(page.url + "/poster")
        seen.look("admin round poster")
        seen.check()
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_dashboard_page_of_the_board_fits_a_phone(live_server, chromium, demo_link, width):
    """The board member reads the dashboard on a phone: with overlays, an earlier round, the
    action plan's form from a suggestion, its edit page and the delete confirmation. Wide tables
    and the trend scroll inside their own box; the page itself never scrolls sideways."""
    slug, _ = demo_link
    context = phone_page(chromium, width)
    page = context.new_page()
    seen = Checker(page, width)
    try:
        page.goto(f"{live_server}/login?next=/dashboard/{slug}")
        page.locator("#email").fill(DEMO_BOARD_EMAIL)
        page.locator("#password").fill(DEMO_PASSWORD)
        submit_and_wait(page, page.locator("form.login button[type=submit]"))
        assert page.url.endswith(f"/dashboard/{slug}"), page.url
        seen.look("dashboard")
        overlay = page.locator('input[name="compare"]')
        page.goto(f"{live_server}/dashboard/{slug}?previous=1&compare="
                  f"{overlay.nth(0).get_attribute('value')}&compare="
                  f"{overlay.nth(1).get_attribute('value')}")
        seen.look("dashboard with overlays")
        first_round = page.locator("#round option").first.get_attribute("value")
        page.goto(f"{live_server}/dashboard/{slug}?round={first_round}")
        seen.look("dashboard first round")
        page.locator("a.make-action").first.click()
        page.wait_for_load_state()
        seen.look("action form from a suggestion")
        page.goto(f"{live_server}/dashboard/{slug}")
        page.locator("#actieplan a.button.small:not(.danger)").first.click()
        page.wait_for_load_state()
        seen.look("action edit")
        page.goto(f"{live_server}/dashboard/{slug}")
        page.locator("#actieplan a.button.danger").first.click()
        page.wait_for_load_state()
        seen.look("action delete confirm")
        page.goto(f"{live_server}/dashboard/{slug}?lang=en")
        seen.look("dashboard english")
        seen.check()
    finally:
        context.close()


# The page's tab stops in DOM order, as the keyboard should visit them: one stop per radio group
# (its checked option, else its first).
TAB_STOPS = """() => {
    const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), '
        + 'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
    const groups = new Set();
    const stops = [];
    for (const e of document.querySelectorAll(selector)) {
        if (!e.checkVisibility() && !e.matches('.skip')) continue;
        if (e.type === 'radio') {
            if (groups.has(e.name)) continue;
            groups.add(e.name);
            const group = [...document.querySelectorAll(`input[type=radio][name="${e.name}"]`)];
            stops.push(group.find(r => r.checked) || group[0]);
        } else {
            stops.push(e);
        }
    }
    stops.forEach((e, i) => { e.dataset.stop = String(i); });
    return stops.length;
}"""

FOCUSED = """() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return {stop: e.dataset.stop ?? null,
            what: `${e.tagName.toLowerCase()} ${e.name || e.textContent.trim().slice(0, 30)}`,
            outline: `${style.outlineStyle} ${style.outlineWidth}`, visible: e.matches(':focus-visible')};
}"""


@pytest.mark.parametrize("width", [375])
def test_the_first_question_page_tells_keyboard_users_how_and_tab_follows_the_page_with_a_focus_ring(
    live_server, chromium, demo_link, width
):
    _, token = demo_link
    context = phone_page(chromium, width)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/s/{token}")
        assert "pijltjestoetsen" in page.locator("#keyboard-hint").inner_text()  # the role question
        page.locator('input[name="role"]').first.check()
        submit_and_wait(page, page.locator("form button[type=submit]").first)
        hint = page.locator("#keyboard-hint")
        assert "Tab" in hint.inner_text() and "pijltjestoetsen" in hint.inner_text()

        stops = page.evaluate(TAB_STOPS)
        reached = []
        for _ in range(stops):
            page.keyboard.press("Tab")
            reached.append(page.evaluate(FOCUSED))
        assert [r["stop"] for r in reached] == [str(i) for i in range(stops)], reached
        unmarked = [r for r in reached
                    if not r["visible"] or r["outline"].startswith("none") or r["outline"].endswith(" 0px")]
        assert not unmarked, f"no visible focus ring on: {unmarked}"

        # Tab lands on a group's first option; Space picks it, an arrow key moves the choice on
        first = page.locator("fieldset.likert").first
        first.locator("input").first.focus()
        page.keyboard.press("Space")
        assert first.locator("input:checked").get_attribute("value") == "1"
        page.keyboard.press("ArrowDown")
        assert first.locator("input:checked").get_attribute("value") == "2"
        assert page.locator("fieldset.likert").count() == page.locator("fieldset.likert > legend").count()
    finally:
        context.close()


def test_save_and_continue_later_says_the_answers_are_kept_and_how_to_come_back(
    live_server, chromium, demo_link
):
    _, token = demo_link
    context = phone_page(chromium, 375)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/s/{token}")
        page.locator('input[name="role"]').first.check()
        submit_and_wait(page, page.locator("form button[type=submit]").first)
        assert page.locator("#saved").count() == 0
        page.locator("fieldset.likert").first.locator('input[value="2"]').check()
        submit_and_wait(page, page.locator('button[value="save"]'))
        notice = page.locator("#saved[role=status]")
        assert "Je antwoorden zijn bewaard" in notice.inner_text()
        assert "dezelfde link" in notice.inner_text()
        assert notice.locator("a").get_attribute("href").endswith(f"/s/{token}")
        assert page.locator("fieldset.likert").first.locator("input:checked").get_attribute("value") == "2"
        page.screenshot(path=SHOTS / "survey-saved-375.png", full_page=False)
    finally:
        context.close()
