"""Questionnaire files: the real catalog loads, broken files fail loudly and say where and why."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from api.platform.questionnaires import (
    Catalog,
    Questionnaire,
    QuestionnaireError,
    Text,
    load_catalog,
    load_file,
)

CATALOG_DIR = Path(__file__).resolve().parents[2] / "questionnaires"
STAR_FILE = CATALOG_DIR / "galbraith-star" / "1.0.yaml"

STAR_KNOBS = ["strategie", "structuur", "processen", "beloningen", "mensen"]
STAR_ITEM_PREFIX = {
    "strategie": "str",
    "structuur": "stu",
    "processen": "pro",
    "beloningen": "bel",
    "mensen": "men",
}
STAR_ROLES = {
    "practor",
    "docent_onderzoeker",
    "lector_onderzoeksleider",
    "leidinggevende_bestuur",
    "anders",
}


def _text(words: str) -> dict[str, str]:
    return {"nl": f"{words} (nl)", "en": f"{words} (en)"}


def minimal() -> dict:
    """A small valid questionnaire as plain data, ready to be mutated by a test."""
    return {
        "slug": "mini",
        "version": "1.0",
        "title": _text("Mini"),
        "intro": _text("A tiny questionnaire"),
        "minutes": 3,
        "scale": {
            "min": 1,
            "max": 5,
            "labels": {i: _text(f"label {i}") for i in range(1, 6)},
            "dont_know": _text("Weet niet"),
        },
        "knobs": [
            {"key": "a", "name": _text("A"), "explanation": _text("Knob a")},
            {"key": "b", "name": _text("B"), "explanation": _text("Knob b")},
        ],
        "items": [
            {"id": "a1", "knob": "a", "statement": _text("Statement a1")},
            {"id": "a2", "knob": "a", "statement": _text("Statement a2"), "reverse": True},
            {"id": "b1", "knob": "b", "statement": _text("Statement b1"), "source": "X, 2020"},
        ],
        "open_questions": [{"id": "open_a", "knob": "a", "question": _text("What about a?")}],
        "roles": [{"key": "practor", "name": _text("Practor")}],
        "bands": [
            {"key": "urgent", "name": _text("Urgent"), "min": 1.0},
            {"key": "aandacht", "name": _text("Aandacht"), "min": 2.5},
            {"key": "sterk", "name": _text("Sterk"), "min": 3.5},
        ],
        "suggestions": [
            {
                "id": "a_s1",
                "knob": "a",
                "title": _text("Try a"),
                "text": _text("Try something for a"),
                "source": "Y, 2021",
            }
        ],
    }


def write(root: Path, data: dict, *, slug: str | None = None, version: str | None = None) -> Path:
    """Write `data` as `<root>/<slug>/<version>.yaml`; by default named after its slug/version."""
    folder = root / (slug or data["slug"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version or data['version']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(QuestionnaireError) as caught:
        load_file(path)
    return str(caught.value)


@pytest.fixture(scope="module")
def star() -> Questionnaire:
    return load_file(STAR_FILE)


# --- the real catalog -------------------------------------------------------------------------


def test_the_shipped_catalog_loads_and_offers_the_star_questionnaire():
    catalog = load_catalog(CATALOG_DIR)
    assert len(catalog) >= 1
    star = catalog.require("galbraith-star", "1.0")
    assert star.ref == "galbraith-star/1.0"
    assert catalog.latest("galbraith-star") is not None


def test_the_star_questionnaire_has_the_five_knobs_in_order(star):
    assert [knob.key for knob in star.knobs] == STAR_KNOBS


def test_the_star_questionnaire_has_six_items_per_knob_thirty_in_all(star):
    assert len(star.items) == 30
    for knob, prefix in STAR_ITEM_PREFIX.items():
        assert [item.id for item in star.items_of(knob)] == [f"{prefix}{i}" for i in range(1, 7)]


def test_every_star_knob_has_at_least_one_reverse_coded_statement(star):
    for knob in STAR_KNOBS:
        assert any(item.reverse for item in star.items_of(knob)), knob


def test_every_star_knob_has_at_least_three_suggestions_each_with_a_source(star):
    for knob in STAR_KNOBS:
        suggestions = star.suggestions_of(knob)
        assert len(suggestions) >= 3, knob
        for suggestion in suggestions:
            assert suggestion.source.strip(), suggestion.id


def test_every_star_knob_has_exactly_one_open_question(star):
    for knob in STAR_KNOBS:
        assert len(star.open_questions_of(knob)) == 1, knob


def test_the_star_questionnaire_knows_the_five_roles(star):
    assert star.role_keys == STAR_ROLES
    assert len(star.roles) == 5


def test_the_star_questionnaire_bands_are_urgent_aandacht_sterk(star):
    assert [(band.key, band.min) for band in star.bands] == [
        ("urgent", 1.0),
        ("aandacht", 2.5),
        ("sterk", 3.5),
    ]
    assert star.strength_band.key == "sterk"


def _texts(node):
    """Every `Text` anywhere in a loaded questionnaire."""
    if isinstance(node, Text):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _texts(getattr(node, name))
    elif isinstance(node, list | tuple):
        for child in node:
            yield from _texts(child)
    elif isinstance(node, dict):
        for child in node.values():
            yield from _texts(child)


def test_every_star_text_is_written_in_dutch_and_english(star):
    texts = list(_texts(star))
    # title, intro, 5 scale labels, dont_know, 5 knobs x 2, 30 statements, ... : many
    assert len(texts) > 60
    for text in texts:
        assert text.nl.strip()
        assert text.en.strip()
        assert text.get("nl") == text.nl
        assert text.get("en") == text.en


# --- a valid small file -----------------------------------------------------------------------


def test_a_minimal_questionnaire_file_loads(tmp_path):
    questionnaire = load_file(write(tmp_path, minimal()))
    assert questionnaire.ref == "mini/1.0"
    assert [item.id for item in questionnaire.items_of("a")] == ["a1", "a2"]
    assert questionnaire.item_by_id["a2"].reverse is True
    assert questionnaire.item_by_id["a1"].reverse is False


# --- broken files name file, field and problem -------------------------------------------------


def test_an_item_without_english_text_is_refused_naming_the_field(tmp_path):
    data = minimal()
    del data["items"][0]["statement"]["en"]
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "items.0.statement.en" in message
    assert "Field required" in message


def test_an_empty_text_is_refused(tmp_path):
    data = minimal()
    data["knobs"][1]["name"]["nl"] = ""
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "knobs.1.name.nl" in message


def test_an_item_on_an_unknown_knob_is_refused(tmp_path):
    data = minimal()
    data["items"][2]["knob"] = "zzz"
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "items[2] (b1)" in message
    assert "unknown knob 'zzz'" in message


def test_a_duplicate_item_id_is_refused(tmp_path):
    data = minimal()
    data["items"][1]["id"] = "a1"
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "items: 'a1' appears more than once" in message


def test_bands_that_do_not_rise_are_refused(tmp_path):
    data = minimal()
    data["bands"][1]["min"] = 4.0  # 1.0, 4.0, 3.5
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "bands" in message
    assert "rising 'min'" in message


def test_bands_with_an_equal_lower_bound_are_refused(tmp_path):
    data = minimal()
    data["bands"][2]["min"] = 2.5  # 1.0, 2.5, 2.5
    message = load_error(write(tmp_path, data))
    assert "rising 'min'" in message


def test_a_knob_without_items_is_refused(tmp_path):
    data = minimal()
    data["items"] = [item for item in data["items"] if item["knob"] != "b"]
    message = load_error(write(tmp_path, data))
    assert "knob 'b' has no items" in message


def test_a_yaml_syntax_error_is_reported_with_the_file_and_line(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    path = folder / "1.0.yaml"
    path.write_text('slug: [mini\nversion: "1.0"\n', encoding="utf-8")
    message = load_error(path)
    assert str(path) in message
    assert "cannot be read as YAML" in message
    assert "line 2" in message


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    path = folder / "1.0.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    message = load_error(path)
    assert str(path) in message
    assert "mapping" in message


def test_a_file_named_1_1_whose_version_says_1_0_is_refused(tmp_path):
    path = write(tmp_path, minimal(), version="1.1")
    assert path.name == "1.1.yaml"
    message = load_error(path)
    assert str(path) in message
    assert "slug/version" in message
    assert "mini/1.0" in message
    assert "mini/1.1.yaml" in message


def test_a_file_in_the_wrong_slug_folder_is_refused(tmp_path):
    path = write(tmp_path, minimal(), slug="other")
    message = load_error(path)
    assert str(path) in message
    assert "other/1.0.yaml" in message


def test_an_unquoted_version_number_is_refused_rather_than_read_as_a_float(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    path = folder / "1.10.yaml"
    text = yaml.safe_dump(minimal(), sort_keys=False).replace("version: '1.0'", "version: 1.10")
    assert "version: 1.10" in text
    path.write_text(text, encoding="utf-8")
    message = load_error(path)
    assert str(path) in message
    assert "field version" in message


def test_scale_labels_that_do_not_cover_one_to_five_are_refused(tmp_path):
    data = minimal()
    del data["scale"]["labels"][5]
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "field scale" in message
    assert "labels must be given for exactly [1, 2, 3, 4, 5]" in message


def test_a_scale_label_outside_the_scale_is_refused(tmp_path):
    data = minimal()
    data["scale"]["labels"][6] = _text("label 6")
    message = load_error(write(tmp_path, data))
    assert "field scale" in message


def test_an_unknown_extra_field_is_refused(tmp_path):
    data = minimal()
    data["colour"] = "blue"
    path = write(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "field colour" in message
    assert "Extra inputs are not permitted" in message


def test_a_misspelt_field_inside_an_item_is_refused(tmp_path):
    data = minimal()
    data["items"][1]["revers"] = True
    message = load_error(write(tmp_path, data))
    assert "field items.1.revers" in message


def test_a_broken_file_stops_the_whole_catalog_from_loading(tmp_path):
    write(tmp_path, minimal())
    broken = minimal()
    broken["version"] = "2.0"
    broken["items"][0]["knob"] = "nope"
    path = write(tmp_path, broken)
    with pytest.raises(QuestionnaireError) as caught:
        load_catalog(tmp_path)
    assert str(path) in str(caught.value)


def test_a_missing_catalog_directory_is_refused(tmp_path):
    with pytest.raises(QuestionnaireError) as caught:
        load_catalog(tmp_path / "nowhere")
    assert "nowhere" in str(caught.value)


# --- content_hash -----------------------------------------------------------------------------


def _reverse_keys(node):
    if isinstance(node, dict):
        return {key: _reverse_keys(value) for key, value in reversed(list(node.items()))}
    if isinstance(node, list):
        return [_reverse_keys(child) for child in node]
    return node


def test_content_hash_survives_reformatting_reordering_and_comments(tmp_path, star):
    raw = yaml.safe_load(STAR_FILE.read_text(encoding="utf-8"))
    # reverse the order of the keys in every mapping (scale labels 5..1 too), write everything in
    # flow style and add comments
    reordered = _reverse_keys(raw)
    assert list(reordered["scale"]["labels"]) == [5, 4, 3, 2, 1]
    text = "# reformatted copy\n" + yaml.safe_dump(
        reordered, default_flow_style=True, sort_keys=False, width=60, allow_unicode=True
    )
    text += "# trailing comment\n"
    path = write(tmp_path, raw)
    path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") != STAR_FILE.read_text(encoding="utf-8")
    assert load_file(path).content_hash == star.content_hash


def test_content_hash_is_the_same_when_a_default_is_written_out(tmp_path):
    plain = minimal()
    explicit = copy.deepcopy(plain)
    explicit["items"][0]["reverse"] = False  # the default, written out
    first = load_file(write(tmp_path / "one", plain)).content_hash
    second = load_file(write(tmp_path / "two", explicit)).content_hash
    assert first == second


def test_content_hash_changes_when_a_statement_changes(tmp_path):
    original = minimal()
    changed = copy.deepcopy(original)
    changed["items"][0]["statement"]["nl"] += "!"
    first = load_file(write(tmp_path / "one", original)).content_hash
    second = load_file(write(tmp_path / "two", changed)).content_hash
    assert first != second


def test_content_hash_changes_when_an_item_becomes_reverse_coded(tmp_path):
    original = minimal()
    changed = copy.deepcopy(original)
    changed["items"][0]["reverse"] = True
    first = load_file(write(tmp_path / "one", original)).content_hash
    second = load_file(write(tmp_path / "two", changed)).content_hash
    assert first != second


def test_content_hash_changes_when_a_band_threshold_changes(tmp_path):
    original = minimal()
    changed = copy.deepcopy(original)
    changed["bands"][2]["min"] = 3.6
    first = load_file(write(tmp_path / "one", original)).content_hash
    second = load_file(write(tmp_path / "two", changed)).content_hash
    assert first != second


# --- Catalog ----------------------------------------------------------------------------------


def _version(version: str) -> dict:
    data = minimal()
    data["version"] = version
    return data


def test_the_latest_version_is_picked_numerically_not_alphabetically(tmp_path):
    for version in ["1.2", "1.9", "1.10"]:
        write(tmp_path, _version(version))
    other = minimal()
    other["slug"] = "other"
    other["version"] = "7.0"
    write(tmp_path, other)
    catalog = load_catalog(tmp_path)
    assert len(catalog) == 4
    assert catalog.latest("mini").version == "1.10"
    assert catalog.latest("other").version == "7.0"


def test_a_higher_major_version_beats_any_minor_version(tmp_path):
    for version in ["1.10", "2.0"]:
        write(tmp_path, _version(version))
    assert load_catalog(tmp_path).latest("mini").version == "2.0"


def test_an_unknown_slug_has_no_latest_version_and_cannot_be_required():
    catalog = Catalog([])
    assert catalog.latest("galbraith-star") is None
    assert catalog.get("galbraith-star", "1.0") is None
    with pytest.raises(QuestionnaireError) as caught:
        catalog.require("galbraith-star", "1.0")
    assert "galbraith-star/1.0" in str(caught.value)
