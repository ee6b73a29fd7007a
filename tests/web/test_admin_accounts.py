"""The accounts page of an institution and its audit log, as a coordinator and an administrator
use them: invite a board member by e-mail, who sets a password with the link and logs in; grant an
existing account; revoke access or the whole account; read who did what in the log.

The link is read the way the mail worker makes it: from the outbox row and the link registry
(`api.mail.links.make_link`), since no link is stored anywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.mail.links import make_link
from api.platform.models import Account, AccountInstitution, AccountRole, AuditEvent, Outbox
from api.setup import account_admin, accounts, audit, institutions
from tests import two_factor_steps
from tests.api.test_cli import kennisster, ok, runner  # noqa: F401 (fixtures)
from tests.builders import csrf_of, make_institution, web_login

PASSWORD = "een-lang-wachtwoord-42"
NEW_PASSWORD = "mijn-eigen-wachtwoord-7"


@pytest.fixture
def world(session):
    """Institutions A and B, a coordinator of each, a board member of A and an administrator."""
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
    return {"a": a.slug, "b": b.slug, **made}


def browser(app, email: str | None = None) -> TestClient:
    client = TestClient(app)
    if email:
        web_login(client, email, PASSWORD)
    return client


def post(client: TestClient, url: str, **data: str):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def link_for(session: Session, settings, email: str) -> str:
    """The path of the newest account link mailed to `email`, derived as the worker does."""
    session.expire_all()
    row = session.exec(select(Outbox).where(Outbox.to_address == email,
                                            Outbox.link_kind == "account")
                       .order_by(Outbox.id.desc())).first()
    assert row is not None, f"no account mail to {email}"
    path = urlsplit(make_link(session, settings, row.link_kind, row.link_ref)).path
    session.rollback()  # no open (on SQLite: write-locking) transaction while the app works
    return path


def mails_to(session: Session, email: str) -> list[Outbox]:
    session.expire_all()
    rows = list(session.exec(select(Outbox).where(Outbox.to_address == email)))
    session.expunge_all()  # keep what was read, without a transaction that locks SQLite
    session.rollback()
    return rows


def grants(session: Session, email: str) -> set[int]:
    session.expire_all()
    account = accounts.get_account(session=session, email=email)
    found = set(session.exec(select(AccountInstitution.institution_id).where(
        AccountInstitution.account_id == account.id)))
    session.rollback()
    return found


def test_a_coordinator_invites_a_board_member_who_sets_a_password_and_logs_in(
        app, session, settings, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    page = coordinator.get(f"/beheer/{world['a']}/accounts")
    assert page.status_code == 200 and "bestuur@alfa.nl" in page.text

    sent = post(coordinator, f"/beheer/{world['a']}/accounts", email="Voorzitter@Alfa.nl",
                name="Anna de Voorzitter", role="bestuur")
    assert sent.status_code == 303
    listed = coordinator.get(sent.headers["location"])
    assert "De uitnodiging is verstuurd." in listed.text
    row = BeautifulSoup(listed.text, "html.parser").find("th", string="voorzitter@alfa.nl").parent
    assert "Uitgenodigd" in row.text and "Bestuur" in row.text

    [mail] = mails_to(session, "voorzitter@alfa.nl")
    assert mail.template == "account_invite" and mail.lang == "nl"
    assert mail.params["institution"] == "Hogeschool Alfa"
    link = link_for(session, settings, "voorzitter@alfa.nl")
    assert link not in str(mail.params)  # the link is made at send time, never stored

    # the invited account cannot log in before it has a password
    stranger = TestClient(app)
    refused = post(stranger, "/login", email="voorzitter@alfa.nl", password="")
    assert refused.status_code == 401

    invitee = TestClient(app)
    form = invitee.get(link)
    assert form.status_code == 200 and "Kies je wachtwoord" in form.text
    assert form.headers["referrer-policy"] == "no-referrer"
    mismatch = post(invitee, link, password=NEW_PASSWORD, repeat=NEW_PASSWORD + "x")
    assert mismatch.status_code == 422 and "niet gelijk" in mismatch.text
    short = post(invitee, link, password="kort", repeat="kort")
    assert short.status_code == 422 and "minstens 12 tekens" in short.text
    done = post(invitee, link, password=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert done.status_code == 303
    assert invitee.get("/dashboard", follow_redirects=False).headers["location"].endswith(
        f"/dashboard/{world['a']}")

    # the link works once
    again = TestClient(app).get(link)
    assert again.status_code == 410 and "Wachtwoord vergeten?" in again.text
    assert post(TestClient(app), link, password=NEW_PASSWORD, repeat=NEW_PASSWORD
                ).status_code == 410

    web_login(TestClient(app), "voorzitter@alfa.nl", NEW_PASSWORD)
    assert "Actief" in BeautifulSoup(coordinator.get(f"/beheer/{world['a']}/accounts").text,
                                     "html.parser").find("th", string="voorzitter@alfa.nl").parent.text


def test_an_unknown_link_is_404_with_the_way_to_a_new_one(client):
    page = client.get("/account/activeren/geen-echte-link")
    assert page.status_code == 404 and "Wachtwoord vergeten?" in page.text


def test_inviting_an_address_that_has_an_account_grants_it_the_institution(
        app, session, world):
    coordinator_b = browser(app, "coordinator@beta.nl")
    sent = post(coordinator_b, f"/beheer/{world['b']}/accounts", email="bestuur@alfa.nl",
                role="bestuur")
    assert sent.status_code == 303
    assert "had al een account" in coordinator_b.get(sent.headers["location"]).text
    assert len(grants(session, "bestuur@alfa.nl")) == 2
    assert mails_to(session, "bestuur@alfa.nl") == []

    # another role is refused, not silently widened; the form keeps what was typed
    refused = post(coordinator_b, f"/beheer/{world['b']}/accounts", email="coordinator@alfa.nl",
                   name="Kees", role="bestuur")
    assert refused.status_code == 422 and "andere rol" in refused.text
    assert 'value="coordinator@alfa.nl"' in refused.text and 'value="Kees"' in refused.text
    assert len(grants(session, "coordinator@alfa.nl")) == 1


def test_bad_input_re_renders_the_form_and_stores_nothing(app, session, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    for data, text in (({"email": "geen-adres", "role": "bestuur"}, "geldig e-mailadres"),
                       ({"email": "x@alfa.nl", "role": "admin"}, "Kies of dit account")):
        page = post(coordinator, f"/beheer/{world['a']}/accounts", **data)
        assert page.status_code == 422 and text in page.text
    assert session.exec(select(Account).where(Account.email == "x@alfa.nl")).first() is None
    assert session.exec(select(AuditEvent)).first() is None
    session.rollback()


def test_a_coordinator_revokes_access_but_not_their_own_nor_on_another_institution(
        app, session, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    own = post(coordinator, f"/beheer/{world['a']}/accounts/{world['coord_a']}/intrekken")
    assert own.status_code == 403 and "eigen toegang" in own.text
    elsewhere = post(coordinator, f"/beheer/{world['b']}/accounts/{world['coord_b']}/intrekken")
    assert elsewhere.status_code == 404
    not_here = post(coordinator, f"/beheer/{world['a']}/accounts/{world['coord_b']}/intrekken")
    assert not_here.status_code == 404
    blocked = post(coordinator, f"/beheer/{world['a']}/accounts/{world['board_a']}/blokkeren")
    assert blocked.status_code == 403

    board = browser(app, "bestuur@alfa.nl")
    done = post(coordinator, f"/beheer/{world['a']}/accounts/{world['board_a']}/intrekken")
    assert done.status_code == 303
    assert grants(session, "bestuur@alfa.nl") == set()
    assert board.get(f"/dashboard/{world['a']}").status_code == 404


def test_an_administrator_blocks_a_whole_account_and_it_cannot_log_in(app, session, world):
    board = browser(app, "bestuur@alfa.nl")
    admin = browser(app, "admin@kennisster.nl")
    done = post(admin, f"/beheer/{world['a']}/accounts/{world['board_a']}/blokkeren")
    assert done.status_code == 303
    assert "Ingetrokken" in admin.get(done.headers["location"]).text
    assert urlsplit(board.get("/dashboard", follow_redirects=False).headers["location"]).path == "/login"
    wrong = post(TestClient(app), "/login", email="bestuur@alfa.nl", password="fout-fout-fout-1")
    revoked = post(TestClient(app), "/login", email="bestuur@alfa.nl", password=PASSWORD)
    assert revoked.status_code == wrong.status_code == 401
    assert "klopt niet" in revoked.text
    # a revoked account gets no reset mail, and the answer is the usual one
    page = post(TestClient(app), "/wachtwoord-vergeten", email="bestuur@alfa.nl")
    assert page.status_code == 200
    assert mails_to(session, "bestuur@alfa.nl") == []
    # a coordinator cannot bring it back; an administrator can, with a new invitation
    coordinator = browser(app, "coordinator@alfa.nl")
    refused = post(coordinator, f"/beheer/{world['a']}/accounts", email="bestuur@alfa.nl",
                   role="bestuur")
    assert refused.status_code == 422 and "ingetrokken" in refused.text
    restored = post(admin, f"/beheer/{world['a']}/accounts", email="bestuur@alfa.nl",
                    role="bestuur")
    assert restored.status_code == 303 and "done=restored" in restored.headers["location"]
    assert len(mails_to(session, "bestuur@alfa.nl")) == 1


def test_the_audit_log_lists_the_actions_for_a_coordinator_of_a_and_not_for_b(
        app, session, settings, world):
    coordinator = browser(app, "coordinator@alfa.nl")
    post(coordinator, f"/beheer/{world['a']}/accounts", email="nieuw@alfa.nl", role="bestuur")
    link = link_for(session, settings, "nieuw@alfa.nl")
    post(TestClient(app), link, password=NEW_PASSWORD, repeat=NEW_PASSWORD)
    post(coordinator, f"/beheer/{world['a']}/accounts/{world['board_a']}/intrekken")

    log = coordinator.get(f"/beheer/{world['a']}/logboek")
    assert log.status_code == 200
    rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all("td")]
            for tr in BeautifulSoup(log.text, "html.parser").select("table.audit tbody tr")]
    assert [row[1:] for row in rows] == [
        ["coordinator@alfa.nl", "Toegang ingetrokken", "bestuur@alfa.nl"],
        ["nieuw@alfa.nl", "Uitnodiging aanvaard, wachtwoord gekozen", "nieuw@alfa.nl"],
        ["coordinator@alfa.nl", "Account uitgenodigd", "nieuw@alfa.nl (bestuur)"],
    ]
    assert all(" 20" in row[0] and ":" in row[0] for row in rows)  # '14 oktober 2026 10:32'

    coordinator_b = browser(app, "coordinator@beta.nl")
    assert coordinator_b.get(f"/beheer/{world['a']}/logboek").status_code == 404
    own = coordinator_b.get(f"/beheer/{world['b']}/logboek")
    assert own.status_code == 200 and "nieuw@alfa.nl" not in own.text
    assert browser(app, "bestuur@alfa.nl").get(f"/beheer/{world['a']}/logboek").status_code == 404
    assert "nieuw@alfa.nl" in browser(app, "admin@kennisster.nl").get(
        f"/beheer/{world['a']}/logboek").text


def test_the_audit_log_is_paginated_newest_first(app, session, world):
    a = accounts.get_account(session=session, email="coordinator@alfa.nl")
    inst = institutions.get_institution(session=session, ref=world["a"])
    for i in range(55):
        audit.record(session=session, actor=a, action="account_invited", institution=inst,
                     detail=f"persoon{i:02d}@alfa.nl (bestuur)")
    session.commit()
    coordinator = browser(app, "coordinator@alfa.nl")
    first = coordinator.get(f"/beheer/{world['a']}/logboek")
    assert "persoon54@alfa.nl" in first.text and "persoon04@alfa.nl" not in first.text
    assert "Oudere" in first.text
    second = coordinator.get(f"/beheer/{world['a']}/logboek?pagina=2")
    assert "persoon04@alfa.nl" in second.text and "persoon54@alfa.nl" not in second.text
    assert coordinator.get(f"/beheer/{world['a']}/logboek?pagina=abc").status_code == 200


def test_the_invite_use_case_from_the_command_line_has_no_actor(session, settings, world):
    inst = make_institution(session, "Hogeschool Gamma")
    result = account_admin.invite(session=session, actor=None, institution=inst,
                                  email="coordinator@gamma.nl", role="coordinator",
                                  secret_key=settings.secret_key)
    assert result.token is not None and not result.existing and result.mailed
    event = session.exec(select(AuditEvent).where(AuditEvent.institution_id == inst.id)).one()
    assert event.actor == "cli" and event.action == "account_invited"


def test_the_command_line_invites_resets_and_revokes_with_the_same_use_cases(
        app, session, kennisster, world):  # noqa: F811 (the fixture)
    printed = ok(kennisster("account", "invite", "nieuw@alfa.nl", "--institution", world["a"],
                            "--role", "coordinator"))
    assert "Mail is not configured" in printed
    link = urlsplit(printed.strip().splitlines()[-1]).path
    browser = TestClient(app)
    assert post(browser, link, password=NEW_PASSWORD, repeat=NEW_PASSWORD).status_code == 303
    asked = browser.get(f"/beheer/{world['a']}/accounts", follow_redirects=False)
    assert urlsplit(asked.headers["location"]).path == "/account/tweestaps"  # enrol first
    two_factor_steps.enrol(browser, "nieuw@alfa.nl")
    assert browser.get(f"/beheer/{world['a']}/accounts").status_code == 200

    ok(kennisster("account", "two-factor-reset", "nieuw@alfa.nl"))  # a lost phone
    assert browser.get("/dashboard", follow_redirects=False).status_code == 303  # signed out

    reset = urlsplit(ok(kennisster("account", "reset", "nieuw@alfa.nl")).strip()
                     .splitlines()[-1]).path
    assert TestClient(app).get(reset).status_code == 200

    ok(kennisster("account", "revoke", "nieuw@alfa.nl"))
    assert post(TestClient(app), "/login", email="nieuw@alfa.nl",
                password=NEW_PASSWORD).status_code == 401
    assert TestClient(app).get(reset).status_code == 410
    session.expire_all()
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    session.rollback()
    assert actions == ["account_invited", "password_set_invite", "two_factor_reset",
                       "password_reset_sent", "account_revoked"]
