"""An institution's webhook endpoints: registered, listed, tested, switched on and off, deleted.

The signing secret (`whsec_…`, Standard Webhooks) is returned once, when the endpoint is made or
its secret rotated, and kept sealed as the two-factor secrets are (`two_factor.seal`): the
worker can sign with it, a copy of the database alone cannot. Use cases commit; the rest flush.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from api.mail import outbox
from api.mail.links import register_link
from api.platform.errors import Conflict, InvalidInput, NotFound
from api.platform.models import (
    Account,
    AccountInstitution,
    AccountRole,
    Institution,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from api.platform.settings import Settings
from api.setup import audit
from api.setup.two_factor import seal
from api.webhooks import addresses, events

DESCRIPTION_MAX = 200
LOG_LIMIT = 50


@dataclass(frozen=True)
class Registered:
    endpoint: WebhookEndpoint
    secret: str  # shown this once


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def checked_events(chosen: list[str]) -> list[str]:
    unknown = set(chosen) - set(events.EVENTS)
    if not chosen or unknown:
        raise InvalidInput(f"Choose one or more events of: {', '.join(events.EVENTS)}.",
                           code="webhook_events_invalid", field="events")
    return [event for event in events.EVENTS if event in chosen]


def of_institution(*, session: Session, institution: Institution) -> list[WebhookEndpoint]:
    return list(session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.institution_id == institution.id).order_by(WebhookEndpoint.id)))


def get(*, session: Session, institution: Institution, endpoint_id: int) -> WebhookEndpoint:
    """The institution's endpoint, or 404 (another institution's endpoint does not exist)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id) if 0 < endpoint_id < 2**31 else None
    if endpoint is None or endpoint.institution_id != institution.id:
        raise NotFound(f"No webhook {endpoint_id} here.", code="webhook_unknown")
    return endpoint


def register(*, session: Session, settings: Settings, actor: Account | None,
             institution: Institution, url: str, chosen_events: list[str],
             description: str = "") -> Registered:
    """A new endpoint with its secret (shown once); one audit event, one commit."""
    url = addresses.checked_url(url, allow_loopback=settings.webhook_allow_loopback)
    chosen = checked_events(chosen_events)
    description = " ".join((description or "").split())
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"A description has at most {DESCRIPTION_MAX} characters.",
                           code="webhook_description_long", field="description")
    secret = new_secret()
    endpoint = WebhookEndpoint(institution_id=institution.id, url=url, events=" ".join(chosen),
                               description=description,
                               secret_sealed=seal(secret, settings.secret_key))
    session.add(endpoint)
    session.flush()
    audit.record(session=session, actor=actor, action="webhook.created", institution=institution,
                 detail=f"webhook {endpoint.id}: {url} ({', '.join(chosen)})")
    session.commit()
    return Registered(endpoint=endpoint, secret=secret)


def rotate_secret(*, session: Session, settings: Settings, actor: Account | None,
                  endpoint: WebhookEndpoint) -> Registered:
    """A new secret signs from now on, also the retries of what is queued; shown once."""
    secret = new_secret()
    endpoint.secret_sealed = seal(secret, settings.secret_key)
    session.add(endpoint)
    audit.record(session=session, actor=actor, action="webhook.secret_rotated",
                 institution=endpoint.institution_id, detail=f"webhook {endpoint.id}")
    session.commit()
    return Registered(endpoint=endpoint, secret=secret)


def delete(*, session: Session, actor: Account | None, endpoint: WebhookEndpoint) -> None:
    """The endpoint, its queue and its log are gone (one commit)."""
    audit.record(session=session, actor=actor, action="webhook.deleted",
                 institution=endpoint.institution_id, detail=f"webhook {endpoint.id}: {endpoint.url}")
    session.exec(sa.delete(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id))
    session.exec(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.commit()


def switch(*, session: Session, actor: Account | None, endpoint: WebhookEndpoint,
           on: bool) -> WebhookEndpoint:
    """Switch on (again: its failure count starts afresh) or off by hand; one commit."""
    if on:
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
        endpoint.failures, endpoint.failing_since = 0, None
    elif endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "manual"
    session.add(endpoint)
    audit.record(session=session, actor=actor, action="webhook.on" if on else "webhook.off",
                 institution=endpoint.institution_id, detail=f"webhook {endpoint.id}")
    session.commit()
    return endpoint


def send_test(*, session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` event for this endpoint alone (one commit); wake the worker after."""
    if endpoint.disabled_at is not None:
        raise Conflict("This webhook is switched off: switch it on to send a test event.",
                       code="webhook_off")
    delivery = events.enqueue_one(session, endpoint=endpoint, event=events.TEST,
                                  key=f"test:{secrets.token_hex(8)}",
                                  data={"message": "A test event from Kennisster."})
    session.commit()
    return delivery


def delivery_count(*, session: Session, endpoint: WebhookEndpoint) -> int:
    return session.exec(select(sa.func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id)).one()


def deliveries(*, session: Session, endpoint: WebhookEndpoint, limit: int = LOG_LIMIT,
               offset: int = 0) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The delivery log, newest first: each event with its attempts (status code, error, time)."""
    rows = list(session.exec(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc()).offset(offset).limit(limit)))
    attempts: dict[int, list[WebhookAttempt]] = {row.id: [] for row in rows}
    if rows:
        for attempt in session.exec(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_(list(attempts))).order_by(WebhookAttempt.id)):
            attempts[attempt.delivery_id].append(attempt)
    return [(row, attempts[row.id]) for row in rows]


# --- switched off after failing -----------------------------------------------------------------

def should_switch_off(endpoint: WebhookEndpoint, settings: Settings, now: datetime) -> bool:
    if endpoint.failures >= settings.webhook_disable_after_failures:
        return True
    since = endpoint.failing_since
    return since is not None and (now - since).total_seconds() >= \
        settings.webhook_disable_after_hours * 3600


def switch_off_failing(session: Session, endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Off, and a mail to the institution's coordinators through the mail outbox (flush only)."""
    endpoint.disabled_at, endpoint.disabled_reason = now, "failing"
    session.add(endpoint)
    institution = session.get(Institution, endpoint.institution_id)
    audit.record(session=session, actor=None, action="webhook.switched_off",
                 institution=endpoint.institution_id,
                 detail=f"webhook {endpoint.id}: {endpoint.failures} failed deliveries")
    coordinators = session.exec(select(Account).join(
        AccountInstitution, AccountInstitution.account_id == Account.id).where(
        AccountInstitution.institution_id == endpoint.institution_id,
        Account.role == AccountRole.coordinator, Account.revoked_at.is_(None)))
    for account in coordinators:
        outbox.enqueue(session, key=f"webhook-off:{endpoint.id}:{now.isoformat()}:{account.id}",
                       template="webhook_disabled", to=account.email,
                       lang=institution.default_language if institution else "nl",
                       params={"url": endpoint.url, "failures": endpoint.failures,
                               "institution": institution.name if institution else ""},
                       link_kind="webhooks", link_ref=endpoint.institution_id)


def _webhooks_page(session: Session, settings: Settings, institution_id: int) -> str:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise LookupError("institution gone")
    return f"{settings.base_url}/beheer/{institution.slug}/webhooks"


register_link("webhooks", _webhooks_page)
