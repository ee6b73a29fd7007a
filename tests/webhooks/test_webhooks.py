"""Signed webhooks, as an institution's systems receive them: a real HTTP receiver on loopback,
every signature checked with the standardwebhooks package, the worker run pass by pass (or as a
process of its own that is killed mid-delivery)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import select

from api.mail.worker import deliver_due as deliver_mail
from api.platform.models import (
    AccountRole,
    Outbox,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from api.platform.settings import ROOT
from api.setup import rounds
from api.webhooks import events
from api.webhooks.worker import run_once
from tests.builders import (
    make_account,
    make_institution,
    make_round,
    make_token,
    make_unit,
    stored_responses,
    waiting_responses,
)
from tests.mail.smtp import running_smtp, with_smtp

Q = ("galbraith-star", "1.0")


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def register(client, token: str, slug: str, url: str, chosen: list[str]) -> dict:
    answer = client.post(f"/api/v1/institutions/{slug}/webhooks", headers=bearer(token),
                         json={"url": url, "events": chosen, "description": "Ons dashboard"})
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["secret"].startswith("whsec_")
    return made


def test_closing_a_round_sends_a_signed_round_closed_and_release_published(
        client, session, catalog, settings, engine, receiver):
    institution = make_institution(session, "Hogeschool Haven")
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution], scopes=("webhooks",))
    hook = register(client, token, institution.slug, receiver.url,
                    ["round.closed", "release.published"])
    waiting_responses(session, catalog.require(*Q), round_, unit, 5)  # wait for the close

    rounds.close_round(session=session, round_=round_, default_k=settings.anonymity_k)
    assert run_once(engine, settings) == 2

    got = [r.verified(hook["secret"]) for r in receiver.wait_for(2)]
    assert [g["type"] for g in got] == ["round.closed", "release.published"]
    closed, published = got
    assert closed["data"]["round_id"] == published["data"]["round_id"] == round_.id
    assert published["data"]["release"] == 1
    assert published["data"]["scores"] == f"/api/v1/rounds/{round_.id}/scores"
    # a pointer, no numbers: the receiver fetches them through the API, past the gate
    assert set(published["data"]) == {"round_id", "round", "institution", "questionnaire",
                                      "release", "published_at", "scores"}
    assert published["timestamp"].endswith(":00Z")  # the release's minute, no finer
    with pytest.raises(Exception):  # noqa: B017  another secret does not verify
        receiver.accepted[0].verified("whsec_" + "QUFB" * 8)


def test_a_failing_receiver_gets_retries_with_backoff_and_the_same_webhook_id(
        client, session, settings, engine, receiver):
    institution = make_institution(session)
    token = make_token(session, [institution], scopes=("webhooks",))
    hook = register(client, token, institution.slug, receiver.url, ["round.opened"])
    receiver.answers = [500, 503]
    queued = client.post(f"/api/v1/institutions/{institution.slug}/webhooks/{hook['id']}/test",
                         headers=bearer(token))
    assert queued.status_code == 201 and queued.json()["event"] == "webhook.test"

    start = utcnow()
    assert run_once(engine, settings, now=start) == 0  # 500
    assert run_once(engine, settings, now=start + timedelta(seconds=59)) == 0  # not due yet
    assert len(receiver.requests) == 1
    assert run_once(engine, settings, now=start + timedelta(seconds=61)) == 0  # 503, waits 120 s
    assert run_once(engine, settings, now=start + timedelta(seconds=61 + 119)) == 0
    assert run_once(engine, settings, now=start + timedelta(seconds=61 + 121)) == 1
    assert [r.status for r in receiver.requests] == [500, 503, 204]
    assert len({r.id for r in receiver.requests}) == 1
    assert receiver.requests[-1].verified(hook["secret"])["type"] == "webhook.test"

    log = client.get(f"/api/v1/institutions/{institution.slug}/webhooks/{hook['id']}/deliveries",
                     headers=bearer(token)).json()["items"]
    assert [a["status_code"] for a in log[0]["log"]] == [500, 503, 204]
    assert log[0]["status"] == "sent" and log[0]["webhook_id"] == receiver.requests[0].id
    assert "whsec_" not in str(log)


def test_an_endpoint_that_keeps_failing_is_switched_off_and_the_coordinator_mailed(
        client, session, settings, engine, receiver):
    institution = make_institution(session, "Hogeschool Duin")
    make_account(session, "coordinator@duin.nl", AccountRole.coordinator, [institution])
    token = make_token(session, [institution], scopes=("webhooks",))
    hook = register(client, token, institution.slug, receiver.url, ["round.opened"])
    receiver.answers = [500] * 5
    test_url = f"/api/v1/institutions/{institution.slug}/webhooks/{hook['id']}/test"
    for _ in range(3):
        assert client.post(test_url, headers=bearer(token)).status_code == 201
    run_once(engine, settings)  # three failures in a row: off
    assert len(receiver.requests) == 3

    listed = client.get(f"/api/v1/institutions/{institution.slug}/webhooks",
                        headers=bearer(token)).json()["items"][0]
    assert (listed["enabled"], listed["disabled_reason"], listed["failures"]) == (
        False, "failing", 3)
    refused = client.post(test_url, headers=bearer(token))
    assert refused.status_code == 409 and "switch it on" in refused.json()["detail"]
    run_once(engine, settings, now=utcnow() + timedelta(hours=1))  # off: nothing is sent
    assert len(receiver.requests) == 3

    with running_smtp() as smtp:
        assert deliver_mail(engine, with_smtp(settings, smtp.port)) == 1
        mail = smtp.received[0]
    assert mail.to == "coordinator@duin.nl"
    assert receiver.url in mail.text and f"/beheer/{institution.slug}/webhooks" in mail.text


def test_response_submitted_is_coalesced_per_interval_and_carries_only_the_count(
        client, session, catalog, settings, engine, receiver):
    institution = make_institution(session)
    unit = make_unit(session, institution, "Practoraat Water")
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution], scopes=("webhooks",))
    hook = register(client, token, institution.slug, receiver.url, ["response.submitted"])
    questionnaire = catalog.require(*Q)
    interval = settings.webhook_participation_interval_seconds
    slot = events.tick_of(utcnow(), interval) + timedelta(seconds=interval)

    stored_responses(session, questionnaire, round_, unit, 3)
    run_once(engine, settings, now=slot + timedelta(seconds=10))
    stored_responses(session, questionnaire, round_, unit, 2)
    run_once(engine, settings, now=slot + timedelta(seconds=20))  # same slot: nothing
    run_once(engine, settings, now=slot + timedelta(seconds=interval - 1))
    assert len(receiver.requests) == 1
    run_once(engine, settings, now=slot + timedelta(seconds=interval + 5))
    run_once(engine, settings, now=slot + timedelta(seconds=2 * interval + 5))  # no change
    got = [r.verified(hook["secret"]) for r in receiver.wait_for(2)]
    assert [g["data"]["responses"] for g in got] == [3, 5]
    assert [g["data"]["as_of"] for g in got] == [
        (slot + timedelta(seconds=n * interval)).isoformat().replace("+00:00", "Z")
        for n in (0, 1)]
    for event in got:  # the round and its count: no unit, no role, no answer
        assert event["type"] == "response.submitted"
        assert set(event["data"]) == {"round_id", "round", "institution", "questionnaire",
                                      "responses", "as_of"}
        assert "Practoraat Water" not in str(event)


def test_tokens_need_the_webhooks_scope_and_see_only_their_institution(
        client, session, receiver):
    mine, other = make_institution(session), make_institution(session)
    reader = make_token(session, [mine], scopes=("read",))
    token = make_token(session, [mine], scopes=("webhooks",))
    theirs = make_token(session, [other], scopes=("webhooks",))
    base = f"/api/v1/institutions/{mine.slug}/webhooks"
    assert client.get(base, headers=bearer(reader)).status_code == 403
    hook = register(client, token, mine.slug, receiver.url, ["round.closed"])
    assert client.get(base, headers=bearer(theirs)).status_code == 404
    other_base = f"/api/v1/institutions/{other.slug}/webhooks"
    for method, path in (("get", f"{other_base}/{hook['id']}/deliveries"),
                         ("post", f"{other_base}/{hook['id']}/test"),
                         ("delete", f"{other_base}/{hook['id']}")):
        answer = client.request(method, path, headers=bearer(theirs))
        assert answer.status_code == 404, (method, path)
        assert answer.headers["content-type"].startswith("application/problem+json")
    deleted = client.delete(f"{base}/{hook['id']}", headers=bearer(token))
    assert deleted.status_code == 200
    assert client.get(base, headers=bearer(token)).json()["total"] == 0


@pytest.mark.parametrize("url, says", [
    ("https://10.1.2.3/hooks", "private"), ("https://169.254.169.254/latest", "private"),
    ("https://[fd00::1]/x", "private"), ("http://93.184.216.34/hooks", "https://"),
    ("ftp://93.184.216.34/", "https://"), ("https://user:pw@93.184.216.34/", "password"),
])
def test_private_addresses_and_plain_http_are_refused_with_a_reason(client, session, url, says):
    institution = make_institution(session)
    token = make_token(session, [institution], scopes=("webhooks",))
    answer = client.post(f"/api/v1/institutions/{institution.slug}/webhooks",
                         headers=bearer(token), json={"url": url, "events": ["round.closed"]})
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_loopback_is_refused_unless_the_setting_allows_it(session, settings):
    from api.platform.errors import InvalidInput
    from api.webhooks.endpoints import register as register_endpoint

    institution = make_institution(session)
    strict = settings.model_copy(update={"webhook_allow_loopback": False})
    with pytest.raises(InvalidInput, match="private"):
        register_endpoint(session=session, settings=strict, actor=None, institution=institution,
                          url="https://127.0.0.1:9/hooks", chosen_events=["round.closed"])


def _worker_process(settings, data_dir) -> subprocess.Popen:
    """`kennisster worker` in its own process, without mail: it delivers webhooks only."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("KENNISSTER_") and name != "DATABASE_URL"}
    env.update({
        "KENNISSTER_ENVIRONMENT": "test", "KENNISSTER_DATABASE_URL": settings.database_url,
        "KENNISSTER_DATA_DIR": str(data_dir), "KENNISSTER_SECRET_KEY": settings.secret_key,
        "KENNISSTER_WEBHOOK_ALLOW_LOOPBACK": "true", "KENNISSTER_WEBHOOK_POLL_SECONDS": "0.2",
        "KENNISSTER_WEBHOOK_LEASE_SECONDS": "1", "KENNISSTER_WEBHOOK_TIMEOUT_SECONDS": "20",
    })
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_worker_killed_mid_delivery_leaves_the_event_to_the_next_with_the_same_id(
        client, session, settings, engine, receiver, tmp_path):
    institution = make_institution(session)
    token = make_token(session, [institution], scopes=("webhooks",))
    hook = register(client, token, institution.slug, receiver.url, ["round.opened"])
    held = receiver.hold()
    assert client.post(f"/api/v1/institutions/{institution.slug}/webhooks/{hook['id']}/test",
                       headers=bearer(token)).status_code == 201

    first = _worker_process(settings, tmp_path)
    try:
        assert receiver.arrived.wait(30), "the first worker never delivered"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
        held.set()
    assert first.returncode == -signal.SIGKILL
    assert receiver.accepted == []

    second = _worker_process(settings, tmp_path)
    try:
        got = receiver.wait_for(1, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=30)[0].decode()
    assert second.returncode == 0, output
    assert got[0].id == receiver.held_ids[0]  # the same webhook-id: at least once, recognisable
    assert got[0].verified(hook["secret"])["type"] == "webhook.test"
    delivery = session.exec(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(session.exec(select(WebhookAttempt)).all()) == 1  # the killed one logged nothing
    assert session.exec(select(Outbox)).all() == []


def test_a_round_that_closes_by_its_clock_is_told_once(client, session, catalog, settings,
                                                       engine, receiver):
    institution = make_institution(session)
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution], scopes=("webhooks",))
    hook = register(client, token, institution.slug, receiver.url, ["round.closed"])
    round_.closes_at = utcnow() + timedelta(minutes=1)
    session.add(round_)
    session.commit()
    later = utcnow() + timedelta(minutes=2)
    assert run_once(engine, settings, now=later) == 1
    assert run_once(engine, settings, now=later + timedelta(minutes=5)) == 0
    got = receiver.wait_for(1)[0].verified(hook["secret"])
    assert (got["type"], got["data"]["round_id"]) == ("round.closed", round_.id)
    assert len(receiver.requests) == 1
