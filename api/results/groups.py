"""One group's published numbers as every surface shows them: a cell per knob with its band, the
group's alignment and its response rate.

Its own module because the dashboard, the trend and the comparisons all read groups this way, and
none of them owns it: a group reads the same in a table, a chart, a trend point and the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.platform.questionnaires import Band, Questionnaire
from api.results import gate, scoring
from api.results.gate import Published


@dataclass(frozen=True)
class Cell:
    """One knob of one group: its statistics and band, or nothing when anonymity hides it."""

    summary: scoring.Summary | None
    band: Band | None

    @property
    def mean(self) -> float | None:
        return self.summary.mean if self.summary else None


@dataclass(frozen=True)
class GroupView:
    key: object  # unit id, role key, or None for the institution
    label: str
    n: int
    shown: bool
    cells: dict[str, Cell]
    alignment: scoring.Alignment | None = None
    invited: int | None = None
    kind: str = ""

    def means(self) -> dict[str, float | None]:
        return {knob: cell.mean for knob, cell in self.cells.items()}

    @property
    def rate(self) -> float | None:
        if not self.shown or not self.invited:
            return None
        return min(1.0, self.n / self.invited)


def group_view(*, key: object, label: str, published: Published | None,
               questionnaire: Questionnaire, invited: int | None = None, kind: str = "",
               ) -> GroupView:
    """A group as the gate published it (hidden when it did not), read with the knobs and bands
    of `questionnaire`."""
    published = published or gate.HIDDEN
    cells = {}
    for knob in questionnaire.knobs:
        summary = published.knobs.get(knob.key)
        cells[knob.key] = Cell(
            summary=summary,
            band=scoring.band_for(summary.mean, questionnaire.bands) if summary else None)
    means = {knob: cell.mean for knob, cell in cells.items()}
    found = scoring.alignment(means) if published.shown else None
    alignment = (scoring.Alignment(weakest=found.weakest, strongest=found.strongest,
                                   spread=gate.rounded(found.spread)) if found else None)
    return GroupView(key=key, label=label, n=published.n, shown=published.shown, cells=cells,
                     alignment=alignment, invited=invited, kind=kind)
