"""Public shapes of the JSON API. Responses never hold an individual answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class Text(BaseModel):
    nl: str
    en: str


class KnobOut(BaseModel):
    key: str
    name: Text
    explanation: Text


class ItemOut(BaseModel):
    id: str
    knob: str
    statement: Text
    reverse: bool
    source: str | None = None


class BandOut(BaseModel):
    key: str
    name: Text
    min: float


class SuggestionOut(BaseModel):
    id: str
    knob: str
    title: Text
    text: Text
    source: str


class RoleOut(BaseModel):
    key: str
    name: Text


class ScaleOut(BaseModel):
    min: int
    max: int
    labels: dict[int, Text]
    dont_know: Text


class OpenQuestionOut(BaseModel):
    id: str
    knob: str | None = None
    question: Text


class QuestionnaireSummary(BaseModel):
    slug: str
    version: str
    title: Text
    content_hash: str
    status: Literal["draft", "published", "archived"] = Field(
        description="New rounds use published versions only; archived versions stay readable "
                    "with the results of their rounds, and take no answers.")
    published_at: datetime | None = Field(
        description="When a round first used it or an administrator published it; None for a "
                    "version published by its file that no round has used yet.")
    archived_at: datetime | None


class KnobComparabilityOut(BaseModel):
    comparable: list[str]
    not_comparable: dict[str, Text] = Field(description="Knob → why it is not comparable.")


class QuestionnaireOut(QuestionnaireSummary):
    """Everything a client needs to label its own charts and files."""

    scale: ScaleOut
    knobs: list[KnobOut]
    items: list[ItemOut]
    open_questions: list[OpenQuestionOut]
    roles: list[RoleOut]
    bands: list[BandOut]
    suggestions: list[SuggestionOut]
    comparable_with: list[str] = Field(
        description="Earlier versions this one declares (some of) its knobs comparable with.")
    comparable_knobs: dict[str, KnobComparabilityOut] = Field(
        default={}, description="Per version in `comparable_with`: the knobs whose scores may "
                                "stand in one trend, and for each other knob the reason why not.")


class VersionRef(BaseModel):
    version: str
    status: Literal["draft", "published", "archived"]


class ItemChangeOut(BaseModel):
    id: str
    changes: list[Literal["statement_nl", "statement_en", "knob", "reverse"]]
    before: ItemOut
    after: ItemOut


class OpenQuestionChangeOut(BaseModel):
    id: str
    changes: list[Literal["question_nl", "question_en", "knob"]]
    before: OpenQuestionOut
    after: OpenQuestionOut


class QuestionnaireDiffOut(BaseModel):
    """What changed from one version to another, matched by item id."""

    slug: str
    from_: VersionRef = Field(alias="from")
    to: VersionRef
    items_added: list[ItemOut]
    items_removed: list[ItemOut]
    items_reworded: list[ItemChangeOut] = Field(
        description="Same id, another statement (nl or en), knob or reverse flag.")
    open_questions_added: list[OpenQuestionOut]
    open_questions_removed: list[OpenQuestionOut]
    open_questions_reworded: list[OpenQuestionChangeOut]
    knobs_added: list[str]
    knobs_removed: list[str]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class InstitutionOut(BaseModel):
    slug: str
    name: str
    anonymity_k: int = Field(description="Smallest group this institution ever shows.")


class UnitOut(BaseModel):
    id: int
    name: str
    kind: str
    parent_id: int | None
    children: list[UnitOut] = []


class ReleaseOut(BaseModel):
    """Which release the numbers reflect. Numbers change only when `id` changes; responses that
    would add fewer than k respondents to some group wait (`pending`) for a later release."""

    id: int | None = Field(description="None before the round's first release.")
    number: int = Field(description="1, 2, 3 … within the round; 0 before the first release.")
    published_at: datetime | None = Field(description="When the release was made, to the minute.")
    counted: int = Field(description="Responses in the published numbers.")
    pending: int = Field(description="Responses waiting until their groups are large enough; "
                                     "after the round closed they are never counted.")


class RoundOut(BaseModel):
    id: int
    name: str
    questionnaire: str = Field(examples=["galbraith-star/1.0"])
    opens_at: datetime
    closes_at: datetime | None
    status: Literal["not_open", "open", "closed"]
    responses: int = Field(description="Responses in the published numbers (= release.counted).")
    release: ReleaseOut


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class KnobStats(BaseModel):
    n: int
    mean: float
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    band: str


class GroupRef(BaseModel):
    type: Literal["institution", "unit", "role"]
    id: int | str | None = Field(description="Unit id, role key, or null for the institution.")
    name: str


class GroupScoresOut(BaseModel):
    """One group's scores; `suppressed: true` groups carry no numbers at all."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "group": {"type": "unit", "id": 3, "name": "Practoraat Zorg en Welzijn"},
        "suppressed": False, "n": 14,
        "knobs": {"strategie": {"n": 14, "mean": 2.84, "sd": 0.51, "ci_low": 2.55,
                                "ci_high": 3.13, "band": "aandacht"}},
        "weakest": "strategie", "strongest": "mensen", "spread": 1.55}]})

    group: GroupRef
    suppressed: bool
    n: int | None = None
    knobs: dict[str, KnobStats | None] | None = None
    weakest: str | None = None
    strongest: str | None = None
    spread: float | None = None


class ScoresOut(BaseModel):
    round: RoundOut
    questionnaire: str
    k: int
    group_by: Literal["institution", "unit", "role"]
    groups: list[GroupScoresOut]


class CompareRow(GroupScoresOut):
    difference: dict[str, float | None] | None = Field(
        default=None, description="Knob mean minus the institution's, per knob.")


class CompareOut(BaseModel):
    round: RoundOut
    k: int
    institution: GroupScoresOut
    units: list[CompareRow]


class OwnGroupOut(BaseModel):
    """One own statement in one group; `suppressed: true` carries no numbers at all."""

    group: GroupRef
    suppressed: bool
    n: int | None = Field(default=None, description="Answers (don't know not counted).")
    mean: float | None = None
    sd: float | None = None
    counts: dict[int, int] | None = Field(default=None,
                                          description="Answers per scale value.")
    dont_know: int | None = None


class OwnItemOut(BaseModel):
    id: int
    position: int
    kind: Literal["likert", "open"]
    statement_nl: str
    statement_en: str | None
    knob: str | None = Field(description="The knob it is tied to, for grouping only: own items "
                                          "never count in the knob scores.")


class OwnStatementOut(OwnItemOut):
    groups: list[OwnGroupOut] = Field(description="The institution first, then every unit.")


class OwnQuestionOut(OwnItemOut):
    answers: list[str] = Field(description="Released answers, in no meaningful order.")


class OwnItemsOut(BaseModel):
    """The institution's own items of a round, apart from the knob scores, under the same
    release and k rule; `shown: false` (too few released respondents) carries no numbers."""

    round: RoundOut
    k: int
    shown: bool
    statements: list[OwnStatementOut]
    open_questions: list[OwnQuestionOut]


class InstitutionScores(BaseModel):
    institution: InstitutionOut
    round: RoundOut
    scores: GroupScoresOut


class InstitutionsCompareOut(BaseModel):
    questionnaire: str
    institutions: list[InstitutionScores]


class ChangeOut(BaseModel):
    difference: float
    ci_low: float | None
    ci_high: float | None
    clear: bool = Field(description="True when the 95% interval of the difference excludes 0.")


class TrendPointOut(BaseModel):
    round: RoundOut
    scores: GroupScoresOut
    change: dict[str, ChangeOut] | None = Field(
        default=None, description="Per knob, the change since the previous point.")
    not_comparable: list[str] = Field(
        default=[], description="Knobs of `reference_version` that this round's version is not "
                                "comparable with: their scores are null here (see the trend's "
                                "`not_comparable` for why).")


class RefusedKnobOut(BaseModel):
    version: str = Field(description="The earlier version whose rounds leave the knob out.")
    knob: str
    reason: Text


class TrendOut(BaseModel):
    questionnaire: str
    versions: list[str]
    reference_version: str = Field(
        description="The latest round's version: every point is compared with it, per knob.")
    unit: UnitOut | None
    points: list[TrendPointOut]
    not_comparable: list[RefusedKnobOut] = Field(
        default=[], description="Per earlier version, the knobs the trend does not cross to it, "
                                "with the reason in Dutch and English.")


class ActionProgressOut(BaseModel):
    """An action against the latest round: the change of its knob for its group since its
    baseline round, from published numbers only."""

    round_id: int | None = Field(description="The round it is read against (the latest opened).")
    standing: Literal["measured", "hidden", "not_yet", "not_comparable"] = Field(
        description="`hidden`: the group is below k in one of the two rounds, so no change is "
                    "published; `not_yet`: made in or after that round.")
    change: ChangeOut | None = None
    reason: Text | None = Field(
        default=None, description="`not_comparable`: why the knob cannot be compared between "
                                  "the baseline's version and this round's.")


class ActionOut(BaseModel):
    id: int
    round_id: int = Field(description="The round it was made after (its baseline).")
    unit_id: int | None = Field(description="None for the whole institution.")
    knob: str
    title: str
    suggestion: str | None = Field(description="The questionnaire suggestion it came from.")
    owner: str
    due_on: date | None
    status: Literal["gepland", "bezig", "klaar", "gestopt"]
    notes: str
    created_at: datetime
    updated_at: datetime
    progress: ActionProgressOut


class ImportResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: int | str = Field(description="Unit id or exact unit name.")
    role: str
    answers: dict[str, StrictInt | None | str] = Field(
        description="Item id → 1–5, null or \"dk\" for don't know / not applicable.")
    open_answers: dict[str, str] = {}
    own: dict[str, StrictInt | None | str] = Field(default={}, description=(
        "Answers to the round's own items (GET /rounds/{id}/own-items lists them), by own item "
        "id: a statement takes 1–5, null or \"dk\"; an open question takes text. JSON only."))


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "responses": [{"unit": "Practoraat Zorg en Welzijn", "role": "practor",
                       "answers": {"str1": 4, "str2": 3, "str3": "dk"},
                       "open_answers": {"open_strategie": "Meer gezamenlijke thema's"}}]}]})

    responses: list[ImportResponse] = Field(min_length=1, max_length=10_000)


class ImportResult(BaseModel):
    round_id: int
    imported: int
    replayed: bool = Field(False, description="True when this Idempotency-Key was seen before.")


class RowError(BaseModel):
    row: int = Field(description="1-based data row (CSV: the header is row 0).")
    column: str | None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[RowError] | None = None


class ItemEvidenceOut(BaseModel):
    item: str
    item_rest: float | None = Field(description="Corrected item–rest correlation: the item vs "
                                                "the sum of the knob's other items.")
    weak: bool = Field(description="True when item_rest is below 0.3.")
    alpha_if_deleted: float | None
    raises_alpha: bool = Field(description="True when alpha without the item is higher.")


class KnobEvidenceOut(BaseModel):
    knob: str
    items: int
    shown: bool = Field(description="False until the knob has `minimum` complete responses.")
    n: int = Field(description="Complete responses counted (listwise).")
    needed: int = Field(description="Complete responses still needed before it is shown.")
    alpha: float | None = None
    ci_low: float | None = Field(None, description="Feldt's 95% interval of alpha.")
    ci_high: float | None = None
    item_stats: list[ItemEvidenceOut] = []


class ScaleEvidenceOut(BaseModel):
    """Item analysis of one questionnaire version over the released responses of every
    institution and round: a sector-wide statistic, no institution's own numbers."""

    questionnaire: str
    minimum: int = Field(description="Complete responses a knob needs before it is shown.")
    knobs: list[KnobEvidenceOut]


class NetworkTargetOut(BaseModel):
    """One target of a group's network map; every share is of the group's respondents."""

    target: str = Field(description="'own' (own team), 'u<unit id>' or werkveld/onderzoek/experts.")
    kind: Literal["own", "institution", "outside"]
    unit_id: int | None = None
    frequency: dict[str, float] = Field(description="Share per weekly, monthly, less, never.")
    unmarked: float = Field(description="Share that did not mark this target (or skipped the map).")
    at_least_monthly: float
    forms: dict[str, float] = Field(
        description="Share naming each form: wetenschappelijk, professioneel, ervaring.")
    typical: str | None = Field(default=None, description="Median frequency of those who marked it.")
    dominant: str | None = Field(default=None, description="The form named most often.")


class NetworkGroupOut(BaseModel):
    unit_id: int | None = Field(description="The respondents' unit; null is the whole institution.")
    shown: bool
    n: int = Field(description="Released respondents; 0 when not shown (fewer than k).")
    targets: list[NetworkTargetOut]


class NetworkMapOut(BaseModel):
    round: RoundOut
    k: int
    source: str = "Van den Boom-Muilenburg & Ommering (n.d.), network reflection tool"
    groups: list[NetworkGroupOut]


class SectorKnobOut(BaseModel):
    knob: str
    mean: float = Field(description="The sector's mean of the contributing institutions' means.")
    q1: float = Field(description="First quartile (inclusive method) over the institutions.")
    q3: float = Field(description="Third quartile (inclusive method) over the institutions.")
    own: float | None = Field(description="This institution's mean in the round; null when "
                                          "hidden (below k).")
    position: Literal["above", "middle", "below"] | None = Field(
        description="above: over Q3 (boven het kwart); middle: Q1 to Q3 (rond het midden); "
                    "below: under Q1 (onder het kwart).")


class SectorBenchmarkOut(BaseModel):
    """The sector benchmark beside one round; never names a contributing institution."""

    round_id: int
    questionnaire: str
    version: str
    period: str = Field(description="Study year of the round's opening date (1 Aug – 31 Jul).")
    institutions: int = Field(description="Contributing institutions (at least 5).")
    sector_release: int = Field(description="Number of the sector release shown.")
    published_at: datetime
    knobs: list[SectorKnobOut]
