"""Passwords: a forgotten one reset by a one-time link, changing it, and logging out for real.

The reset link is read from the use case's return value (service level) or from the outbox and
the link registry, as the mail worker makes it.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.mail.links import make_link
from api.platform.models import AccountRole, AccountToken, Outbox, utcnow
from api.setup import account_admin, account_links, accounts
from tests.builders import csrf_of, make_institution, web_login

PASSWORD = "een-lang-wachtwoord-42"
NEW_PASSWORD = "een-ander-wachtwoord-43"
EMAIL = "bestuur@alfa.nl"


@pytest.fixture
def board(session) -> str:
    institution = make_institution(session, "Hogeschool Alfa")
    accounts.create_account(session=session, email=EMAIL, password=PASSWORD,
                            role=AccountRole.bestuur, institutions=[institution])
    session.commit()
    return institution.slug


def post(client: TestClient, url: str, **data: str):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def logged_in(app, email: str = EMAIL, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    web_login(client, email, password)
    return client


def opens_dashboard(client: TestClient) -> bool:
    return client.get("/dashboard", follow_redirects=False).status_code in (200, 303) and \
        urlsplit(client.get("/dashboard", follow_redirects=False).headers.get(
            "location", "/dashboard")).path != "/login"


def copy_of(client: TestClient, app) -> TestClient:
    """Another browser holding a copy of this one's session cookie."""
    thief = TestClient(app)
    thief.cookies.set("ks_session", client.cookies.get("ks_session"))
    return thief


def reset_link(session, settings) -> str:
    session.expire_all()
    row = session.exec(select(Outbox).where(Outbox.template == "password_reset")
                       .order_by(Outbox.id.desc())).first()
    path = urlsplit(make_link(session, settings, "account", row.link_ref)).path
    session.rollback()
    return path


def test_a_forgotten_password_is_reset_with_a_link_that_works_once(app, session, settings, board):
    browser = TestClient(app)
    assert "Wachtwoord vergeten?" in browser.get("/login").text
    page = post(browser, "/wachtwoord-vergeten", email="Bestuur@Alfa.nl")
    assert page.status_code == 200 and "onderweg" in page.text
    link = reset_link(session, settings)
    form = browser.get(link)
    assert form.status_code == 200 and "Kies een nieuw wachtwoord" in form.text
    assert post(browser, link, password=NEW_PASSWORD, repeat=NEW_PASSWORD).status_code == 303
    assert opens_dashboard(browser)
    assert browser.get(link).status_code == 410
    assert post(TestClient(app), "/login", email=EMAIL, password=PASSWORD).status_code == 401
    logged_in(app, password=NEW_PASSWORD)


def test_the_answer_is_the_same_for_known_unknown_and_revoked_addresses(app, session, board):
    answers = []
    for email in (EMAIL, "niemand@alfa.nl", "geen-adres"):
        page = post(TestClient(app), "/wachtwoord-vergeten", email=email)
        answers.append((page.status_code, page.text.replace(csrf_of_page(page.text), "")))
        assert email not in page.text
    assert answers[0] == answers[1] == answers[2]
    session.expire_all()
    assert [row.to_address for row in session.exec(select(Outbox))] == [EMAIL]
    session.rollback()


def csrf_of_page(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.find(marker)
    return html[start + len(marker):html.find('"', start + len(marker))] if start >= 0 else "\0"


def test_resets_are_throttled_per_address_without_saying_so(app, session, board):
    pages = [post(TestClient(app), "/wachtwoord-vergeten", email=EMAIL) for _ in range(5)]
    assert {page.status_code for page in pages} == {200}
    assert len({page.text.replace(csrf_of_page(page.text), "") for page in pages}) == 1
    session.expire_all()
    assert len(session.exec(select(Outbox).where(Outbox.to_address == EMAIL)).all()) == \
        account_admin.RESET_MAILS_PER_ADDRESS
    session.rollback()


def test_an_expired_link_is_refused(app, session, settings, board):
    token = account_admin.request_reset(session=session, email=EMAIL, client="test", lang="nl",
                                        secret_key=settings.secret_key)
    plain = account_links.plain_token(settings.secret_key, token)
    row = session.get(AccountToken, token.id)
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()
    page = TestClient(app).get(f"/account/activeren/{plain}")
    assert page.status_code == 410 and "verlopen" in page.text
    with pytest.raises(account_links.LinkGone):
        account_links.redeem(session, token=plain, password=NEW_PASSWORD)
    session.rollback()


def test_a_new_reset_link_voids_the_older_one(session, settings, board):
    first = account_admin.request_reset(session=session, email=EMAIL, client="test", lang="nl",
                                        secret_key=settings.secret_key)
    first_plain = account_links.plain_token(settings.secret_key, first)
    second = account_admin.request_reset(session=session, email=EMAIL, client="test", lang="en",
                                         secret_key=settings.secret_key)
    with pytest.raises(account_links.LinkGone):
        account_links.check(session, token=first_plain)
    assert account_links.check(session, token=account_links.plain_token(
        settings.secret_key, second)).id == second.id
    assert session.exec(select(AccountToken.token_hash)).all() and all(
        first_plain not in h for h in session.exec(select(AccountToken.token_hash)))
    session.rollback()


def test_after_a_password_change_a_copied_cookie_no_longer_opens_the_dashboard(app, board):
    browser = logged_in(app)
    other_device = logged_in(app)
    thief = copy_of(browser, app)
    assert opens_dashboard(thief)
    wrong = post(browser, "/account/wachtwoord", current="niet-het-wachtwoord",
                 new=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert wrong.status_code == 422 and "klopt niet" in wrong.text
    mismatch = post(browser, "/account/wachtwoord", current=PASSWORD, new=NEW_PASSWORD,
                    repeat="iets-anders-dan-dat")
    assert mismatch.status_code == 422
    done = post(browser, "/account/wachtwoord", current=PASSWORD, new=NEW_PASSWORD,
                repeat=NEW_PASSWORD)
    assert done.status_code == 303
    assert "is gewijzigd" in browser.get(done.headers["location"]).text
    assert opens_dashboard(browser)  # this browser got a fresh cookie
    assert not opens_dashboard(thief) and not opens_dashboard(other_device)


def test_logging_out_ends_the_session_on_the_server(app, board):
    browser = logged_in(app)
    thief = copy_of(browser, app)
    out = post(browser, "/logout")
    assert out.status_code == 303 and urlsplit(out.headers["location"]).path == "/login"
    assert not opens_dashboard(browser) and not opens_dashboard(thief)
    assert "Overal uitloggen" in logged_in(app).get("/account/wachtwoord").text


def test_the_change_password_page_needs_a_login(client):
    page = client.get("/account/wachtwoord", follow_redirects=False)
    assert page.status_code == 303 and urlsplit(page.headers["location"]).path == "/login"


# --- every way a session ends, for a copied cookie too (issue 12) ------------------------------

def _end_by(how: str, app, session, settings, browser: TestClient) -> None:
    if how == "logout":
        assert post(browser, "/logout").status_code == 303
    elif how == "password change":
        assert post(browser, "/account/wachtwoord", current=PASSWORD, new=NEW_PASSWORD,
                    repeat=NEW_PASSWORD).status_code == 303
    elif how == "password reset":
        token = account_admin.request_reset(session=session, email=EMAIL, client="test",
                                            lang="nl", secret_key=settings.secret_key)
        session.commit()
        elsewhere = TestClient(app)
        plain = account_links.plain_token(settings.secret_key, token)
        assert post(elsewhere, f"/account/activeren/{plain}", password=NEW_PASSWORD,
                    repeat=NEW_PASSWORD).status_code == 303
    elif how == "revocation":
        account = accounts.find_account(session=session, email=EMAIL)
        account_admin.revoke_account(session=session, actor=None, account_id=account.id)


@pytest.mark.parametrize("how", ["logout", "password change", "password reset", "revocation"])
def test_a_copied_cookie_stops_working_when_the_session_ends(app, session, settings, board, how):
    browser = logged_in(app)
    thief = copy_of(browser, app)
    assert opens_dashboard(thief)
    assert thief.get("/account/wachtwoord").status_code == 200

    _end_by(how, app, session, settings, browser)

    answer = thief.get("/account/wachtwoord", follow_redirects=False)
    assert answer.status_code == 303 and urlsplit(answer.headers["location"]).path == "/login"
    assert not opens_dashboard(thief)


def test_log_out_everywhere_from_the_account_page_ends_the_other_devices(app, board):
    laptop, phone = logged_in(app), logged_in(app)
    page = laptop.get("/account/wachtwoord")
    assert "Overal uitloggen" in page.text
    assert post(laptop, "/logout").status_code == 303  # the page's "log out everywhere" form
    assert not opens_dashboard(phone) and not opens_dashboard(laptop)
