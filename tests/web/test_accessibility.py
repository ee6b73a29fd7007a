"""Accessibility of the survey, results, dashboard and admin pages: axe-core in a real headless chromium.

axe-core comes with the `axe-playwright-python` wheel (in the `test` extras: the README's test
command installs it, nothing else to install) and is evaluated into each page from there: no
CDN, no network, no npm, and no <script> element a Content-Security-Policy could refuse. Every page
is checked against WCAG 2.0/2.1 A and AA plus axe's best practices at phone width (390×844) and
desktop width (1280×900): serious and critical violations fail, moderate and minor ones are
printed as information (run with -s to see them). The dashboard is also walked with Tab: every
link and control must be reached and show a focus indicator, never entirely out of sight.

A page with a known bug is marked xfail(strict=True, raises=KnownViolations): it fails with
KnownViolations only while exactly its known rules are violated, so a new violation fails the
test for real and a fixed bug turns it into an XPASS that fails the run until the mark goes.

Chromium is Debian's (`apt-get install chromium`); without /usr/bin/chromium the tests skip, or
fail when KENNISSTER_BROWSER_REQUIRED=1. Each page's axe
results land in test-artifacts/axe/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from sqlmodel import select

from api.platform.models import Round
from api.setup.demo import (
    DEMO_BOARD_EMAIL,
    DEMO_BOARD_PASSWORD,
    DEMO_COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    load_demo,
)
from tests import two_factor_steps
from tests.builders import make_institution, make_round, make_unit, personal_link
from tests.web.browser import PAGE_WAIT_MS, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("critical", "serious")
REPORTS = ROOT / "test-artifacts" / "axe"
VIEWS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}

pytestmark = [pytest.mark.browser, needs_chromium]


class KnownViolations(AssertionError):
    """Exactly the violations a page is known to have (see its xfail mark), and nothing else."""


def views(**bugs: dict[str, str]) -> list:
    """Both widths as (view, known) parameters; `phone={rule: "what is wrong"}` marks that width
    xfail for those rules."""
    params = []
    for name in VIEWS:
        known = bugs.get(name, {})
        marks = [pytest.mark.xfail(
            strict=True, raises=KnownViolations,
            reason="; ".join(f"bug: {rule}: {text}" for rule, text in known.items()))] if known else []
        params.append(pytest.param(name, frozenset(known), id=name, marks=marks))
    return params


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def page(chromium, view: str) -> Iterator:
    """A fresh page at the test's width (`view`, a parameter of every test)."""
    context = chromium.new_context(**VIEWS[view])
    context.set_default_timeout(PAGE_WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def token(session, catalog) -> str:
    """One personal survey link of an open round; nothing left uncommitted."""
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    link = personal_link(session, round_, unit)
    session.commit()  # no open (on SQLite: write-locking) transaction while the server works
    return link


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
    session.commit()
    assert len(rounds) == 3  # two on 1.0, the newest on 1.1
    return institution.slug, [rounds[0], rounds[-1]]


# --- axe ----------------------------------------------------------------------------------------

AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                             resultTypes: ['violations']});
    const nodes = (list) => list.map(n => ({target: n.target.map(String).join(' '), html: n.html,
                                            impact: n.impact, summary: n.failureSummary}));
    return {
        version: results.testEngine.version,
        violations: results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                  url: v.helpUrl, nodes: nodes(v.nodes)})),
        incomplete: results.incomplete.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: nodes(v.nodes)})),
    };
}"""


def describe(violation: dict, *, limit: int = 0) -> str:
    lines = [f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['url']})"]
    nodes = violation["nodes"][:limit] if limit else violation["nodes"]
    for node in nodes:
        lines.append(f"      at {node['target']}: {node['html'][:200]}")
        if node.get("summary"):
            lines.append("        " + node["summary"].replace("\n", "\n        "))
    if limit and len(violation["nodes"]) > limit:
        lines.append(f"      … and {len(violation['nodes']) - limit} more")
    return "\n".join(lines)


class Audit:
    """The axe results of every page a test looks at; `check` fails on serious or critical ones."""

    def __init__(self, backend: str, known: frozenset[str]):
        self.backend, self.known = backend, known
        self.failures: dict[str, list[dict]] = {}

    def page(self, page, what: str) -> None:
        """Run axe-core on the page as it is now and keep its serious and critical violations."""
        assert page.evaluate("() => document.readyState") == "complete", what
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE_SCRIPT)
        results = page.evaluate(AXE_RUN, AXE_TAGS)
        REPORTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
        (REPORTS / f"{name}-{self.backend}.json").write_text(
            json.dumps({"page": what, "url": page.url, **results}, indent=2, ensure_ascii=False))
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
        other = [v for v in results["violations"] if v["impact"] not in BLOCKING]
        print(f"\naxe-core {results['version']} on {what} ({page.url}): {len(blocking)} serious/critical, "
              f"{len(other)} moderate/minor violation(s), {len(results['incomplete'])} rule(s) to review")
        for violation in other:
            print(describe(violation, limit=3))
        for item in results["incomplete"]:
            print(f"  (needs review) [{item['impact']}] {item['id']}: {item['help']} "
                  f"({len(item['nodes'])} element(s))")
        if blocking:
            self.failures[what] = blocking

    def check(self) -> None:
        if not self.failures:
            return
        found = {f"axe {v['id']}" for violations in self.failures.values() for v in violations}
        message = "\n".join(f"serious or critical problems on {what}:\n" + "\n".join(map(describe, vs))
                            for what, vs in self.failures.items())
        if found == self.known:
            raise KnownViolations(f"the known bugs {sorted(found)}, still there:\n{message}")
        raise AssertionError(f"found {sorted(found)}, known {sorted(self.known)}:\n{message}")


@pytest.fixture
def audit(backend, known) -> Audit:
    return Audit(backend, known)


# --- the survey ---------------------------------------------------------------------------------

def navigate(page, action, url_part: str, status: int = 200) -> None:
    with page.expect_navigation(url=f"**{url_part}") as navigation:
        action()
    assert navigation.value.status == status, f"{navigation.value.status} {page.url}"


def start_survey(page, live_server: str, token: str) -> None:
    """From the intro, choose a role and start: lands on the first knob."""
    page.goto(f"{live_server}/s/{token}")
    page.locator('input[name="role"]').first.check()
    navigate(page, page.locator("button[type=submit]").click, f"/s/{token}/k/strategie")


def answer_every_knob(page, token: str) -> None:
    """From a knob page, a 3 for every statement of every knob that follows, up to the review."""
    while "/k/" in page.url:
        page.evaluate("""() => document.querySelectorAll('fieldset.likert').forEach(
            f => { f.querySelector('input[value="3"]').checked = true; })""")
        with page.expect_navigation(url=re.compile(r"/(k/[a-z_]+|afronden)$")):
            page.locator('button[value="next"]').click()
    assert page.url.endswith(f"/s/{token}/afronden"), page.url


@pytest.mark.parametrize(("view", "known"), views())
def test_the_survey_intro_has_no_serious_axe_violations(live_server, page, token, view, audit):
    page.goto(f"{live_server}/s/{token}")
    assert page.locator("#role legend").count() == 1
    audit.page(page, f"survey intro {view}")
    audit.check()


@pytest.mark.parametrize(("view", "known"), views())
def test_a_knob_page_has_no_serious_axe_violations_also_with_its_error_summary(
    live_server, page, token, view, audit
):
    start_survey(page, live_server, token)
    assert page.locator("fieldset.likert").count() == 6
    audit.page(page, f"survey knob {view}")

    # An off-scale value, as a tampered form would post it: the page comes back with its errors.
    page.evaluate("""() => { const radio = document.querySelector('fieldset.likert input[type=radio]');
                             radio.value = '7'; radio.checked = true; }""")
    navigate(page, page.locator('button[value="next"]').click, f"/s/{token}/k/strategie", status=422)
    assert page.locator(".error-summary[role=alert] li a").count() == 1
    assert page.locator("fieldset.has-error .field-error").count() == 1
    audit.page(page, f"survey knob with errors {view}")
    audit.check()


@pytest.mark.parametrize(("view", "known"), views())
def test_the_review_and_thank_you_pages_have_no_serious_axe_violations(
    live_server, page, token, view, audit
):
    start_survey(page, live_server, token)
    page.goto(f"{live_server}/s/{token}/afronden")  # nothing answered yet: every knob unscored
    assert page.locator(".notice.warn li a").count() == 5
    audit.page(page, f"survey review with warning {view}")

    page.goto(f"{live_server}/s/{token}/k/strategie")
    answer_every_knob(page, token)
    assert page.locator(".notice.warn").count() == 0
    audit.page(page, f"survey review {view}")

    # the submit's POST answers with the thank-you page (the only one with the own star)
    navigate(page, page.locator("form button[type=submit]").first.click, f"/s/{token}/afronden")
    assert page.locator("figure.chart svg").count() == 1
    assert page.locator("table.scores td[data-series=own]").count() == 5
    audit.page(page, f"survey thanks {view}")
    audit.check()


# --- login and dashboard ------------------------------------------------------------------------

def log_in(page, live_server: str, slug: str) -> None:
    page.goto(f"{live_server}/login?next=/dashboard")
    page.locator("#email").fill(DEMO_BOARD_EMAIL)
    page.locator("#password").fill(DEMO_BOARD_PASSWORD)
    navigate(page, page.locator("form.login button[type=submit]").click, f"/dashboard/{slug}")


@pytest.mark.parametrize(("view", "known"), views())
def test_the_login_page_has_no_serious_axe_violations_with_and_without_its_error(
    live_server, page, view, audit
):
    page.goto(f"{live_server}/dashboard")
    assert re.search(r"/login\?next=%2Fdashboard$", page.url), page.url
    audit.page(page, f"login {view}")

    page.locator("#email").fill("nobody@example.org")
    page.locator("#password").fill("not the right password")
    navigate(page, page.locator("form.login button[type=submit]").click, "/login", status=401)
    assert page.locator(".error-summary[role=alert]").count() == 1
    audit.page(page, f"login with error {view}")
    audit.check()


# --- the dashboard: axe and the keyboard ----------------------------------------------------------

LABEL = """(e) => {
    const text = (e.innerText || e.value || e.getAttribute('aria-label') || '').replace(/\\s+/g, ' ');
    return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${text.trim().slice(0, 40)}"`;
}"""

MARK_FOCUSABLE = """() => {
    const label = """ + LABEL + """;
    const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), '
        + 'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
    const shown = (e) => e.checkVisibility({visibilityProperty: true, opacityProperty: true});
    return [...document.querySelectorAll(selector)].filter(shown).map((e, i) => {
        e.dataset.a11yKey = String(i);
        return {key: String(i), what: label(e)};
    });
}"""

FOCUS_STATE = """() => {
    const label = """ + LABEL + """;
    // How much of the element the user sees: inside the visual viewport (what is on the screen,
    // also when the page is wider) and inside every ancestor that clips its overflow.
    const shownFraction = (e, box) => {
        if (box.width <= 0 || box.height <= 0) return 0;
        const vv = window.visualViewport;
        let [l, t, r, b] = [box.left, box.top, box.right, box.bottom];
        const clip = (c) => { l = Math.max(l, c.left); t = Math.max(t, c.top);
                              r = Math.min(r, c.right); b = Math.min(b, c.bottom); };
        clip({left: vv.offsetLeft, top: vv.offsetTop, right: vv.offsetLeft + vv.width,
              bottom: vv.offsetTop + vv.height});
        for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.overflowX !== 'visible' || s.overflowY !== 'visible') clip(a.getBoundingClientRect());
        }
        return Math.max(0, r - l) * Math.max(0, b - t) / (box.width * box.height);
    };
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    // Chromium puts a scrolling box with nothing focusable inside in the Tab order itself
    const scroller = e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight;
    if (e.dataset.a11yKey === undefined && scroller) {
        window.a11yScrollers = (window.a11yScrollers || 0) + 1;
        e.dataset.a11yKey = `scroller-${window.a11yScrollers}`;
    }
    const style = getComputedStyle(e);
    const box = e.getBoundingClientRect();
    return {
        key: e.dataset.a11yKey ?? null,
        what: label(e),
        focusVisible: e.matches(':focus-visible'),
        indicator: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
                    && !/rgba\\(.*,\\s*0\\)$/.test(style.outlineColor)) || style.boxShadow !== 'none',
        outline: `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`,
        shown: shownFraction(e, box),
        box: [box.left, box.top, box.right, box.bottom].map(Math.round),
    };
}"""


def walk_with_tab(page, view: str) -> None:
    """Tab through the whole page: every link and control is reached, in reading order for the
    round filter, each with a visible focus indicator and not entirely out of sight."""
    expected = page.evaluate(MARK_FOCUSABLE)
    names = {item["key"]: item["what"] for item in expected}

    reached: list[dict] = []
    for _ in range(len(expected) + 10):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None or (reached and state["key"] == reached[0]["key"]):
            break  # through the whole page: back at the browser or at the first element
        reached.append(state)
    print(f"\nTab on the {view} dashboard goes through {len(reached)} of its {len(expected)} links "
          f"and controls; focus indicator {sorted({s['outline'] for s in reached})}")

    keys = [state["key"] for state in reached]
    assert None not in keys, f"Tab reaches elements the page does not show as focusable: {reached}"
    scrollers = [state["what"] for state in reached if state["key"].startswith("scroller-")]
    if scrollers:
        print(f"  Tab also stops on {len(scrollers)} scrolling box(es): {scrollers}")
    assert len(keys) == len(set(keys)), f"Tab visits an element twice: {[s['what'] for s in reached]}"
    missing = [names[key] for key in names if key not in keys]
    assert not missing, f"Tab never reaches: {missing}"
    order = [state["what"] for state in reached]
    assert order[0] == names["0"] and order[0].startswith("a "), order  # the skip link comes first
    round_select = order.index(next(what for what in order if what.startswith("select#round")))
    show = order.index(next(what for what in order if what.startswith("button") and '"Toon"' in what))
    assert round_select < show, order  # the round, then "Toon", in reading order

    unmarked = [s for s in reached if not (s["focusVisible"] and s["indicator"])]
    assert not unmarked, f"no visible focus indicator on: {unmarked}"
    hidden = [s for s in reached if s["shown"] == 0]  # WCAG 2.2 2.4.11: not entirely hidden
    assert not hidden, f"the focused element is entirely out of sight: {hidden}"
    for state in reached:
        if state["shown"] < 0.95:
            print(f"  (information) focused {state['what']} at {state['box']} is only "
                  f"{state['shown']:.0%} in sight")


@pytest.mark.parametrize(("view", "known"), views())
def test_the_dashboard_of_both_demo_rounds_has_no_serious_axe_violations_and_works_with_tab(
    live_server, page, demo, view, audit
):
    """axe on both rounds; the Tab walk (a failure there is never a known violation) on the latest."""
    slug, (first, latest) = demo
    log_in(page, live_server, slug)  # the latest round first
    assert page.locator("#summary-title").inner_text() == latest.name
    assert page.locator("figure.chart svg").count() == 4  # star, roles, trend, sector benchmark
    audit.page(page, f"dashboard latest round {view}")
    walk_with_tab(page, view)

    page.goto(f"{live_server}/dashboard/{slug}?round={first.id}")
    assert page.locator("#summary-title").inner_text() == first.name
    assert page.locator("figure.chart svg").count() == 3
    audit.page(page, f"dashboard first round {view}")
    audit.check()


@pytest.mark.parametrize(("view", "known"), views())
def test_the_action_plan_form_edit_and_delete_pages_have_no_serious_axe_violations(
    live_server, page, demo, view, audit
):
    """The form prefilled from a first-round suggestion, with its error summary, the edit form
    and the delete confirmation (the dashboard's Actieplan section is checked with the dashboard)."""
    slug, (first, _latest) = demo
    log_in(page, live_server, slug)
    assert page.locator("#actieplan li.action-item").count() == 4
    edit = page.locator("#actieplan li.action-item a.button").first.get_attribute("href")
    delete = page.locator("#actieplan li.action-item a.danger").first.get_attribute("href")

    page.goto(f"{live_server}/dashboard/{slug}?round={first.id}")
    with page.expect_navigation(url=re.compile(r"/acties/nieuw\?")):
        page.locator("article.knob-advice a.make-action").first.click()
    assert page.locator(".action-suggestion").count() == 1
    audit.page(page, f"action form from a suggestion {view}")
    page.locator("#title").fill("")
    page.locator("#due_on").evaluate("e => { e.type = 'text'; e.value = '2027-02-30'; }")
    navigate(page, page.locator("form.action-form button[type=submit]").click,
             f"/dashboard/{slug}/acties", status=422)
    assert page.locator(".error-summary[role=alert] li a").count() == 2
    audit.page(page, f"action form with errors {view}")

    page.goto(edit)  # url_for gives absolute links
    assert page.locator("#title").input_value() != ""
    audit.page(page, f"action edit form {view}")
    page.goto(delete)
    assert page.locator("main form button.danger").count() == 1
    audit.page(page, f"action delete confirmation {view}")
    audit.check()


# --- the coordinator's area: institution and units ------------------------------------------------

def log_in_as_coordinator(page, live_server: str, slug: str) -> None:
    """The demo coordinator runs one institution: the admin home leads straight to it."""
    page.goto(f"{live_server}/login?next=/beheer")
    two_factor_steps.sign_in_in_browser(page, DEMO_COORDINATOR_EMAIL, DEMO_PASSWORD)
    assert page.url.endswith(f"/beheer/{slug}"), page.url


@pytest.mark.parametrize(("view", "known"), views())
def test_the_institution_page_has_no_serious_axe_violations_also_with_a_refused_k(
    live_server, page, demo, view, audit, tmp_path
):
    slug, _ = demo
    log_in_as_coordinator(page, live_server, slug)
    assert page.locator(".admin-counts li").count() == 5
    audit.page(page, f"admin institution {view}")

    page.locator("#anonymity_k").fill("3")  # the demo has releases: k may only go up
    navigate(page, page.locator("form.admin-form button[type=submit]").click, f"/beheer/{slug}",
             status=422)
    assert page.locator("#anonymity_k-error").count() == 1
    audit.page(page, f"admin institution with error {view}")


@pytest.mark.parametrize(("view", "known"), views())
def test_the_sign_in_with_surfconext_pages_have_no_serious_axe_violations(
    app, session, catalog, page, view, audit
):
    """The login page's button, a sign-in at a real OpenID provider that is refused (an unknown
    domain) and one that lands on the dashboard, and the institution's sign-in section as its
    administrator sees it, also with a refused domain."""
    from tests.builders import make_account, set_sign_in_policy
    from tests.live import threaded_server
    from tests.oidc_provider import running_provider

    institution = make_institution(session, "Hogeschool Rivierenland")
    make_round(session, catalog, institution)
    set_sign_in_policy(session, institution, domains=["hs-rivierenland.nl"])
    make_account(session, "admin@kennisster.test", "admin", password=COORDINATOR_PASSWORD)
    with running_provider() as provider, threaded_server(app) as server:
        client_id, secret = provider.register(f"{server}/login/sso/terug")
        app.state.settings = app.state.settings.model_copy(update={
            "oidc_issuer": provider.issuer, "oidc_client_id": client_id,
            "oidc_client_secret": secret, "base_url": server})
        provider.add_user("iemand@elders.nl", schac_home_organization="elders.nl")
        provider.add_user("an@hs-rivierenland.nl", schac_home_organization="hs-rivierenland.nl")

        def at_the_provider(email: str) -> None:
            page.goto(f"{server}/login")
            with page.expect_navigation():
                page.locator("#sso-button").click()
            page.locator("input[name=sub]").fill(email)
            with page.expect_navigation():
                page.locator("button[type=submit]").first.click()

        page.goto(f"{server}/login")
        audit.page(page, f"login with the sign-in button {view}")
        at_the_provider("iemand@elders.nl")
        assert "/login/sso/terug" in page.url and page.locator("h1").count() == 1
        audit.page(page, f"sign-in refused, unknown domain {view}")
        at_the_provider("an@hs-rivierenland.nl")
        assert f"/dashboard/{institution.slug}" in page.url, page.url

        page.context.clear_cookies()
        page.goto(f"{server}/login?next=/beheer/{institution.slug}")
        two_factor_steps.sign_in_in_browser(page, "admin@kennisster.test", COORDINATOR_PASSWORD)
        assert page.url.endswith(f"/beheer/{institution.slug}"), page.url
        audit.page(page, f"admin institution sign-in section {view}")
        page.locator("#sso_domains").fill("hs-rivierenland.nl\nniet een domein")
        navigate(page, page.locator("form[action$=inloggen] button[type=submit]").click,
                 "/inloggen", status=422)
        assert page.locator("#sso_domains-error").count() == 1
        audit.page(page, f"admin institution sign-in section with error {view}")
    audit.check()


# --- the coordinator's rounds and invitations -----------------------------------------------------

COORDINATOR_EMAIL, COORDINATOR_PASSWORD = "coordinator@alfa.nl", "een-lang-wachtwoord-42"


@pytest.fixture
def running_round(session, catalog, settings) -> tuple[str, int, int]:
    """An institution with a coordinator, two units and an open round with a shared link."""
    from api.platform.models import AccountRole
    from api.setup import accounts
    from api.survey import invitations

    institution = make_institution(session, "Hogeschool Alfa")
    unit = make_unit(session, institution, "Practoraat Data")
    make_unit(session, institution, "Practoraat Zorg")
    round_ = make_round(session, catalog, institution)
    invitations.ensure_shared(session=session, secret_key=settings.secret_key, round_=round_,
                              unit=unit)
    accounts.create_account(session=session, email=COORDINATOR_EMAIL, password=COORDINATOR_PASSWORD,
                            role=AccountRole.coordinator, institutions=[institution])
    session.commit()
    return institution.slug, round_.id, unit.id


@pytest.mark.parametrize(("view", "known"), views())
def test_the_rounds_and_invitations_pages_have_no_serious_axe_violations(
    live_server, page, running_round, view, audit
):
    slug, round_id, unit_id = running_round
    page.goto(f"{live_server}/login?next=/beheer/{slug}/metingen")
    two_factor_steps.sign_in_in_browser(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert page.url.endswith(f"/beheer/{slug}/metingen"), page.url
    audit.page(page, f"admin rounds {view}")

    page.locator("#name").fill("Meting najaar")
    page.locator("#opens_date").fill("2031-10-01")
    page.locator("#closes_date").fill("2031-09-01")
    navigate(page, page.locator("form.admin-form button[type=submit]").click,
             f"/beheer/{slug}/metingen", status=422)
    assert page.locator(".error-summary[role=alert] li a").count() == 1
    audit.page(page, f"admin rounds with error {view}")

    page.goto(f"{live_server}/beheer/{slug}/metingen/{round_id}")
    assert page.locator("tbody tr[data-unit]").count() == 2
    audit.page(page, f"admin round {view}")
    page.screenshot(path=REPORTS / f"admin-round-{view}.png", full_page=True)
    page.goto(f"{live_server}/beheer/{slug}/metingen/{round_id}/eenheden/{unit_id}")
    assert page.locator(".qr-code svg").count() == 1
    audit.page(page, f"admin round unit {view}")
    page.screenshot(path=REPORTS / f"admin-round-unit-{view}.png", full_page=True)
    page.goto(f"{live_server}/beheer/{slug}/metingen/{round_id}/eenheden/{unit_id}/poster")
    assert page.locator("#print-button").is_visible()  # the script shows the button
    audit.page(page, f"admin round poster {view}")
    page.emulate_media(media="print")
    page.screenshot(path=REPORTS / f"admin-round-poster-print-{view}.png", full_page=True)
    audit.check()


@pytest.mark.parametrize(("view", "known"), views())
def test_the_units_page_has_no_serious_axe_violations_with_a_refused_delete_and_import(
    live_server, page, demo, view, audit, tmp_path
):
    slug, _ = demo
    log_in_as_coordinator(page, live_server, slug)
    page.goto(f"{live_server}/beheer/{slug}/eenheden")
    assert page.locator("ul.unit-tree li").count() > 1
    audit.page(page, f"admin units {view}")
    if view == "phone":  # the narrowest phone: nothing wider than the screen
        page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    first = page.locator("ul.unit-tree details.unit-actions").first
    first.locator("summary").click()
    audit.page(page, f"admin units with a unit open {view}")
    navigate(page, first.locator("form", has=page.locator("button", has_text="Verwijderen"))
             .locator("button").click, "/verwijderen", status=409)
    assert page.locator("#refusal form button").count() == 1  # archive offered
    audit.page(page, f"admin units with a refused delete {view}")

    bad = tmp_path / "fout.csv"
    bad.write_text("naam;soort;bovenliggende\nNieuw team;club;Bestaat niet\n;team;\n",
                   encoding="utf-8")
    page.goto(f"{live_server}/beheer/{slug}/eenheden")
    page.locator("#file").set_input_files(str(bad))
    navigate(page, page.locator("form[enctype] button[type=submit]").click,
             f"/beheer/{slug}/eenheden/upload", status=422)
    assert page.locator("table.import-problems tbody tr").count() == 3
    audit.page(page, f"admin units with a refused import {view}")


@pytest.mark.parametrize(("view", "known"), views())
def test_the_e_mail_invitation_forms_and_delivery_status_have_no_serious_axe_violations(
    app, session, settings, page, running_round, view, audit
):
    """The unit page of an installation that sends mail: the address forms, the mail's preview,
    and the round's delivery status with a failed message (no worker runs: nothing is sent)."""
    from api.mail import outbox
    from api.main import create_app
    from api.platform.models import Outbox
    from tests.live import threaded_server

    slug, round_id, unit_id = running_round
    mailing = create_app(settings.model_copy(update={"smtp_host": "127.0.0.1", "mail_worker": False}),
                         warm_charts=False)
    with threaded_server(mailing) as server:
        page.goto(f"{server}/login?next=/beheer/{slug}/metingen/{round_id}/eenheden/{unit_id}")
        two_factor_steps.sign_in_in_browser(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
        assert page.url.endswith(f"/eenheden/{unit_id}"), page.url
        assert page.locator("textarea#addresses").count() == 1
        page.locator("details.mail-preview summary").first.click()
        audit.page(page, f"admin unit e-mail {view}")

        page.locator("#addresses").fill("an@alfa.nl\nbert-at-alfa.nl")
        navigate(page, page.locator("form[action$=uitnodigen] button[type=submit]").click,
                 "/uitnodigen", status=422)
        assert page.locator("#addresses-error").count() == 1
        audit.page(page, f"admin unit e-mail with error {view}")

        page.locator("#addresses").fill("an@alfa.nl\nbert@alfa.nl")
        navigate(page, page.locator("form[action$=uitnodigen] button[type=submit]").click,
                 f"/eenheden/{unit_id}?done=invited&n=2")
        first = session.exec(select(Outbox).order_by(Outbox.id)).first()
        outbox.mark_failed(session, first.id, error="550 mailbox unavailable", permanent=True)
        session.commit()
        page.goto(f"{server}/beheer/{slug}/metingen/{round_id}")
        page.locator("section[aria-labelledby=mail] details summary").click()
        assert page.locator("section[aria-labelledby=mail] details tbody tr").count() == 1
        audit.page(page, f"admin round delivery status {view}")
    mailing.state.engine.dispose()
    audit.check()


# --- accounts, the audit log and the password pages ------------------------------------------------


@pytest.mark.parametrize(("view", "known"), views())
def test_the_accounts_audit_and_password_pages_have_no_serious_axe_violations(
    live_server, page, demo, view, audit, session, settings
):
    """What a coordinator and an invited board member see around accounts: the accounts page
    with a refused invitation, the audit log, changing a password with a wrong current one, the
    forgotten-password page before and after asking, a one-time link's page and a used link."""
    from api.platform.models import AccountRole
    from api.setup import account_links, accounts

    slug, _ = demo
    log_in_as_coordinator(page, live_server, slug)
    navigate(page, lambda: page.goto(f"{live_server}/beheer/{slug}/accounts"),
             f"/beheer/{slug}/accounts")
    audit.page(page, f"admin accounts {view}")
    invite = page.locator("form.invite-account")
    invite.locator("#email").fill("geen-adres")
    navigate(page, invite.locator("button[type=submit]").click, f"/beheer/{slug}/accounts",
             status=422)
    audit.page(page, f"admin accounts with error {view}")
    page.goto(f"{live_server}/beheer/{slug}/logboek")
    audit.page(page, f"admin audit log {view}")
    # the webhooks pages (branch hooks): a refused address, the secret shown once, the log
    page.goto(f"{live_server}/beheer/{slug}/webhooks")
    audit.page(page, f"admin webhooks {view}")
    hooks = page.locator("form.create-webhook")
    hooks.locator("#url").fill("https://10.0.0.1/hooks")
    navigate(page, hooks.locator("button[type=submit]").click, f"/beheer/{slug}/webhooks",
             status=422)
    audit.page(page, f"admin webhooks with error {view}")
    page.locator("form.create-webhook #url").fill(f"https://93.184.216.34/axe-{view}")
    navigate(page, page.locator("form.create-webhook button[type=submit]").click,
             f"/beheer/{slug}/webhooks")
    audit.page(page, f"admin webhook secret {view}")
    page.locator("a[href*='/webhooks/']", has_text=f"axe-{view}").first.click()
    page.wait_for_load_state()
    audit.page(page, f"admin webhook log {view}")
    page.goto(f"{live_server}/beheer/{slug}/sectorbenchmark")
    audit.page(page, f"admin sector benchmark {view}")

    page.goto(f"{live_server}/account/wachtwoord")
    page.locator("#current").fill("niet-het-wachtwoord")
    page.locator("#new").fill("een-nieuw-lang-wachtwoord")
    page.locator("#repeat").fill("een-nieuw-lang-wachtwoord")
    navigate(page, page.locator("form.login button[type=submit]").click, "/account/wachtwoord",
             status=422)
    audit.page(page, f"change password with error {view}")

    page.context.clear_cookies()
    page.goto(f"{live_server}/wachtwoord-vergeten")
    audit.page(page, f"forgotten password {view}")
    page.locator("#email").fill("niemand@rivierenland.demo")
    navigate(page, page.locator("form.login button[type=submit]").click, "/wachtwoord-vergeten")
    audit.page(page, f"forgotten password sent {view}")

    invited = accounts.create_account(session=session, email=f"nieuw-{view}@rivierenland.demo",
                                      password=None, role=AccountRole.bestuur)
    token = account_links.issue(session, account=invited, purpose="invite",
                                secret_key=settings.secret_key)
    plain = account_links.plain_token(settings.secret_key, token)
    session.commit()
    page.goto(f"{live_server}/account/activeren/{plain}")
    audit.page(page, f"set password {view}")
    page.locator("#password").fill("een-lang-wachtwoord-42")
    page.locator("#repeat").fill("een-ander-wachtwoord-42")
    navigate(page, page.locator("form.login button[type=submit]").click,
             f"/account/activeren/{plain}", status=422)
    audit.page(page, f"set password with error {view}")
    page.goto(f"{live_server}/account/activeren/geen-echte-link")
    audit.page(page, f"unknown link {view}")
    audit.check()


# --- two-step sign-in (branch twofactor) -----------------------------------------------------------

@pytest.mark.parametrize(("view", "known"), views())
def test_the_two_step_sign_in_pages_have_no_serious_axe_violations(
    live_server, page, running_round, view, audit
):
    """Enrolment (with a wrong code too), the recovery codes, the code page with its error."""
    slug, _, _ = running_round
    page.goto(f"{live_server}/login?next=/beheer/{slug}/metingen")
    page.locator("#email").fill(COORDINATOR_EMAIL)
    page.locator("#password").fill(COORDINATOR_PASSWORD)
    navigate(page, page.locator("form.login button[type=submit]").click,
             "/account/tweestaps?next=**")  # the admin area asks for two-step sign-in first
    audit.page(page, f"two-step enrol {view}")
    page.locator("#code").fill("12")
    navigate(page, page.locator("form.login button[type=submit]").click, "/account/tweestaps",
             status=422)
    assert page.locator("#code-error").count() == 1
    audit.page(page, f"two-step enrol with error {view}")
    two_factor_steps.enrol_in_browser(page, COORDINATOR_EMAIL, look=lambda p, what: audit.page(
        p, f"two-step {what} {view}"))
    assert page.url.endswith(f"/beheer/{slug}/metingen"), page.url
    page.goto(f"{live_server}/account/tweestaps")
    audit.page(page, f"two-step status {view}")

    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.locator("#email").fill(COORDINATOR_EMAIL)
    page.locator("#password").fill(COORDINATOR_PASSWORD)
    navigate(page, page.locator("form.login button[type=submit]").click, "/login/code**")
    audit.page(page, f"two-step code {view}")
    page.locator("#code").fill("000000")
    navigate(page, page.locator("form.login button[type=submit]").click, "/login/code",
             status=422)
    assert page.locator("#code-error").count() == 1
    audit.page(page, f"two-step code with error {view}")
    audit.check()
