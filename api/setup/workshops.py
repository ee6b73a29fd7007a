"""Workshop maps: a team fills in one shared network map together, led by a coordinator.

A workshop map is a team artefact, not anonymous answers: the team agrees on every mark in the
room and the map is kept as saved, so the release rule and k do not apply to it. Several maps of a
unit over time can be kept, viewed, edited and deleted. Each use case commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from api.platform.errors import InvalidInput, NotFound
from api.platform.models import Account, Institution, Unit, WorkshopMap, utcnow
from api.platform.text import bad_character
from api.results import network
from api.results.network import Mark, Target
from api.setup import audit
from api.survey import network_map

TITLE_MAX = 200
NOTES_MAX = 4000


@dataclass(frozen=True)
class Workshop:
    """A saved workshop map with its targets (as the form shows them) and its picture's data."""

    map: WorkshopMap
    unit: Unit
    targets: list[Target]
    marks: dict[str, Mark]
    view: network.MapView


def unit_of(*, session: Session, institution: Institution, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.institution_id != institution.id:
        raise NotFound(f"No unit {unit_id}.")
    return unit


def targets_for(*, session: Session, unit: Unit) -> list[Target]:
    return network_map.map_targets(session=session, institution_id=unit.institution_id,
                                   own_unit_id=unit.id)


def list_maps(*, session: Session, institution: Institution,
              unit_id: int | None = None) -> list[tuple[WorkshopMap, Unit]]:
    """The institution's workshop maps (of one unit, if given), newest first."""
    query = (select(WorkshopMap, Unit).join(Unit, Unit.id == WorkshopMap.unit_id)
             .where(WorkshopMap.institution_id == institution.id))
    if unit_id is not None:
        query = query.where(WorkshopMap.unit_id == unit_id)
    return list(session.exec(query.order_by(WorkshopMap.held_on.desc(), WorkshopMap.id.desc())))


def get_map(*, session: Session, institution: Institution, map_id: int) -> Workshop:
    found = session.get(WorkshopMap, map_id)
    if found is None or found.institution_id != institution.id:
        raise NotFound(f"No workshop map {map_id}.")
    unit = session.get(Unit, found.unit_id)
    targets = targets_for(session=session, unit=unit)
    marks = network.checked_marks(found.marks)
    return Workshop(map=found, unit=unit, targets=targets, marks=marks,
                    view=network.summarize_marks(marks))


def checked_fields(title: str, held_on: str, notes: str) -> tuple[str, date, str]:
    """The title, day and notes as typed, or the first thing to fix (InvalidInput with a code)."""
    title, notes = title.strip(), notes.strip()
    if not title:
        raise InvalidInput("A workshop map needs a title.", code="name_missing")
    if len(title) > TITLE_MAX:
        raise InvalidInput("The title is too long.", code="name_too_long", max=TITLE_MAX)
    if bad_character(title) is not None or bad_character(notes) is not None:
        raise InvalidInput("Control characters are not allowed.", code="text_control_characters")
    if len(notes) > NOTES_MAX:
        raise InvalidInput("The notes are too long.", code="text_too_long", limit=NOTES_MAX)
    try:
        day = date.fromisoformat(held_on.strip())
    except ValueError:
        raise InvalidInput("Give the day of the workshop.", code="workshop_day") from None
    return title, day, notes


def save_map(*, session: Session, actor: Account, institution: Institution, unit: Unit,
             title: str, held_on: date, notes: str, marks: dict[str, Mark],
             map_id: int | None = None) -> WorkshopMap:
    """Create (no `map_id`) or replace a workshop map; one audit event, one commit."""
    if map_id is None:
        found = WorkshopMap(institution_id=institution.id, unit_id=unit.id, title=title,
                            held_on=held_on, created_by=actor.id)
    else:
        found = get_map(session=session, institution=institution, map_id=map_id).map
    found.title, found.held_on, found.notes = title, held_on, notes
    found.marks = network.stored_marks(marks)
    found.updated_at = utcnow()
    session.add(found)
    session.flush()
    audit.record(session=session, actor=actor, institution=institution,
                 action="workshop_map.saved" if map_id else "workshop_map.created",
                 detail=f"{title} ({unit.name}, map {found.id})")
    session.commit()
    return found


def delete_map(*, session: Session, actor: Account, institution: Institution, map_id: int) -> None:
    found = get_map(session=session, institution=institution, map_id=map_id).map
    audit.record(session=session, actor=actor, institution=institution,
                 action="workshop_map.deleted", detail=f"{found.title} (map {found.id})")
    session.delete(found)
    session.commit()
