"""The webhook worker: claims due deliveries from the webhook outbox, signs them (Standard
Webhooks, with the `standardwebhooks` package) and POSTs them.

Claiming is the mail outbox's (`api.mail.outbox.claimable`): a lease per claimed row, SKIP
LOCKED on PostgreSQL, so any number of workers may run, and one killed mid-delivery leaves its
row to come back when the lease runs out, with the same `webhook-id`: at least once. Each
attempt is logged; failures wait `webhook_backoff_seconds`, doubled each time; an endpoint that
keeps failing is switched off and its coordinators are mailed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from standardwebhooks import Webhook

from api.mail import outbox
from api.platform import polling
from api.platform.db import session_scope
from api.platform.errors import InvalidInput
from api.platform.models import (
    OutboxStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from api.platform.settings import Settings
from api.results import gate
from api.setup.two_factor import unseal
from api.webhooks import addresses, endpoints, events

log = logging.getLogger("kennisster.webhooks")
_wake = threading.Event()
BATCH = 20
USER_AGENT = "Kennisster-Webhooks/1"


def wake() -> None:
    """Tell the worker in this process to look at the queue now (call after your commit)."""
    _wake.set()


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    message_id: str
    body: str
    url: str
    secret_sealed: str
    attempts: int


def claim(session: Session, settings: Settings, *, now: datetime) -> list[Claimed]:
    """Due deliveries of switched-on endpoints, leased to this worker (commits)."""
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.disabled_at.is_(None))
    claimed = []
    for row in outbox.claimable(session, WebhookDelivery, limit=BATCH, now=now,
                                where=[WebhookDelivery.endpoint_id.in_(enabled)]):
        if row.status == OutboxStatus.sending and row.attempts >= settings.webhook_max_attempts:
            row.status, row.lease_until = OutboxStatus.failed, None
            row.last_error = "The worker stopped while delivering this event, too many times."
            continue
        endpoint = session.get(WebhookEndpoint, row.endpoint_id)
        row.status, row.attempts = OutboxStatus.sending, row.attempts + 1
        row.lease_until = now + timedelta(seconds=settings.webhook_lease_seconds)
        claimed.append(Claimed(id=row.id, endpoint_id=row.endpoint_id, message_id=row.message_id,
                               body=json.dumps(row.payload, separators=(",", ":")),
                               url=endpoint.url, secret_sealed=endpoint.secret_sealed,
                               attempts=row.attempts))
    session.commit()
    return claimed


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: base, 2×base, 4×base … up to the maximum."""
    seconds = settings.webhook_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.webhook_backoff_max_seconds))


def record(session: Session, settings: Settings, job: Claimed, *, now: datetime,
           status_code: int | None, error: str, duration_ms: int) -> None:
    """Log the attempt and move the delivery and its endpoint on (flush only)."""
    error = " ".join(error.split())[:outbox.ERROR_MAX]
    session.add(WebhookAttempt(delivery_id=job.id, endpoint_id=job.endpoint_id, at=now,
                               status_code=status_code, error=error, duration_ms=duration_ms))
    delivery = session.get(WebhookDelivery, job.id)
    endpoint = session.get(WebhookEndpoint, job.endpoint_id)
    if delivery is None or endpoint is None:  # deleted meanwhile
        return
    ok = not error
    if ok:
        delivery.status, delivery.sent_at, delivery.last_error = OutboxStatus.sent, now, None
        endpoint.failures, endpoint.failing_since = 0, None
    else:
        delivery.last_error = error
        if delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = OutboxStatus.failed
        else:
            delivery.status = OutboxStatus.pending
            delivery.next_attempt_at = now + backoff(settings, delivery.attempts)
        endpoint.failures += 1
        endpoint.failing_since = endpoint.failing_since or now
        if endpoint.disabled_at is None and endpoints.should_switch_off(endpoint, settings, now):
            endpoints.switch_off_failing(session, endpoint, now=now)
    delivery.lease_until = None
    session.add_all([delivery, endpoint])
    session.flush()


def send(settings: Settings, job: Claimed, client: httpx.Client) -> tuple[int | None, str]:
    """POST one signed event: (status code, error); an empty error is a 2xx."""
    try:
        addresses.checked_url(job.url, allow_loopback=settings.webhook_allow_loopback)
        secret = unseal(job.secret_sealed, settings.secret_key)
    except (InvalidInput, ValueError) as exc:
        return None, getattr(exc, "detail", str(exc))
    sent_at = utcnow()
    headers = {"webhook-id": job.message_id, "webhook-timestamp": str(int(sent_at.timestamp())),
               "webhook-signature": Webhook(secret).sign(job.message_id, sent_at, job.body),
               "content-type": "application/json", "user-agent": USER_AGENT}
    try:
        answer = client.post(job.url, content=job.body.encode(), headers=headers)
    except httpx.TimeoutException:
        return None, f"No answer within {settings.webhook_timeout_seconds:g} s."
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    return answer.status_code, f"HTTP {answer.status_code} {answer.reason_phrase}".strip()


CLOCK_WINDOW = timedelta(days=2)  # how far back a round closed by its clock is still told


def queue_participation(engine: Engine, settings: Settings, *, now: datetime) -> int:
    """The coalesced `response.submitted` events of this grid slot, and `round.closed` of rounds
    that closed by their clock (commits)."""
    interval = settings.webhook_participation_interval_seconds
    with session_scope(engine) as session:  # a read first: an idle pass takes no write lock
        wanted = session.exec(select(WebhookEndpoint.id).where(
            WebhookEndpoint.disabled_at.is_(None)).limit(1)).first()
        session.commit()
    if wanted is None:
        return 0
    with session_scope(engine, write=True) as session:
        made = events.closed_by_clock(session, now=now, within=CLOCK_WINDOW)
        rounds = events.rounds_for_participation(session, now=now,
                                                 grace=timedelta(seconds=interval))
        if not rounds:
            session.commit()
            return made
        states = gate.release_states(session=session, rounds=rounds, now=now)
        made += events.queue_participation(
            session, interval_seconds=interval, now=now,
            counts={rid: s.counted + s.pending for rid, s in states.items()})
        session.commit()
        return made


def deliver_due(engine: Engine, settings: Settings, *, now: datetime | None = None) -> int:
    """One batch of due deliveries; returns how many were accepted (2xx)."""
    now = now or utcnow()
    with session_scope(engine, write=True) as session:
        jobs = claim(session, settings, now=now)
    delivered = 0
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for job in jobs:
            started = time.monotonic()
            status_code, error = send(settings, job, client)
            if error:
                log.warning("Webhook %s to endpoint %s failed: %s", job.message_id,
                            job.endpoint_id, error)
            with session_scope(engine, write=True) as session:
                record(session, settings, job, now=max(now, utcnow()), status_code=status_code,
                       error=error, duration_ms=int((time.monotonic() - started) * 1000))
                session.commit()
            delivered += not error
    return delivered


def run_once(engine: Engine, settings: Settings, *, now: datetime | None = None) -> int:
    """One pass: queue this slot's participation events, then deliver while batches are full."""
    queue_participation(engine, settings, now=now or utcnow())
    total = 0
    while True:
        with session_scope(engine) as session:
            due = session.exec(select(WebhookDelivery.id).where(
                WebhookDelivery.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
                .limit(1)).first()
        if due is None:
            return total
        before = total
        total += deliver_due(engine, settings, now=now)
        if total - before < BATCH:
            return total


def run_worker(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """Loop until `stop` is set: a pass, then wait `webhook_poll_seconds` or until `wake()`."""
    log.info("Webhook worker started")
    polling.run_until_stopped(name="Webhook worker", one_pass=lambda: run_once(engine, settings),
                              poll_seconds=settings.webhook_poll_seconds, wake=_wake, stop=stop,
                              log=log)
    log.info("Webhook worker stopped")


def start_in_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The worker as a daemon thread of the app; set the event and `wake()` to stop it."""
    return polling.start_daemon(run_worker, (engine, settings), name="kennisster-webhooks")
