"""Lockout must not be a weapon: whoever knows a board member's address can make the guessing
client locked, never the owner. The policy is in `api.setup.accounts`' docstring."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.platform.models import AccountRole
from api.setup import account_links, accounts
from tests.builders import csrf_of

EMAIL = "voorzitter@slot.nl"
PASSWORD = "een-lang-wachtwoord-42"


@pytest.fixture
def owner(session):
    account = accounts.create_account(session=session, email=EMAIL, password=PASSWORD,
                                      role=AccountRole.bestuur)
    session.commit()
    return account


def browser(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def login(client: TestClient, password: str, email: str = EMAIL) -> int:
    return client.post("/login", data={"csrf_token": csrf_of(client), "email": email,
                                       "password": password}, follow_redirects=False).status_code


def test_a_guesser_is_stopped_but_the_owner_gets_in_from_another_client(app, owner):
    with browser(app, "203.0.113.66") as attacker, browser(app, "198.51.100.7") as owners:
        statuses = [login(attacker, f"gok-{n}") for n in range(10)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        # the owner, from a client that has not been guessing: in, despite the address's lock
        assert login(owners, PASSWORD) == 303
        assert owners.get("/dashboard", follow_redirects=False).status_code != 303
        # the guessing client stays stopped, the right password or not
        assert login(attacker, PASSWORD) == 429


def test_while_an_address_is_locked_a_new_client_gets_one_checked_attempt(app, owner):
    with browser(app, "203.0.113.66") as attacker, browser(app, "203.0.113.99") as second:
        for n in range(6):
            login(attacker, f"gok-{n}")
        assert login(second, "nog-een-gok") == 401  # checked once, and counted
        assert login(second, PASSWORD) == 429  # now it is a guessing client of this address


def test_a_reset_link_lifts_the_lock_on_the_address(app, session, owner, settings):
    """The owner mistyped once while an attacker locked the address: their own client now counts
    as guessing and is refused. The reset link proves they hold the mailbox and lifts the lock."""
    with browser(app, "203.0.113.66") as attacker, browser(app, "198.51.100.7") as owners:
        for n in range(6):
            login(attacker, f"gok-{n}")
        assert login(owners, "een-lang-wachtwoord-24") == 401  # a typo, counted
        assert login(owners, PASSWORD) == 429

        token = account_links.issue(session, account=owner, purpose="reset",
                                    secret_key=settings.secret_key)
        session.commit()
        plain = account_links.plain_token(settings.secret_key, token)
        done = owners.post(f"/account/activeren/{plain}", data={
            "csrf_token": csrf_of(owners), "password": "een-nieuw-wachtwoord-7",
            "repeat": "een-nieuw-wachtwoord-7"}, follow_redirects=False)
        assert done.status_code == 303, done.text[:500]

        assert login(attacker, "een-nieuw-wachtwoord-7") == 429  # the guesser stays stopped
    with browser(app, "198.51.100.7") as owners_again:
        assert login(owners_again, "een-nieuw-wachtwoord-7") == 303
