"""The coordinator adds, edits, reorders and removes a round's own items, until it opens.

After the round opens they are fixed: respondents have answered them as they stood, and a
changed statement would mix answers to two questions in one number. Every change is one audit
event and one commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from api.platform.errors import Conflict, InvalidInput, NotFound
from api.platform.models import Account, OwnItem, OwnItemKind, Round, utcnow
from api.platform.own_items import MAX_LIKERT, MAX_OPEN, STATEMENT_MAX, of_round
from api.platform.questionnaires import Questionnaire
from api.platform.text import bad_character
from api.setup import audit

LIMITS = {OwnItemKind.likert: MAX_LIKERT, OwnItemKind.open: MAX_OPEN}


def check_editable(round_: Round, *, now: datetime | None = None) -> None:
    """Own items change only while the round has not opened."""
    if round_.status(now or utcnow()) != "not_open":
        raise Conflict("This round has opened: its own items are fixed.", code="own_items_locked")


def _text(raw: str, *, field: str, required: bool) -> str:
    text = " ".join((raw or "").split())
    if bad_character(text) is not None:
        raise InvalidInput("Text with control characters.", code="text_control_characters",
                           field=field)
    if required and not text:
        raise InvalidInput("The Dutch text is required.", code="own_nl_missing", field=field)
    if len(text) > STATEMENT_MAX:
        raise InvalidInput(f"At most {STATEMENT_MAX} characters.", code="own_text_too_long",
                           field=field, max=STATEMENT_MAX)
    return text


def _checked(questionnaire: Questionnaire, *, statement_nl: str, statement_en: str,
             knob: str) -> tuple[str, str, str | None]:
    nl = _text(statement_nl, field="statement_nl", required=True)
    en = _text(statement_en, field="statement_en", required=False)
    knob = (knob or "").strip()
    if knob and knob not in questionnaire.knob_by_key:
        raise InvalidInput("Not a knob of this questionnaire.", code="own_knob_unknown",
                           field="knob")
    return nl, en, knob or None


def add_item(*, session: Session, actor: Account | None, round_: Round,
             questionnaire: Questionnaire, kind: str, statement_nl: str, statement_en: str = "",
             knob: str = "", now: datetime | None = None) -> OwnItem:
    """A new statement or open question at the end of the round's list."""
    check_editable(round_, now=now)
    if kind not in LIMITS:
        raise InvalidInput("Choose a statement or an open question.", code="own_kind_unknown",
                           field="kind")
    kind = OwnItemKind(kind)
    nl, en, knob_key = _checked(questionnaire, statement_nl=statement_nl,
                                statement_en=statement_en, knob=knob)
    items = of_round(session=session, round_id=round_.id)
    if sum(1 for item in items if item.kind == kind) >= LIMITS[kind]:
        raise InvalidInput("The round has as many of these as it may.",
                           code=f"own_{kind.value}_limit", field="kind", max=LIMITS[kind])
    item = OwnItem(round_id=round_.id, position=len(items) + 1, kind=kind, statement_nl=nl,
                   statement_en=en, knob=knob_key)
    session.add(item)
    session.flush()
    audit.record(session=session, actor=actor, action="round.own_item_added",
                 institution=round_.institution_id,
                 detail=f"{round_.name} (round {round_.id}): {kind.value} {item.id}: {nl}")
    session.commit()
    return item


def _item(session: Session, round_: Round, item_id: int) -> OwnItem:
    item = session.get(OwnItem, item_id)
    if item is None or item.round_id != round_.id:
        raise NotFound(f"Round {round_.id} has no own item {item_id}.")
    return item


def edit_item(*, session: Session, actor: Account | None, round_: Round,
              questionnaire: Questionnaire, item_id: int, statement_nl: str,
              statement_en: str = "", knob: str = "", now: datetime | None = None) -> OwnItem:
    check_editable(round_, now=now)
    item = _item(session, round_, item_id)
    item.statement_nl, item.statement_en, item.knob = _checked(
        questionnaire, statement_nl=statement_nl, statement_en=statement_en, knob=knob)
    session.add(item)
    audit.record(session=session, actor=actor, action="round.own_item_edited",
                 institution=round_.institution_id,
                 detail=f"{round_.name} (round {round_.id}): {item.kind} {item.id}: "
                        f"{item.statement_nl}")
    session.commit()
    return item


def move_item(*, session: Session, actor: Account | None, round_: Round, item_id: int,
              up: bool, now: datetime | None = None) -> None:
    """Swap the item with its neighbour above (up) or below; at the edge nothing changes."""
    check_editable(round_, now=now)
    items = of_round(session=session, round_id=round_.id)
    index = next((i for i, it in enumerate(items) if it.id == item_id), None)
    if index is None:
        raise NotFound(f"Round {round_.id} has no own item {item_id}.")
    other = index - 1 if up else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    _renumber(session, items)
    audit.record(session=session, actor=actor, action="round.own_item_moved",
                 institution=round_.institution_id,
                 detail=f"{round_.name} (round {round_.id}): item {item_id} "
                        f"{'up' if up else 'down'}")
    session.commit()


def remove_item(*, session: Session, actor: Account | None, round_: Round, item_id: int,
                now: datetime | None = None) -> None:
    check_editable(round_, now=now)
    item = _item(session, round_, item_id)
    session.delete(item)
    session.flush()
    _renumber(session, of_round(session=session, round_id=round_.id))
    audit.record(session=session, actor=actor, action="round.own_item_removed",
                 institution=round_.institution_id,
                 detail=f"{round_.name} (round {round_.id}): {item.kind} {item_id}: "
                        f"{item.statement_nl}")
    session.commit()


def _renumber(session: Session, items: list[OwnItem]) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            session.add(item)
    session.flush()
