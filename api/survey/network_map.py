"""The survey's optional network-map step: which targets a respondent is shown, how one page of
marks is read, kept in the draft, and stored at submit beside (never inside) the knob answers.

A mark names a unit of the institution or an outside category, never a person. At submit the
marks go in as `network_answer` rows keyed by the new response's random id, in the submit's own
transaction, and the draft's copy is deleted with the draft's answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from api.platform.models import Draft, NetworkAnswer, NetworkDraft, Round, Unit
from api.results import network
from api.results.network import FORMS, FREQUENCIES, Mark, Target

FORM_CONTROL_FIELDS = frozenset({"action", "csrf_token"})


def map_targets(*, session: Session, institution_id: int, own_unit_id: int | None) -> list[Target]:
    """Own team, the institution's other (not archived) units, the outside categories."""
    units = session.exec(select(Unit.id, Unit.name).where(
        Unit.institution_id == institution_id, Unit.archived_at.is_(None))).all()
    return network.targets(own_unit_id=own_unit_id, units=[(uid, name) for uid, name in units])


@dataclass
class MapInput:
    """One page of marks and what is wrong with it (field -> message code and parameters; a
    target's field is `net-<target>`, the id of its fieldset on the page)."""

    marks: dict[str, Mark] = field(default_factory=dict)
    values: dict[str, dict] = field(default_factory=dict)  # what was posted, to show it again
    errors: dict[str, tuple[str, dict]] = field(default_factory=dict)


def parse_marks(form: Sequence[tuple[str, str]], targets: Sequence[Target]) -> MapInput:
    """Read `freq-<target>` (one of the frequencies) and `kennis-<target>-<form>` checkboxes.

    A form of knowledge without a frequency, or with "never", is named back to fix; a field the
    page did not ask for is a tampered form. A target with nothing marked is simply not marked.
    """
    keys = {t.key for t in targets}
    result = MapInput()
    seen: set[str] = set()
    frequencies: dict[str, str] = {}
    forms: dict[str, set[str]] = {}
    for name, raw in form:
        if name in seen:
            result.errors["form"] = ("field_repeated", {"field": name[:60]})
            continue
        seen.add(name)
        if name in FORM_CONTROL_FIELDS:
            continue
        if name.startswith("freq-") and name[5:] in keys:
            if raw in FREQUENCIES:
                frequencies[name[5:]] = raw
            elif raw:
                result.errors[f"net-{name[5:]}"] = ("network_frequency_unknown", {})
            continue
        if name.startswith("kennis-"):
            target, _, form_key = name[7:].rpartition("-")
            if target in keys and form_key in FORMS and raw == "1":
                forms.setdefault(target, set()).add(form_key)
                continue
        result.errors["form"] = ("unknown_field", {"field": name[:60]})
    for target in [t.key for t in targets]:  # in the page's order, so errors read top down
        chosen, kinds = frequencies.get(target), forms.get(target, set())
        if chosen or kinds:
            result.values[target] = {"f": chosen or "", "k": sorted(kinds)}
        if kinds and chosen in (None, "never"):
            result.errors.setdefault(f"net-{target}", ("network_forms_need_frequency", {}))
        elif chosen:
            result.marks[target] = Mark(chosen, frozenset(kinds))
    return result


def draft_marks(*, session: Session, draft: Draft | None, targets: Sequence[Target],
                ) -> tuple[dict[str, Mark], bool | None]:
    """The draft's marks for these targets, and whether the step was skipped (None: not yet
    visited)."""
    if draft is None or draft.id is None:
        return {}, None
    kept = session.get(NetworkDraft, draft.id)
    if kept is None:
        return {}, None
    return network.checked_marks(kept.marks, {t.key for t in targets}), kept.skipped


def save_marks(*, session: Session, draft: Draft, marks: dict[str, Mark], skipped: bool) -> None:
    """Keep the step's marks with the draft (a skip keeps no marks) and commit: one use case."""
    kept = session.get(NetworkDraft, draft.id) or NetworkDraft(draft_id=draft.id)
    kept.marks = {} if skipped else network.stored_marks(marks)
    kept.skipped = skipped
    session.add(kept)
    session.commit()


_INSERT = insert(NetworkAnswer.__table__)


def store_at_submit(*, session: Session, round_: Round, draft: Draft, response_id: int,
                    institution_id: int, unit_id: int) -> int:
    """The submit's hook: the draft's marks as the response's map (flush only, the submit
    commits), checked once more against today's targets; the draft's copy goes. The number of
    marks stored."""
    kept = session.get(NetworkDraft, draft.id) if draft.id is not None else None
    if kept is None:
        return 0
    marks = {} if kept.skipped or not round_.network_map else network.checked_marks(
        kept.marks, {t.key for t in map_targets(session=session, institution_id=institution_id,
                                                 own_unit_id=unit_id)})
    session.execute(delete(NetworkDraft.__table__).where(
        NetworkDraft.__table__.c.draft_id == draft.id))
    session.expunge(kept)
    return record_marks(session=session, response_id=response_id, marks=marks)


def record_marks(*, session: Session, response_id: int, marks: dict[str, Mark]) -> int:
    """Store a response's map (no flush, no commit): the one place `network_answer` is written."""
    rows = [{"response_id": response_id, "target": target, "frequency": mark.frequency,
             "wetenschappelijk": "wetenschappelijk" in mark.forms,
             "professioneel": "professioneel" in mark.forms, "ervaring": "ervaring" in mark.forms}
            for target, mark in sorted(marks.items())]
    if rows:
        session.execute(_INSERT, rows)
    return len(rows)
