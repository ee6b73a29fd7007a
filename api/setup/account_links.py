"""One-time links to set a password: the invitation to a new account (7 days) and the reset of a
forgotten password (1 hour).

Only a hash of the token is stored. The token itself is an HMAC of the secret key over the row's
id and random nonce, derived again when the mail is sent (the mail registry's link kind
`account`), so neither the database nor the outbox ever holds a working link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select, update

from api.mail.links import UnknownLink, register_link
from api.platform.errors import DomainError, InvalidInput, NotFound
from api.platform.models import Account, AccountInstitution, AccountToken, utcnow
from api.platform.settings import Settings
from api.setup import accounts, audit, sign_in_policy

VALID_FOR = {"invite": timedelta(days=7), "reset": timedelta(hours=1)}
PURPOSES = tuple(VALID_FOR)
LINK_KIND = "account"
PATH = "/account/activeren/"


class LinkUnknown(NotFound):
    code = "account_link_unknown"


class LinkGone(DomainError):
    """Used already, expired, or its account was revoked: the same page for all three."""

    status_code = 410
    code = "account_link_gone"


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def plain_token(secret_key: str, token: AccountToken) -> str:
    """The token in the link, made from the secret key; never stored."""
    digest = hmac.new(secret_key.encode(), f"account:{token.id}:{token.nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_url(base_url: str, plain: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}{plain}"


def issue(session: Session, *, account: Account, purpose: str, secret_key: str,
          now: datetime | None = None) -> AccountToken:
    """A new link for `account` (flush only); earlier unused links of the same purpose stop
    working, so only the newest mail counts."""
    if purpose not in VALID_FOR:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    now = now or utcnow()
    session.exec(update(AccountToken).where(
        AccountToken.account_id == account.id, AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None)).values(used_at=now))
    nonce = secrets.token_urlsafe(24)
    # the hash needs the row's id: a random placeholder keeps the unique column unique meanwhile
    token = AccountToken(account_id=account.id, purpose=purpose, nonce=nonce,
                         token_hash=f"pending:{secrets.token_hex(16)}",
                         expires_at=now + VALID_FOR[purpose], created_at=now)
    session.add(token)
    session.flush()
    token.token_hash = _hash(plain_token(secret_key, token))
    session.add(token)
    session.flush()
    return token


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check(session: Session, *, token: str, now: datetime | None = None) -> AccountToken:
    """The stored token behind a link that still works, or LinkUnknown (404) / LinkGone (410)."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise LinkUnknown("No such link.")
    row = session.exec(select(AccountToken).where(AccountToken.token_hash == _hash(token))).first()
    if row is None:
        raise LinkUnknown("No such link.")
    account = session.get(Account, row.account_id)
    if (row.used_at is not None or _aware(row.expires_at) <= now or account is None
            or account.revoked_at is not None):
        raise LinkGone("This link was used already or has expired.")
    if not sign_in_policy.password_allowed(session=session, account=account):
        raise LinkGone("This account signs in through its institution, not by password.",
                       code="password_sign_in_off")
    return row


@dataclass(frozen=True)
class OpenLink:
    """What the set-password page shows about a link that still works."""

    purpose: str
    email: str


def open_link(session: Session, *, token: str) -> OpenLink:
    """The page's view of a working link, or LinkUnknown / LinkGone."""
    row = check(session, token=token)
    return OpenLink(purpose=row.purpose, email=session.get(Account, row.account_id).email)


def redeem(session: Session, *, token: str, password: str, repeat: str | None = None,
           now: datetime | None = None) -> Account:
    """Use case: set the account's password with a one-time link, once, before it expires. Every
    earlier session of the account ends; one audit event; commits."""
    now = now or utcnow()
    row = check(session, token=token, now=now)
    account = session.get(Account, row.account_id)
    if repeat is not None and repeat != password:
        raise InvalidInput("The two passwords differ.", code="password_mismatch", field="repeat")
    accounts.set_password(session=session, account=account, password=password)
    # single use even when two requests race: only one of them turns used_at from NULL
    marked = session.exec(update(AccountToken).where(
        AccountToken.id == row.id, AccountToken.used_at.is_(None)).values(used_at=now))
    if marked.rowcount != 1:
        raise LinkGone("This link was used already.")
    audit.record(session=session, actor=account, action=f"password_set_{row.purpose}",
                 institution=audit_institution(session, account), detail=account.email)
    session.commit()
    return account


def audit_institution(session: Session, account: Account) -> int | None:
    """The institution an account's own event belongs to in the log: its one grant, if it has
    exactly one (otherwise the event is installation-wide)."""
    granted = session.exec(select(AccountInstitution.institution_id).where(
        AccountInstitution.account_id == account.id).limit(2)).all()
    return granted[0] if len(granted) == 1 else None


def _account_link(session: Session, settings: Settings, ref: int) -> str:
    token = session.get(AccountToken, ref)
    if token is None:
        raise UnknownLink(f"No account link {ref}.")
    return link_url(settings.base_url, plain_token(settings.secret_key, token))


register_link(LINK_KIND, _account_link)
