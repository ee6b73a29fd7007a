"""Which knobs of a new questionnaire version may stand in one trend with an earlier version:
the real galbraith-star 1.1 declares it per knob, with a reason for each knob it refuses, and a
file that names an unknown knob or leaves a knob without a reason fails, naming the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from api.platform.questionnaires import QuestionnaireError, load_file
from api.results.trend import comparison
from tests.api.test_questionnaires import minimal

STAR = Path(__file__).resolve().parents[2] / "questionnaires" / "galbraith-star"
# the hash rounds store with every answer (api/setup/rounds.py): 1.1 must leave 1.0 untouched
HASH_1_0 = "f61b15464d2d886fb1e2fcf64d8275da6e473ae71ed087a804907744b554a560"


@pytest.fixture(scope="module")
def star():
    return load_file(STAR / "1.0.yaml"), load_file(STAR / "1.1.yaml")


def test_version_1_1_loads_with_the_five_knobs_and_scale_of_1_0_and_leaves_1_0_as_published(star):
    old, new = star
    assert old.content_hash == HASH_1_0
    assert [k.key for k in new.knobs] == [k.key for k in old.knobs]
    assert new.scale == old.scale and new.minutes == old.minutes
    assert 28 <= len(new.items) <= 34  # about the same ten minutes
    for item in new.items:
        assert "bij ons" not in item.statement.nl.lower(), item.id
        assert item.source, item.id
    for knob in new.knobs:
        assert len(new.suggestions_of(knob.key)) >= 3, knob.key


def test_version_1_1_crosses_to_1_0_for_three_knobs_and_says_why_not_for_the_other_two(star):
    old, new = star
    found = comparison(old, new)
    assert found.comparable == ["strategie", "structuur", "mensen"]
    assert set(found.refused) == {"processen", "beloningen"}
    for reason in found.refused.values():
        assert reason.nl.strip() and reason.en.strip()
    # read the other way round (a 1.0 dashboard against a 1.1 round), the same declaration holds
    assert comparison(new, old).comparable == found.comparable


def test_the_list_form_still_makes_every_knob_comparable(star, tmp_path):
    old, new = star
    data = yaml.safe_load((STAR / "1.1.yaml").read_text("utf-8"))
    data["comparable_with"] = ["1.0"]
    listed = write_and_load(tmp_path, data)
    assert comparison(old, listed).all
    data["comparable_with"] = []
    assert comparison(old, write_and_load(tmp_path, data)).comparable == []


def write_and_load(tmp_path: Path, data: dict):
    folder = tmp_path / data["slug"]
    folder.mkdir(exist_ok=True)
    path = folder / f"{data['version']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return load_file(path)


def declaring(comparable_with) -> dict:
    data = copy.deepcopy(minimal())
    data["version"] = "1.1"
    data["comparable_with"] = comparable_with
    return data


REASON = {"nl": "Andere stellingen.", "en": "Other statements."}


@pytest.mark.parametrize(("declared", "field", "problem"), [
    ({"1.0": {"comparable": ["a", "zz"], "not_comparable": {"b": REASON}}},
     "comparable_with.1.0.comparable", "unknown knob 'zz'"),
    ({"1.0": {"comparable": ["a", "b"], "not_comparable": {"zz": REASON}}},
     "comparable_with.1.0.not_comparable", "unknown knob 'zz'"),
    ({"1.0": {"comparable": ["a"]}},
     "comparable_with.1.0.not_comparable", "knob 'b' is not listed as comparable and has no reason"),
    ({"1.0": {"comparable": ["a", "b"], "not_comparable": {"b": REASON}}},
     "comparable_with", "'b' is listed both as comparable and in not_comparable"),
    ({"1.0": {"comparable": ["a"], "not_comparable": {"b": {"nl": "Alleen Nederlands."}}}},
     "not_comparable.b.en", "Field required"),
    ({"eerste": {"comparable": ["a", "b"]}},
     "comparable_with", "'eerste' is not a version"),
])
def test_a_declaration_naming_an_unknown_knob_or_leaving_a_knob_without_reason_fails_naming_the_field(
        tmp_path, declared, field, problem):
    with pytest.raises(QuestionnaireError) as failure:
        write_and_load(tmp_path, declaring(declared))
    message = str(failure.value)
    assert field in message and problem in message, message
