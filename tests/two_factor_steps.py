"""The second step of a sign-in, done the way a person with an authenticator app does it.

When a page asks to enrol, the helper reads the secret from the page (as someone typing it into
their app would) and keeps it with the recovery codes shown; when the login asks for a code, it
computes one with `pyotp`. A code is never accepted twice for the same 30-second step, so a test
that signs in the same account again within one step uses the next step's code (the server
allows one step of clock drift), and after that a recovery code, as a person would.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyotp
from bs4 import BeautifulSoup

STEP = 30


@dataclass
class App:
    """One person's authenticator app and the paper with their recovery codes."""

    secret: str
    recovery: list[str] = field(default_factory=list)
    last_step: int = 0

    def code(self) -> str:
        """A code not used before, or else a recovery code."""
        now = int(time.time()) // STEP
        for step in (now, now + 1):
            if step > self.last_step:
                self.last_step = step
                return pyotp.TOTP(self.secret).generate_otp(step)
        return self.recovery.pop()


APPS: dict[str, App] = {}  # by e-mail address; emptied before every test (tests/conftest.py)


def forget_all() -> None:
    APPS.clear()


def secret_of(html: str) -> str:
    return re.sub(r"\s+", "", BeautifulSoup(html, "html.parser").select_one("#secret").text)


def recovery_codes_of(html: str) -> list[str]:
    return [c.text.strip() for c in BeautifulSoup(html, "html.parser").select("ol.codes code")]


def csrf_of_html(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one('input[name="csrf_token"]')["value"]


# --- with the TestClient ---------------------------------------------------------------------

def enrol(client, email: str, next_: str = "") -> App:
    """Switch on two-step sign-in from the enrolment page; the app is remembered."""
    page = client.get("/account/tweestaps" + (f"?next={next_}" if next_ else ""))
    assert page.status_code == 200, page.text
    app = App(secret=secret_of(page.text))
    APPS[email.strip().lower()] = app
    done = client.post("/account/tweestaps", data={
        "csrf_token": csrf_of_html(page.text), "code": app.code(), "next": next_})
    assert done.status_code == 200, done.text
    app.recovery = recovery_codes_of(done.text)
    assert len(app.recovery) == 10
    return app


def pass_code(client, email: str, response):
    """Answer the code page the login sent us to; returns the code post's response."""
    app = APPS[email.strip().lower()]
    page = client.get(response.headers["location"])
    assert page.status_code == 200, page.text
    target = BeautifulSoup(page.text, "html.parser").select_one('input[name="next"]')["value"]
    answer = client.post("/login/code", data={"csrf_token": csrf_of_html(page.text),
                                              "code": app.code(), "next": target},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer


def after_password(client, email: str, response):
    """After a login post: the code if asked, and enrolment if the admin area asks for it."""
    if urlsplit(response.headers.get("location", "")).path == "/login/code":
        return pass_code(client, email, response)
    probe = client.get("/beheer", follow_redirects=False)
    if probe.status_code == 303 and urlsplit(probe.headers["location"]).path == "/account/tweestaps":
        enrol(client, email)
    return response


# --- in a browser ----------------------------------------------------------------------------

def code_in_browser(page, email: str) -> None:
    """On the code page after a right password: type the app's code and send it."""
    page.locator("#code").fill(APPS[email.strip().lower()].code())
    with page.expect_navigation():
        page.locator("form.login button[type=submit]").click()


def enrol_in_browser(page, email: str, look=None) -> App:
    """On the enrolment page: type the key shown into the app, send its first code, save the
    recovery codes and continue. `look(page, what)` may look at each page on the way."""
    app = App(secret=re.sub(r"\s+", "", page.locator("#secret").inner_text()))
    APPS[email.strip().lower()] = app
    page.locator("#code").fill(app.code())
    with page.expect_navigation():
        page.locator("form.login button[type=submit]").click()
    app.recovery = [code.strip() for code in page.locator("ol.codes code").all_inner_texts()]
    assert len(app.recovery) == 10, page.url
    if look:
        look(page, "recovery codes")
    with page.expect_navigation():
        page.locator(".recovery-codes a.button").click()
    return app


def in_browser(page, email: str, look=None) -> None:
    """After the login form was sent: the code page or the enrolment page, as a person would."""
    page.wait_for_load_state()
    if "/login/code" in page.url:
        if look:
            look(page, "code")
        code_in_browser(page, email)
    elif "/account/tweestaps" in page.url:
        if look:
            look(page, "enrol")
        enrol_in_browser(page, email, look)


def sign_in_in_browser(page, email: str, password: str, look=None) -> None:
    """On the login page: the password, then whatever second step is asked."""
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form.login button[type=submit]").click()
    in_browser(page, email, look)
