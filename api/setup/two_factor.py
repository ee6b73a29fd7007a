"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

Required for the roles in `Settings.two_factor_required_roles` (administrators and coordinators
by default) before the admin area opens; a board member may switch it on. The secret is sealed
with a key derived from the app's secret key (HMAC-SHA256 as a stream cipher, encrypt-then-MAC),
so the database alone cannot make codes, and it is shown only until enrolment is confirmed.
A code is accepted within one time step either side, and never for a step already used, so a
code seen over someone's shoulder cannot be used again. Wrong codes are counted per account:
after five, each next try waits longer (up to 15 minutes) — whoever reaches this step already
knows the password, so locking the account's second step locks out only a guesser.

Every function flushes only; the caller commits (one use case, one transaction).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlmodel import Session, delete, select

from api.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from api.platform.models import (
    Account,
    AccountInstitution,
    AccountRole,
    Institution,
    RecoveryCode,
    TwoFactor,
    utcnow,
)
from api.setup import accounts, audit

ISSUER = "Kennisster"
RECOVERY_CODES = 10
FREE_FAILURES = 5
MAX_LOCK = timedelta(minutes=15)
WINDOW = timedelta(minutes=15)
STEP_SECONDS = 30


class CodeWrong(DomainError):
    status_code = 422
    code = "two_factor_code_wrong"


class CodeLocked(DomainError):
    status_code = 429
    code = "two_factor_locked"


class NotEnrolled(DomainError):
    status_code = 409
    code = "two_factor_not_enrolled"


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret for manual entry and the URI of the QR code."""

    secret: str
    uri: str


# --- the sealed secret -------------------------------------------------------------------------

def _keys(secret_key: str) -> tuple[bytes, bytes]:
    base = hashlib.sha256(f"ks-two-factor:{secret_key}".encode()).digest()
    return (hmac.new(base, b"encrypt", hashlib.sha256).digest(),
            hmac.new(base, b"mac", hashlib.sha256).digest())


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(secret: str, secret_key: str) -> str:
    enc, mac = _keys(secret_key)
    nonce = secrets.token_bytes(16)
    plain = secret.encode()
    body = nonce + bytes(a ^ b for a, b in zip(plain, _stream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(body + tag).decode()


def unseal(sealed: str, secret_key: str) -> str:
    enc, mac = _keys(secret_key)
    raw = base64.urlsafe_b64decode(sealed.encode())
    body, tag = raw[:-16], raw[-16:]
    if not hmac.compare_digest(tag, hmac.new(mac, body, hashlib.sha256).digest()[:16]):
        raise ValueError("the two-factor secret was sealed with another secret key")
    nonce, cipher = body[:16], body[16:]
    return bytes(a ^ b for a, b in zip(cipher, _stream(enc, nonce, len(cipher)),
                                       strict=True)).decode()


# --- state -------------------------------------------------------------------------------------

def _row(session: Session, account: Account) -> TwoFactor | None:
    return session.get(TwoFactor, account.id)


def _locked_row(session: Session, account: Account) -> TwoFactor | None:
    """The row locked until commit (PostgreSQL): two parallel posts of one code cannot both
    pass the check of its step (SQLite serialises writers already)."""
    return session.exec(select(TwoFactor).where(TwoFactor.account_id == account.id)
                        .with_for_update()).first()


def is_enrolled(*, session: Session, account: Account) -> bool:
    row = _row(session, account)
    return row is not None and row.enrolled_at is not None


def required_for(account: Account, required_roles: list[str] | tuple[str, ...]) -> bool:
    return account.role in required_roles


def may_switch_off(account: Account, required_roles: list[str] | tuple[str, ...]) -> bool:
    """Only where it is optional: a coordinator cannot go back to a password alone."""
    return not required_for(account, required_roles)


def recovery_codes_left(*, session: Session, account: Account) -> int:
    return len(session.exec(select(RecoveryCode.id).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))).all())


# --- enrolment ---------------------------------------------------------------------------------

def start_enrolment(*, session: Session, account: Account, secret_key: str) -> Enrolment:
    """A secret to scan; an enrolment not yet confirmed keeps its secret (reloading the page
    must not invalidate what the app just scanned)."""
    row = _row(session, account)
    if row is not None and row.enrolled_at is not None:
        raise Conflict("Two-factor sign-in is already on for this account.",
                       code="two_factor_already_on")
    if row is None:
        row = TwoFactor(account_id=account.id, secret_sealed=seal(pyotp.random_base32(32),
                                                                  secret_key))
        session.add(row)
        session.flush()
    secret = unseal(row.secret_sealed, secret_key)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def confirm_enrolment(*, session: Session, account: Account, code: str, secret_key: str,
                      now: datetime | None = None) -> list[str]:
    """The first code from the app switches it on; returns the recovery codes, shown once.

    Every other session of the account ends: one opened with a stolen password alone must not
    outlive the second step. The caller gives the enrolling browser a new cookie."""
    now = now or utcnow()
    row = _locked_row(session, account)
    if row is None or row.enrolled_at is not None:
        raise NotEnrolled("Start the enrolment first.")
    _check_code(session, row, code, secret_key, now)
    row.enrolled_at = now
    session.add(row)
    accounts.end_sessions(session=session, account=account)
    return _new_recovery_codes(session, account)


# --- sign-in -----------------------------------------------------------------------------------

def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _check_lock(row: TwoFactor, now: datetime) -> None:
    if row.locked_until and row.locked_until > now:
        seconds = int((row.locked_until - now).total_seconds()) + 1
        raise CodeLocked("Too many wrong codes; try again later.",
                         minutes=max(1, round(seconds / 60)), retry_after=seconds)


def _record_failure(session: Session, row: TwoFactor, now: datetime) -> None:
    if row.failures == 0 or row.first_failure_at is None or now - row.first_failure_at > WINDOW:
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    over = row.failures - FREE_FAILURES
    if over >= 0:
        row.locked_until = now + min(MAX_LOCK, timedelta(seconds=30 * 2 ** min(over, 10)))
    session.add(row)
    session.flush()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = _step(now)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _check_code(session: Session, row: TwoFactor, code: str, secret_key: str,
                now: datetime) -> None:
    """A TOTP code of a step not used before, or CodeWrong/CodeLocked (failure recorded)."""
    _check_lock(row, now)
    code = _normalise(code)
    if not code:
        raise InvalidInput("Type the 6-digit code.", code="two_factor_code_missing")
    step = _matching_step(unseal(row.secret_sealed, secret_key), code, now)
    if step is None or step <= row.last_step:
        _record_failure(session, row, now)
        raise CodeWrong("This code is not right, or was used already.")
    row.last_step, row.failures, row.locked_until = step, 0, None
    session.add(row)
    session.flush()


def verify(*, session: Session, account: Account, code: str, secret_key: str,
           now: datetime | None = None) -> str:
    """The second step of a sign-in: a code of the app, or else one unused recovery code.
    Returns "totp" or "recovery"; a wrong one raises CodeWrong and counts towards the lock."""
    now = now or utcnow()
    row = _locked_row(session, account)
    if row is None or row.enrolled_at is None:
        raise NotEnrolled("Two-factor sign-in is not on for this account.")
    normalised = _normalise(code)
    if len(normalised) == 6 and normalised.isdigit() or not normalised:
        _check_code(session, row, code, secret_key, now)
        return "totp"
    _check_lock(row, now)
    recovery = session.exec(select(RecoveryCode).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None),
        RecoveryCode.code_hash == _hash(normalised))).first()
    if recovery is None:
        _record_failure(session, row, now)
        raise CodeWrong("This recovery code is not right, or was used already.")
    recovery.used_at = now
    row.failures, row.locked_until = 0, None
    session.add_all([recovery, row])
    session.flush()
    return "recovery"


# --- recovery codes ----------------------------------------------------------------------------

def _hash(normalised: str) -> str:
    return hashlib.sha256(f"ks-recovery:{normalised}".encode()).hexdigest()


def _new_recovery_codes(session: Session, account: Account) -> list[str]:
    session.exec(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy from paper
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(15))
        codes.append(f"{raw[:5]}-{raw[5:10]}-{raw[10:]}")
        session.add(RecoveryCode(account_id=account.id, code_hash=_hash(_normalise(raw))))
    session.flush()
    return codes


def regenerate_recovery_codes(*, session: Session, account: Account) -> list[str]:
    """Ten new codes, the old ones no longer work; shown once."""
    if not is_enrolled(session=session, account=account):
        raise NotEnrolled("Two-factor sign-in is not on for this account.")
    return _new_recovery_codes(session, account)


# --- switching off -----------------------------------------------------------------------------

def _remove(session: Session, account: Account) -> None:
    session.exec(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    session.exec(delete(TwoFactor).where(TwoFactor.account_id == account.id))
    session.flush()


def switch_off(*, session: Session, account: Account,
               required_roles: list[str] | tuple[str, ...]) -> None:
    """A board member goes back to a password alone; where it is required, refused."""
    if not may_switch_off(account, required_roles):
        raise Conflict("Two-factor sign-in is required for this role.",
                       code="two_factor_required")
    _remove(session, account)


def reset(*, session: Session, actor: Account | None, account_id: int,
          institution: Institution | None = None) -> Account:
    """An administrator (or the command line) removes someone's lost app: they enrol again at
    their next sign-in. Logged, and every session of the account ends. `institution` is where
    it was done (the account must belong to it), for the log."""
    if actor is not None and actor.role != AccountRole.admin:
        raise Conflict("Only an administrator resets someone's two-factor sign-in.",
                       code="two_factor_reset_admin_only")
    target = session.get(Account, account_id)
    if target is None or (institution is not None and session.get(
            AccountInstitution, (account_id, institution.id)) is None):
        raise NotFound("No such account here.")
    _remove(session, target)
    target.session_version += 1
    session.add(target)
    audit.record(session=session, actor=actor, action="two_factor_reset", institution=institution,
                 detail=target.email)
    return target
