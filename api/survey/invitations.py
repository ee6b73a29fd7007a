"""Invitations: personal single-use tokens and one shared link per unit and round.

Only a token's SHA-256 is stored. A shared link is derived from the secret key with HMAC, so the
command line can print it again without it ever being stored. So is the link of an invitation
sent by e-mail: the mail worker derives it from the invitation's id when it sends the mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from sqlmodel import Session, select

from api.mail import outbox
from api.mail.links import register_link
from api.platform.errors import Conflict, InvalidInput
from api.platform.models import Institution, Invitation, InvitationKind, Recipient, Round, Unit, utcnow
from api.platform.settings import Settings

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_PERSONAL_PER_CALL = 5000
EMAIL_PATTERN = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAIL_LANGUAGES = ("nl", "en")


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


def emailed_token(*, secret_key: str, invitation_id: int) -> str:
    """The token of an invitation sent by e-mail, derived rather than stored (prefix "e")."""
    digest = hmac.new(secret_key.encode(), f"emailed:{invitation_id}".encode(),
                      hashlib.sha256).digest()
    return "e" + base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def emailed_survey_link(session: Session, settings: Settings, invitation_id: int) -> str:
    """The personal link of an e-mailed invitation, made by the mail worker at send time."""
    return survey_url(settings.base_url, emailed_token(secret_key=settings.secret_key,
                                                       invitation_id=invitation_id))


register_link("survey", emailed_survey_link)


def normalised_addresses(addresses: Iterable[str]) -> list[str]:
    """Lower-cased, blank lines skipped, each address once; every bad one named in one error."""
    seen: dict[str, None] = {}
    bad = []
    for raw in addresses:
        address = raw.strip().lower()
        if not address:
            continue
        if len(address) > 254 or not EMAIL_PATTERN.match(address) or len(address.split("@")[0]) > 64:
            bad.append(raw.strip())
        else:
            seen.setdefault(address)
    if bad:
        raise InvalidInput(f"These are not e-mail addresses: {', '.join(repr(b) for b in bad)}. "
                           f"Nothing was stored; correct them and try again.",
                           addresses=", ".join(bad))
    return list(seen)


def mail_params(*, round_: Round, unit: Unit, institution: Institution) -> dict:
    """What the invitation and reminder texts say about the round (no secret, no address)."""
    return {"institution": institution.name, "unit": unit.name, "round_name": round_.name,
            "closes_at": round_.closes_at.isoformat() if round_.closes_at else None}


def invited_addresses(session: Session, *, round_id: int) -> set[str]:
    return set(session.exec(select(Recipient.email).join(
        Invitation, Invitation.id == Recipient.invitation_id).where(Invitation.round_id == round_id)))


def create_emailed(session: Session, *, round_: Round, unit: Unit, secret_key: str,
                   addresses: list[str], lang: str) -> int:
    """Invite each new address with its own personal link by e-mail (flush only; the caller
    commits, then may `api.mail.worker.wake()` the worker). Addresses already invited in this
    round are skipped; the number of new invitations is returned. For a round that has not opened
    yet, the mails go out when it opens."""
    if unit.institution_id != round_.institution_id:
        raise InvalidInput("The unit does not belong to the round's institution.")
    if lang not in MAIL_LANGUAGES:
        raise InvalidInput(f"Language must be one of {', '.join(MAIL_LANGUAGES)}.")
    if round_.status(utcnow()) == "closed":
        raise Conflict(f"Round {round_.id} is closed; nobody can be invited to it any more.")
    wanted = normalised_addresses(addresses)
    if len(wanted) > MAX_PERSONAL_PER_CALL:
        raise InvalidInput(f"Invite at most {MAX_PERSONAL_PER_CALL} addresses at a time.")
    if session.get_bind().dialect.name == "postgresql":  # two coordinators inviting at once
        session.exec(select(Round.id).where(Round.id == round_.id).with_for_update())
    already = invited_addresses(session, round_id=round_.id)
    new = [address for address in wanted if address not in already]
    if not new:
        return 0
    # The token hash needs the id: a random placeholder first, the real hash once ids exist.
    made = [Invitation(round_id=round_.id, unit_id=unit.id, kind=InvitationKind.personal,
                       token_hash="pending-" + secrets.token_hex(24)) for _ in new]
    session.add_all(made)
    session.flush()
    for invitation in made:
        invitation.token_hash = hash_token(emailed_token(secret_key=secret_key,
                                                         invitation_id=invitation.id))
    session.add_all(Recipient(invitation_id=invitation.id, email=address, lang=lang)
                    for invitation, address in zip(made, new, strict=True))
    session.flush()
    params = mail_params(round_=round_, unit=unit,
                         institution=session.get(Institution, round_.institution_id))
    for invitation, address in zip(made, new, strict=True):
        outbox.enqueue(session, key=f"invite:{invitation.id}", template="invitation", to=address,
                       lang=lang, params=params, link_kind="survey", link_ref=invitation.id,
                       round_id=round_.id, not_before=round_.opens_at)  # sent when it opens
    return len(new)
