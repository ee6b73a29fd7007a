"""The block "Eigen stellingen" as every surface shows it: the institution's own statements
grouped by the knob they are tied to, each with its published numbers for the institution and
per unit, and the own open questions with their released answers.

Only a reading of what `api.results.gate.own_items` published (through the `Dashboard`): the
page, the PDF, the downloads and the API show the same block, apart from the knob scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.platform.models import OwnItem, OwnItemKind
from api.results.dashboard import Dashboard
from api.results.gate import OwnStat


@dataclass(frozen=True)
class OwnGroup:
    group_type: str  # "institution" or the unit's kind
    key: int | None  # the unit's id, None for the institution
    label: str
    stat: OwnStat | None  # None: the group or the statement has fewer than k answers


@dataclass(frozen=True)
class OwnStatement:
    item: OwnItem
    groups: list[OwnGroup]

    @property
    def total(self) -> OwnStat | None:
        return self.groups[0].stat


@dataclass(frozen=True)
class OwnSection:
    knob: str | None  # the knob the statements are tied to; None for those tied to none
    statements: list[OwnStatement]


@dataclass(frozen=True)
class OwnQuestion:
    item: OwnItem
    answers: list[str]


@dataclass(frozen=True)
class OwnBlock:
    shown: bool  # False: too few released respondents, nothing of it is published yet
    k: int
    sections: list[OwnSection] = field(default_factory=list)
    questions: list[OwnQuestion] = field(default_factory=list)

    @property
    def present(self) -> bool:
        """Whether the round has own items at all (a block without them is not shown)."""
        return bool(self.sections or self.questions)

    @property
    def statements(self) -> list[OwnStatement]:
        return [s for section in self.sections for s in section.statements]


def own_block(dash: Dashboard, *, institution_label: str = "") -> OwnBlock:
    """The round's own items in the questionnaire's knob order (untied last), with numbers."""
    published = dash.own
    likert = [i for i in dash.own_items if i.kind == OwnItemKind.likert]
    open_items = [i for i in dash.own_items if i.kind == OwnItemKind.open]

    def groups(item: OwnItem) -> list[OwnGroup]:
        found = [OwnGroup("institution", None, institution_label or dash.institution.name,
                          published.total.get(item.id))]
        for unit in dash.units:
            stats = published.units.get(unit.key, {})
            found.append(OwnGroup(unit.kind or "unit", unit.key, unit.label,
                                  stats.get(item.id) if published.shown else None))
        return found

    order = [knob.key for knob in dash.questionnaire.knobs]
    sections = []
    for knob in [*order, None]:
        tied = [OwnStatement(i, groups(i)) for i in likert
                if (i.knob if i.knob in order else None) == knob]
        if tied:
            sections.append(OwnSection(knob, tied))
    questions = [OwnQuestion(i, published.open_answers.get(i.id, []) if published.shown else [])
                 for i in open_items]
    return OwnBlock(shown=published.shown, k=dash.k, sections=sections, questions=questions)
