"""Institutions and their units (practoraat, afdeling, team; a unit may have a parent)."""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, select

from api.errors import Conflict, InvalidInput, NotFound
from api.models import Institution, Unit, UnitKind


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "instelling"


def create_institution(*, session: Session, name: str, anonymity_k: int | None = None) -> (
    Institution
):
    name = name.strip()
    if not name:
        raise InvalidInput("An institution needs a name.")
    if anonymity_k is not None and anonymity_k < 3:
        raise InvalidInput("The anonymity threshold can never be below 3.")
    if session.exec(select(Institution).where(Institution.name == name)).first():
        raise Conflict(f"An institution named {name!r} already exists.")
    institution = Institution(name=name, slug=slugify(name), anonymity_k=anonymity_k)
    session.add(institution)
    session.commit()
    return institution


def get_institution(*, session: Session, ref: str | int) -> Institution:
    """By id or slug, as the command line accepts either."""
    query = select(Institution)
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(Institution.id == int(ref))
    else:
        query = query.where(Institution.slug == ref)
    institution = session.exec(query).first()
    if institution is None:
        raise NotFound(f"No institution {ref!r}.")
    return institution


def list_institutions(*, session: Session) -> list[Institution]:
    return list(session.exec(select(Institution).order_by(Institution.name)))


def create_unit(
    *, session: Session, institution: Institution, name: str, kind: str = UnitKind.practoraat,
    parent: Unit | None = None,
) -> Unit:
    name = name.strip()
    if not name:
        raise InvalidInput("A unit needs a name.")
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
    session.commit()
    return unit


def get_unit(*, session: Session, institution: Institution, ref: str | int) -> Unit:
    query = select(Unit).where(Unit.institution_id == institution.id)
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(Unit.id == int(ref))
    else:
        query = query.where(Unit.name == ref)
    unit = session.exec(query).first()
    if unit is None:
        raise NotFound(f"{institution.name} has no unit {ref!r}.")
    return unit


def list_units(*, session: Session, institution: Institution) -> list[Unit]:
    return list(session.exec(
        select(Unit).where(Unit.institution_id == institution.id).order_by(Unit.name)))
