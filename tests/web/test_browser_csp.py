"""The strict Content-Security-Policy in a real chromium: the dashboard (with its inlined Vega
SVGs), a survey page and the printable poster render, and the browser reports no violation."""

from __future__ import annotations

import pytest
from sqlmodel import select

from api.platform.models import AccountRole, Round, Unit
from api.setup import accounts
from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD, load_demo
from api.survey import invitations
from tests import two_factor_steps
from tests.builders import personal_link
from tests.web.browser import needs_chromium

pytestmark = needs_chromium


def watched(context):
    """A page that records every CSP violation and console error."""
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not _favicon(msg) else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.add_init_script("""document.addEventListener('securitypolicyviolation', (e) =>
        console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));""")
    return page, problems


def _favicon(msg) -> bool:
    """Chromium asks for /favicon.ico on its own; another change of issue 12 adds one."""
    return msg.location.get("url", "").endswith("/favicon.ico")


@pytest.fixture
def demo(session, catalog, settings):
    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    round_ = session.exec(select(Round).where(Round.institution_id == institution.id)
                          .order_by(Round.opens_at.desc())).first()
    unit = session.exec(select(Unit).where(Unit.institution_id == institution.id)).first()
    token = personal_link(session, round_, unit)
    shared = invitations.ensure_shared(session=session, secret_key=settings.secret_key,
                                       round_=round_, unit=unit)
    accounts.create_account(session=session, email="coordinator@csp.test",
                            password="een-lang-wachtwoord-42", role=AccountRole.coordinator,
                            institutions=[institution])
    session.commit()
    return {"slug": institution.slug, "token": token, "shared": shared, "round": round_.id,
            "unit": unit.id, "status": round_.status}


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("#password").press("Enter")


def test_dashboard_survey_and_poster_render_under_the_policy(chromium, live_server, demo):
    context = chromium.new_context()
    page, problems = watched(context)

    log_in(page, live_server, DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD)
    page.goto(f"{live_server}/dashboard/{demo['slug']}")
    page.wait_for_load_state("networkidle")
    charts = page.locator("main svg")
    assert charts.count() > 0
    box = charts.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100  # drawn, not blocked
    # the stylesheet applied (a blocked style-src would leave the body in the browser's serif)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "serif"

    survey = context.new_page()
    survey.on("console", lambda msg: problems.append(f"survey console {msg.type}: {msg.text}")
              if msg.type == "error" and not _favicon(msg) else None)
    survey.goto(f"{live_server}/s/{demo['token']}")
    assert survey.locator("h1").count() == 1

    log_in(page, live_server, "coordinator@csp.test", "een-lang-wachtwoord-42")
    page.goto(f"{live_server}/beheer/{demo['slug']}/metingen/{demo['round']}/eenheden/"
              f"{demo['unit']}/poster")
    # the admin area asks a coordinator for two-step sign-in first: its pages (the QR code as
    # inline SVG) render under the policy too, and then the asked page opens
    assert "/account/tweestaps" in page.url, page.url
    assert page.locator("figure.qr svg").count() == 1
    two_factor_steps.enrol_in_browser(page, "coordinator@csp.test")
    assert page.url.endswith("/poster"), page.url
    assert page.locator(".poster-qr svg").count() == 1
    assert page.locator("#print-button").is_visible()  # its script (a file) ran
    context.close()
    assert problems == []
