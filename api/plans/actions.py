"""The action plan: what a board and its coordinators decide to do after a round.

An action is made after a round (its baseline), for one knob of the whole institution or of one
unit, often from one of the questionnaire's suggestions. It is admin data, never answers; the
change it meets in a later round is worked out from published numbers in `api.plans.progress`.

`build_action` is a building block (validates and flushes; the demo uses it inside its own
transaction). `create_action`, `update_action`, `change_status` and `delete_action` are the use
cases of the pages: each records one audit event and commits once. Who may call them is decided
by `api.setup.access.plannable_institution`, before they are called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from api.platform.errors import DomainError, InvalidInput, NotFound
from api.platform.models import Account, Action, ActionStatus, Institution, Round, Unit, utcnow
from api.platform.parsing import plain_int
from api.platform.questionnaires import Catalog, Questionnaire
from api.setup import audit
from api.setup.institutions import InvalidFields, has_control_characters

TITLE_MAX = 200
OWNER_MAX = 120
NOTES_MAX = 2000
STATUSES = tuple(status.value for status in ActionStatus)
FIELDS = ("round", "knob", "unit", "title", "suggestion", "owner", "due_on", "status", "notes")


@dataclass(frozen=True)
class ActionInput:
    """What a form (or the demo) sends, as text: every field is checked, none trusted."""

    round: str | int = ""
    knob: str = ""
    unit: str | int | None = ""
    title: str = ""
    suggestion: str | None = ""
    owner: str = ""
    due_on: str | date | None = ""
    status: str = ActionStatus.gepland
    notes: str = ""


@dataclass(frozen=True)
class _Checked:
    round_id: int
    knob: str
    unit_id: int | None
    title: str
    suggestion_id: str | None
    owner: str
    due_on: date | None
    status: str
    notes: str


def _text(value: str | None, *, field: str, required: bool, maximum: int,
          multiline: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"The {field} is empty.", code=f"action_{field}_empty")
    if len(text) > maximum:
        raise InvalidInput(f"The {field} is {len(text)} characters; use at most {maximum}.",
                           code="action_text_too_long", length=len(text), max=maximum)
    checked = text.replace("\r\n", "\n").replace("\n", "") if multiline else text
    if "\x00" in text or has_control_characters(checked):
        raise InvalidInput(f"The {field} contains control characters.",
                           code="action_text_control")
    return text.replace("\r\n", "\n") if multiline else text


def _due(value: str | date | None) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        found = date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (use YYYY-MM-DD).",
                           code="action_due_invalid") from None
    if not 2000 <= found.year <= 2100:
        raise InvalidInput(f"{value!r} is not a plausible date.", code="action_due_invalid")
    return found


def rounds_of(*, session: Session, institution: Institution) -> list[Round]:
    """The rounds an action can be made after, newest first (the form's choice)."""
    return list(session.exec(select(Round).where(Round.institution_id == institution.id)
                             .order_by(Round.opens_at.desc(), Round.id.desc())))


def units_of(*, session: Session, institution: Institution) -> list[Unit]:
    return list(session.exec(select(Unit).where(Unit.institution_id == institution.id)
                             .order_by(Unit.name)))


def questionnaire_of(*, catalog: Catalog, round_: Round) -> Questionnaire:
    return catalog.require(round_.questionnaire_slug, round_.questionnaire_version)


def _check(*, session: Session, catalog: Catalog, institution: Institution,
           data: ActionInput) -> _Checked:
    """Every field at once, so the form can name each one that needs fixing."""
    errors: dict[str, DomainError] = {}
    round_ = None
    round_id = plain_int(data.round)
    if round_id is not None:
        round_ = session.get(Round, round_id)
    if round_ is None or round_.institution_id != institution.id:
        errors["round"] = InvalidInput("Choose one of the institution's rounds.",
                                       code="action_round_unknown")
        questionnaire = None
    else:
        questionnaire = questionnaire_of(catalog=catalog, round_=round_)
    knob = (data.knob or "").strip()
    if questionnaire is not None and knob not in questionnaire.knob_by_key:
        errors["knob"] = InvalidInput(f"{knob!r} is not a knob of this round's questionnaire.",
                                      code="action_knob_unknown")
    unit_id = None
    if data.unit not in (None, ""):
        unit_id = plain_int(data.unit)
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None or unit.institution_id != institution.id:
            errors["unit"] = InvalidInput("Choose one of the institution's units.",
                                          code="action_unit_unknown")
    suggestion = (data.suggestion or "").strip() or None
    if suggestion is not None and questionnaire is not None and not any(
            s.id == suggestion for s in questionnaire.suggestions):
        errors["suggestion"] = InvalidInput("Unknown suggestion.", code="action_suggestion_unknown")
    texts = {}
    for field, required, maximum, multiline in (("title", True, TITLE_MAX, False),
                                                ("owner", False, OWNER_MAX, False),
                                                ("notes", False, NOTES_MAX, True)):
        try:
            texts[field] = _text(getattr(data, field), field=field, required=required,
                                 maximum=maximum, multiline=multiline)
        except DomainError as exc:
            errors[field] = exc
    due_on = None
    try:
        due_on = _due(data.due_on)
    except DomainError as exc:
        errors["due_on"] = exc
    status = (data.status or "").strip()
    if status not in STATUSES:
        errors["status"] = InvalidInput(f"The status must be one of {', '.join(STATUSES)}.",
                                        code="action_status_unknown")
    if errors:
        raise InvalidFields(errors)
    return _Checked(round_id=round_.id, knob=knob, unit_id=unit_id, title=texts["title"],
                    suggestion_id=suggestion, owner=texts["owner"], due_on=due_on,
                    status=status, notes=texts["notes"])


def build_action(*, session: Session, catalog: Catalog, institution: Institution,
                 actor: Account | None, data: ActionInput) -> Action:
    """A checked new action, flushed (the caller commits)."""
    checked = _check(session=session, catalog=catalog, institution=institution, data=data)
    action = Action(institution_id=institution.id, round_id=checked.round_id,
                    unit_id=checked.unit_id, knob=checked.knob, title=checked.title,
                    suggestion_id=checked.suggestion_id, owner=checked.owner,
                    due_on=checked.due_on, status=checked.status, notes=checked.notes,
                    created_by=actor.id if actor else None,
                    updated_by=actor.id if actor else None)
    session.add(action)
    session.flush()
    return action


def get_action(*, session: Session, institution: Institution, action_id: int | str) -> Action:
    """One of the institution's actions, or 404 (an action of another institution is none)."""
    found = plain_int(action_id)
    action = session.get(Action, found) if found is not None else None
    if action is None or action.institution_id != institution.id:
        raise NotFound("No such action.")
    return action


def list_actions(*, session: Session, institution: Institution) -> list[Action]:
    """The institution's plan, oldest first: the order in which it was decided."""
    return list(session.exec(select(Action).where(Action.institution_id == institution.id)
                             .order_by(Action.created_at, Action.id)))


def fingerprint(*, session: Session, institution: Institution) -> list:
    """What changes whenever the plan does (an action added, edited, re-statused or deleted):
    count, highest id and latest edit. A rendering that shows the plan (the PDF report) keys on
    it, since board members edit the plan between releases."""
    count, top, edited = session.connection().execute(
        _FINGERPRINT, {"institution_id": institution.id}).one()
    return [int(count), top, str(edited) if edited else None]


_FINGERPRINT = select(func.count(), func.max(Action.__table__.c.id),
                      func.max(Action.__table__.c.updated_at)).where(
    Action.__table__.c.institution_id == bindparam("institution_id"))


def form_values(action: Action) -> dict[str, str]:
    """An action as the form shows it."""
    return {"round": str(action.round_id), "knob": action.knob,
            "unit": str(action.unit_id) if action.unit_id else "", "title": action.title,
            "suggestion": action.suggestion_id or "", "owner": action.owner,
            "due_on": action.due_on.isoformat() if action.due_on else "",
            "status": action.status, "notes": action.notes}


def _describe(action: Action) -> str:
    unit = f"unit {action.unit_id}" if action.unit_id else "institution"
    return f"{action.title}; {action.knob}; {unit}; {action.status}"


# --- use cases ----------------------------------------------------------------------------------


def create_action(*, session: Session, catalog: Catalog, actor: Account,
                  institution: Institution, data: ActionInput) -> Action:
    """A board member or coordinator adds an action, from a suggestion or in their own words."""
    action = build_action(session=session, catalog=catalog, institution=institution,
                          actor=actor, data=data)
    audit.record(session=session, actor=actor, action="action.created", institution=institution,
                 detail=_describe(action))
    session.commit()
    return action


def update_action(*, session: Session, catalog: Catalog, actor: Account,
                  institution: Institution, action_id: int | str, data: ActionInput) -> Action:
    """Change every field of an action; the audit event names the fields that changed."""
    action = get_action(session=session, institution=institution, action_id=action_id)
    checked = _check(session=session, catalog=catalog, institution=institution, data=data)
    changed = [name for name in ("round_id", "knob", "unit_id", "title", "suggestion_id",
                                 "owner", "due_on", "status", "notes")
               if getattr(action, name) != getattr(checked, name)]
    if changed:
        for name in changed:
            setattr(action, name, getattr(checked, name))
        action.updated_at, action.updated_by = utcnow(), actor.id
        session.add(action)
        audit.record(session=session, actor=actor, action="action.updated",
                     institution=institution,
                     detail=f"{action.title}: {', '.join(changed)}")
        session.commit()
    return action


def change_status(*, session: Session, actor: Account, institution: Institution,
                  action_id: int | str, status: str) -> Action:
    """Mark an action bezig, klaar or gestopt (or back to gepland)."""
    action = get_action(session=session, institution=institution, action_id=action_id)
    if status not in STATUSES:
        raise InvalidFields({"status": InvalidInput(
            f"The status must be one of {', '.join(STATUSES)}.", code="action_status_unknown")})
    if status != action.status:
        before = action.status
        action.status, action.updated_at, action.updated_by = status, utcnow(), actor.id
        session.add(action)
        audit.record(session=session, actor=actor, action="action.status",
                     institution=institution, detail=f"{action.title}: {before} → {status}")
        session.commit()
    return action


def delete_action(*, session: Session, actor: Account, institution: Institution,
                  action_id: int | str) -> None:
    """Remove an action for good (a stopped action can also stay, as `gestopt`)."""
    action = get_action(session=session, institution=institution, action_id=action_id)
    detail = _describe(action)
    session.delete(action)
    audit.record(session=session, actor=actor, action="action.deleted", institution=institution,
                 detail=detail)
    session.commit()
