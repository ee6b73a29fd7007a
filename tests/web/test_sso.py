"""Signing in with SURFconext (any OpenID provider), as the people using it meet it: a board
member of a connected institution presses the button, signs in at the provider and lands on
the dashboard; an existing account is found by its e-mail address and keeps its role; someone of
an unknown domain gets a clear page and no account; a sign-in whose state, nonce, PKCE verifier,
issuer or expiry does not hold is refused and stores nothing; an institution that switched
password sign-in off sends its people to the button.

The provider is real (tests/oidc_provider.py): the app fetches its discovery document and keys
and trades codes at its token endpoint over loopback HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import delete, select

from api.platform.models import Account, AccountInstitution, AccountRole, AuditEvent, SsoDomain
from api.setup import account_admin, accounts, sso
from tests.builders import (
    csrf_of,
    make_account,
    make_institution,
    set_sign_in_policy,
    web_login,
)
from tests.oidc_provider import Provider, running_provider

DOMAIN = "hs-rivierenland.nl"
PASSWORD = "een-lang-wachtwoord-42"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def settings(settings, provider: Provider):
    return settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret})


@pytest.fixture
def rivierenland(session):
    institution = make_institution(session, "Hogeschool Rivierenland")
    set_sign_in_policy(session, institution, domains=[DOMAIN])
    return institution


def start(client: TestClient) -> str:
    """The login page's button: the provider's authorization URL."""
    page = BeautifulSoup(client.get("/login").text, "html.parser")
    button = page.select_one("a#sso-button")
    assert button is not None and "SURFconext" in button.text
    response = client.get(button["href"], follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def come_back(client: TestClient, location: str):
    parts = urlsplit(location)
    assert parts.path == "/login/sso/terug"
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def sign_in(client: TestClient, provider: Provider, email: str, *, authorize_url: str | None = None):
    return come_back(client, provider.approve(authorize_url or start(client), email))


def with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def refusal(response) -> str:
    return BeautifulSoup(response.text, "html.parser").select_one("h1").text


def accounts_named(session, email: str) -> list[tuple]:
    """(id, role, name) of the stored accounts with this address; the test's read ends here,
    so the app's next write does not wait for it."""
    session.expire_all()
    found = [(a.id, a.role, a.name) for a in session.exec(select(Account).where(
        Account.email == email))]
    session.rollback()
    return found


def actions_of(session, account_id: int) -> list[str]:
    actions = list(session.exec(select(AuditEvent.action).where(
        AuditEvent.account_id == account_id).order_by(AuditEvent.id)))
    session.rollback()
    return actions


def test_a_board_member_of_a_connected_institution_signs_in_and_lands_on_the_dashboard(
        client, session, provider, rivierenland):
    provider.add_user("an.bakker@hs-rivierenland.nl", name="An Bakker",
                      schac_home_organization=DOMAIN)
    authorize_url = start(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0] and "openid" in query["scope"][0].split()
    assert urlsplit(authorize_url).netloc == urlsplit(provider.issuer).netloc

    response = sign_in(client, provider, "an.bakker@hs-rivierenland.nl",
                       authorize_url=authorize_url)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    dashboard = client.get("/dashboard", follow_redirects=False)  # the one it is granted
    assert dashboard.headers["location"].endswith(f"/dashboard/{rivierenland.slug}")
    # (the page itself is drawn in tests/web/test_accessibility.py, in a browser)

    ((account_id, role, name),) = accounts_named(session, "an.bakker@hs-rivierenland.nl")
    assert (role, name) == (AccountRole.bestuur, "An Bakker")
    assert session.exec(select(AccountInstitution.institution_id).where(
        AccountInstitution.account_id == account_id)).all() == [rivierenland.id]
    assert actions_of(session, account_id) == ["sso_account_created"]
    stored = accounts.find_account(session=session, email="an.bakker@hs-rivierenland.nl")
    assert accounts.account_status(stored) == "active"  # not waiting for an invitation
    assert not accounts.check_password(stored, accounts.SSO_ONLY)  # and no password opens it
    session.rollback()
    assert client.get("/beheer").status_code == 404  # a board member runs no rounds

    client.cookies.clear()  # next time: the same account, signed in again
    assert sign_in(client, provider, "an.bakker@hs-rivierenland.nl").status_code == 303
    assert len(accounts_named(session, "an.bakker@hs-rivierenland.nl")) == 1


def test_an_existing_password_account_is_found_by_its_address_and_keeps_its_role(
        client, session, provider, rivierenland):
    make_account(session, "coordinator@hs-rivierenland.nl", AccountRole.coordinator,
                 [rivierenland])
    provider.add_user("Coordinator@HS-Rivierenland.nl", schac_home_organization=DOMAIN)
    response = sign_in(client, provider, "Coordinator@HS-Rivierenland.nl")
    assert response.status_code == 303
    ((account_id, role, _name),) = accounts_named(session, "coordinator@hs-rivierenland.nl")
    assert role == AccountRole.coordinator
    # the provider did the multi-factor step: the admin area opens without the app's codes
    assert client.get(f"/beheer/{rivierenland.slug}").status_code == 200
    assert actions_of(session, account_id) == ["sso_sign_in"]


def test_someone_of_an_unknown_domain_gets_a_clear_page_and_no_account(
        client, session, provider, rivierenland):
    provider.add_user("iemand@elders.nl", schac_home_organization="elders.nl")
    response = sign_in(client, provider, "iemand@elders.nl")
    assert response.status_code == 403
    assert refusal(response) == "Je instelling gebruikt Kennisster (nog) niet"
    assert "elders.nl" in response.text
    assert accounts_named(session, "iemand@elders.nl") == []
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # to the login


def test_lacking_the_institution_claim_the_e_mail_domain_decides(
        client, session, provider, rivierenland):
    provider.add_user("geen.claim@hs-rivierenland.nl")
    assert sign_in(client, provider, "geen.claim@hs-rivierenland.nl").status_code == 303
    assert len(accounts_named(session, "geen.claim@hs-rivierenland.nl")) == 1


def test_a_blocked_account_or_an_unverified_address_is_refused(
        client, session, provider, rivierenland):
    make_account(session, "weg@hs-rivierenland.nl", AccountRole.bestuur, [rivierenland])
    account = accounts.find_account(session=session, email="weg@hs-rivierenland.nl")
    account_admin.revoke_account(session=session, actor=None, account_id=account.id)
    provider.add_user("weg@hs-rivierenland.nl", schac_home_organization=DOMAIN)
    response = sign_in(client, provider, "weg@hs-rivierenland.nl")
    assert response.status_code == 403 and refusal(response) == "Account geblokkeerd"

    provider.add_user("niet.bevestigd@hs-rivierenland.nl", email_verified=False,
                      schac_home_organization=DOMAIN)
    response = sign_in(client, provider, "niet.bevestigd@hs-rivierenland.nl")
    assert response.status_code == 400 and refusal(response) == "E-mailadres niet bevestigd"
    assert accounts_named(session, "niet.bevestigd@hs-rivierenland.nl") == []


def test_a_tampered_or_missing_state_is_refused(client, session, provider, rivierenland):
    provider.add_user("staat@hs-rivierenland.nl", schac_home_organization=DOMAIN)
    back = provider.approve(start(client), "staat@hs-rivierenland.nl")
    tampered = come_back(client, with_param(back, state="iets-anders"))
    assert tampered.status_code == 400 and refusal(tampered) == "Inloggen niet gelukt"

    back = provider.approve(start(client), "staat@hs-rivierenland.nl")
    with TestClient(client.app) as other_browser:  # the callback without the started sign-in
        assert come_back(other_browser, back).status_code == 400
    assert accounts_named(session, "staat@hs-rivierenland.nl") == []


def test_the_provider_refuses_a_code_without_the_right_pkce_verifier(
        client, session, provider, rivierenland):
    provider.add_user("pkce@hs-rivierenland.nl", schac_home_organization=DOMAIN)
    # someone swaps the challenge: the app's verifier no longer matches the code
    response = sign_in(client, provider, "pkce@hs-rivierenland.nl",
                       authorize_url=with_param(start(client), code_challenge="A" * 43))
    assert response.status_code == 400
    assert "weigerde de inlogcode" in response.text
    assert accounts_named(session, "pkce@hs-rivierenland.nl") == []


def test_an_id_token_with_another_nonce_is_refused(client, session, provider, rivierenland):
    provider.add_user("nonce@hs-rivierenland.nl", schac_home_organization=DOMAIN)
    response = sign_in(client, provider, "nonce@hs-rivierenland.nl",
                       authorize_url=with_param(start(client), nonce="een-andere-nonce"))
    assert response.status_code == 400
    assert "hoort niet bij dit inloggen" in response.text
    assert accounts_named(session, "nonce@hs-rivierenland.nl") == []


def test_an_expired_id_token_is_refused(client, session, provider, rivierenland, monkeypatch):
    provider.add_user("laat@hs-rivierenland.nl", schac_home_organization=DOMAIN)
    authorize_url = start(client)
    monkeypatch.setattr(sso, "_now", lambda: int(time.time()) + 2 * 3600)  # the token: 1 hour
    response = sign_in(client, provider, "laat@hs-rivierenland.nl", authorize_url=authorize_url)
    assert response.status_code == 400 and refusal(response) == "Inloggen verlopen"
    assert accounts_named(session, "laat@hs-rivierenland.nl") == []


def test_a_provider_that_names_another_issuer_is_refused(app, provider):
    app.state.settings = app.state.settings.model_copy(
        update={"oidc_issuer": provider.issuer + "/ander"})
    with TestClient(app) as client:
        response = client.get("/login/sso", follow_redirects=False)
    assert response.status_code == 400 and refusal(response) == "Verkeerde inlogdienst"


def test_password_sign_in_off_sends_the_institutions_people_to_the_button(
        client, session, provider, rivierenland):
    make_account(session, "bestuur@hs-rivierenland.nl", AccountRole.bestuur, [rivierenland])
    make_account(session, "admin@kennisster.test", AccountRole.admin, [rivierenland])
    set_sign_in_policy(session, rivierenland, domains=[DOMAIN], password_off=True)

    def password(email: str):
        return client.post("/login", data={"csrf_token": csrf_of(client), "email": email,
                                           "password": PASSWORD}, follow_redirects=False)

    refused = password("bestuur@hs-rivierenland.nl")
    assert refused.status_code == 403
    page = BeautifulSoup(refused.text, "html.parser")
    assert "wachtwoord uit" in page.select_one("#errors").text
    assert page.select_one("a#sso-button") is not None
    assert password("admin@kennisster.test").status_code == 303  # the installation's admin
    client.cookies.clear()
    assert account_admin.request_reset(session=session, email="bestuur@hs-rivierenland.nl",
                                       client="test", lang="nl",
                                       secret_key="test-secret-key-not-for-production") is None
    provider.add_user("bestuur@hs-rivierenland.nl", schac_home_organization=DOMAIN)
    assert sign_in(client, provider, "bestuur@hs-rivierenland.nl").status_code == 303


def test_an_administrator_sets_the_domains_the_role_and_the_password_switch(
        client, session, rivierenland):
    make_account(session, "admin@kennisster.test", AccountRole.admin)
    web_login(client, "admin@kennisster.test", PASSWORD)
    url = f"/beheer/{rivierenland.slug}/inloggen"

    def post(**form: str):
        return client.post(url, data={"csrf_token": csrf_of(client), **form},
                           follow_redirects=False)

    wrong = post(sso_domains="hs-rivierenland.nl\nniet een domein", sso_role="admin")
    assert wrong.status_code == 422
    page = BeautifulSoup(wrong.text, "html.parser")
    assert "niet een domein" in page.select_one("#sso_domains").text  # the input is kept
    assert len(page.select("#errors li")) == 2
    saved = post(sso_domains="HS-Rivierenland.nl\nrivierenland.nl", sso_role="coordinator",
                 password_off="1")
    assert saved.status_code == 303
    page = BeautifulSoup(client.get(saved.headers["location"]).text, "html.parser")
    assert page.select_one("#sso_domains").text.split() == ["hs-rivierenland.nl",
                                                            "rivierenland.nl"]
    assert page.select_one("#password_off").has_attr("checked")
    assert page.select_one("#sso_role option[selected]")["value"] == "coordinator"


DOMAIN_TEXT = st.lists(st.one_of(
    st.sampled_from(["hs-rivierenland.nl", "HS-Rivierenland.NL.", " rivierenland.nl ", "a.b.nl",
                     "niet een domein", "-fout.nl", "x", "", "ÿ.nl", "elders.nl"]),
    st.text(alphabet="abc.-_ \t@", max_size=12)), max_size=6).map(
    "\n".join)


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=DOMAIN_TEXT)
def test_any_domain_list_is_either_saved_as_clean_domains_or_refused_with_nothing_stored(
        session, text):
    """Whatever an administrator types, the stored domains are lower-case domains, one
    institution each, or the form is refused and the earlier list stays as it was."""
    from api.setup import sign_in_policy
    from api.setup.institutions import InvalidFields

    session.exec(delete(SsoDomain))  # each example starts from its own two institutions
    elders = make_institution(session)
    set_sign_in_policy(session, elders, domains=["elders.nl"])
    institution = make_institution(session)
    set_sign_in_policy(session, institution, domains=["oud.nl"])
    try:
        sign_in_policy.save_policy(session=session, actor=None, institution=institution,
                                   domains=text, sso_role="bestuur", password_off=False)
    except InvalidFields:
        session.rollback()
        assert sign_in_policy.domains_of(session=session, institution=institution) == ["oud.nl"]
    else:
        stored = sign_in_policy.domains_of(session=session, institution=institution)
        assert all(d == d.strip().lower() and "." in d and " " not in d for d in stored)
        assert "elders.nl" not in stored
        assert sign_in_policy.domains_of(session=session, institution=elders) == ["elders.nl"]
    session.rollback()
