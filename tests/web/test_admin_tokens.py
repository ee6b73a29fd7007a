"""The API tokens page of an institution, as a coordinator uses it without a shell: make a token
for a consultant, see it once, the consultant reads `/api/v1` with it, then revoke it; B's tokens
stay out of A's page; a token that also covers other institutions is revoked by an administrator
only; every action is in the audit log, never the token itself."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from api.platform.models import AccountRole, ApiToken, AuditEvent
from api.setup import accounts, institutions, tokens
from tests.api.test_cli import kennisster, ok, runner  # noqa: F401 (fixtures)
from tests.builders import csrf_of, make_institution, web_login

PASSWORD = "een-lang-wachtwoord-42"


@pytest.fixture
def world(session):
    """Institutions A and B, a coordinator of each, a board member of A, an administrator, a
    token of B and a token of A and B together."""
    a = make_institution(session, "Hogeschool Alfa")
    b = make_institution(session, "ROC Beta")
    made = {}
    for key, email, role, granted in (
            ("coord_a", "coordinator@alfa.nl", AccountRole.coordinator, [a]),
            ("coord_b", "coordinator@beta.nl", AccountRole.coordinator, [b]),
            ("board_a", "bestuur@alfa.nl", AccountRole.bestuur, [a]),
            ("admin", "admin@kennisster.nl", AccountRole.admin, [])):
        made[key] = accounts.create_account(session=session, email=email, password=PASSWORD,
                                            role=role, institutions=granted).id
    session.commit()
    b_token, _ = tokens.create_token(session=session, name="Bureau Beta", scopes=["read"],
                                     institutions=[b])
    both, _ = tokens.create_token(session=session, name="Bureau Samen", scopes=["read"],
                                  institutions=[a, b])
    return {"a": a.slug, "b": b.slug, "b_token": b_token.id, "both": both.id, **made}


def browser(app, email: str) -> TestClient:
    client = TestClient(app)
    web_login(client, email, PASSWORD)
    return client


def post(client: TestClient, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def events(session) -> list[AuditEvent]:
    session.expire_all()
    rows = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))
    session.expunge_all()
    session.rollback()
    return rows


def test_a_coordinator_makes_a_token_sees_it_once_uses_it_and_revokes_it(app, session, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    page = coordinator.get(f"/beheer/{world['a']}/tokens")
    assert page.status_code == 200 and "API-tokens" in page.text
    assert "Bureau Samen" in page.text and "Bureau Beta" not in page.text

    made = post(coordinator, f"/beheer/{world['a']}/tokens", name="Onderzoeksbureau Noord",
                scopes=["read", "import"])
    assert made.status_code == 200
    assert "no-store" in made.headers["cache-control"]
    assert "alleen deze ene keer getoond" in made.text
    plain = BeautifulSoup(made.text, "html.parser").select_one("#new-token")["value"]
    assert plain.startswith(tokens.PREFIX)

    # shown once: the list page has the name, never the token
    listed = coordinator.get(f"/beheer/{world['a']}/tokens")
    assert "Onderzoeksbureau Noord" in listed.text and plain not in listed.text
    row = BeautifulSoup(listed.text, "html.parser").find(
        "th", string="Onderzoeksbureau Noord").parent
    assert "Lezen, Importeren" in row.text and "In gebruik" in row.text

    consultant = TestClient(app, headers={"Authorization": f"Bearer {plain}"})
    answer = consultant.get("/api/v1/institutions")
    assert answer.status_code == 200
    assert [item["slug"] for item in answer.json()["items"]] == [world["a"]]

    session.expire_all()
    token = session.exec(select(ApiToken).where(ApiToken.name == "Onderzoeksbureau Noord")).one()
    token_id = token.id
    session.rollback()

    unconfirmed = post(coordinator, f"/beheer/{world['a']}/tokens/{token_id}/intrekken")
    assert unconfirmed.status_code == 422 and "Vink aan" in unconfirmed.text
    assert consultant.get("/api/v1/institutions").status_code == 200

    revoked = post(coordinator, f"/beheer/{world['a']}/tokens/{token_id}/intrekken",
                   confirm="yes")
    assert revoked.status_code == 303
    assert "Het token is ingetrokken." in coordinator.get(revoked.headers["location"]).text
    assert consultant.get("/api/v1/institutions").status_code == 401

    logged = [(e.action, e.actor, e.detail) for e in events(session)]
    assert [action for action, _, _ in logged] == ["token.created", "token.revoked"]
    assert all(actor == "coordinator@alfa.nl" for _, actor, _ in logged)
    assert "Onderzoeksbureau Noord" in logged[0][2] and "import read" in logged[0][2]
    assert not any(plain in detail for _, _, detail in logged)
    log = coordinator.get(f"/beheer/{world['a']}/logboek")
    assert "API-token gemaakt" in log.text and "API-token ingetrokken" in log.text


def test_bad_input_re_renders_the_form_with_422_and_stores_nothing(app, session, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    no_scope = post(coordinator, f"/beheer/{world['a']}/tokens", name="Bureau Zonder")
    assert no_scope.status_code == 422 and "minstens één recht" in no_scope.text
    assert 'value="Bureau Zonder"' in no_scope.text
    no_name = post(coordinator, f"/beheer/{world['a']}/tokens", name="  ", scopes=["import"])
    assert no_name.status_code == 422 and "Vul een naam in" in no_name.text
    soup = BeautifulSoup(no_name.text, "html.parser")
    assert soup.select_one('input[name="scopes"][value="import"]').has_attr("checked")
    assert not soup.select_one('input[name="scopes"][value="read"]').has_attr("checked")
    assert soup.select_one("#new-token") is None
    assert session.exec(select(ApiToken).where(ApiToken.name == "Bureau Zonder")).first() is None
    session.rollback()
    assert events(session) == []


def test_b_tokens_are_not_shown_nor_revocable_through_a(app, session, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    assert post(coordinator, f"/beheer/{world['a']}/tokens/{world['b_token']}/intrekken",
                confirm="yes").status_code == 404
    assert post(coordinator, f"/beheer/{world['a']}/tokens/{world['b_token']}/intrekken"
                ).status_code == 404
    assert post(coordinator, f"/beheer/{world['b']}/tokens/{world['b_token']}/intrekken",
                confirm="yes").status_code == 404
    assert coordinator.get(f"/beheer/{world['b']}/tokens").status_code == 404
    assert post(coordinator, f"/beheer/{world['b']}/tokens", name="X",
                scopes=["read"]).status_code == 404
    admin = browser(app, "admin@kennisster.nl")
    assert post(admin, f"/beheer/{world['a']}/tokens/{world['b_token']}/intrekken",
                confirm="yes").status_code == 404
    session.expire_all()
    assert session.get(ApiToken, world["b_token"]).revoked_at is None
    session.rollback()


def test_a_token_of_several_institutions_is_revoked_by_an_administrator_only(app, session, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    page = coordinator.get(f"/beheer/{world['a']}/tokens")
    assert "Alleen een beheerder kan dit token intrekken." in page.text
    refused = post(coordinator, f"/beheer/{world['a']}/tokens/{world['both']}/intrekken",
                   confirm="yes")
    assert refused.status_code == 403 and "andere instellingen" in refused.text
    session.expire_all()
    assert session.get(ApiToken, world["both"]).revoked_at is None
    session.rollback()
    admin = browser(app, "admin@kennisster.nl")
    done = post(admin, f"/beheer/{world['a']}/tokens/{world['both']}/intrekken", confirm="yes")
    assert done.status_code == 303
    session.expire_all()
    assert session.get(ApiToken, world["both"]).revoked_at is not None
    session.rollback()


def test_board_members_and_visitors_without_a_session_do_not_get_in(app, world):
    board = browser(app, "bestuur@alfa.nl")
    assert board.get(f"/beheer/{world['a']}/tokens").status_code == 404
    assert post(board, f"/beheer/{world['a']}/tokens", name="X", scopes=["read"]
                ).status_code == 404
    assert post(board, f"/beheer/{world['a']}/tokens/{world['both']}/intrekken",
                confirm="yes").status_code == 404
    stranger = TestClient(app)
    assert stranger.get(f"/beheer/{world['a']}/tokens", follow_redirects=False
                        ).status_code == 303


def test_the_english_page(app, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    page = coordinator.get(f"/beheer/{world['a']}/tokens?lang=en")
    assert page.status_code == 200 and "Create a token" in page.text


def test_the_command_line_uses_the_same_use_cases(kennisster, session, world):  # noqa: F811
    ok(kennisster("token", "create", "Bureau Shell", "--institution", world["a"],
                  "--scope", "read"))
    session.expire_all()
    token = session.exec(select(ApiToken).where(ApiToken.name == "Bureau Shell")).one()
    token_id = token.id
    session.rollback()
    ok(kennisster("token", "revoke", str(token_id)))
    logged = [(e.action, e.actor, e.institution_id) for e in events(session)]
    a = institutions.get_institution(session=session, ref=world["a"]).id
    session.rollback()
    assert logged == [("token.created", "cli", a), ("token.revoked", "cli", a)]
