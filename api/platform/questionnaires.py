"""The one place where questionnaire files are read, validated and hashed.

A questionnaire is data: `questionnaires/<slug>/<version>.yaml`. Start-up and `kennisster check`
both go through `load_catalog`, so a broken file fails loudly before anyone fills it in.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Lang = Literal["nl", "en"]
LANGUAGES: tuple[Lang, ...] = ("nl", "en")
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
FileStatus = Literal["draft", "published"]
NOT_MEANING = frozenset({"status"})  # fields of the file that are not part of its content hash


class QuestionnaireError(Exception):
    """A questionnaire file that cannot be used; the message names file, field and problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text the product shows, in Dutch first and English second."""

    nl: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


class Knob(_Strict):
    key: Key
    name: Text
    explanation: Text


class Item(_Strict):
    id: Key
    knob: Key
    statement: Text
    reverse: bool = False
    source: str | None = None


class OpenQuestion(_Strict):
    id: Key
    knob: Key | None = None
    question: Text


class Role(_Strict):
    key: Key
    name: Text


class Band(_Strict):
    """A score band; `min` is its lower bound on the 1–5 scale. The last band is the strength."""

    key: Key
    name: Text
    min: float
    advice: Text | None = None


class Suggestion(_Strict):
    id: Key
    knob: Key
    title: Text
    text: Text
    source: str


class KnobComparability(_Strict):
    """How this version's knob scores relate to one earlier version's: the knobs whose scores
    may stand in one trend, and for every other knob the reason they may not."""

    comparable: list[Key] = []
    not_comparable: dict[Key, Text] = {}

    @model_validator(mode="after")
    def _once_each(self) -> KnobComparability:
        both = sorted(set(self.comparable) & set(self.not_comparable))
        if both:
            raise ValueError(f"knob {both[0]!r} is listed both as comparable and in not_comparable")
        _unique("comparable", self.comparable)
        return self


class Scale(_Strict):
    min: int = 1
    max: int = 5
    labels: dict[int, Text]
    dont_know: Text

    @model_validator(mode="after")
    def _labels_cover_scale(self) -> Scale:
        if self.min >= self.max:
            raise ValueError("min must be lower than max")
        expected = set(range(self.min, self.max + 1))
        if set(self.labels) != expected:
            raise ValueError(f"labels must be given for exactly {sorted(expected)}")
        return self


class Questionnaire(_Strict):
    slug: Key
    version: Annotated[str, Field(pattern=r"^\d+\.\d+$")]
    title: Text
    intro: Text
    minutes: int = Field(ge=1, le=120)
    scale: Scale
    knobs: Annotated[list[Knob], Field(min_length=1)]
    items: Annotated[list[Item], Field(min_length=1)]
    open_questions: list[OpenQuestion] = []
    roles: Annotated[list[Role], Field(min_length=1)]
    bands: Annotated[list[Band], Field(min_length=2)]
    suggestions: list[Suggestion] = []
    comparable_with: list[str] | dict[str, KnobComparability] = Field(
        default=[],
        description="Earlier versions whose knob scores may be compared with this one in trends: "
                    "a list of versions (every knob comparable) or, per version, the comparable "
                    "knobs and a reason for each other knob.",
    )
    vocabulary: Key | None = Field(
        default=None,
        description="Names the pages' own words for this questionnaire (message keys under "
                    "`vocabulary.<name>.` in web/messages), e.g. 'succesfactor' instead of "
                    "'knop'; none: the star's words.",
    )
    chart: Literal["radar", "bars"] = Field(
        default="radar",
        description="How the dashboard and the thank-you page draw the scores: a radar (the "
                    "star) or horizontal bars (many dimensions that are not one system).",
    )
    status: FileStatus = Field(
        default="published",
        description="`draft` while the version is in preparation: no round can use it until an "
                    "administrator publishes it (`api.setup.questionnaire_versions`).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        knob_keys = [k.key for k in self.knobs]
        _unique("knobs", knob_keys)
        _unique("items", [i.id for i in self.items])
        _unique("open_questions", [q.id for q in self.open_questions])
        _unique("roles", [r.key for r in self.roles])
        _unique("bands", [b.key for b in self.bands])
        _unique("suggestions", [s.id for s in self.suggestions])
        for i, item in enumerate(self.items):
            if item.knob not in knob_keys:
                raise ValueError(f"items[{i}] ({item.id}): unknown knob {item.knob!r}")
        for i, q in enumerate(self.open_questions):
            if q.knob is not None and q.knob not in knob_keys:
                raise ValueError(f"open_questions[{i}] ({q.id}): unknown knob {q.knob!r}")
        for i, s in enumerate(self.suggestions):
            if s.knob not in knob_keys:
                raise ValueError(f"suggestions[{i}] ({s.id}): unknown knob {s.knob!r}")
        for key in knob_keys:
            if not any(item.knob == key for item in self.items):
                raise ValueError(f"knob {key!r} has no items")
        _check_comparable_with(self.comparable_with, knob_keys)
        mins = [b.min for b in self.bands]
        if mins != sorted(mins) or len(set(mins)) != len(mins):
            raise ValueError("bands must be listed from lowest to highest with rising 'min'")
        if mins[0] > self.scale.min:
            raise ValueError(f"the first band must start at the scale minimum {self.scale.min}")
        return self

    @property
    def ref(self) -> str:
        return f"{self.slug}/{self.version}"

    @cached_property
    def content_hash(self) -> str:
        """Hash of the meaning, not the layout: reformatting the YAML keeps it, any change of
        text, item, scale or band changes it. `status` is left out: publishing a draft is not a
        change of meaning, and the hash is pinned with every response."""
        meaning = self.model_dump(mode="json", exclude=NOT_MEANING)
        for name, default in _LATER_FIELDS.items():  # a file without them keeps its old hash
            if meaning.get(name) == default:
                del meaning[name]
        canonical = json.dumps(meaning, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def item_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def knob_by_key(self) -> dict[str, Knob]:
        return {knob.key: knob for knob in self.knobs}

    @cached_property
    def role_keys(self) -> frozenset[str]:
        return frozenset(role.key for role in self.roles)

    def items_of(self, knob: str) -> list[Item]:
        return [item for item in self.items if item.knob == knob]

    def open_questions_of(self, knob: str | None) -> list[OpenQuestion]:
        return [q for q in self.open_questions if q.knob == knob]

    def suggestions_of(self, knob: str) -> list[Suggestion]:
        return [s for s in self.suggestions if s.knob == knob]

    @property
    def strength_band(self) -> Band:
        return self.bands[-1]

    def declared_comparability(self, version: str) -> KnobComparability | None:
        """What this file declares about an earlier `version`: every knob comparable for the
        list form, the declaration itself for the mapping form, None when it says nothing."""
        if isinstance(self.comparable_with, dict):
            return self.comparable_with.get(version)
        if version in self.comparable_with:
            return KnobComparability(comparable=[knob.key for knob in self.knobs])
        return None


def _check_comparable_with(declared: list[str] | dict[str, KnobComparability],
                           knob_keys: list[str]) -> None:
    """Every declared version names only this file's knobs, and each knob exactly once: either
    comparable or with the reason why not."""
    versions = declared if isinstance(declared, list) else list(declared)
    for version in versions:
        if not re.fullmatch(r"\d+\.\d+", version):
            raise ValueError(f"comparable_with: {version!r} is not a version like '1.0'")
    if not isinstance(declared, dict):
        return
    for version, knobs in declared.items():
        where = f"comparable_with.{version}"
        for field, keys in (("comparable", knobs.comparable),
                            ("not_comparable", list(knobs.not_comparable))):
            for key in keys:
                if key not in knob_keys:
                    raise ValueError(f"{where}.{field}: unknown knob {key!r}")
        missing = [key for key in knob_keys
                   if key not in knobs.comparable and key not in knobs.not_comparable]
        if missing:
            raise ValueError(f"{where}.not_comparable: knob {missing[0]!r} is not listed as "
                             f"comparable and has no reason why it is not")


# Optional fields added after version 1.0 of the star: at their default they stay out of the
# content hash, so the hash of every questionnaire published before them does not change.
_LATER_FIELDS: dict[str, object] = {"vocabulary": None, "chart": "radar"}


def _unique(field: str, keys: Iterable[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{field}: {key!r} appears more than once")
        seen.add(key)


def version_key(questionnaire: Questionnaire) -> tuple[int, ...]:
    """Versions in numeric order: "1.10" comes after "1.9"."""
    return tuple(int(part) for part in questionnaire.version.split("."))


def load_file(path: Path) -> Questionnaire:
    """Parse and validate one file; the error names the file, the field and what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireError(f"{path}: cannot be read as YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise QuestionnaireError(f"{path}: must hold a mapping of fields, not {type(raw).__name__}")
    try:
        questionnaire = Questionnaire.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"  field {where}: {error['msg']}")
        raise QuestionnaireError(f"{path}: invalid questionnaire\n" + "\n".join(problems)) from exc
    expected = (path.parent.name, path.stem)
    if (questionnaire.slug, questionnaire.version) != expected:
        raise QuestionnaireError(
            f"{path}: field slug/version says {questionnaire.ref!r} but the file lives at "
            f"{expected[0]}/{expected[1]}.yaml; name the file after its slug and version"
        )
    return questionnaire


class Catalog:
    """All questionnaire versions found on disk, keyed by (slug, version)."""

    def __init__(self, questionnaires: Iterable[Questionnaire]):
        self._by_ref = {(q.slug, q.version): q for q in questionnaires}

    def get(self, slug: str, version: str) -> Questionnaire | None:
        return self._by_ref.get((slug, version))

    def require(self, slug: str, version: str) -> Questionnaire:
        questionnaire = self.get(slug, version)
        if questionnaire is None:
            raise QuestionnaireError(f"questionnaire {slug}/{version} is not on disk")
        return questionnaire

    def latest(self, slug: str) -> Questionnaire | None:
        return max(self.versions_of(slug), key=version_key, default=None)

    def versions_of(self, slug: str) -> list[Questionnaire]:
        """The versions of one questionnaire, oldest first (1.9 before 1.10)."""
        return sorted((q for (s, _), q in self._by_ref.items() if s == slug), key=version_key)

    def __iter__(self):
        return iter(sorted(self._by_ref.values(), key=lambda q: (q.slug, version_key(q))))

    def __len__(self) -> int:
        return len(self._by_ref)


def load_catalog(directory: Path) -> Catalog:
    if not directory.is_dir():
        raise QuestionnaireError(f"{directory}: questionnaire directory does not exist")
    return Catalog(load_file(path) for path in sorted(directory.glob("*/*.yaml")))
