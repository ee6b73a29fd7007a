"""The survey's page of the institution's own items: reading the form, keeping it in the draft,
and checking it again at submit.

Kept apart from the knob pages (`api.survey.answering`): the answers live in the draft's
`own_answers` and, once submitted, in `own_answer`, so they never reach a knob score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from api.platform.errors import InvalidInput, InvitationUsed
from api.platform.models import Draft, OwnItem, OwnItemKind, utcnow
from api.platform.own_items import OPEN_ANSWER_MAX
from api.platform.parsing import plain_int
from api.platform.questionnaires import Questionnaire

DONT_KNOW = "dk"
FORM_CONTROL_FIELDS = frozenset({"action", "csrf_token"})
OwnValue = int | str | None  # a scale value, an open answer's text, or None for weet niet


@dataclass
class OwnStep:
    answers: dict[int, OwnValue] = field(default_factory=dict)
    errors: dict[str, tuple[str, dict]] = field(default_factory=dict)


def field_name(item: OwnItem) -> str:
    return f"own-{item.id}"


def parse_own_step(questionnaire: Questionnaire, items: Sequence[OwnItem],
                   form: Sequence[tuple[str, str]]) -> OwnStep:
    """Read the own page; as on the knob pages, a field the page did not ask for is named."""
    from api.survey.answering import clean_text  # the one text rule of the survey

    by_field = {field_name(item): item for item in items}
    result, seen = OwnStep(), set()
    scale = questionnaire.scale
    for name, raw in form:
        if name in seen:
            result.errors[name] = ("field_repeated", {"field": name[:60]})
            continue
        seen.add(name)
        if name in FORM_CONTROL_FIELDS:
            continue
        item = by_field.get(name)
        if item is None:
            result.errors["form"] = ("unknown_field", {"field": name[:60]})
        elif item.kind == OwnItemKind.open:
            text, problem = clean_text(raw, limit=OPEN_ANSWER_MAX)
            if problem:
                result.errors[name] = (problem, {"limit": OPEN_ANSWER_MAX})
            elif text:
                result.answers[item.id] = text
        elif raw == DONT_KNOW:
            result.answers[item.id] = None
        elif (value := plain_int(raw)) is not None and scale.min <= value <= scale.max:
            result.answers[item.id] = value
        else:
            result.errors[name] = ("value_off_scale", {"min": scale.min, "max": scale.max})
    return result


def form_values(draft: Draft | None) -> dict[str, str]:
    """The draft's own answers as the page's fields hold them."""
    found = draft.own_answers if draft else {}
    return {f"own-{item_id}": (DONT_KNOW if value is None else str(value))
            for item_id, value in found.items()}


def save_own(*, session: Session, draft: Draft | None, step: OwnStep) -> Draft:
    """The page's answers replace the draft's own answers (the page shows all of them)."""
    if draft is None:
        raise InvitationUsed("These answers were already submitted.")
    draft.own_answers = {str(item_id): value for item_id, value in step.answers.items()}
    draft.updated_at = utcnow()
    session.add(draft)
    session.commit()
    return draft


def checked_own(questionnaire: Questionnaire, items: Sequence[OwnItem], draft: Draft,
                ) -> dict[int, OwnValue]:
    """The draft's own answers re-checked at submit: only the round's items, values on the
    scale, texts for open questions."""
    kinds = {item.id: item.kind for item in items}
    scale = questionnaire.scale
    found: dict[int, OwnValue] = {}
    for raw_id, value in (draft.own_answers or {}).items():
        item_id = plain_int(str(raw_id))
        kind = kinds.get(item_id) if item_id is not None else None
        if kind is None:
            continue
        if kind == OwnItemKind.open:
            if isinstance(value, str) and value and len(value) <= OPEN_ANSWER_MAX:
                found[item_id] = value
            continue
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool)
                                      and scale.min <= value <= scale.max):
            raise InvalidInput("A saved answer is outside the scale.", code="value_off_scale")
        found[item_id] = value
    return found


def review(items: Sequence[OwnItem], draft: Draft | None) -> list[tuple[OwnItem, OwnValue, bool]]:
    """Each own item with the draft's answer and whether it was answered, for the review page."""
    found = draft.own_answers if draft else {}
    return [(item, found.get(str(item.id)), str(item.id) in found) for item in items]
