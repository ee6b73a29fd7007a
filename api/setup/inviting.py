"""The coordinator's invitations: personal links for a mail merge, the shared link per unit, and
how many of a round's invitations were used.

Use cases here (one per user action, called by the pages and the CLI) check that the round and
unit still take invitations, record one audit event (counts, never links) and commit once. What
a page shows about participation is counts per unit — never who, never per address.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from api.platform.errors import Conflict, InvalidInput, NotFound
from api.platform.models import (
    Account,
    Institution,
    Invitation,
    InvitationKind,
    Round,
    Unit,
    utcnow,
)
from api.results import gate
from api.results.exports import safe_cell
from api.setup import audit
from api.setup.institutions import slugify
from api.survey import invitations

MAX_LINKS_PER_DOWNLOAD = 500


def check_invitable(*, round_: Round, unit: Unit) -> None:
    """A closed round or an archived unit takes no new invitations."""
    if unit.institution_id != round_.institution_id:
        raise NotFound("No such unit in this round.")
    if unit.archived_at is not None:
        raise Conflict(f"Unit {unit.name!r} is archived; it takes no new invitations.",
                       code="unit_archived", name=unit.name)
    if round_.status(utcnow()) == "closed":
        raise Conflict(f"Round {round_.id} is closed; nobody can be invited to it any more.",
                       code="round_closed_final")


def generate_personal_links(*, session: Session, actor: Account | None, round_: Round, unit: Unit,
                            count: int, base_url: str,
                            max_count: int = MAX_LINKS_PER_DOWNLOAD) -> list[str]:
    """`count` single-use survey URLs for one unit. They exist only in what this returns (only
    their hashes are stored), so the caller hands them out at once: a download, a terminal.
    The page allows 500 at a time; a script on the command line may ask for more."""
    if not 1 <= count <= max_count:
        raise InvalidInput(f"Ask for between 1 and {max_count} links.", code="links_count",
                           max=max_count)
    check_invitable(round_=round_, unit=unit)
    tokens = invitations.create_personal(session=session, round_=round_, unit=unit, count=count)
    audit.record(session=session, actor=actor, action="invitations.created",
                 institution=round_.institution_id,
                 detail=f"{count} personal links for unit {unit.name} (round {round_.id})")
    session.commit()
    return [invitations.survey_url(base_url, token) for token in tokens]


def shared_link(*, session: Session, secret_key: str, base_url: str, round_: Round,
                unit: Unit) -> str | None:
    """The unit's shared survey URL when it has been made (read only: pages never write on GET)."""
    token = invitations.shared_token(secret_key=secret_key, round_=round_, unit=unit)
    made = session.exec(select(Invitation.id).where(
        Invitation.token_hash == invitations.hash_token(token))).first()
    return invitations.survey_url(base_url, token) if made is not None else None


def make_shared_link(*, session: Session, actor: Account | None, secret_key: str, base_url: str,
                     round_: Round, unit: Unit) -> str:
    """Make a unit's shared link for the round (once: asked again, the same link)."""
    check_invitable(round_=round_, unit=unit)
    existing = shared_link(session=session, secret_key=secret_key, base_url=base_url,
                           round_=round_, unit=unit)
    if existing is not None:
        return existing
    token = invitations.ensure_shared(session=session, secret_key=secret_key, round_=round_,
                                      unit=unit)
    audit.record(session=session, actor=actor, action="invitations.shared_created",
                 institution=round_.institution_id,
                 detail=f"shared link for unit {unit.name} (round {round_.id})")
    session.commit()
    return invitations.survey_url(base_url, token)


@dataclass(frozen=True)
class UnitParticipation:
    """One unit's participation in a round: counts only."""

    unit: Unit
    invited: int  # personal invitations made (links and e-mails)
    used: int  # personal invitations used to submit
    published: str  # "shown": its numbers are on the dashboard; "waiting": below k; "none"


def participation(*, session: Session, round_: Round, institution: Institution,
                  default_k: int) -> list[UnitParticipation]:
    """Per unit that takes invitations, how many were asked and answered, and whether its numbers
    are published — live, because it says who took part in what number, not what anyone said."""
    counts = {unit_id: (made, used or 0) for unit_id, made, used in session.exec(
        select(Invitation.unit_id, sa.func.count(),
               sa.func.sum(sa.case((Invitation.used_on.is_not(None), 1), else_=0)))
        .where(Invitation.round_id == round_.id, Invitation.kind == InvitationKind.personal)
        .group_by(Invitation.unit_id))}
    k = gate.threshold(default_k=default_k, institution=institution)
    published = gate.scores(session=session, round_ids=[round_.id], k=k, group_by="unit")
    answered = gate.units_with_responses(session=session, round_id=round_.id)
    units = session.exec(select(Unit).where(Unit.institution_id == institution.id,
                                            Unit.archived_at.is_(None)).order_by(Unit.name))
    rows = []
    for unit in units:
        made, used = counts.get(unit.id, (0, 0))
        shown = published.get((round_.id, unit.id))
        state = ("shown" if shown is not None and shown.shown
                 else "waiting" if unit.id in answered else "none")
        rows.append(UnitParticipation(unit=unit, invited=made, used=int(used), published=state))
    return rows


def round_unit(*, session: Session, round_: Round, unit_id: int) -> Unit:
    """A unit of the round's institution, or 404 (another institution's unit does not exist)."""
    unit = session.get(Unit, unit_id)
    if unit is None or unit.institution_id != round_.institution_id:
        raise NotFound(f"No unit {unit_id} in this round.")
    return unit


# --- the download of personal links -------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = {"nl": ["eenheid", "link"], "en": ["unit", "link"]}


def file_slug(name: str) -> str:
    """A unit's name as it may appear in a file name."""
    return slugify(name)[:40] or "eenheid"


def links_csv(unit: Unit, links: list[str], lang: str) -> bytes:
    """For a mail merge in Dutch Excel: `;`-separated, UTF-8 with a byte order mark."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS.get(lang, HEADERS["nl"]))
    writer.writerows([safe_cell(unit.name), link] for link in links)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def links_xlsx(unit: Unit, links: list[str], lang: str) -> bytes:
    from openpyxl import Workbook  # loaded by the first download that needs it (≈ 5 MB)
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "links"
    sheet.append(HEADERS.get(lang, HEADERS["nl"]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for link in links:
        sheet.append([safe_cell(unit.name), link])
    sheet.column_dimensions["A"].width = max(12, min(60, len(unit.name) + 2))
    sheet.column_dimensions["B"].width = max(len(link) for link in links) + 2 if links else 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
