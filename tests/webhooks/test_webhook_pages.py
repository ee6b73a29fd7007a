"""The webhooks pages, as a coordinator uses them without a shell: register a receiver (the
secret shown once, and it verifies what arrives), send a test event and read the log, see the
notice when a failing webhook was switched off and switch it back on, rotate the secret, delete;
a private address is refused on the form with the input kept; B's webhook is 404 from A."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from api.platform.models import AccountRole, WebhookEndpoint
from api.webhooks.worker import run_once
from tests.builders import csrf_of, make_account, make_institution, web_login

PASSWORD = "een-lang-wachtwoord-42"


def post(client: TestClient, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def test_a_coordinator_registers_tests_switches_and_deletes_a_webhook(
        app, session, settings, engine, receiver):
    a, b = make_institution(session, "Hogeschool Alfa"), make_institution(session, "ROC Beta")
    make_account(session, "coordinator@alfa.nl", AccountRole.coordinator, [a])
    with TestClient(app) as browser:
        web_login(browser, "coordinator@alfa.nl", PASSWORD)
        base = f"/beheer/{a.slug}/webhooks"
        assert browser.get(base).status_code == 200

        refused = post(browser, base, {"url": "https://192.168.1.10/hook",
                                        "events": ["round.closed"]})
        assert refused.status_code == 422
        form = BeautifulSoup(refused.text, "html.parser")
        assert form.find("input", id="url")["value"] == "https://192.168.1.10/hook"
        assert form.find(id="url-error") and "privé" in form.find(id="url-error").text

        made = post(browser, base, {"url": receiver.url, "events": ["round.opened"],
                                     "description": "Intranet"})
        assert made.status_code == 200
        secret = BeautifulSoup(made.text, "html.parser").find("input", id="new-secret")["value"]
        assert secret.startswith("whsec_")
        assert secret not in browser.get(base).text  # shown once
        hook = session.exec(select(WebhookEndpoint)).one()
        page = f"{base}/{hook.id}"
        session.commit()  # no open transaction (SQLite: no write lock) while the worker runs

        assert post(browser, f"{page}/test", {}).status_code == 303
        run_once(engine, settings)
        assert receiver.wait_for(1)[0].verified(secret)["type"] == "webhook.test"
        log = browser.get(page)
        assert "webhook.test" in log.text and "HTTP 204" in log.text

        hook.disabled_at, hook.disabled_reason, hook.failures = hook.created_at, "failing", 20
        session.add(hook)
        session.commit()
        assert "20 mislukte afleveringen" in browser.get(base).text
        assert post(browser, f"{page}/aan-uit", {"on": "yes"}).status_code == 303
        session.refresh(hook)
        assert hook.disabled_at is None and hook.failures == 0
        session.commit()

        rotated = post(browser, f"{page}/geheim", {})
        new = BeautifulSoup(rotated.text, "html.parser").find("input", id="new-secret")["value"]
        assert new != secret and new.startswith("whsec_")

        other = session.exec(select(WebhookEndpoint)).one()
        session.commit()
        assert browser.get(f"/beheer/{b.slug}/webhooks").status_code == 404
        assert browser.get(f"/beheer/{a.slug}/webhooks/{other.id + 1000}").status_code == 404

        unconfirmed = post(browser, f"{page}/verwijderen", {})
        assert unconfirmed.status_code == 422
        assert post(browser, f"{page}/verwijderen", {"confirm": "yes"}).status_code == 303
        session.expire_all()
        assert session.exec(select(WebhookEndpoint)).all() == []
