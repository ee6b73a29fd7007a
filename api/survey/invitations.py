"""Invitations: personal single-use tokens and one shared link per unit and round.

Only a token's SHA-256 is stored. A shared link is derived from the secret key with HMAC, so the
command line can print it again without it ever being stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlmodel import Session, select

from api.platform.errors import InvalidInput
from api.platform.models import Invitation, InvitationKind, Round, Unit

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_PERSONAL_PER_CALL = 5000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(base_url: str, token: str) -> str:
    return f"{base_url}/s/{token}"


def _invitable(round_: Round, unit: Unit) -> None:
    if unit.institution_id != round_.institution_id:
        raise InvalidInput("The unit does not belong to the round's institution.")
    if unit.archived_at is not None:
        raise InvalidInput(f"The unit {unit.name!r} is archived: it takes no new invitations. "
                           "Put it back in use first.", code="unit_archived", name=unit.name)


def create_personal(*, session: Session, round_: Round, unit: Unit, count: int) -> list[str]:
    """Make `count` single-use tokens; the plain tokens are returned once and never stored."""
    _invitable(round_, unit)
    if not 1 <= count <= MAX_PERSONAL_PER_CALL:
        raise InvalidInput(f"Ask for between 1 and {MAX_PERSONAL_PER_CALL} invitations.")
    tokens = [secrets.token_urlsafe(18) for _ in range(count)]
    session.add_all(
        Invitation(round_id=round_.id, unit_id=unit.id, kind=InvitationKind.personal,
                   token_hash=hash_token(token))
        for token in tokens
    )
    session.flush()
    return tokens


def shared_token(*, secret_key: str, round_: Round, unit: Unit) -> str:
    digest = hmac.new(secret_key.encode(), f"shared:{round_.id}:{unit.id}".encode(),
                      hashlib.sha256).digest()
    return "g" + secrets.base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def ensure_shared(*, session: Session, secret_key: str, round_: Round, unit: Unit) -> str:
    """The unit's shared link for this round, created on first use; an archived unit gets none."""
    _invitable(round_, unit)
    token = shared_token(secret_key=secret_key, round_=round_, unit=unit)
    token_hash = hash_token(token)
    if session.exec(select(Invitation).where(Invitation.token_hash == token_hash)).first() is None:
        session.add(Invitation(round_id=round_.id, unit_id=unit.id, kind=InvitationKind.shared,
                               token_hash=token_hash))
        session.flush()
    return token
