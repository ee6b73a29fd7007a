"""The coordinator's e-mail invitations and reminders, on top of the mail services (`api.mail`,
`api.survey.invitations.create_emailed`, `api.survey.mailing`).

Mail is never sent inside the request: the use cases queue it in the outbox, record one audit
event (how many, for which unit — never an address) and commit; the worker sends. Without SMTP
settings the pages say so and offer the personal links download instead.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from sqlmodel import Session

from api.platform.errors import Conflict, InvalidInput
from api.platform.models import Account, Institution, Round, Unit
from api.platform.settings import Settings
from api.setup import audit
from api.setup.inviting import check_invitable

DONE = {"invited", "reminded"}
LANGUAGES = ("nl", "en")
SEPARATORS = re.compile(r"[\n\r,;\t]+")
HEADER_WORDS = {"email", "e-mail", "mail", "adres", "address", "e-mailadres", "emailadres"}


def _mail() -> tuple[ModuleType, ModuleType, ModuleType, ModuleType] | None:
    """The mail services (branch `mail`); None while they are not part of this build."""
    try:
        return (import_module("api.mail.outbox"), import_module("api.mail.messages"),
                import_module("api.survey.mailing"), import_module("api.survey.invitations"))
    except ImportError:
        return None


def _services():
    found = _mail()
    if found is None or not hasattr(found[3], "create_emailed"):
        raise Conflict("E-mail is not part of this installation.", code="mail_not_built")
    return found


@dataclass(frozen=True)
class MailState:
    """What the invitations pages say about e-mail for a round."""

    built: bool  # the mail services are installed
    configured: bool  # SMTP settings are given
    status: object | None  # api.mail.outbox.DeliveryStatus: counts per status and last errors


def mail_state(*, session: Session, settings: Settings, round_: Round) -> MailState:
    found = _mail()
    if found is None or not hasattr(found[3], "create_emailed"):
        return MailState(built=False, configured=False, status=None)
    outbox = found[0]
    return MailState(built=True, configured=bool(getattr(settings, "mail_configured", False)),
                     status=outbox.delivery_status(session, round_.id))


def previews(*, session: Session, round_: Round, unit: Unit, institution: Institution) -> dict:
    """The invitation mail as each language's recipient gets it, with an example link."""
    found = _mail()
    if found is None or not hasattr(found[3], "mail_params"):
        return {}
    messages, invitations = found[1], found[3]
    params = invitations.mail_params(round_=round_, unit=unit, institution=institution)
    return {lang: messages.preview("invitation", lang, params) for lang in LANGUAGES}


def pasted_addresses(text: str) -> list[str]:
    """Addresses one per line, or separated by commas or semicolons; blanks skipped."""
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def uploaded_addresses(filename: str, content: bytes) -> list[str]:
    """The addresses of a CSV or TXT file: a TXT as pasted; a CSV's column that holds addresses
    (the one with most '@'), its header row left out."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    if not filename.lower().endswith(".csv"):
        return [a for a in pasted_addresses(text) if a.lower() not in HEADER_WORDS]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    column = max(range(width), key=lambda i: sum("@" in row[i] for row in rows if i < len(row)))
    cells = [row[column].strip() if column < len(row) else "" for row in rows]
    if cells and "@" not in cells[0]:
        cells = cells[1:]  # the header
    return [cell for cell in cells if cell]


def invite_by_mail(*, session: Session, actor: Account | None, settings: Settings, round_: Round,
                   unit: Unit, addresses: list[str], lang: str) -> int:
    """Queue a personal invitation to each new address of the unit; returns how many."""
    outbox, _, _, invitations = _services()
    if not getattr(settings, "mail_configured", False):
        raise Conflict("Mail is not configured (no SMTP host).", code="mail_not_configured")
    check_invitable(round_=round_, unit=unit)
    if not addresses:
        raise InvalidInput("Give at least one e-mail address.", code="addresses_missing")
    made = invitations.create_emailed(session, round_=round_, unit=unit,
                                      secret_key=settings.secret_key, addresses=addresses,
                                      lang=lang)
    audit.record(session=session, actor=actor, action="invitations.emailed",
                 institution=round_.institution_id,
                 detail=f"{made} e-mail invitations ({lang}) for unit {unit.name} (round {round_.id})")
    session.commit()
    _wake()
    return made


def remind_now(*, session: Session, actor: Account | None, settings: Settings,
               round_: Round) -> int:
    """Queue today's reminder to every e-mailed invitee who has not answered (at most one a day)."""
    _, _, mailing, _ = _services()
    if not getattr(settings, "mail_configured", False):
        raise Conflict("Mail is not configured (no SMTP host).", code="mail_not_configured")
    sent = mailing.send_reminders(session, round_=round_, today=mailing.local_today())
    audit.record(session=session, actor=actor, action="invitations.reminded",
                 institution=round_.institution_id,
                 detail=f"{sent} reminders (round {round_.id})")
    session.commit()
    _wake()
    return sent


def _wake() -> None:
    """Tell the in-process mail worker there is work, when it runs."""
    try:
        worker = import_module("api.mail.worker")
    except ImportError:
        return
    wake = getattr(worker, "wake", None)
    if callable(wake):
        wake()
