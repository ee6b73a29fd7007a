"""Logging in and out of the board's dashboard: the session cookie, CSRF, `next`, and throttling.

Most stories go through the real pages with the TestClient (a browser without JavaScript). The
lock-out timing is checked at the service level too, where `accounts.authenticate(now=...)` lets
the test move the clock instead of waiting.
"""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import select

from api.platform.models import Account, AccountRole, LoginAttempt, utcnow
from api.setup import accounts
from tests.builders import make_institution, make_round

PASSWORD = "correct-horse-battery"
WRONG_LOGIN_NL = "Het e-mailadres of het wachtwoord klopt niet."
TOO_MANY_NL = "Er is te vaak een verkeerd wachtwoord gebruikt."
CSRF_TITLE_NL = "Formulier verlopen"


@dataclass(frozen=True)
class Board:
    email: str
    password: str
    account_id: int
    slug: str

    @property
    def dashboard(self) -> str:
        return f"/dashboard/{self.slug}"


# --- fixtures and helpers -----------------------------------------------------------------------

@pytest.fixture
def board(session, catalog) -> Board:
    """A board member of one institution with an open round; nothing left uncommitted."""
    institution = make_institution(session, name="ROC Testland")
    make_round(session, catalog, institution)
    account = accounts.create_account(session=session, email="Bestuur@Testland.nl",
                                      password=PASSWORD, role=AccountRole.bestuur,
                                      name="Bestuur", institutions=[institution])
    session.commit()  # no open (on SQLite: write-locking) transaction while the app works
    return Board(email="bestuur@testland.nl", password=PASSWORD, account_id=account.id,
                 slug=institution.slug)


def csrf_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def post_login(client: TestClient, email: str, password: str, *, next: str | None = None,
               token: str | None = None):
    data = {"email": email, "password": password}
    if token is not False:
        data["csrf_token"] = token if token is not None else csrf_token(client)
    if next is not None:
        data["next"] = next
    return client.post("/login", data=data, follow_redirects=False)


def set_cookies(response) -> dict[str, str]:
    """The Set-Cookie headers of a response, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}


def error_text(html: str) -> str:
    """The message of the login page's error summary (its heading left out)."""
    message = BeautifulSoup(html, "html.parser").select_one(".error-summary p")
    return message.text.strip() if message else ""


def email_field(html: str) -> str:
    return re.search(r'<input id="email"[^>]*value="([^"]*)"', html).group(1)


def password_field(html: str) -> str:
    return re.search(r'<input id="password"[^>]*>', html).group(0)


def assert_login_redirect(response, next_path: str) -> None:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert f"next={next_path.replace('/', '%2F')}" in location.query


def logged_in(client: TestClient, board: Board) -> bool:
    response = client.get(board.dashboard, follow_redirects=False)
    if response.status_code == 200:
        return True
    assert_login_redirect(response, board.dashboard)
    return False


def attempts(session) -> list[LoginAttempt]:
    rows = list(session.exec(select(LoginAttempt)))
    session.commit()
    return rows


# --- logging in and out -------------------------------------------------------------------------

def test_a_board_member_logs_in_lands_on_the_page_asked_for_and_logs_out_again(client, board):
    # Not logged in: the dashboard sends the reader to the login page, remembering where to go.
    response = client.get(board.dashboard, follow_redirects=False)
    assert_login_redirect(response, board.dashboard)
    login_page = client.get(response.headers["location"])
    assert login_page.status_code == 200
    assert f'name="next" value="{board.dashboard}"' in login_page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)

    # The e-mail address is not case sensitive and may carry spaces.
    response = post_login(client, "  BESTUUR@testland.nl ", PASSWORD, next=board.dashboard,
                          token=token)
    assert response.status_code == 303
    assert response.headers["location"] == board.dashboard
    cookie = set_cookies(response)["ks_session"]
    flags = cookie_attributes(cookie)
    assert {"httponly", "samesite", "path"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # plain http here; see the https test below
    assert PASSWORD not in cookie

    dashboard = client.get(board.dashboard)
    assert dashboard.status_code == 200
    assert "ROC Testland" in dashboard.text
    assert board.email in dashboard.text  # the header names who is logged in
    assert dashboard.headers["cache-control"] == "private, no-store"

    # Logging out needs the form's token; afterwards the dashboard asks for a login again.
    response = client.post("/logout", data={"csrf_token": csrf_token(client, board.dashboard)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == "/login"
    removed = set_cookies(response)["ks_session"]
    assert "max-age=0" in removed.lower()
    assert "ks_session" not in client.cookies
    assert not logged_in(client, board)


def test_without_next_a_board_member_with_one_institution_goes_to_its_dashboard(client, board):
    response = post_login(client, board.email, PASSWORD)
    assert response.headers["location"] == "/dashboard"
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == board.dashboard


def test_the_query_of_the_asked_page_survives_the_login(client, board):
    asked = f"{board.dashboard}?sort=n&order=desc"
    response = client.get(asked, follow_redirects=False)
    assert response.status_code == 303
    login_page = client.get(response.headers["location"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
    target = re.search(r'name="next" value="([^"]*)"', login_page.text).group(1)
    response = post_login(client, board.email, PASSWORD, next=target.replace("&amp;", "&"),
                          token=token)
    assert response.headers["location"] == asked


def test_over_https_the_cookies_are_marked_secure(app, board):
    with TestClient(app, base_url="https://testserver") as client:
        token = csrf_token(client)
        response = post_login(client, board.email, PASSWORD, next=board.dashboard, token=token)
        assert response.status_code == 303
        cookie = set_cookies(response)["ks_session"]
        assert {"secure", "httponly"} <= cookie_attributes(cookie)
        assert "samesite=lax" in cookie.lower()
        assert client.get(board.dashboard).status_code == 200
    with TestClient(app, base_url="https://testserver") as other:
        first = other.get("/login")
        assert {"secure", "httponly"} <= cookie_attributes(set_cookies(first)["ks_csrf"])


def test_passwords_are_stored_as_argon2_hashes_never_plain(session, board):
    account = session.get(Account, board.account_id)
    session.commit()
    assert account.password_hash.startswith("$argon2")
    assert PASSWORD not in account.password_hash
    assert account.email == board.email  # stored normalised
    assert accounts.authenticate(session=session, email=board.email, password=PASSWORD,
                                 client="10.0.0.1").id == board.account_id


# --- wrong credentials --------------------------------------------------------------------------

def test_a_wrong_password_and_an_unknown_email_get_one_and_the_same_answer(client, board):
    token = csrf_token(client)
    wrong_password = post_login(client, board.email, "not-the-password", token=token)
    unknown_email = post_login(client, "nobody@testland.nl", PASSWORD, token=token)

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert error_text(response.text) == WRONG_LOGIN_NL
        assert "ks_session" not in set_cookies(response)
        assert 'type="password"' in password_field(response.text)
        assert "value=" not in password_field(response.text)  # the password is never sent back
    assert "not-the-password" not in wrong_password.text
    assert PASSWORD not in unknown_email.text
    assert email_field(wrong_password.text) == board.email  # the e-mail stays filled in
    assert email_field(unknown_email.text) == "nobody@testland.nl"
    # Apart from the typed address the two pages are identical: nothing tells which was wrong.
    assert (wrong_password.text.replace(board.email, "EMAIL")
            == unknown_email.text.replace("nobody@testland.nl", "EMAIL"))
    assert "ks_session" not in client.cookies


def test_the_wrong_login_message_is_in_english_for_english_readers(client, board):
    token = csrf_token(client, "/login?lang=en")
    response = post_login(client, board.email, "not-the-password", token=token)
    assert response.status_code == 401
    assert error_text(response.text) == "The e-mail address or password is not right."


def test_the_typed_email_is_escaped_when_shown_again(client, board):
    response = post_login(client, '"><script>alert(1)</script>@x.nl', PASSWORD)
    assert response.status_code == 401
    assert "<script>alert(1)</script>" not in response.text


# --- throttling ---------------------------------------------------------------------------------

def test_five_failures_lock_the_guessing_client_out_even_with_the_right_password(client, session,
                                                                                board):
    token = csrf_token(client)
    for _ in range(5):
        response = post_login(client, board.email, "not-the-password", token=token)
        assert response.status_code == 401
        assert error_text(response.text) == WRONG_LOGIN_NL

    locked = post_login(client, board.email.upper(), PASSWORD, next=board.dashboard, token=token)
    assert locked.status_code == 429
    retry_after = int(locked.headers["retry-after"])
    assert 1 <= retry_after <= 31
    assert error_text(locked.text).startswith(TOO_MANY_NL)
    assert "1 minuut" in error_text(locked.text)
    assert "ks_session" not in set_cookies(locked)
    assert email_field(locked.text) == board.email.upper()

    # The lock ends (moved into the past here instead of waiting 30 s): the right password works
    # again and the counter for this account name starts from zero.
    rows = {row.key.split(":")[0]: row for row in attempts(session)}
    assert rows["email"].failures == 5 and rows["ip"].failures == 5
    assert rows["pair"].failures == 5  # this client guessed this name
    assert board.email not in rows["email"].key + rows["pair"].key  # only hashes are kept
    for kind in ("email", "pair"):
        rows[kind].locked_until = utcnow() - timedelta(seconds=1)
        session.add(rows[kind])
    session.commit()

    response = post_login(client, board.email, PASSWORD, next=board.dashboard, token=token)
    assert response.status_code == 303
    assert response.headers["location"] == board.dashboard
    assert [row.key.split(":")[0] for row in attempts(session)] == ["ip"]
    assert client.get(board.dashboard).status_code == 200
    for _ in range(4):
        assert post_login(client, board.email, "not-the-password", token=token).status_code == 401


def test_the_locked_page_is_titled_too_many_attempts(client, board):
    token = csrf_token(client)
    for _ in range(5):
        post_login(client, board.email, "not-the-password", token=token)
    locked = post_login(client, board.email, PASSWORD, token=token)
    assert locked.status_code == 429
    assert "Te veel pogingen" in locked.text


def test_failures_for_one_email_do_not_lock_another(client, session, board):
    other = accounts.create_account(session=session, email="voorzitter@testland.nl",
                                    password=PASSWORD, role=AccountRole.bestuur)
    session.commit()
    token = csrf_token(client)
    for _ in range(5):
        post_login(client, board.email, "not-the-password", token=token)
    assert post_login(client, board.email, PASSWORD, token=token).status_code == 429
    response = post_login(client, other.email, PASSWORD, token=token)
    assert response.status_code == 303
    assert "ks_session" in set_cookies(response)


def test_the_lock_grows_with_every_further_failure_and_ends_on_its_own(session, board):
    """Service level, with a moved clock: 30 s after 5 failures, then 60 s, then 120 s."""
    t0, client_ip = utcnow(), "192.0.2.7"

    def attempt(at: timedelta, password: str):
        return accounts.authenticate(session=session, email=board.email, password=password,
                                     client=client_ip, now=t0 + at)

    for second in range(5):
        with pytest.raises(accounts.LoginFailed):
            attempt(timedelta(seconds=second), "not-the-password")
    session.expire_all()  # read the counters back from the database, not from this session

    with pytest.raises(accounts.TooManyAttempts) as locked:
        attempt(timedelta(seconds=5), PASSWORD)
    assert locked.value.status_code == 429
    assert locked.value.params["retry_after"] == 30  # locked at 4 s for 30 s: 29 s left, +1
    with pytest.raises(accounts.TooManyAttempts):
        attempt(timedelta(seconds=33), PASSWORD)

    # After the lock a sixth failure locks for 60 s, a seventh for 120 s.
    with pytest.raises(accounts.LoginFailed):
        attempt(timedelta(seconds=35), "not-the-password")
    with pytest.raises(accounts.TooManyAttempts) as locked:
        attempt(timedelta(seconds=35), PASSWORD)
    assert locked.value.params["retry_after"] == 61
    with pytest.raises(accounts.LoginFailed):
        attempt(timedelta(seconds=96), "not-the-password")
    with pytest.raises(accounts.TooManyAttempts) as locked:
        attempt(timedelta(seconds=100), PASSWORD)
    assert locked.value.params["retry_after"] == 117
    assert locked.value.params["minutes"] == 2

    # Once the lock is over the right password works and wipes this address's counter.
    assert attempt(timedelta(seconds=217), PASSWORD).id == board.account_id
    session.expire_all()
    assert session.get(LoginAttempt, accounts._attempt_keys(board.email, client_ip)["email"]) is None
    for second in range(218, 222):
        with pytest.raises(accounts.LoginFailed):
            attempt(timedelta(seconds=second), "not-the-password")
    assert attempt(timedelta(seconds=223), PASSWORD).id == board.account_id
    session.commit()


def test_the_lock_never_exceeds_fifteen_minutes(session, board):
    """However many failures there were within the window, one lock lasts at most 15 minutes."""
    t0 = utcnow()
    keys = accounts._attempt_keys(board.email, "192.0.2.8")
    session.add(LoginAttempt(key=keys["email"], failures=30, first_failure_at=t0))
    session.commit()
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(session=session, email=board.email, password="not-the-password",
                              client="192.0.2.8", now=t0 + timedelta(seconds=1))
    with pytest.raises(accounts.TooManyAttempts) as locked:
        accounts.authenticate(session=session, email=board.email, password=PASSWORD,
                              client="192.0.2.8", now=t0 + timedelta(seconds=1))
    assert locked.value.params["retry_after"] == 15 * 60 + 1
    assert locked.value.params["minutes"] == 15
    session.commit()


def test_failures_older_than_fifteen_minutes_are_forgotten(session, board):
    t0 = utcnow()
    for second in range(4):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(session=session, email=board.email, password="wrong",
                                  client="192.0.2.9", now=t0 + timedelta(seconds=second))
    later = t0 + timedelta(minutes=16)
    with pytest.raises(accounts.LoginFailed):  # would have been the fifth: no lock
        accounts.authenticate(session=session, email=board.email, password="wrong",
                              client="192.0.2.9", now=later)
    assert accounts.authenticate(session=session, email=board.email, password=PASSWORD,
                                 client="192.0.2.9", now=later).id == board.account_id
    session.commit()


def test_one_address_is_locked_after_twenty_failures_across_account_names(session, board):
    t0, client_ip = utcnow(), "198.51.100.20"
    for n in range(20):  # four guesses each at five names: no name reaches its own limit
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(session=session, email=f"guess{n % 5}@testland.nl",
                                  password="wrong", client=client_ip,
                                  now=t0 + timedelta(seconds=n))
    session.expire_all()
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(session=session, email=board.email, password=PASSWORD,
                              client=client_ip, now=t0 + timedelta(seconds=21))
    # The same board member from another address is not affected.
    assert accounts.authenticate(session=session, email=board.email, password=PASSWORD,
                                 client="198.51.100.21", now=t0 + timedelta(seconds=21)).id
    session.commit()


# --- CSRF ---------------------------------------------------------------------------------------

def _assert_csrf_refused(response) -> None:
    assert response.status_code == 403
    assert f"<h1>{CSRF_TITLE_NL}</h1>" in response.text
    assert "ks_session" not in set_cookies(response)


@pytest.mark.parametrize("how", ["missing", "forged", "other_browser", "no_cookie"])
def test_a_login_post_without_the_pages_token_is_refused(app, client, session, board, how):
    token = csrf_token(client)
    if how == "missing":
        response = post_login(client, board.email, PASSWORD, token=False)
    elif how == "forged":
        response = post_login(client, board.email, PASSWORD, token="0" * 64)
    elif how == "other_browser":
        with TestClient(app) as attacker:
            attackers_token = csrf_token(attacker)
        assert attackers_token != token
        response = post_login(client, board.email, PASSWORD, token=attackers_token)
    else:
        client.cookies.clear()
        response = post_login(client, board.email, PASSWORD, token=token)
    _assert_csrf_refused(response)
    assert "ks_session" not in client.cookies
    assert not logged_in(client, board)
    assert attempts(session) == []  # a refused form is not even counted as a failed login


def test_logout_without_the_token_is_refused_and_the_member_stays_logged_in(client, board):
    assert post_login(client, board.email, PASSWORD).status_code == 303
    response = client.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert f"<h1>{CSRF_TITLE_NL}</h1>" in response.text
    assert "ks_session" not in set_cookies(response)
    response = client.post("/logout", data={"csrf_token": "f" * 64}, follow_redirects=False)
    assert response.status_code == 403
    assert logged_in(client, board)


# --- where `next` may lead ----------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example", "//evil.example/dashboard", "http:/evil.example",
    "/\\evil.example", "/\t/evil.example", "javascript:alert(1)", "dashboard", "",
])
def test_next_never_leads_off_the_site(client, board, target):
    login_page = client.get("/login", params={"next": target})
    assert 'name="next" value="/' in login_page.text
    response = post_login(client, board.email, PASSWORD, next=target)
    assert response.status_code == 303
    location = response.headers["location"]
    resolved = urlsplit(urljoin("http://testserver/login", location.replace("\\", "/")))
    assert (resolved.scheme, resolved.netloc) == ("http", "testserver"), location
    assert location.startswith("/") and not location.startswith("//")
    if "\\" not in target:
        assert location == "/dashboard"


def test_next_keeps_a_path_on_this_site(client, board):
    response = post_login(client, board.email, PASSWORD, next=f"{board.dashboard}?sort=n")
    assert response.headers["location"] == f"{board.dashboard}?sort=n"


# --- the session cookie -------------------------------------------------------------------------

def _session_cookie(client: TestClient) -> str:
    return client.cookies["ks_session"]


def set_session_cookie(client: TestClient, value: str) -> None:
    client.cookies.delete("ks_session")
    client.cookies.set("ks_session", value)


def test_a_tampered_session_cookie_counts_as_logged_out(client, board):
    assert post_login(client, board.email, PASSWORD).status_code == 303
    good = _session_cookie(client)
    payload, timestamp, signature = good.split(".")
    # Another account's id with the old signature: {"a": <other id>, "v": 1}.
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({"a": board.account_id + 1, "v": 1}, separators=(",", ":")).encode()
    ).decode().rstrip("=")
    # Change the signature's first character: its last one carries bits base64 ignores, so a
    # change there can decode to the very same signature.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (f"{payload}.{timestamp}.{flipped}", f"{forged_payload}.{timestamp}.{signature}",
                "garbage", good + "x"):
        set_session_cookie(client, bad)
        assert not logged_in(client, board), bad
    set_session_cookie(client, good)
    assert logged_in(client, board)


def test_a_session_cookie_signed_with_another_key_counts_as_logged_out(client, board):
    foreign = URLSafeTimedSerializer("another-secret", salt="ks-session").dumps(
        {"a": board.account_id, "v": 1})
    set_session_cookie(client, foreign)
    assert not logged_in(client, board)


def test_an_expired_session_cookie_counts_as_logged_out(client, settings, board):
    class ThirteenHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 13 * 3600

    def cookie(signer) -> str:
        return URLSafeTimedSerializer(settings.secret_key, salt="ks-session", signer=signer).dumps(
            {"a": board.account_id, "v": 1})

    set_session_cookie(client, cookie(TimestampSigner))
    assert logged_in(client, board)  # a freshly signed cookie is accepted: the recipe is right
    set_session_cookie(client, cookie(ThirteenHoursAgo))
    assert not logged_in(client, board)


def test_raising_the_session_version_signs_out_existing_sessions(app, client, session, board):
    assert post_login(client, board.email, PASSWORD).status_code == 303
    with TestClient(app) as phone:
        assert post_login(phone, board.email, PASSWORD).status_code == 303
        assert logged_in(phone, board)
        account = session.get(Account, board.account_id)
        account.session_version += 1
        session.add(account)
        session.commit()
        assert not logged_in(phone, board)
    assert not logged_in(client, board)
    assert post_login(client, board.email, PASSWORD).status_code == 303  # a new login works
    assert logged_in(client, board)


def test_a_session_for_an_unknown_account_id_counts_as_logged_out(client, settings, board):
    assert post_login(client, board.email, PASSWORD).status_code == 303
    set_session_cookie(client, URLSafeTimedSerializer(settings.secret_key, salt="ks-session").dumps(
        {"a": 999_999, "v": 1}))
    assert not logged_in(client, board)


# --- concurrency --------------------------------------------------------------------------------

def test_parallel_guesses_get_no_more_than_five_answers_and_no_server_errors(request, app, settings,
                                                                              board):
    """Twenty wrong passwords sent at once for one account name: at most five may be checked
    (401), the rest must be refused (429); none may crash the app."""
    with TestClient(app, raise_server_exceptions=False) as client:
        token = csrf_token(client)

        def guess(n: int) -> int:
            return post_login(client, board.email, f"guess-{n}", token=token).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = sorted(pool.map(guess, range(20)))
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 5, statuses
