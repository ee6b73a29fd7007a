"""The units of an institution as a coordinator runs them: the tree, and one use case per action.

Each use case (add, rename, move, archive, un-archive, delete, import) validates, composes the
flush-only building blocks of `api.setup.institutions`, records one audit event and commits once;
the admin pages and the command line call the same functions. An action that changes nothing
(renaming to the same name, archiving an archived unit) records nothing.

A unit is never deleted once anything refers to it — responses, invitations or child units — as
the numbers published for it must stay explainable; such a unit is archived instead: it keeps its
numbers and takes no new invitations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from api.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from api.platform.models import (
    Account,
    Institution,
    Invitation,
    Response,
    ResponseTally,
    Unit,
    UnitKind,
    utcnow,
)
from api.platform.parsing import plain_int
from api.setup import audit, institutions
from api.setup.institutions import InvalidFields
from api.setup.unit_tree import plan_import, read_table


def unit_of(*, session: Session, institution: Institution, unit_id: int) -> Unit:
    """The unit of an admin URL, or 404 when it is not one of this institution's."""
    unit = session.exec(select(Unit).where(Unit.id == unit_id,
                                           Unit.institution_id == institution.id)).first()
    if unit is None:
        raise NotFound(f"{institution.name} has no unit {unit_id}.")
    return unit


# --- reading the tree ---------------------------------------------------------------------------


@dataclass
class Node:
    unit: Unit
    parent: Unit | None
    has_responses: bool
    children: list[Node] = field(default_factory=list)

    @property
    def archived(self) -> bool:
        return self.unit.archived_at is not None


@dataclass
class UnitTree:
    roots: list[Node]  # the units in use, each with its children in use
    archived: list[Node]  # archived units, apart, in name order
    nodes: dict[int, Node]

    def __len__(self) -> int:
        return len(self.nodes)

    def parent_choices(self, unit: Unit | None = None) -> list[Unit]:
        """Units in use that `unit` may move under: never itself or one of its descendants."""
        barred = descendant_ids(self.nodes, unit) if unit is not None else set()
        return sorted((n.unit for n in self.nodes.values()
                       if not n.archived and n.unit.id not in barred),
                      key=lambda u: u.name.casefold())


def _units_with_responses(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """Units with stored responses, or with released counts whose rows are gone."""
    ids = list(unit_ids)
    if not ids:
        return set()
    stored = session.exec(select(Response.unit_id).where(Response.unit_id.in_(ids)).distinct())
    tallied = session.exec(select(ResponseTally.unit_id).where(
        ResponseTally.unit_id.in_(ids), ResponseTally.n > 0).distinct())
    return set(stored) | set(tallied)


def unit_tree(*, session: Session, institution: Institution) -> UnitTree:
    units = institutions.list_units(session=session, institution=institution)
    by_id = {unit.id: unit for unit in units}
    answered = _units_with_responses(session, by_id)
    nodes = {unit.id: Node(unit=unit, parent=by_id.get(unit.parent_id),
                           has_responses=unit.id in answered) for unit in units}
    roots, archived = [], []
    for node in nodes.values():  # list_units gives name order, so children come out sorted
        if node.archived:
            archived.append(node)
        elif node.parent is not None and not nodes[node.parent.id].archived:
            nodes[node.parent.id].children.append(node)
        else:  # at the top, or under an archived unit: shown at the top with its parent named
            roots.append(node)
    return UnitTree(roots=roots, archived=archived, nodes=nodes)


def descendant_ids(nodes: dict[int, Node], unit: Unit) -> set[int]:
    """The unit and everything below it, archived units included."""
    children: dict[int | None, list[int]] = {}
    for node in nodes.values():
        children.setdefault(node.unit.parent_id, []).append(node.unit.id)
    found, todo = set(), [unit.id]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo += children.get(current, [])
    return found


@dataclass(frozen=True)
class Usage:
    responses: bool
    invitations: int
    children: int

    @property
    def deletable(self) -> bool:
        return not (self.responses or self.invitations or self.children)


def usage(*, session: Session, unit: Unit) -> Usage:
    invited = session.exec(select(func.count()).select_from(Invitation)
                           .where(Invitation.unit_id == unit.id)).one()
    children = session.exec(select(func.count()).select_from(Unit)
                            .where(Unit.parent_id == unit.id)).one()
    return Usage(responses=bool(_units_with_responses(session, [unit.id])), invitations=invited,
                 children=children)


# --- checks shared by the use cases --------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _free_name(session: Session, institution: Institution, name: str,
               unit: Unit | None = None) -> None:
    """No two units of one institution whose names differ only in case or spacing."""
    for other in institutions.list_units(session=session, institution=institution):
        if _key(other.name) == _key(name) and (unit is None or other.id != unit.id):
            raise Conflict(f"{institution.name} already has a unit named {other.name!r}.",
                           code="unit_name_taken", name=other.name)


ParentRef = Unit | str | None  # a unit, the id a form sent ("" is the top), or None: the top


def _resolved(session: Session, institution: Institution, parent: ParentRef) -> Unit | None:
    if not isinstance(parent, str):
        return parent
    if not parent.strip():
        return None
    unit_id = plain_int(parent)
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None or unit.institution_id != institution.id:
        raise InvalidInput("Unknown parent.", code="unit_parent_unknown")
    return unit


def _usable_parent(parent: Unit | None, institution: Institution) -> None:
    if parent is None:
        return
    if parent.institution_id != institution.id:
        raise InvalidInput("The parent unit is not one of this institution's.",
                           code="unit_parent_unknown")
    if parent.archived_at is not None:
        raise InvalidInput(f"The unit {parent.name!r} is archived; choose a unit in use.",
                           code="unit_parent_archived", name=parent.name)


def _where(parent: Unit | None) -> str:
    return f"under {parent.name!r}" if parent else "at the top"


# --- use cases ----------------------------------------------------------------------------------


def add_unit(*, session: Session, actor: Account | None, institution: Institution, name: str,
             kind: str, parent: ParentRef) -> Unit:
    """A new practoraat, afdeling or team; every refused field is named at once."""
    errors: dict[str, DomainError] = {}
    try:
        name = institutions.checked_name(name, "A unit")
        _free_name(session, institution, name)
    except DomainError as exc:
        errors["name"] = exc
    if kind not in UnitKind.__members__:
        errors["kind"] = InvalidInput(
            f"Kind must be one of {', '.join(UnitKind.__members__)}; not {kind[:40]!r}.",
            code="unit_kind_unknown", kind=kind[:40])
    try:
        parent = _resolved(session, institution, parent)
        _usable_parent(parent, institution)
    except DomainError as exc:
        errors["parent"] = exc
    if errors:
        raise InvalidFields(errors)
    unit = institutions.create_unit(session=session, institution=institution, name=name,
                                    kind=kind, parent=parent)
    audit.record(session=session, actor=actor, action="unit.created", institution=institution,
                 detail=f"{unit.kind} {unit.name!r} {_where(parent)}")
    session.commit()
    return unit


def rename_unit(*, session: Session, actor: Account | None, unit: Unit, name: str) -> Unit:
    institution = session.get(Institution, unit.institution_id)
    try:
        name = institutions.checked_name(name, "A unit")
        _free_name(session, institution, name, unit)
    except DomainError as exc:
        raise InvalidFields({"name": exc}) from exc
    if name == unit.name:
        return unit
    old, unit.name = unit.name, name
    session.add(unit)
    audit.record(session=session, actor=actor, action="unit.renamed", institution=institution,
                 detail=f"{old!r} → {name!r}")
    session.commit()
    return unit


def move_unit(*, session: Session, actor: Account | None, unit: Unit, parent: ParentRef) -> Unit:
    """Under another parent (None: at the top); never under itself or its own descendants."""
    institution = session.get(Institution, unit.institution_id)
    try:
        parent = _resolved(session, institution, parent)
        _usable_parent(parent, institution)
        if parent is not None:
            nodes = unit_tree(session=session, institution=institution).nodes
            if parent.id in descendant_ids(nodes, unit):
                raise InvalidInput(f"{unit.name!r} cannot go under {parent.name!r}: that unit is "
                                   f"{'itself' if parent.id == unit.id else 'below it'}.",
                                   code="unit_move_cycle", name=unit.name, parent=parent.name)
    except DomainError as exc:
        raise InvalidFields({"parent": exc}) from exc
    if unit.parent_id == (parent.id if parent else None):
        return unit
    unit.parent_id = parent.id if parent else None
    session.add(unit)
    audit.record(session=session, actor=actor, action="unit.moved", institution=institution,
                 detail=f"{unit.name!r} {_where(parent)}")
    session.commit()
    return unit


def archive_unit(*, session: Session, actor: Account | None, unit: Unit) -> Unit:
    """Out of use: it keeps its numbers and takes no new invitations (links already sent still
    work until their round closes)."""
    if unit.archived_at is not None:
        return unit
    unit.archived_at = utcnow()
    session.add(unit)
    audit.record(session=session, actor=actor, action="unit.archived",
                 institution=unit.institution_id, detail=repr(unit.name))
    session.commit()
    return unit


def unarchive_unit(*, session: Session, actor: Account | None, unit: Unit) -> Unit:
    if unit.archived_at is None:
        return unit
    unit.archived_at = None
    session.add(unit)
    audit.record(session=session, actor=actor, action="unit.unarchived",
                 institution=unit.institution_id, detail=repr(unit.name))
    session.commit()
    return unit


def delete_unit(*, session: Session, actor: Account | None, unit: Unit) -> None:
    """Only a unit nothing refers to: no responses, no invitations, no child units."""
    used = usage(session=session, unit=unit)
    if used.responses:
        raise Conflict(f"{unit.name!r} has responses; archive it instead.",
                       code="unit_has_responses", name=unit.name)
    if used.invitations:
        raise Conflict(f"{unit.name!r} has {used.invitations} invitation(s); archive it instead.",
                       code="unit_has_invitations", name=unit.name, n=used.invitations)
    if used.children:
        raise Conflict(f"{unit.name!r} has {used.children} unit(s) below it; move those first, "
                       "or archive it.", code="unit_has_children", name=unit.name,
                       n=used.children)
    audit.record(session=session, actor=actor, action="unit.deleted",
                 institution=unit.institution_id, detail=f"{unit.kind} {unit.name!r}")
    session.delete(unit)
    session.commit()


def import_units(*, session: Session, actor: Account | None, institution: Institution,
                 filename: str, content: bytes) -> list[Unit]:
    """A unit tree from a CSV or XLSX file, all or nothing: a file with any bad row raises
    `UnitImportRefused` naming every problem, and stores nothing."""
    rows = read_table(filename, content)
    present = institutions.list_units(session=session, institution=institution)
    plan = plan_import(rows, existing={unit.name: unit.archived_at is not None
                                       for unit in present})
    by_name = {unit.name: unit for unit in present}
    made = []
    for planned in plan:
        unit = institutions.create_unit(session=session, institution=institution,
                                        name=planned.name, kind=planned.kind,
                                        parent=by_name[planned.parent] if planned.parent else None)
        by_name[unit.name] = unit
        made.append(unit)
    names = ", ".join(unit.name for unit in made)
    audit.record(session=session, actor=actor, action="unit.imported", institution=institution,
                 detail=f"{len(made)} from {filename or 'a file'}: {names}")
    session.commit()
    return made
