"""Institutions and their units (practoraat, afdeling, team; a unit may have a parent)."""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, select

from api.platform.errors import Conflict, InvalidInput, NotFound
from api.platform.models import Institution, Unit, UnitKind
from api.platform.parsing import plain_int

NAME_MAX = 200


def slugify(name: str) -> str:
    """A URL name; never digits only, so a slug can never be mistaken for an id."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    if not slug or slug.isdigit():
        slug = f"instelling-{slug}".strip("-")
    return slug


def checked_name(name: str, what: str) -> str:
    """A trimmed name that fits its column on every database."""
    name = name.strip()
    if not name:
        raise InvalidInput(f"{what} needs a name.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"{what} name is {len(name)} characters; use at most {NAME_MAX}.")
    if any(ord(ch) < 32 for ch in name):
        raise InvalidInput(f"{what} name contains control characters.")
    return name


def create_institution(*, session: Session, name: str, anonymity_k: int | None = None) -> (
    Institution
):
    name = checked_name(name, "An institution")
    if anonymity_k is not None and anonymity_k < 3:
        raise InvalidInput("The anonymity threshold can never be below 3.")
    if session.exec(select(Institution).where(Institution.name == name)).first():
        raise Conflict(f"An institution named {name!r} already exists.")
    slug = slugify(name)
    if session.exec(select(Institution).where(Institution.slug == slug)).first():
        raise Conflict(f"An institution with a name too much like {name!r} (web address {slug!r}) "
                       "already exists; choose a more distinct name.")
    institution = Institution(name=name, slug=slug, anonymity_k=anonymity_k)
    session.add(institution)
    session.flush()
    return institution


def get_institution(*, session: Session, ref: str | int) -> Institution:
    """By slug or id, as the command line accepts either (a slug is never digits only)."""
    institution = session.exec(select(Institution).where(Institution.slug == str(ref))).first()
    if institution is None and plain_int(ref) is not None:
        institution = session.get(Institution, plain_int(ref))
    if institution is None:
        raise NotFound(f"No institution {ref!r}.")
    return institution


def list_institutions(*, session: Session) -> list[Institution]:
    return list(session.exec(select(Institution).order_by(Institution.name)))


def create_unit(
    *, session: Session, institution: Institution, name: str, kind: str = UnitKind.practoraat,
    parent: Unit | None = None,
) -> Unit:
    name = checked_name(name, "A unit")
    if kind not in UnitKind.__members__:
        raise InvalidInput(f"Kind must be one of {', '.join(UnitKind.__members__)}.")
    if parent is not None and parent.institution_id != institution.id:
        raise InvalidInput("A parent unit must belong to the same institution.")
    existing = session.exec(
        select(Unit).where(Unit.institution_id == institution.id, Unit.name == name)
    ).first()
    if existing:
        raise Conflict(f"{institution.name} already has a unit named {name!r}.")
    unit = Unit(institution_id=institution.id, name=name, kind=kind,
                parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    return unit


def get_unit(*, session: Session, institution: Institution, ref: str | int) -> Unit:
    """By name first, then by id: a unit may be called "2030" and still be found by its name."""
    in_institution = select(Unit).where(Unit.institution_id == institution.id)
    unit = session.exec(in_institution.where(Unit.name == str(ref))).first()
    if unit is None and plain_int(ref) is not None:
        unit = session.exec(in_institution.where(Unit.id == plain_int(ref))).first()
    if unit is None:
        raise NotFound(f"{institution.name} has no unit {ref!r}.")
    return unit


def list_units(*, session: Session, institution: Institution) -> list[Unit]:
    return list(session.exec(
        select(Unit).where(Unit.institution_id == institution.id).order_by(Unit.name)))
