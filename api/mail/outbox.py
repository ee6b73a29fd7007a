"""The outbox: every e-mail is a row written in the transaction that decided to send it.

A mail is therefore sent if and only if its invitation or reminder was committed, and a worker
that dies half-way loses nothing: what it claimed comes back when its lease runs out. The key
makes enqueueing idempotent, so a retried request or a second worker never queues a mail twice.

Delivery is at least once: a worker killed between the server's 250 and `mark_sent` sends that
one mail again, with the same Message-ID so it can be recognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select, update

from api.platform.db import dialect_insert
from api.platform.models import Outbox, OutboxStatus, utcnow

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=25),
           timedelta(hours=2), timedelta(hours=10))
ERROR_MAX = 500
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to send one mail, read while the row was claimed (no ORM object)."""

    id: int
    key: str
    template: str
    to_address: str
    lang: str
    params: dict
    link_kind: str | None
    link_ref: int | None
    attempts: int


@dataclass(frozen=True)
class DeliveryError:
    to_address: str
    error: str
    attempts: int
    status: str
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class DeliveryStatus:
    """Counts per status of a round's mail and its latest errors, for the invitations page."""

    counts: dict[str, int]
    last_errors: list[DeliveryError]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def enqueue(session: Session, *, key: str, template: str, to: str, lang: str, params: dict,
            link_kind: str | None = None, link_ref: int | None = None,
            round_id: int | None = None, not_before: datetime | None = None) -> bool:
    """Queue one mail (flush only). A key already queued adds nothing and returns False, so the
    same invitation or the same day's reminder is never sent twice, even by racing callers.
    `not_before` holds it back, e.g. until its round opens."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    now = utcnow()
    insert = dialect_insert(session)
    result = session.exec(insert(Outbox).values(
        key=key, template=template, to_address=to, lang=lang, params=params,
        link_kind=link_kind, link_ref=link_ref, round_id=round_id, status=OutboxStatus.pending,
        attempts=0, next_attempt_at=max(now, not_before) if not_before else now, created_at=now,
    ).on_conflict_do_nothing(index_elements=["key"]).returning(Outbox.id))
    return result.first() is not None  # (rowcount is not reliable for ORM inserts on psycopg)


def _due(model: type, now: datetime):
    return sa.or_(
        sa.and_(model.status == OutboxStatus.pending, model.next_attempt_at <= now),
        sa.and_(model.status == OutboxStatus.sending, model.lease_until <= now),
    )


def claimable(session: Session, model: type, *, limit: int, now: datetime,
              where: Sequence = ()) -> list:
    """The due rows of an outbox-shaped table (status, attempts, next_attempt_at, lease_until),
    locked for this claimer: the one claiming query of the mail and the webhook outboxes.

    Open the session with `session_scope(engine, write=True)`: SQLite then serialises claimers
    with BEGIN IMMEDIATE; PostgreSQL lets them pass each other with SKIP LOCKED."""
    query = (select(model).where(_due(model, now), *where)
             .order_by(model.next_attempt_at, model.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=model)
    return list(session.exec(query).all())


def claim(session: Session, *, limit: int, now: datetime | None = None,
          lease: timedelta = timedelta(minutes=10), max_attempts: int = 6) -> list[Claimed]:
    """Take up to `limit` due mails for this worker and commit, so no other worker takes them
    until the lease runs out. A mail whose worker died mid-send (its lease expired) is due again;
    one that has taken down `max_attempts` workers is given up.

    Open the session with `session_scope(engine, write=True)`: SQLite then serialises claimers
    with BEGIN IMMEDIATE; PostgreSQL lets them pass each other with SKIP LOCKED.
    """
    now = now or utcnow()
    claimed = []
    for row in claimable(session, Outbox, limit=limit, now=now):
        if row.status == OutboxStatus.sending and row.attempts >= max_attempts:
            row.status, row.lease_until = OutboxStatus.failed, None
            row.last_error = "The worker stopped while sending this mail, too many times."
            continue
        row.status, row.lease_until, row.attempts = OutboxStatus.sending, now + lease, row.attempts + 1
        claimed.append(Claimed(id=row.id, key=row.key, template=row.template,
                               to_address=row.to_address, lang=row.lang, params=dict(row.params),
                               link_kind=row.link_kind, link_ref=row.link_ref,
                               attempts=row.attempts))
    session.commit()
    return claimed


def mark_sent(session: Session, outbox_id: int, *, now: datetime | None = None) -> None:
    """The server said 250: this mail is delivered (flush only; the worker commits at once)."""
    session.exec(update(Outbox).where(Outbox.id == outbox_id).values(
        status=OutboxStatus.sent, sent_at=now or utcnow(), lease_until=None, last_error=None))


def mark_failed(session: Session, outbox_id: int, *, error: str, now: datetime | None = None,
                permanent: bool = False, max_attempts: int = 6) -> None:
    """Try again later, waiting longer after each attempt (1, 5, 25 minutes …), or give up after
    `max_attempts` or when the server refused for good (flush only)."""
    now = now or utcnow()
    row = session.get(Outbox, outbox_id)
    if row is None or row.status == OutboxStatus.sent:
        return
    row.last_error = " ".join(error.split())[:ERROR_MAX] or "unknown error"
    row.lease_until = None
    if permanent or row.attempts >= max_attempts:
        row.status = OutboxStatus.failed
    else:
        row.status = OutboxStatus.pending
        row.next_attempt_at = now + BACKOFF[min(max(row.attempts, 1), len(BACKOFF)) - 1]
    session.add(row)
    session.flush()


def release(session: Session, outbox_ids: Sequence[int]) -> None:
    """Hand back claimed mails that were not tried (the connection dropped before them), without
    counting an attempt (flush only)."""
    if outbox_ids:
        session.exec(update(Outbox).where(Outbox.id.in_(outbox_ids),
                                          Outbox.status == OutboxStatus.sending).values(
            status=OutboxStatus.pending, lease_until=None, attempts=Outbox.attempts - 1))


def delivery_status(session: Session, round_id: int, *, errors: int = 10) -> DeliveryStatus:
    """How a round's mail is doing: counts per status and the latest errors, newest first."""
    counts = {status.value: 0 for status in OutboxStatus}
    for status, n in session.exec(select(Outbox.status, sa.func.count()).where(
            Outbox.round_id == round_id).group_by(Outbox.status)):
        counts[status] = n
    rows = session.exec(select(Outbox).where(Outbox.round_id == round_id,
                                             Outbox.last_error.is_not(None))
                        .order_by(Outbox.next_attempt_at.desc(), Outbox.id.desc()).limit(errors))
    return DeliveryStatus(counts=counts, last_errors=[
        DeliveryError(to_address=row.to_address, error=row.last_error, attempts=row.attempts,
                      status=row.status,
                      next_attempt_at=row.next_attempt_at if row.status == "pending" else None)
        for row in rows])
