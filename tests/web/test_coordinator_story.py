"""Issue 10's "Done when", as a coordinator on a phone would do it in a real browser.

One story, start to end, in Dutch at 375 px: the demo coordinator logs in, adds a practoraat and
imports two more units from a CSV, opens a round, invites five people by e-mail (the mails arrive
at a real aiosmtpd server this module starts, sent by the app's own mail worker thread), one of
them answers from the received mail, a reminder reaches only the four others, the QR poster is
printed to PDF, a bestuur account is invited and chooses its password, and that account resets a
forgotten password.

Every page the coordinator (or the new bestuur account) sees is also photographed full-page at 320,
375 and 1280 px into test-artifacts/story/, and must not scroll sideways at 320 px: the pages that
do are collected and fail the test at its end (so one wide page does not hide the others).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from api.setup.demo import DEMO_COORDINATOR_EMAIL, DEMO_INSTITUTION, DEMO_PASSWORD, load_demo
from tests import two_factor_steps
from tests.mail.smtp import Inbox, Received, SmtpServer, running_smtp, with_smtp
from tests.web.browser import ARTIFACTS, PAGE_WAIT_MS, needs_chromium
from tests.web.test_accessibility import navigate
from web.i18n import translate

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

STORY = ARTIFACTS / "story"
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
         "locale": "nl-NL"}
WIDTHS = (320, 375, 1280)
DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
ACCOUNT_LINK = re.compile(r"https?://\S+/account/activeren/[A-Za-z0-9_-]+")

UNIT = "Practoraat Water"
CENTRE = "Kenniscentrum Praktijkonderzoek"
ADDRESSES = [f"{name}@rivierenland.demo" for name in ("anna.de.vries", "bram.jansen",
                                                       "chantal.bakker", "daan.visser",
                                                       "esra.yilmaz")]
BESTUUR = "nieuw.bestuur@rivierenland.demo"
FIRST_PASSWORD = "rivier-en-land-en-water-1"
NEW_PASSWORD = "een-heel-nieuw-wachtwoord-2"


def t(key: str, **params: object) -> str:
    return translate("nl", key, **params)


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback for the whole module (each test starts with it empty)."""
    with running_smtp() as server:
        yield server


@pytest.fixture
def settings(settings, smtp):
    """The app sends through `smtp`, with its own mail worker thread polling every 0.2 s."""
    return with_smtp(settings, smtp.port, mail_poll_seconds=0.2, mail_worker=True)


@pytest.fixture
def inbox(smtp) -> Inbox:
    smtp.inbox.received.clear()  # the previous test's app (and its worker) has stopped
    return smtp.inbox


@pytest.fixture
def demo(session, catalog, settings) -> str:
    """The demo institution, as `kennisster up` loads it; nothing left uncommitted."""
    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    assert institution is not None
    session.commit()
    return institution.slug


# --- helpers ------------------------------------------------------------------------------------

class Camera:
    """Full-page screenshots of every page at 320, 375 and 1280 px; remembers the pages that
    scroll sideways at 320 px."""

    def __init__(self, backend: str):
        self.backend = backend
        self.count = 0
        self.too_wide: list[str] = []
        STORY.mkdir(parents=True, exist_ok=True)

    def snap(self, page, name: str) -> None:
        self.count += 1
        size = page.viewport_size
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": size["height"]})
            if width == 320:
                scroll = page.evaluate("() => document.documentElement.scrollWidth")
                if scroll > 320:
                    self.too_wide.append(f"{name} ({urlsplit(page.url).path}): {scroll} px wide")
            page.screenshot(path=STORY / f"{self.count:02d}-{name}-{width}-{self.backend}.png",
                            full_page=True)
        page.set_viewport_size(size)


def arrived(inbox: Inbox, total: int, *, new: int) -> list[Received]:
    """Wait until the server holds `total` messages, make sure no more follow (five poll rounds
    of the worker), and return the `new` last ones."""
    inbox.wait_for(total, timeout=30)
    assert len(inbox.received) >= total, f"only {len(inbox.received)} of {total} mails arrived"
    time.sleep(1.0)
    assert len(inbox.received) == total, [r.to for r in inbox.received[total - new:]]
    return inbox.received[total - new:]


def account_path(received: Received) -> str:
    """The one-time account link of an invitation or reset mail, as a path on the live server."""
    return urlsplit(ACCOUNT_LINK.search(received.text).group(0)).path


def notice(page) -> str:
    return page.locator("p.notice[role=status]").first.inner_text().strip()


def parent_of(page, name: str) -> str | None:
    """The unit the tree on the units page shows `name` under."""
    return page.evaluate("""(name) => {
        const span = [...document.querySelectorAll('ul.unit-tree .unit-name')]
            .find(s => s.textContent.trim() === name);
        if (!span) return undefined;
        const parent = span.closest('li').parentElement.closest('li');
        return parent ? parent.querySelector('.unit-line .unit-name').textContent.trim() : null;
    }""", name)


def log_in(page, live_server: str, email: str, password: str, url_part: str,
           status: int = 200) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    navigate(page, page.locator("form.login button[type=submit]").click, url_part, status=status)


def log_out(page) -> None:
    navigate(page, page.locator("form.logout button[type=submit]").click, "/login?uit=1")
    assert notice(page) == t("password.logged_out")


# --- the story ----------------------------------------------------------------------------------

def test_a_coordinator_runs_a_round_on_a_phone_from_units_to_reminders_poster_and_accounts(
    live_server, chromium, demo, inbox, backend, tmp_path
):
    camera = Camera(backend)
    try:
        tell_the_story(live_server, chromium, demo, inbox, backend, tmp_path, camera)
    except Exception as exc:
        if not camera.too_wide:
            raise
        # a page wider than the phone is zoomed out by mobile chromium, and taps then miss
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise AssertionError(
            f"the story stopped ({type(exc).__name__}: {first}) after pages that scroll sideways "
            "at 320 px:\n" + "\n".join(camera.too_wide)) from exc
    finally:
        for context in chromium.contexts:  # the coordinator's, and any left by a failure
            context.close()
    assert not camera.too_wide, "pages that scroll sideways at 320 px:\n" + "\n".join(camera.too_wide)


def tell_the_story(live_server: str, chromium, slug: str, inbox: Inbox, backend: str, tmp_path,
                   camera: Camera) -> None:
    coordinator = chromium.new_context(**PHONE)
    coordinator.set_default_timeout(PAGE_WAIT_MS)
    page = coordinator.new_page()

    # 1. The coordinator opens the admin area, is asked to log in, and lands on the institution.
    page.goto(f"{live_server}/beheer")
    assert "/login" in page.url, page.url
    camera.snap(page, "login")
    # The admin area first asks for two-step sign-in: the coordinator types the key shown into
    # an authenticator app, sends its first code and saves the recovery codes.
    two_factor_steps.sign_in_in_browser(page, DEMO_COORDINATOR_EMAIL, DEMO_PASSWORD,
                                        look=lambda shown, what: camera.snap(shown, f"two-step {what}"))
    assert page.url.endswith(f"/beheer/{slug}"), page.url
    assert DEMO_INSTITUTION in page.locator("nav.admin-nav").inner_text()
    camera.snap(page, "institution")

    # 2. Units: a new practoraat under the knowledge centre, then two more from a CSV file.
    admin_nav = page.locator("nav.admin-nav")
    navigate(page, admin_nav.get_by_role("link", name=t("admin.nav_units")).click,
             f"/beheer/{slug}/eenheden")
    camera.snap(page, "units")
    create = page.locator("section[aria-labelledby=create-title] form")
    create.locator("#name").fill(UNIT)
    create.locator("#kind").select_option("practoraat")
    centre = create.locator("#parent option", has_text=CENTRE).get_attribute("value")
    create.locator("#parent").select_option(centre)
    navigate(page, create.locator("button[type=submit]").click, "/eenheden?done=created")
    assert notice(page) == t("units.done_created")

    units_csv = tmp_path / "eenheden.csv"
    units_csv.write_text("naam;soort;bovenliggende\n"
                         f"Practoraat Zonne-energie;practoraat;{CENTRE}\n"
                         f"Team Regenwater;team;{UNIT}\n", encoding="utf-8")
    upload = page.locator("section[aria-labelledby=import-title] form")
    upload.locator("#file").set_input_files(str(units_csv))
    navigate(page, upload.locator("button[type=submit]").click, "/eenheden?done=imported&n=2")
    assert notice(page) == t("units.done_imported", n=2)
    assert parent_of(page, UNIT) == CENTRE
    assert parent_of(page, "Practoraat Zonne-energie") == CENTRE
    assert parent_of(page, "Team Regenwater") == UNIT
    camera.snap(page, "units-imported")

    # 3. Rounds: open one now (Dutch time) that closes in 30 days.
    navigate(page, admin_nav.get_by_role("link", name=t("admin.nav_rounds")).click,
             f"/beheer/{slug}/metingen")
    camera.snap(page, "rounds")
    now = datetime.now(DUTCH_TIME)
    form = page.locator("section[aria-labelledby=open-round] form")
    form.locator("#name").fill("Meting Practoraat Water")
    form.locator("#questionnaire").select_option("galbraith-star/1.1")
    form.locator("#opens_date").fill(now.date().isoformat())
    form.locator("#opens_time").fill(f"{now:%H:%M}")
    form.locator("#closes_date").fill((now + timedelta(days=30)).date().isoformat())
    form.locator("#closes_time").fill("17:00")
    navigate(page, form.locator("button[type=submit]").click, "?done=opened")
    assert notice(page) == t("rounds.done_opened")
    assert page.locator("h1").inner_text() == "Meting Practoraat Water"
    assert page.locator(".round-status").inner_text() == t("rounds.status_open")
    round_path = urlsplit(page.url).path
    camera.snap(page, "round")

    # 4. Invitations: five pasted addresses for Practoraat Water, sent in Dutch.
    row = page.locator("tr[data-unit]", has=page.get_by_role("link", name=UNIT, exact=True))
    navigate(page, row.get_by_role("link", name=UNIT, exact=True).click, f"{round_path}/eenheden/*")
    unit_path = urlsplit(page.url).path
    camera.snap(page, "round-unit")
    page.locator("#addresses").fill("\n".join(ADDRESSES))
    page.locator("#lang").select_option("nl")
    navigate(page, page.locator("form[action$=uitnodigen] button[type=submit]").click,
             "?done=invited&n=5")
    assert notice(page) == t("rounds.done_invited", n=5)
    invitations = arrived(inbox, 5, new=5)
    assert sorted(mail.to for mail in invitations) == sorted(ADDRESSES)
    assert {mail.lang for mail in invitations} == {"nl"}
    assert all("Beste collega" in mail.text and UNIT in mail.text for mail in invitations)
    assert len({mail.link for mail in invitations}) == 5  # a personal link each
    page.reload()
    camera.snap(page, "round-unit-invited")

    # 5. One of them answers from the mail, on their own phone.
    answering = next(mail for mail in invitations if mail.to == ADDRESSES[2])
    respondent_context = chromium.new_context(**PHONE)
    respondent_context.set_default_timeout(PAGE_WAIT_MS)
    respondent = respondent_context.new_page()
    try:
        respondent.goto(f"{live_server}{answering.link_path}")
        assert UNIT in respondent.locator("p.eyebrow").inner_text()
        respondent.locator("#role label.choice").first.click()
        with respondent.expect_navigation(url=re.compile(r"/k/[a-z_]+$")):
            respondent.locator("button.primary[type=submit]").click()
        knobs = 0
        while "/k/" in respondent.url:
            knobs += 1
            statements = respondent.locator("fieldset.likert")
            for i in range(statements.count()):
                statement = statements.nth(i)
                if knobs == 1 and i == statements.count() - 1:  # one "weet niet"
                    choice = statement.locator("label.option.dk")
                else:
                    value = str(2 + (i + knobs) % 4)
                    choice = statement.locator("label.option",
                                               has=respondent.locator(f'input[value="{value}"]'))
                choice.click()
                assert choice.locator("input").is_checked()
            respondent.screenshot(path=STORY / f"respondent-knob-{knobs}-375-{backend}.png",
                                  full_page=True)
            with respondent.expect_navigation(url=re.compile(r"/(k/[a-z_]+|afronden)$")):
                respondent.locator('button[value="next"]').click()
        assert knobs == 5, knobs
        assert respondent.locator(".notice.warn").count() == 0  # every knob has a score
        navigate(respondent, respondent.locator("form[action$=afronden] button[type=submit]").click,
                 "/afronden")
        assert respondent.locator("h1").inner_text() == t("survey.thanks_title")
        respondent.screenshot(path=STORY / f"respondent-thanks-375-{backend}.png", full_page=True)
    finally:
        respondent_context.close()

    # 6. Back to the round: a reminder now reaches only the four who did not answer.
    navigate(page, page.locator("p.eyebrow").get_by_role("link", name="Meting Practoraat Water").click,
             round_path)
    navigate(page, page.locator("form#remind button[type=submit]").click, "?done=reminded&n=4")
    assert notice(page) == t("rounds.done_reminded", n=4)
    reminders = arrived(inbox, 9, new=4)
    assert sorted(mail.to for mail in reminders) == sorted(set(ADDRESSES) - {answering.to})
    assert {mail.lang for mail in reminders} == {"nl"}
    assert all(mail.subject.startswith("Herinnering") for mail in reminders)
    row = page.locator("tr[data-unit]", has=page.get_by_role("link", name=UNIT, exact=True))
    assert row.locator("[data-count=invited]").inner_text() == "5"
    assert row.locator("[data-count=used]").inner_text() == "1"
    html = page.content()
    assert not [address for address in ADDRESSES if address in html]  # counts, never who
    camera.snap(page, "round-reminded")

    # 7. The poster: make the unit's shared link, open its A4 poster, print it to PDF.
    navigate(page, row.get_by_role("link", name=UNIT, exact=True).click, unit_path)
    navigate(page, page.locator("form[action$=gedeelde-link] button[type=submit]").click,
             "?done=shared")
    assert page.locator(".qr-code svg").count() == 1
    camera.snap(page, "round-unit-shared")
    navigate(page, page.get_by_role("link", name=t("rounds.poster_link")).click, f"{unit_path}/poster")
    assert page.locator(".poster-qr svg").count() == 1
    assert UNIT in page.locator(".poster-unit").inner_text()
    camera.snap(page, "poster")
    poster = STORY / f"poster-{backend}.pdf"
    poster.unlink(missing_ok=True)
    page.pdf(path=poster, format="A4")
    assert poster.read_bytes().startswith(b"%PDF")
    navigate(page, page.get_by_role("link", name=t("rounds.poster_back")).click, unit_path)

    # 8. Accounts: invite a bestuur account; it chooses its own password from the mail.
    navigate(page, page.locator("nav.admin-nav").get_by_role("link", name=t("admin.nav_accounts"))
             .click, f"/beheer/{slug}/accounts")
    camera.snap(page, "accounts")
    invite = page.locator("form.invite-account")
    invite.locator("#email").fill(BESTUUR)
    invite.locator("#name").fill("Nieuw bestuurslid")
    invite.locator("#role label.choice", has=page.locator('input[value="bestuur"]')).click()
    navigate(page, invite.locator("button[type=submit]").click, "?done=invited")
    assert notice(page) == t("accounts.done_invited")
    assert BESTUUR in page.locator("table.accounts").inner_text()
    camera.snap(page, "accounts-invited")
    (welcome,) = arrived(inbox, 10, new=1)
    assert welcome.to == BESTUUR and welcome.lang == "nl"
    assert welcome.subject.startswith("Je account voor Kennisster")

    board_context = chromium.new_context(**PHONE)
    board_context.set_default_timeout(PAGE_WAIT_MS)
    board = board_context.new_page()
    try:
        board.goto(f"{live_server}{account_path(welcome)}")
        assert board.locator("h1").inner_text() == t("password.set_title_invite")
        camera.snap(board, "set-password")
        board.locator("#password").fill(FIRST_PASSWORD)
        board.locator("#repeat").fill(FIRST_PASSWORD)
        navigate(board, board.locator("form.login button[type=submit]").click, f"/dashboard/{slug}")
        assert board.locator("header.site .who").inner_text() == BESTUUR
        camera.snap(board, "dashboard")

        # 9. A forgotten password: log out, ask for a reset, choose a new one from the mail.
        log_out(board)
        navigate(board, board.get_by_role("link", name=t("password.forgotten_link")).click,
                 "/wachtwoord-vergeten")
        camera.snap(board, "forgotten")
        board.locator("#email").fill(BESTUUR)
        navigate(board, board.locator("form.login button[type=submit]").click, "/wachtwoord-vergeten")
        assert notice(board) == t("password.forgotten_sent")
        camera.snap(board, "forgotten-sent")
        (reset,) = arrived(inbox, 11, new=1)
        assert reset.to == BESTUUR and reset.lang == "nl"
        reset_path = account_path(reset)
        board.goto(f"{live_server}{reset_path}")
        assert board.locator("h1").inner_text() == t("password.set_title_reset")
        camera.snap(board, "reset-password")
        board.locator("#password").fill(NEW_PASSWORD)
        board.locator("#repeat").fill(NEW_PASSWORD)
        navigate(board, board.locator("form.login button[type=submit]").click, f"/dashboard/{slug}")
        log_out(board)
        assert board.goto(f"{live_server}{reset_path}").status >= 400  # the link worked once

        log_in(board, live_server, BESTUUR, FIRST_PASSWORD, "/login", status=401)  # the old one
        assert board.locator(".error-summary[role=alert]").count() == 1
        camera.snap(board, "login-refused")
        log_in(board, live_server, BESTUUR, NEW_PASSWORD, f"/dashboard/{slug}")
        assert board.locator("header.site .who").inner_text() == BESTUUR
    finally:
        board_context.close()
