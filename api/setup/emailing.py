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

from sqlmodel import Session

from api.mail import messages, outbox, worker
from api.platform.errors import Conflict, InvalidInput
from api.platform.models import Account, Institution, Round, Unit
from api.platform.settings import Settings
from api.setup import audit
from api.setup.inviting import check_invitable
from api.survey import invitations, mailing

LANGUAGES = invitations.MAIL_LANGUAGES
SEPARATORS = re.compile(r"[\n\r,;\t]+")
HEADER_WORDS = {"email", "e-mail", "mail", "adres", "address", "e-mailadres", "emailadres"}


@dataclass(frozen=True)
class MailState:
    """What the invitations pages say about e-mail for a round."""

    configured: bool  # SMTP settings are given; without them nothing is sent
    status: outbox.DeliveryStatus  # counts per status and the latest errors


def mail_state(*, session: Session, settings: Settings, round_: Round) -> MailState:
    return MailState(configured=settings.mail_configured,
                     status=outbox.delivery_status(session, round_.id))


def previews(*, round_: Round, unit: Unit, institution: Institution) -> dict[str, messages.Rendered]:
    """The invitation mail as each language's recipient gets it, with an example link."""
    params = invitations.mail_params(round_=round_, unit=unit, institution=institution)
    return {lang: messages.preview("invitation", lang, params) for lang in LANGUAGES}


def pasted_addresses(text: str) -> list[str]:
    """Addresses one per line, or separated by commas or semicolons; blanks skipped."""
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def uploaded_addresses(filename: str, content: bytes) -> list[str]:
    """The addresses of a CSV or TXT file: a TXT as pasted; a CSV's column that holds addresses
    (the one with most '@'), its header row left out."""
    if not filename.lower().endswith((".csv", ".txt")):
        raise InvalidInput("Upload a .csv or .txt file with one address a line.", code="file_type")
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
    if not settings.mail_configured:
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
    worker.wake()
    return made


def remind_now(*, session: Session, actor: Account | None, settings: Settings,
               round_: Round) -> int:
    """Queue today's reminder to every e-mailed invitee who has not answered (at most one a day)."""
    if not settings.mail_configured:
        raise Conflict("Mail is not configured (no SMTP host).", code="mail_not_configured")
    sent = mailing.send_reminders(session, round_=round_, today=mailing.local_today())
    audit.record(session=session, actor=actor, action="invitations.reminded",
                 institution=round_.institution_id,
                 detail=f"{sent} reminders (round {round_.id})")
    session.commit()
    worker.wake()
    return sent
