"""Reminders for e-mailed invitations, and forgetting the addresses once a round is closed.

These are building blocks: they flush, and their callers (the CLI, the worker's loop, a page)
commit once. Whether somebody answered is read from the invitation only; a reminder never looks
at responses.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, delete, select, update

from api.mail import outbox
from api.platform.errors import Conflict, InvalidInput
from api.platform.models import Institution, Invitation, Outbox, OutboxStatus, Recipient, Round, Unit, utcnow
from api.survey import invitations

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
MAX_REMIND_DAYS = 60


def local_today(now: datetime | None = None) -> date:
    """The date in the Netherlands: "once a day" means a Dutch day."""
    return (now or utcnow()).astimezone(LOCAL_ZONE).date()


def _not_answered():
    """The one place that says an invitation has not been used to answer yet."""
    return Invitation.used_on.is_(None)


def send_reminders(session: Session, *, round_: Round, today: date,
                   not_reminded_since: date | None = None, now: datetime | None = None) -> int:
    """Queue a reminder to every e-mailed invitee of the round who has not answered, at most one
    per person per day (flush only). `not_reminded_since` skips people reminded on or after that
    date (the scheduled reminder goes out once). Returns the number of reminders queued."""
    if round_.status(now or utcnow()) != "open":
        raise Conflict(f"Round {round_.id} is not open; reminders go out only while it is.")
    since = min(not_reminded_since or today, today)
    rows = session.exec(
        select(Recipient, Invitation.unit_id)
        .join(Invitation, Invitation.id == Recipient.invitation_id)
        .where(Invitation.round_id == round_.id, _not_answered(),
               sa.or_(Recipient.last_reminded_on.is_(None), Recipient.last_reminded_on < since))
        .order_by(Recipient.id)
    ).all()
    if not rows:
        return 0
    institution = session.get(Institution, round_.institution_id)
    units: dict[int, Unit] = {}
    queued = 0
    for recipient, unit_id in rows:
        unit = units.get(unit_id) or units.setdefault(unit_id, session.get(Unit, unit_id))
        queued += outbox.enqueue(
            session, key=f"remind:{recipient.invitation_id}:{today.isoformat()}", template="reminder",
            to=recipient.email, lang=recipient.lang,
            params=invitations.mail_params(round_=round_, unit=unit, institution=institution),
            link_kind="survey", link_ref=recipient.invitation_id, round_id=round_.id)
        recipient.last_reminded_on = today
        session.add(recipient)
    session.flush()
    return queued


def schedule_reminder(session: Session, *, round_: Round, days_before_close: int | None) -> Round:
    """Send the reminder automatically this many days before the round closes; None: never
    (flush only)."""
    if days_before_close is not None:
        if round_.closes_at is None:
            raise InvalidInput("The round has no closing date, so a reminder cannot be timed by it.")
        if not 1 <= days_before_close <= MAX_REMIND_DAYS:
            raise InvalidInput(f"Remind between 1 and {MAX_REMIND_DAYS} days before closing.")
    round_.remind_days_before_close = days_before_close
    session.add(round_)
    session.flush()
    return round_


def due_scheduled_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Queue the scheduled reminder of every open round whose moment has come (flush only).

    Each invitee gets it once: whoever was reminded on or after the scheduled day (by hand or by an
    earlier pass of the worker) is skipped, and a worker that was down on the day catches up.
    """
    now = now or utcnow()
    open_rounds = session.exec(select(Round).where(
        Round.remind_days_before_close.is_not(None), Round.closes_at.is_not(None),
        Round.opens_at <= now, Round.closes_at > now)).all()
    queued = 0
    for round_ in open_rounds:
        moment = round_.closes_at - timedelta(days=round_.remind_days_before_close)
        if moment <= now:
            queued += send_reminders(session, round_=round_, today=local_today(now),
                                     not_reminded_since=local_today(moment), now=now)
    return queued


def forget_addresses(session: Session, *, now: datetime | None = None) -> int:
    """Once a round has closed, delete its invitees' addresses: the recipients go, and its
    outbox rows keep only whether they were sent. Mail not sent by then is not sent at all.
    Returns the number of addresses deleted (flush only)."""
    now = now or utcnow()
    closed = select(Round.id).where(Round.closes_at.is_not(None), Round.closes_at <= now)
    invitation_ids = select(Invitation.id).where(Invitation.round_id.in_(closed))
    deleted = session.exec(delete(Recipient).where(Recipient.invitation_id.in_(invitation_ids)))
    # a server's error often repeats the address, so the errors go with it
    session.exec(update(Outbox).where(Outbox.round_id.in_(closed), Outbox.to_address != "")
                 .values(to_address="", last_error=None))
    session.exec(update(Outbox).where(
        Outbox.round_id.in_(closed), Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
        .values(status=OutboxStatus.failed, lease_until=None,
                last_error="The round closed before this mail was sent."))
    return deleted.rowcount or 0
