"""Two-step sign-in, as the people using it meet it: a coordinator enrols with an authenticator
app before the admin area opens and needs a code from then on; a board member may enrol; a wrong,
replayed or once-used code is refused; the pending cookie between password and code opens
nothing and expires; an administrator resets a lost app, and that is logged.

Codes are computed with `pyotp` from the secret read off the enrolment page, as an app would.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pyotp
import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import select

from api.platform.models import AccountRole, AuditEvent, RecoveryCode, TwoFactor
from api.setup import accounts
from tests import two_factor_steps
from tests.builders import csrf_of, make_institution
from web.auth.two_factor import PENDING_COOKIE, PENDING_SALT

PASSWORD = "correct-horse-battery"
COORDINATOR = "coordinator@alfa.nl"
BOARD = "bestuur@alfa.nl"
ADMIN = "admin@kennisster.test"


@pytest.fixture
def alfa(session):
    institution = make_institution(session, "Hogeschool Alfa")
    for email, role in ((COORDINATOR, AccountRole.coordinator), (BOARD, AccountRole.bestuur),
                        (ADMIN, AccountRole.admin)):
        accounts.create_account(session=session, email=email, password=PASSWORD, role=role,
                                institutions=[institution])
    session.commit()
    return institution


def password_step(client: TestClient, email: str, next_: str = "/dashboard"):
    return client.post("/login", data={"csrf_token": csrf_of(client), "email": email,
                                       "password": PASSWORD, "next": next_},
                       follow_redirects=False)


def path_of(response) -> str:
    return urlsplit(response.headers["location"]).path


def send_code(client: TestClient, code: str, next_: str = "/dashboard"):
    page = client.get("/login/code")
    return client.post("/login/code", data={"csrf_token": two_factor_steps.csrf_of_html(page.text),
                                            "code": code, "next": next_},
                       follow_redirects=False)


def opens(client: TestClient, path: str) -> bool:
    return client.get(path, follow_redirects=False).status_code == 200


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


# --- a coordinator ------------------------------------------------------------------------------

def test_a_coordinator_without_two_step_sign_in_is_sent_to_enrol_before_the_admin_area(
        client, alfa):
    assert password_step(client, COORDINATOR).status_code == 303
    asked = client.get(f"/beheer/{alfa.slug}/eenheden", follow_redirects=False)
    assert asked.status_code == 303
    assert path_of(asked) == "/account/tweestaps"
    assert f"next=%2Fbeheer%2F{alfa.slug}%2Feenheden" in asked.headers["location"]

    page = client.get(asked.headers["location"])
    assert page.status_code == 200
    assert "<svg" in page.text and "style=" not in page.text and "<script" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    secret = two_factor_steps.secret_of(page.text)
    assert client.get("/account/tweestaps").text.count(secret[:4]) >= 1  # a reload keeps it

    done = client.post("/account/tweestaps", data={
        "csrf_token": two_factor_steps.csrf_of_html(page.text), "code": current_code(secret),
        "next": f"/beheer/{alfa.slug}/eenheden"})
    assert done.status_code == 200
    codes = two_factor_steps.recovery_codes_of(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert f'href="/beheer/{alfa.slug}/eenheden"' in done.text
    assert opens(client, f"/beheer/{alfa.slug}/eenheden")
    # the secret is never shown again, and the codes are kept only as hashes
    again = client.get("/account/tweestaps")
    assert secret[:8] not in again.text.replace(" ", "")
    assert not any(code in again.text for code in codes)


def test_after_enrolling_a_coordinator_needs_a_code_and_a_wrong_one_is_refused_and_throttled(
        app, client, session, alfa):
    two_factor_steps.after_password(client, COORDINATOR, password_step(client, COORDINATOR))
    secret = two_factor_steps.APPS[COORDINATOR].secret

    later = TestClient(app)
    asked = password_step(later, COORDINATOR)
    assert path_of(asked) == "/login/code"
    assert "ks_session" not in later.cookies and PENDING_COOKIE in later.cookies
    assert not opens(later, "/dashboard")

    wrong = send_code(later, "000000" if current_code(secret) != "000000" else "111111")
    assert wrong.status_code == 422
    assert "Deze code klopt niet" in wrong.text and 'aria-invalid="true"' in wrong.text
    missing = send_code(later, "")
    assert missing.status_code == 422 and "Typ de code van 6 cijfers" in missing.text
    for _ in range(4):  # an empty form is no guess; these are
        assert send_code(later, "12345x").status_code == 422
    right = pyotp.TOTP(secret).generate_otp(int(time.time()) // 30 + 1)
    locked = send_code(later, right)  # five wrong: even the right code waits
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Te veel verkeerde codes" in locked.text
    assert not opens(later, "/dashboard")

    row = session.get(TwoFactor, accounts.find_account(session=session, email=COORDINATOR).id)
    row.locked_until = None  # the lock runs out
    session.add(row)
    session.commit()
    good = send_code(later, two_factor_steps.APPS[COORDINATOR].code())
    assert good.status_code == 303
    assert opens(later, f"/beheer/{alfa.slug}/eenheden")
    assert PENDING_COOKIE not in later.cookies


def test_a_code_used_once_cannot_be_used_again(app, client, alfa):
    password_step(client, COORDINATOR)
    two_factor_steps.enrol(client, COORDINATOR)
    used = two_factor_steps.APPS[COORDINATOR]
    replayed = pyotp.TOTP(used.secret).generate_otp(used.last_step)  # the code of the enrolment

    thief = TestClient(app)
    password_step(thief, COORDINATOR)
    refused = send_code(thief, replayed)
    assert refused.status_code == 422
    assert not opens(thief, "/dashboard")


def test_a_recovery_code_works_once(app, client, alfa):
    password_step(client, COORDINATOR)
    codes = two_factor_steps.enrol(client, COORDINATOR).recovery

    phone_lost = TestClient(app)
    password_step(phone_lost, COORDINATOR)
    assert send_code(phone_lost, codes[0].upper().replace("-", " ")).status_code == 303
    assert opens(phone_lost, f"/beheer/{alfa.slug}/eenheden")
    assert "9 van 10" in phone_lost.get("/account/tweestaps").text

    again = TestClient(app)
    password_step(again, COORDINATOR)
    assert send_code(again, codes[0]).status_code == 422
    assert send_code(again, "abcde-fghjk-mnpqr").status_code == 422
    assert not opens(again, "/dashboard")


def test_new_recovery_codes_replace_the_old_ones(app, client, session, alfa):
    password_step(client, COORDINATOR)
    old = two_factor_steps.enrol(client, COORDINATOR).recovery
    page = client.get("/account/tweestaps")
    new = client.post("/account/tweestaps/herstelcodes",
                      data={"csrf_token": two_factor_steps.csrf_of_html(page.text)})
    assert new.status_code == 200
    fresh = two_factor_steps.recovery_codes_of(new.text)
    assert len(fresh) == 10 and not set(fresh) & set(old)

    later = TestClient(app)
    password_step(later, COORDINATOR)
    assert send_code(later, old[1]).status_code == 422
    assert send_code(later, fresh[1]).status_code == 303
    assert len(list(session.exec(select(RecoveryCode)))) == 10


def test_a_coordinator_cannot_switch_it_off(client, alfa):
    password_step(client, COORDINATOR)
    two_factor_steps.enrol(client, COORDINATOR)
    page = client.get("/account/tweestaps")
    assert "/account/tweestaps/uit" not in page.text
    refused = client.post("/account/tweestaps/uit",
                          data={"csrf_token": two_factor_steps.csrf_of_html(page.text)})
    assert refused.status_code == 409
    assert "verplicht" in refused.text


# --- a board member ---------------------------------------------------------------------------

def test_a_board_member_signs_in_without_it_may_enrol_and_switch_it_off(app, client, alfa):
    response = password_step(client, BOARD)
    assert path_of(response) == "/dashboard"
    assert opens(client, "/account/wachtwoord")  # signed in with the password alone
    account_page = client.get("/account/wachtwoord")
    assert '/account/tweestaps"' in account_page.text

    page = client.get("/account/tweestaps")
    assert "niet verplicht" in page.text
    two_factor_steps.enrol(client, BOARD)

    later = TestClient(app)
    assert path_of(password_step(later, BOARD)) == "/login/code"
    assert send_code(later, two_factor_steps.APPS[BOARD].code()).status_code == 303
    page = later.get("/account/tweestaps")
    off = later.post("/account/tweestaps/uit",
                     data={"csrf_token": two_factor_steps.csrf_of_html(page.text)},
                     follow_redirects=False)
    assert off.status_code == 303
    assert "staat uit" in later.get(off.headers["location"]).text

    third = TestClient(app)
    assert path_of(password_step(third, BOARD)) == "/dashboard"


def test_the_pages_speak_english_for_english_readers(client, alfa):
    client.cookies.set("ks_lang", "en")
    password_step(client, COORDINATOR)
    page = client.get("/account/tweestaps?lang=en")
    assert "Two-step sign-in" in page.text and "Scan this QR code" in page.text
    wrong = client.post("/account/tweestaps", data={
        "csrf_token": two_factor_steps.csrf_of_html(page.text), "code": "12"})
    assert wrong.status_code == 422 and "This code is not right" in wrong.text


# --- the pending cookie -------------------------------------------------------------------------

def test_the_pending_cookie_alone_opens_nothing_and_expires(app, settings, client, alfa):
    password_step(client, COORDINATOR)
    two_factor_steps.enrol(client, COORDINATOR)

    stranger = TestClient(app)
    password_step(stranger, COORDINATOR)
    pending = stranger.cookies.get(PENDING_COOKIE)
    assert not opens(stranger, "/dashboard")
    assert stranger.get("/beheer", follow_redirects=False).status_code == 303
    forged = TestClient(app)
    forged.cookies.set("ks_session", pending)  # not a session, whatever the cookie's name
    assert not opens(forged, "/dashboard")
    assert not opens(forged, "/account/tweestaps")

    class SixMinutesAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 6 * 60

    claim = URLSafeTimedSerializer(settings.secret_key, salt=PENDING_SALT)
    fresh = claim.loads(pending)
    old = URLSafeTimedSerializer(settings.secret_key, salt=PENDING_SALT,
                                 signer=SixMinutesAgo).dumps(fresh)
    late = TestClient(app)
    late.cookies.set(PENDING_COOKIE, old)
    assert path_of(late.get("/login/code", follow_redirects=False)) == "/login"
    answer = send_code(late, two_factor_steps.APPS[COORDINATOR].code())
    assert answer.status_code == 303 and path_of(answer) == "/login"
    assert "ks_session" not in late.cookies


def test_a_password_reset_link_does_not_skip_the_code(app, client, session, settings, alfa):
    """Whoever reads the mailbox gets a new password, not past the app."""
    from api.setup import account_admin, account_links

    password_step(client, COORDINATOR)
    two_factor_steps.enrol(client, COORDINATOR)
    token = account_admin.request_reset(session=session, email=COORDINATOR, client="test",
                                        lang="nl", secret_key=settings.secret_key)
    session.commit()
    plain = account_links.plain_token(settings.secret_key, token)
    mailbox = TestClient(app)
    page = mailbox.get(f"/account/activeren/{plain}")
    chosen = mailbox.post(f"/account/activeren/{plain}", data={
        "csrf_token": two_factor_steps.csrf_of_html(page.text), "password": "een-nieuw-wachtwoord-7",
        "repeat": "een-nieuw-wachtwoord-7"}, follow_redirects=False)
    assert chosen.status_code == 303 and path_of(chosen) == "/login/code"
    assert not opens(mailbox, "/dashboard")
    assert send_code(mailbox, two_factor_steps.APPS[COORDINATOR].code()).status_code == 303
    assert opens(mailbox, f"/beheer/{alfa.slug}/eenheden")


# --- an administrator resets a lost app ---------------------------------------------------------

def test_an_administrator_resets_a_lost_app_and_the_log_says_so(app, client, session, alfa):
    coordinator = TestClient(app)
    password_step(coordinator, COORDINATOR)
    two_factor_steps.enrol(coordinator, COORDINATOR)

    two_factor_steps.after_password(client, ADMIN, password_step(client, ADMIN))
    page = client.get(f"/beheer/{alfa.slug}/accounts")
    target = accounts.find_account(session=session, email=COORDINATOR).id
    session.commit()
    assert f"/accounts/{target}/tweestaps-herstellen" in page.text
    done = client.post(f"/beheer/{alfa.slug}/accounts/{target}/tweestaps-herstellen",
                       data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert done.status_code == 303
    assert "opnieuw in" in client.get(done.headers["location"]).text
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "two_factor_reset")).all()
    assert [event.detail for event in events] == [COORDINATOR]
    session.commit()
    assert not opens(coordinator, "/dashboard")  # every session of the account ended

    again = TestClient(app)
    assert path_of(password_step(again, COORDINATOR)) == "/dashboard"  # no code: enrol anew
    assert path_of(again.get("/beheer", follow_redirects=False)) == "/account/tweestaps"


def test_a_coordinator_cannot_reset_someone_elses_app(app, client, session, alfa):
    board = TestClient(app)
    password_step(board, BOARD)
    two_factor_steps.enrol(board, BOARD)
    two_factor_steps.after_password(client, COORDINATOR, password_step(client, COORDINATOR))
    target = accounts.find_account(session=session, email=BOARD).id
    session.commit()
    refused = client.post(f"/beheer/{alfa.slug}/accounts/{target}/tweestaps-herstellen",
                          data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert refused.status_code == 409
    assert session.get(TwoFactor, target) is not None


def test_switching_it_on_ends_every_other_session_of_the_account_but_not_this_one(app, client,
                                                                                   alfa):
    """Someone who signed in elsewhere with the password alone is signed out the moment the
    owner switches on the second step; the owner's own browser stays signed in."""
    elsewhere = TestClient(app)
    assert path_of(password_step(elsewhere, BOARD)) == "/dashboard"
    assert opens(elsewhere, "/account/wachtwoord")

    assert path_of(password_step(client, BOARD)) == "/dashboard"
    two_factor_steps.enrol(client, BOARD)
    assert opens(client, "/account/wachtwoord")
    assert not opens(elsewhere, "/account/wachtwoord")
