"""Accounts of board members, coordinators and administrators: passwords, grants and login
throttling. Who may see or run what is decided in `api.setup.access`.

Passwords are stored as argon2 hashes. Failed logins are counted in the database, so every app
server behind a load balancer slows the same attacker, under three keys:

- per client address (`ip`): 20 free failures in 15 minutes across all account names, then a
  lock of 30 s that doubles with every further failure, at most 15 minutes;
- per client and account name (`pair`): 5 free failures, then the same growing lock;
- per account name (`email`): 5 free failures from any clients, then the same growing lock.

A locked client or pair is refused (429) even with the right password: that client is guessing.
The account name's lock refuses only clients that failed for this name in the window, so someone
who knows a board member's address cannot lock the owner out: the owner, from a client that has
not been guessing, still gets in with the right password. While an address is locked, a client
that never failed for it gets its one attempt checked; a wrong one makes it a guessing client
too. A successful login clears the name's and the pair's counters, and so does choosing a new
password by a reset link (`set_password`): the link proves the owner holds the mailbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from api.platform.db import dialect_insert
from api.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from api.platform.models import (
    Account,
    AccountInstitution,
    AccountRole,
    Institution,
    LoginAttempt,
    utcnow,
)
from api.setup import sign_in_policy

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 12
# An account made at its first sign-in through OpenID Connect: active, but no password matches
# this (it is no argon2 hash) until its owner sets one by a link, where that is allowed.
SSO_ONLY = "!sso"
FREE_FAILURES = {"email": 5, "ip": 20, "pair": 5}
WINDOW = timedelta(minutes=15)
MAX_LOCK = timedelta(minutes=15)


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


class LoginFailed(DomainError):
    status_code = 401
    code = "login_failed"


class PasswordSignInOff(DomainError):
    """The right password, but the account's institutions sign in through their own provider."""

    status_code = 403
    code = "password_sign_in_off"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_account(*, session: Session, email: str, password: str | None, role: str, name: str = "",
                   institutions: list[Institution] = ()) -> Account:
    """`password` None makes an invited account: it cannot log in until it sets one by its link."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput("Give a valid e-mail address as the account name.")
    if role not in AccountRole.__members__:
        raise InvalidInput(f"Role must be one of {', '.join(AccountRole.__members__)}.")
    if password is not None:
        check_new_password(password)
    if session.exec(select(Account).where(Account.email == email)).first():
        raise Conflict(f"An account {email} already exists.")
    account = Account(email=email, name=name.strip(), role=role,
                      password_hash=_hasher.hash(password) if password is not None else "")
    session.add(account)
    session.flush()
    session.add_all(AccountInstitution(account_id=account.id, institution_id=inst.id)
                    for inst in institutions)
    session.flush()
    return account


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
                           code="password_too_short", minimum=MIN_PASSWORD_LENGTH)
    if len(password) > 1024:
        raise InvalidInput("A password has at most 1024 characters.", code="password_too_long")


def set_password(*, session: Session, account: Account, password: str) -> None:
    """A new password: every session of the account ends and the lock on its name is lifted
    (flush only)."""
    check_new_password(password)
    account.password_hash = _hasher.hash(password)
    end_sessions(session=session, account=account)
    clear_address_lock(session=session, email=account.email)


def check_password(account: Account, password: str) -> bool:
    """Whether `password` is the account's own (an empty hash, never set, matches nothing)."""
    try:
        return bool(account.password_hash) and _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def end_sessions(*, session: Session, account: Account) -> None:
    """Every signed cookie of this account stops working (flush only)."""
    account.session_version += 1
    session.add(account)
    session.flush()


def account_status(account: Account) -> str:
    """invited (no password yet), active or revoked."""
    if account.revoked_at is not None:
        return "revoked"
    return "active" if account.password_hash else "invited"


def find_account(*, session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(Account.email == normalise_email(email))).first()


def grant(*, session: Session, account: Account, institution: Institution) -> None:
    if session.get(AccountInstitution, (account.id, institution.id)) is None:
        session.add(AccountInstitution(account_id=account.id, institution_id=institution.id))
        session.flush()


def get_account(*, session: Session, email: str) -> Account:
    account = session.exec(select(Account).where(Account.email == normalise_email(email))).first()
    if account is None:
        raise NotFound(f"No account {email}.")
    return account


def list_accounts(*, session: Session) -> list[Account]:
    return list(session.exec(select(Account).order_by(Account.email)))


def _attempt_keys(email: str, client: str) -> dict[str, str]:
    address = normalise_email(email)
    digest = hashlib.sha256(address.encode()).hexdigest()[:40]
    pair = hashlib.sha256(f"{client}\n{address}".encode()).hexdigest()[:40]
    return {"email": f"email:{digest}", "ip": f"ip:{client[:60]}", "pair": f"pair:{pair}"}


def clear_address_lock(*, session: Session, email: str) -> None:
    """Forget the failed logins counted for this account name (flush only): its owner proved
    who they are (a reset link). The counters of guessing clients stay."""
    key = _attempt_keys(email, "")["email"]
    attempt = session.get(LoginAttempt, key)
    if attempt is not None:
        session.delete(attempt)
        session.flush()


def _locked_attempts(session: Session, keys: dict[str, str], now: datetime) -> dict[str, LoginAttempt]:
    """The counters of this attempt, created if new and locked for this transaction.

    Holding the row lock from the check to the record keeps parallel guesses from all passing the
    check before any failure is counted (PostgreSQL; SQLite serialises writers already).
    """
    insert = dialect_insert(session)
    attempts = {}
    for kind, key in sorted(keys.items()):
        session.exec(insert(LoginAttempt).values(key=key, failures=0, first_failure_at=now)
                     .on_conflict_do_nothing(index_elements=["key"]))
        attempts[kind] = session.exec(
            select(LoginAttempt).where(LoginAttempt.key == key).with_for_update()).one()
    return attempts


def _guessing(attempt: LoginAttempt, now: datetime) -> bool:
    return attempt.failures > 0 and now - attempt.first_failure_at <= WINDOW


def _check_lock(attempts: dict[str, LoginAttempt], now: datetime) -> None:
    """A locked client or pair is refused; a locked account name only refuses a client that
    has been guessing it (see the module's docstring)."""
    clean = not _guessing(attempts["pair"], now)
    for kind, attempt in attempts.items():
        if kind == "email" and clean:
            continue
        if attempt.locked_until and attempt.locked_until > now:
            seconds = int((attempt.locked_until - now).total_seconds()) + 1
            raise TooManyAttempts("Too many failed logins; try again later.",
                                  minutes=max(1, round(seconds / 60)), retry_after=seconds)


def _record_failure(session: Session, attempts: dict[str, LoginAttempt], now: datetime) -> None:
    for kind, attempt in attempts.items():
        if attempt.failures == 0 or now - attempt.first_failure_at > WINDOW:
            attempt.failures, attempt.first_failure_at, attempt.locked_until = 0, now, None
        attempt.failures += 1
        over = attempt.failures - FREE_FAILURES[kind]
        if over >= 0:
            attempt.locked_until = now + min(MAX_LOCK, timedelta(seconds=30 * 2 ** min(over, 10)))
        session.add(attempt)


def authenticate(*, session: Session, email: str, password: str, client: str,
                 now: datetime | None = None) -> Account:
    """The account for these credentials; a wrong name or password gets one and the same answer."""
    now = now or utcnow()
    attempts = _locked_attempts(session, _attempt_keys(email, client), now)
    try:
        _check_lock(attempts, now)
    except TooManyAttempts:
        session.commit()
        raise
    account = session.exec(select(Account).where(Account.email == normalise_email(email))).first()
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        ok = account is not None and account.revoked_at is None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        _record_failure(session, attempts, now)
        session.commit()
        raise LoginFailed("The e-mail address or password is not right.")
    session.delete(attempts["email"])
    session.delete(attempts["pair"])
    if not sign_in_policy.password_allowed(session=session, account=account):
        session.commit()
        raise PasswordSignInOff("This account signs in through its institution, not by password.")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        session.add(account)
    session.commit()
    return account


@dataclass(frozen=True)
class SessionClaim:
    account_id: int
    version: int


def account_for_claim(*, session: Session, claim: SessionClaim) -> Account | None:
    account = session.get(Account, claim.account_id)
    if account is None or account.session_version != claim.version or account.revoked_at:
        return None
    return account
