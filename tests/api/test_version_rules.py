"""The rules of questionnaire versions without a database: the status a version has, the hash
that a status change leaves alone, and the diff between two versions by item id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.platform.models import PublishedQuestionnaire
from api.platform.questionnaire_diff import diff
from api.platform.questionnaire_status import VersionStatus, status_of
from api.platform.questionnaires import Questionnaire, load_file
from api.platform.settings import ROOT

ONE = load_file(ROOT / "questionnaires" / "galbraith-star" / "1.0.yaml")
# the hash every stored response of 1.0 carries: a status field must not change it
HASH_1_0 = "f61b15464d2d886fb1e2fcf64d8275da6e473ae71ed087a804907744b554a560"


def changed(**update) -> Questionnaire:
    """1.1: a copy of 1.0 with some fields replaced, validated afresh (so nothing is cached)."""
    return Questionnaire.model_validate({**ONE.model_dump(), "version": "1.1", **update})


def with_items(items: list[dict], **update) -> Questionnaire:
    return changed(items=items, **update)


def items_of_one() -> list[dict]:
    return [item.model_dump() for item in ONE.items]


def test_the_status_is_not_part_of_the_meaning():
    assert ONE.content_hash == HASH_1_0
    data = ONE.model_dump()
    draft = Questionnaire.model_validate({**data, "status": "draft"})
    assert draft.status == "draft" and ONE.status == "published"
    assert draft.content_hash == HASH_1_0
    assert Questionnaire.model_validate({**data, "minutes": 11}).content_hash != HASH_1_0


def test_a_file_may_only_say_draft_or_published():
    with pytest.raises(ValueError, match="status"):
        Questionnaire.model_validate({**ONE.model_dump(), "status": "archived"})


def test_the_database_transition_wins_over_the_file_and_only_goes_forward():
    draft = changed(status="draft")
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    published = PublishedQuestionnaire(slug="galbraith-star", version="1.1", content_hash="x")
    archived = PublishedQuestionnaire(slug="galbraith-star", version="1.1", content_hash="x",
                                      archived_at=moment)
    assert status_of(draft, None) == VersionStatus.draft
    assert status_of(ONE, None) == VersionStatus.published
    assert status_of(draft, published) == VersionStatus.published  # published in the browser
    assert status_of(draft, archived) == status_of(ONE, archived) == VersionStatus.archived


def test_the_same_version_twice_has_no_changes():
    assert diff(ONE, ONE).empty
    assert diff(ONE, changed(intro={"nl": "Anders.", "en": "Other."})).empty  # not an item


def test_items_added_removed_and_reworded_by_id():
    items = items_of_one()
    items[0]["statement"] = {**items[0]["statement"], "en": "Reworded in English only."}
    items[1]["knob"] = "structuur"
    items[5]["reverse"] = not items[5]["reverse"]
    removed = items.pop(3)
    items.append({"id": "str9", "knob": "strategie",
                  "statement": {"nl": "Nieuw.", "en": "New."}})
    found = diff(ONE, with_items(items))
    assert [i.id for i in found.items_added] == ["str9"]
    assert [i.id for i in found.items_removed] == [removed["id"]]
    assert [(c.after.id, c.changes) for c in found.items_reworded] == [
        ("str1", ("statement_en",)), ("str2", ("knob",)), ("str6", ("reverse",))]
    assert found.items_reworded[0].before.statement.en != found.items_reworded[0].after.statement.en
    assert not found.empty


def test_open_questions_and_knobs_added_and_removed():
    kept = [q.model_dump() for q in ONE.open_questions if q.knob != "mensen"]
    kept[0]["question"] = {**kept[0]["question"], "nl": "Een andere vraag?"}
    kept.append({"id": "open_extra", "question": {"nl": "Nog iets?", "en": "Anything else?"}})
    without_mensen = changed(
        knobs=[k.model_dump() for k in ONE.knobs if k.key != "mensen"],
        items=[i.model_dump() for i in ONE.items if i.knob != "mensen"],
        suggestions=[s.model_dump() for s in ONE.suggestions if s.knob != "mensen"],
        open_questions=kept)
    found = diff(ONE, without_mensen)
    assert found.knobs_removed == ["mensen"] and found.knobs_added == []
    assert {i.knob for i in found.items_removed} == {"mensen"}
    assert [q.id for q in found.open_questions_added] == ["open_extra"]
    assert [q.knob for q in found.open_questions_removed] == ["mensen"]
    assert [(c.after.id, c.changes) for c in found.open_questions_reworded] == [
        (kept[0]["id"], ("question_nl",))]
    back = diff(without_mensen, ONE)
    assert back.knobs_added == ["mensen"] and back.items_added == found.items_removed


def test_versions_of_two_questionnaires_are_not_compared():
    with pytest.raises(ValueError, match="different questionnaires"):
        diff(ONE, changed(slug="een-andere"))


@settings(max_examples=60, deadline=None)
@given(drop=st.sets(st.sampled_from([i.id for i in ONE.items]), max_size=10),
       reword=st.sets(st.sampled_from([i.id for i in ONE.items]), max_size=10),
       added=st.integers(min_value=0, max_value=3))
def test_the_diff_names_exactly_what_was_dropped_reworded_and_added(drop, reword, added):
    """For any edit of 1.0's items, the diff finds each edit once, and the diff backwards is
    the mirror image."""
    firsts = {ONE.items_of(k.key)[0].id for k in ONE.knobs}  # a knob keeps at least one item
    items = [i for i in items_of_one() if i["id"] not in drop or i["id"] in firsts]
    dropped = {i.id for i in ONE.items} - {i["id"] for i in items}
    for item in items:
        if item["id"] in reword:
            item["statement"] = {"nl": item["statement"]["nl"] + " anders", "en": item["statement"]["en"]}
    items += [{"id": f"new{n}", "knob": "processen", "statement": {"nl": "N", "en": "N"}}
              for n in range(added)]
    new = with_items(items)
    found = diff(ONE, new)
    assert {i.id for i in found.items_removed} == dropped
    assert {c.after.id for c in found.items_reworded} == reword - dropped
    assert all(c.changes == ("statement_nl",) for c in found.items_reworded)
    assert [i.id for i in found.items_added] == [f"new{n}" for n in range(added)]
    back = diff(new, ONE)
    assert {i.id for i in back.items_added} == dropped
    assert [i.id for i in back.items_removed] == [f"new{n}" for n in range(added)]
    assert {c.after.id for c in back.items_reworded} == reword - dropped
    assert found.empty == back.empty == (not dropped and not (reword - dropped) and not added)
