"""What changed between two versions of one questionnaire, by id: a pure function.

Items are matched by their id: an id only in the newer version is added, only in the older one
removed, and in both with another statement (Dutch or English), another knob or another reverse
flag it is reworded. Open questions and knobs are compared the same way. A coordinator reads it
before moving to a new version; a trend over both versions is only meaningful when it is empty
or the newer file declares the older one comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.platform.questionnaires import Item, OpenQuestion, Questionnaire, Text


@dataclass(frozen=True)
class ItemChange:
    """One item kept by id whose meaning changed; `changes` names what: statement_nl,
    statement_en, knob, reverse."""

    before: Item
    after: Item
    changes: tuple[str, ...]


@dataclass(frozen=True)
class OpenQuestionChange:
    before: OpenQuestion
    after: OpenQuestion
    changes: tuple[str, ...]  # question_nl, question_en, knob


@dataclass(frozen=True)
class VersionDiff:
    old: Questionnaire
    new: Questionnaire
    items_added: list[Item] = field(default_factory=list)
    items_removed: list[Item] = field(default_factory=list)
    items_reworded: list[ItemChange] = field(default_factory=list)
    open_questions_added: list[OpenQuestion] = field(default_factory=list)
    open_questions_removed: list[OpenQuestion] = field(default_factory=list)
    open_questions_reworded: list[OpenQuestionChange] = field(default_factory=list)
    knobs_added: list[str] = field(default_factory=list)
    knobs_removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.items_added or self.items_removed or self.items_reworded
                    or self.open_questions_added or self.open_questions_removed
                    or self.open_questions_reworded or self.knobs_added or self.knobs_removed)


def _text_changes(name: str, before: Text, after: Text) -> list[str]:
    return [f"{name}_{lang}" for lang in ("nl", "en")
            if getattr(before, lang).strip() != getattr(after, lang).strip()]


def _item_changes(before: Item, after: Item) -> tuple[str, ...]:
    found = _text_changes("statement", before.statement, after.statement)
    if before.knob != after.knob:
        found.append("knob")
    if before.reverse != after.reverse:
        found.append("reverse")
    return tuple(found)


def _question_changes(before: OpenQuestion, after: OpenQuestion) -> tuple[str, ...]:
    found = _text_changes("question", before.question, after.question)
    if before.knob != after.knob:
        found.append("knob")
    return tuple(found)


def diff(old: Questionnaire, new: Questionnaire) -> VersionDiff:
    """`old` → `new`, each list in the order of the version it comes from. Two versions of
    different questionnaires are not compared (ValueError): their ids mean different things."""
    if old.slug != new.slug:
        raise ValueError(f"{old.ref} and {new.ref} are different questionnaires")
    old_items, new_items = old.item_by_id, new.item_by_id
    old_questions = {q.id: q for q in old.open_questions}
    new_questions = {q.id: q for q in new.open_questions}
    reworded = [ItemChange(old_items[i.id], i, changes) for i in new.items
                if i.id in old_items and (changes := _item_changes(old_items[i.id], i))]
    questions_reworded = [
        OpenQuestionChange(old_questions[q.id], q, changes) for q in new.open_questions
        if q.id in old_questions and (changes := _question_changes(old_questions[q.id], q))]
    return VersionDiff(
        old=old, new=new,
        items_added=[i for i in new.items if i.id not in old_items],
        items_removed=[i for i in old.items if i.id not in new_items],
        items_reworded=reworded,
        open_questions_added=[q for q in new.open_questions if q.id not in old_questions],
        open_questions_removed=[q for q in old.open_questions if q.id not in new_questions],
        open_questions_reworded=questions_reworded,
        knobs_added=[k.key for k in new.knobs if k.key not in old.knob_by_key],
        knobs_removed=[k.key for k in old.knobs if k.key not in new.knob_by_key],
    )
