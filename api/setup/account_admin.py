"""Use cases of accounts: invite, revoke, reset and change a password, end every session.

Each is one user action, called by the web page and by the command line alike: it checks who may
do it, composes the building blocks of `accounts` and `account_links`, queues the mail through
the outbox, records one audit event and commits once. The mails carry no link: the worker
derives it when it sends (`account_links`, link kind `account`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from api.mail import outbox, worker
from api.platform.db import dialect_insert
from api.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from api.platform.models import (
    Account,
    AccountInstitution,
    AccountRole,
    AccountToken,
    Institution,
    LoginAttempt,
    utcnow,
)
from api.setup import access, account_links, accounts, audit, sign_in_policy

INVITABLE_ROLES = (AccountRole.bestuur.value, AccountRole.coordinator.value)
RESET_MAILS_PER_ADDRESS = 3
RESET_MAILS_PER_CLIENT = 10
RESET_WINDOW = timedelta(hours=1)


class NotAllowed(DomainError):
    """An action this account may not take on this account (the page shows why)."""

    status_code = 403
    code = "account_not_allowed"


@dataclass(frozen=True)
class Invited:
    """What an invitation did: a new account with a link, or a grant to an existing account."""

    account: Account
    token: AccountToken | None  # None when the address already had an account
    existing: bool
    mailed: bool


@dataclass(frozen=True)
class Member:
    account: Account
    status: str  # invited, active or revoked


def members(*, session: Session, institution: Institution) -> list[Member]:
    """The accounts granted this institution, by address."""
    rows = session.exec(select(Account).join(
        AccountInstitution, AccountInstitution.account_id == Account.id).where(
        AccountInstitution.institution_id == institution.id).order_by(Account.email)).all()
    return [Member(account=row, status=accounts.account_status(row)) for row in rows]


def _queue_link(session: Session, *, account: Account, token: AccountToken, lang: str,
                institution: Institution | None) -> bool:
    if token.purpose == "invite":
        template = "account_invite"
        params = {"name": account.name, "institution": institution.name if institution else "",
                  "valid_hours": int(account_links.VALID_FOR["invite"].total_seconds() // 3600)}
    else:
        template = "password_reset"
        params = {"name": account.name,
                  "valid_minutes": int(account_links.VALID_FOR["reset"].total_seconds() // 60)}
    return outbox.enqueue(session, key=f"account-{token.purpose}:{token.id}", template=template,
                          to=account.email, lang=lang if lang in outbox.LANGUAGES else "nl",
                          params=params, link_kind=account_links.LINK_KIND, link_ref=token.id)


def invite(*, session: Session, actor: Account | None, institution: Institution, email: str,
           role: str, name: str = "", secret_key: str) -> Invited:
    """Invite a board member or coordinator of `institution` by e-mail (actor None: the CLI).

    An address that already has an account of that role is granted the institution instead; a
    different role is refused rather than silently widened or narrowed (a role holds for every
    institution of the account). A revoked account comes back only by an administrator.
    """
    if actor is not None:
        access.managed_institution(session=session, account=actor, slug=institution.slug)
    if role not in INVITABLE_ROLES:
        raise InvalidInput("Invite a bestuur or coordinator account.", code="role_invalid",
                           field="role")
    clean = accounts.normalise_email(email)
    if "@" not in clean or len(clean) > 254 or " " in clean or clean.startswith("@") \
            or clean.endswith("@"):
        raise InvalidInput("Give a valid e-mail address.", code="email_invalid", field="email")
    if len(name) > 200:
        raise InvalidInput("A name has at most 200 characters.", code="name_too_long",
                           field="name", length=len(name), max=200)
    existing = accounts.find_account(session=session, email=clean)
    lang = institution.default_language
    if existing is None:
        account = accounts.create_account(session=session, email=clean, password=None,
                                          role=role, name=name, institutions=[institution])
        token = account_links.issue(session, account=account, purpose="invite",
                                    secret_key=secret_key)
        mailed = _queue_link(session, account=account, token=token, lang=lang,
                             institution=institution)
        audit.record(session=session, actor=actor, action="account_invited",
                     institution=institution, detail=f"{clean} ({role})")
        session.commit()
        worker.wake()  # the mail goes out now, not at the next poll
        return Invited(account=account, token=token, existing=False, mailed=mailed)
    if existing.role == AccountRole.admin:
        raise Conflict("This address is an administrator: it sees every institution already.",
                       code="account_is_admin", field="email")
    if existing.role != role:
        raise Conflict("This address has an account with another role.", code="account_other_role",
                       field="email", role=existing.role)
    token = None
    if existing.revoked_at is not None:
        if actor is not None and not access.is_admin(actor):
            raise Conflict("This account was revoked; only an administrator can restore it.",
                           code="account_revoked", field="email")
        existing.revoked_at, existing.password_hash = None, ""
        accounts.end_sessions(session=session, account=existing)
        token = account_links.issue(session, account=existing, purpose="invite",
                                    secret_key=secret_key)
    accounts.grant(session=session, account=existing, institution=institution)
    mailed = bool(token) and _queue_link(session, account=existing, token=token, lang=lang,
                                         institution=institution)
    audit.record(session=session, actor=actor, action="account_granted",
                 institution=institution, detail=f"{clean} ({role})")
    session.commit()
    worker.wake()  # the mail goes out now, not at the next poll
    return Invited(account=existing, token=token, existing=True, mailed=mailed)


def _target(session: Session, account_id: int, institution: Institution | None) -> Account:
    target = session.get(Account, account_id)
    if target is None or (institution is not None and session.get(
            AccountInstitution, (account_id, institution.id)) is None):
        raise NotFound("No such account here.")
    return target


def revoke_grant(*, session: Session, actor: Account | None, institution: Institution,
                 account_id: int) -> Account:
    """Take this institution away from an account; the account itself stays."""
    if actor is not None:
        access.managed_institution(session=session, account=actor, slug=institution.slug)
    target = _target(session, account_id, institution)
    if actor is not None and target.id == actor.id:
        raise NotAllowed("You cannot revoke your own access.", code="account_not_self")
    if target.role == AccountRole.admin and actor is not None and not access.is_admin(actor):
        raise NotAllowed("A coordinator cannot revoke an administrator.", code="account_not_admin")
    session.delete(session.get(AccountInstitution, (target.id, institution.id)))
    session.flush()
    audit.record(session=session, actor=actor, action="account_access_revoked",
                 institution=institution, detail=target.email)
    session.commit()
    return target


def revoke_account(*, session: Session, actor: Account | None, account_id: int,
                   institution: Institution | None = None) -> Account:
    """An administrator (or the CLI) blocks a whole account: no login, every session ended, no
    link of it works. `institution` is where it was done, for the log."""
    if actor is not None and not access.is_admin(actor):
        raise NotAllowed("Only an administrator can revoke a whole account.",
                         code="account_not_admin_only")
    target = _target(session, account_id, institution)
    if actor is not None and target.id == actor.id:
        raise NotAllowed("You cannot revoke your own account.", code="account_not_self")
    if target.revoked_at is None:
        target.revoked_at = utcnow()
        accounts.end_sessions(session=session, account=target)
    audit.record(session=session, actor=actor, action="account_revoked", institution=institution,
                 detail=target.email)
    session.commit()
    return target


def _throttle_keys(email: str, client: str) -> dict[str, tuple[str, int]]:
    digest = hashlib.sha256(email.encode()).hexdigest()[:40]
    return {"email": (f"reset-email:{digest}", RESET_MAILS_PER_ADDRESS),
            "ip": (f"reset-ip:{client[:60]}", RESET_MAILS_PER_CLIENT)}


def _within_reset_budget(session: Session, email: str, client: str, now: datetime) -> bool:
    """Count one request against the address and the client; False once either had its share
    this hour. Counted whether or not the address exists, so the count tells nothing."""
    insert = dialect_insert(session)
    allowed = True
    for key, limit in sorted(_throttle_keys(email, client).values()):
        session.exec(insert(LoginAttempt).values(key=key, failures=0, first_failure_at=now)
                     .on_conflict_do_nothing(index_elements=["key"]))
        row = session.exec(select(LoginAttempt).where(LoginAttempt.key == key)
                           .with_for_update()).one()
        started = row.first_failure_at if row.first_failure_at.tzinfo else \
            row.first_failure_at.replace(tzinfo=now.tzinfo)
        if row.failures == 0 or now - started > RESET_WINDOW:
            row.failures, row.first_failure_at = 0, now
        row.failures += 1
        allowed = allowed and row.failures <= limit
        session.add(row)
    session.flush()
    return allowed


def request_reset(*, session: Session, email: str, client: str, lang: str, secret_key: str,
                  now: datetime | None = None) -> AccountToken | None:
    """Someone forgot their password: mail a reset link if the address has a usable account.

    The page answers the same in every case; the return value (the token, or None when nothing
    was sent) is for tests and the log only. A revoked account gets no mail; at most three mails
    per address and ten per client an hour.
    """
    now = now or utcnow()
    clean = accounts.normalise_email(email)[:254]
    allowed = _within_reset_budget(session, clean, client, now)
    account = accounts.find_account(session=session, email=clean) if "@" in clean else None
    token = None
    if (allowed and account is not None and account.revoked_at is None
            and sign_in_policy.password_allowed(session=session, account=account)):
        token = account_links.issue(session, account=account, purpose="reset",
                                    secret_key=secret_key, now=now)
        _queue_link(session, account=account, token=token, lang=lang, institution=None)
        audit.record(session=session, actor=account, action="password_reset_requested",
                     institution=account_links.audit_institution(session, account),
                     detail=account.email)
    session.commit()
    worker.wake()  # the mail goes out now, not at the next poll
    return token


def send_reset(*, session: Session, actor: Account | None, email: str, lang: str,
               secret_key: str) -> AccountToken:
    """An administrator (the CLI) sends someone a reset link, without the throttle."""
    account = accounts.get_account(session=session, email=email)
    if account.revoked_at is not None:
        raise Conflict("This account is revoked.", code="account_revoked")
    token = account_links.issue(session, account=account, purpose="reset", secret_key=secret_key)
    _queue_link(session, account=account, token=token, lang=lang, institution=None)
    audit.record(session=session, actor=actor, action="password_reset_sent",
                 institution=account_links.audit_institution(session, account),
                 detail=account.email)
    session.commit()
    worker.wake()  # the mail goes out now, not at the next poll
    return token


def change_password(*, session: Session, account: Account, current: str, new: str,
                    repeat: str) -> Account:
    """A logged-in account chooses a new password; every session of it ends (the page gives the
    browser that asked a fresh cookie)."""
    if not accounts.check_password(account, current):
        raise InvalidInput("The current password is not right.", code="password_wrong",
                           field="current")
    try:
        accounts.check_new_password(new)
    except InvalidInput as exc:
        exc.params["field"] = "new"
        raise
    if new != repeat:
        raise InvalidInput("The two new passwords differ.", code="password_mismatch",
                           field="repeat")
    accounts.set_password(session=session, account=account, password=new)
    audit.record(session=session, actor=account, action="password_changed",
                 institution=account_links.audit_institution(session, account),
                 detail=account.email)
    session.commit()
    return account


def log_out(*, session: Session, account: Account) -> None:
    """Logging out ends the account's sessions on the server: a copied cookie stops working.
    The cookie holds only the account's session version, so this is every device at once."""
    accounts.end_sessions(session=session, account=account)
    audit.record(session=session, actor=account, action="logged_out",
                 institution=account_links.audit_institution(session, account))
    session.commit()
