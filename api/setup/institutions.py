"""Institutions and their units (practoraat, afdeling, team; a unit may have a parent).

The functions named `create_…`, `get_…`, `list_…` are building blocks: they validate and flush,
and the use case that composes them commits. `add_institution` and `update_institution` are the
use cases of the admin pages and the command line: they record one audit event and commit once.
The units' use cases live in `api.setup.units`.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func
from sqlmodel import Session, select

from api.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from api.platform.models import Account, Institution, Release, Round, Unit, UnitKind
from api.platform.parsing import plain_int
from api.setup import audit

NAME_MAX = 200
K_MIN = 3  # never publish a group smaller than this, whatever an institution chooses
LANGUAGES = ("nl", "en")


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
        raise InvalidInput(f"{what} needs a name.", code="name_empty")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"{what} name is {len(name)} characters; use at most {NAME_MAX}.",
                           code="name_too_long", length=len(name), max=NAME_MAX)
    if has_control_characters(name):
        raise InvalidInput(f"{what} name contains control characters.", code="name_control")
    return name


def has_control_characters(text: str) -> bool:
    """Tabs, line breaks, NUL (which PostgreSQL refuses) and the other C0/C1 controls."""
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


def create_institution(*, session: Session, name: str, anonymity_k: int | None = None,
                       default_language: str = "nl") -> Institution:
    name = checked_name(name, "An institution")
    if anonymity_k is not None and anonymity_k < K_MIN:
        raise InvalidInput("The anonymity threshold can never be below 3.", code="k_too_low",
                           min=K_MIN)
    if default_language not in LANGUAGES:
        raise InvalidInput(f"The language must be one of {', '.join(LANGUAGES)}.",
                           code="language_unknown")
    if session.exec(select(Institution).where(Institution.name == name)).first():
        raise Conflict(f"An institution named {name!r} already exists.",
                       code="institution_name_taken", name=name)
    slug = slugify(name)
    if session.exec(select(Institution).where(Institution.slug == slug)).first():
        raise Conflict(f"An institution with a name too much like {name!r} (web address {slug!r}) "
                       "already exists; choose a more distinct name.",
                       code="institution_slug_taken", name=name, slug=slug)
    institution = Institution(name=name, slug=slug, anonymity_k=anonymity_k,
                              default_language=default_language)
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
        raise InvalidInput(f"Kind must be one of {', '.join(UnitKind.__members__)}.",
                           code="unit_kind_unknown", kind=kind)
    if parent is not None and parent.institution_id != institution.id:
        raise InvalidInput("A parent unit must belong to the same institution.",
                           code="unit_parent_unknown")
    existing = session.exec(
        select(Unit).where(Unit.institution_id == institution.id, Unit.name == name)
    ).first()
    if existing:
        raise Conflict(f"{institution.name} already has a unit named {name!r}.",
                       code="unit_name_taken", name=name)
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


# --- use cases ----------------------------------------------------------------------------------


class InvalidFields(InvalidInput):
    """Several fields of one form refused at once, so the page can name each next to its field.

    `fields` maps a field name to the refusal of that field (a DomainError with its own code)."""

    code = "invalid_fields"

    def __init__(self, fields: dict[str, DomainError]):
        super().__init__("; ".join(error.detail for error in fields.values()))
        self.fields = fields


def has_release(*, session: Session, institution: Institution) -> bool:
    """Whether any round of the institution has published numbers: from then on k may only rise,
    or a group published at the old k could be compared with one published at a lower one."""
    query = (select(Release.id).join(Round, Release.round_id == Round.id)
             .where(Round.institution_id == institution.id).limit(1))
    return session.exec(query).first() is not None


def _checked_k(value: int | str) -> int:
    k = plain_int(value)
    if k is None:
        raise InvalidInput(f"The anonymity threshold {value!r} is not a whole number.",
                           code="k_not_number")
    if k < K_MIN:
        raise InvalidInput(f"The anonymity threshold can never be below {K_MIN}.",
                           code="k_too_low", min=K_MIN)
    if k > 1000:
        raise InvalidInput("The anonymity threshold is at most 1000.", code="k_too_high", max=1000)
    return k


def add_institution(*, session: Session, actor: Account | None, name: str,
                    anonymity_k: int | str | None, default_language: str) -> Institution:
    """An administrator adds an institution; every refused field is named at once."""
    errors: dict[str, DomainError] = {}
    try:
        name = checked_name(name, "An institution")
    except DomainError as exc:
        errors["name"] = exc
    k = None
    if anonymity_k not in (None, ""):
        try:
            k = _checked_k(anonymity_k)
        except DomainError as exc:
            errors["anonymity_k"] = exc
    if default_language not in LANGUAGES:
        errors["default_language"] = InvalidInput("Unknown language.", code="language_unknown")
    if errors:
        raise InvalidFields(errors)
    try:
        institution = create_institution(session=session, name=name, anonymity_k=k,
                                         default_language=default_language)
    except DomainError as exc:
        raise InvalidFields({"name": exc}) from exc
    audit.record(session=session, actor=actor, action="institution.created",
                 institution=institution,
                 detail=f"{institution.name}; k {k or 'default'}; language {default_language}")
    session.commit()
    return institution


def update_institution(*, session: Session, actor: Account | None, institution: Institution,
                       name: str, anonymity_k: int | str, default_language: str,
                       default_k: int) -> list[str]:
    """Save the institution's settings; returns what changed (nothing changed: no event).

    k is at least 3; raising it is always allowed, lowering it only before the institution's
    first release. The slug (its web address) stays as it was, so bookmarks keep working.
    `default_k` is the installation's threshold, used while the institution has none of its own.
    """
    errors: dict[str, DomainError] = {}
    try:
        name = checked_name(name, "An institution")
        clash = session.exec(select(Institution).where(Institution.name == name,
                                                       Institution.id != institution.id)).first()
        if clash:
            raise Conflict(f"An institution named {name!r} already exists.",
                           code="institution_name_taken", name=name)
    except DomainError as exc:
        errors["name"] = exc
    current_k = institution.anonymity_k or default_k
    try:
        k = _checked_k(anonymity_k)
        if k < current_k and has_release(session=session, institution=institution):
            raise InvalidInput(
                f"The threshold cannot go below {current_k} now that numbers are published.",
                code="k_lowered_after_release", current=current_k)
    except DomainError as exc:
        errors["anonymity_k"] = exc
    if default_language not in LANGUAGES:
        errors["default_language"] = InvalidInput("Unknown language.", code="language_unknown")
    if errors:
        raise InvalidFields(errors)
    changes = []
    if name != institution.name:
        changes.append(f"name {institution.name!r} → {name!r}")
        institution.name = name
    if k != current_k:
        changes.append(f"k {current_k} → {k}")
        institution.anonymity_k = k
    if default_language != institution.default_language:
        changes.append(f"language {institution.default_language} → {default_language}")
        institution.default_language = default_language
    if changes:
        session.add(institution)
        audit.record(session=session, actor=actor, action="institution.updated",
                     institution=institution, detail="; ".join(changes))
        session.commit()
    return changes


def overview(*, session: Session, institution: Institution) -> dict[str, int | bool]:
    """The numbers on the institution's admin page."""
    def count(query) -> int:
        return session.exec(query).one()

    in_use = Unit.institution_id == institution.id
    return {
        "units": count(select(func.count()).select_from(Unit).where(
            in_use, Unit.archived_at.is_(None))),
        "archived_units": count(select(func.count()).select_from(Unit).where(
            in_use, Unit.archived_at.is_not(None))),
        "rounds": count(select(func.count()).select_from(Round).where(
            Round.institution_id == institution.id)),
        "released": has_release(session=session, institution=institution),
    }
