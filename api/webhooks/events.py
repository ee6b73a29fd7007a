"""Webhook events, written to the webhook outbox in the transaction of the use case that causes
them (a release, a round opened or closed), so an event is sent if and only if its cause was
committed. Payloads carry pointers and counts, never numbers of units: a receiver fetches the
numbers through the API, past the anonymity gate.

`response.submitted` is not written at submit: an event per response, with its time, would
publish each submission's moment. The worker coalesces instead (`queue_participation`): on a
fixed grid of `webhook_participation_interval_seconds`, at most one event per round and endpoint,
carrying the round's count of responses at that tick, and only when it changed.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from api.platform.db import dialect_insert
from api.platform.models import (
    Institution,
    OutboxStatus,
    Release,
    Round,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookParticipation,
    utcnow,
)

RELEASE_PUBLISHED = "release.published"
ROUND_OPENED = "round.opened"
ROUND_CLOSED = "round.closed"
RESPONSE_SUBMITTED = "response.submitted"
TEST = "webhook.test"
EVENTS = (RELEASE_PUBLISHED, ROUND_OPENED, ROUND_CLOSED, RESPONSE_SUBMITTED)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(event: str, at: datetime, data: dict) -> dict:
    """The body of a Standard Webhooks event: type, timestamp and data."""
    return {"type": event, "timestamp": _stamp(at), "data": data}


def enqueue_one(session: Session, *, endpoint: WebhookEndpoint, event: str, key: str, data: dict,
                at: datetime | None = None) -> WebhookDelivery | None:
    """One event for one endpoint (flush only); a key already queued for it adds nothing."""
    at = at or utcnow()
    result = session.exec(dialect_insert(session)(WebhookDelivery).values(
        endpoint_id=endpoint.id, key=key, message_id="msg_" + secrets.token_urlsafe(18),
        event=event, payload=payload(event, at, data), status=OutboxStatus.pending, attempts=0,
        next_attempt_at=at, created_at=at,
    ).on_conflict_do_nothing(index_elements=["endpoint_id", "key"]).returning(WebhookDelivery.id))
    made = result.first()
    return session.get(WebhookDelivery, made[0]) if made else None


def _subscribed(session: Session, institution_id: int, event: str) -> list[WebhookEndpoint]:
    found = session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.institution_id == institution_id, WebhookEndpoint.disabled_at.is_(None)))
    return [e for e in found if event in e.events.split()]


def _round_data(session: Session, round_: Round) -> dict:
    institution = session.get(Institution, round_.institution_id)
    return {"round_id": round_.id, "round": round_.name,
            "institution": institution.slug if institution else None,
            "questionnaire": f"{round_.questionnaire_slug}/{round_.questionnaire_version}"}


def round_changed(session: Session, round_: Round, event: str) -> int:
    """`round.opened` or `round.closed` for every endpoint that wants it (flush only)."""
    at = _minute(utcnow())
    data = {**_round_data(session, round_), "opens_at": _stamp(round_.opens_at),
            "closes_at": _stamp(round_.closes_at) if round_.closes_at else None}
    made = 0
    for endpoint in _subscribed(session, round_.institution_id, event):
        made += enqueue_one(session, endpoint=endpoint, event=event, at=at, data=data,
                            key=f"{event}:{round_.id}") is not None
    return made


def release_published(session: Session, release: Release, institution_id: int) -> int:
    """`release.published` (flush only): which round and release, and where to fetch the
    numbers; no numbers at all. Timestamped to the release's minute, as the release is."""
    endpoints = _subscribed(session, institution_id, RELEASE_PUBLISHED)
    if not endpoints:
        return 0
    round_ = session.get(Round, release.round_id)
    data = {**_round_data(session, round_), "release": release.number,
            "published_at": _stamp(release.published_at),
            "scores": f"/api/v1/rounds/{release.round_id}/scores"}
    return sum(enqueue_one(session, endpoint=endpoint, event=RELEASE_PUBLISHED,
                           at=_minute(release.published_at), data=data,
                           key=f"release:{release.id}") is not None for endpoint in endpoints)


def tick_of(now: datetime, interval_seconds: int) -> datetime:
    """The start of the grid slot `now` falls in: events are stamped with it, not with a
    submission's moment."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % interval_seconds, UTC)


def queue_participation(session: Session, *, interval_seconds: int,
                        counts: dict[int, int], now: datetime | None = None) -> int:
    """Coalesced `response.submitted` (flush only): per endpoint and round of `counts` (round id
    to its round-level count of responses, as the coordinator's pages show it), one event in a
    grid slot when the count changed since the last one sent, stamped with the slot's start."""
    now = now or utcnow()
    tick = tick_of(now, interval_seconds)
    made = 0
    rounds = {r.id: r for r in session.exec(select(Round).where(Round.id.in_(list(counts))))}
    if not rounds:
        return 0
    last = {(row.endpoint_id, row.round_id): row for row in session.exec(
        select(WebhookParticipation).where(WebhookParticipation.round_id.in_(list(rounds))))}
    institutions = {r.institution_id for r in rounds.values()}
    for institution_id in institutions:
        for endpoint in _subscribed(session, institution_id, RESPONSE_SUBMITTED):
            for round_ in rounds.values():
                if round_.institution_id != institution_id:
                    continue
                count = counts[round_.id]
                row = last.get((endpoint.id, round_.id))
                sent_tick = tick_of(row.sent_at, interval_seconds) if row else None
                if count == (row.count if row else 0) or (sent_tick is not None
                                                          and sent_tick >= tick):
                    continue
                data = {**_round_data(session, round_), "responses": count,
                        "as_of": _stamp(tick)}
                made += enqueue_one(session, endpoint=endpoint, event=RESPONSE_SUBMITTED,
                                    at=tick, data=data,
                                    key=f"participation:{round_.id}:{tick.isoformat()}") is not None
                if row is None:
                    row = WebhookParticipation(endpoint_id=endpoint.id, round_id=round_.id)
                row.count, row.sent_at = count, tick
                session.add(row)
    session.flush()
    return made


def rounds_for_participation(session: Session, *, now: datetime,
                             grace: timedelta) -> list[Round]:
    """Rounds whose counts may still change or just did: open, or closed within `grace`, of
    institutions with an endpoint that wants `response.submitted`."""
    wanted = select(WebhookEndpoint.institution_id).where(
        WebhookEndpoint.disabled_at.is_(None),
        WebhookEndpoint.events.contains(RESPONSE_SUBMITTED))
    return list(session.exec(select(Round).where(
        Round.institution_id.in_(wanted), Round.opens_at <= now,
        sa.or_(Round.closes_at.is_(None), Round.closes_at > now - grace))))


def closed_by_clock(session: Session, *, now: datetime, within: timedelta) -> int:
    """`round.closed` for rounds whose closing moment passed in the last `within` without a
    coordinator closing them (flush only). Idempotent: the event's key is per round, so a round
    closed by hand, or seen by an earlier pass, adds nothing; an endpoint registered after the
    round closed is not told."""
    made = 0
    for round_ in session.exec(select(Round).where(
            Round.closes_at.is_not(None), Round.closes_at <= now,
            Round.closes_at > now - within)):
        for endpoint in _subscribed(session, round_.institution_id, ROUND_CLOSED):
            if endpoint.created_at < round_.closes_at:
                data = {**_round_data(session, round_), "opens_at": _stamp(round_.opens_at),
                        "closes_at": _stamp(round_.closes_at)}
                made += enqueue_one(session, endpoint=endpoint, event=ROUND_CLOSED,
                                    at=_minute(round_.closes_at), data=data,
                                    key=f"{ROUND_CLOSED}:{round_.id}") is not None
    return made
