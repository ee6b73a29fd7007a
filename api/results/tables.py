"""The one layout of a table of groups × knobs, shared by the dashboard's downloads, the report
and the API.

A row holds raw, published values (the gate already rounded them to two decimals): band and knob
keys, the group's type, a suppressed flag and numbers. How they are written — machine CSV, Dutch
Excel CSV, XLSX with colours — is `api.results.exports`' job; which words a person reads in the
headers is the caller's (`web.spreadsheets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from api.results.dashboard import Dashboard
from api.results.groups import GroupView
from api.results.own_block import OwnBlock

Kind = Literal["text", "id", "count", "score", "share", "flag", "band", "knob", "group_type",
               "choice"]
KNOB_PARTS: tuple[tuple[str, Kind], ...] = (
    ("n", "count"), ("mean", "score"), ("sd", "score"), ("ci_low", "score"),
    ("ci_high", "score"), ("band", "band"))


@dataclass(frozen=True)
class Column:
    """One column: `key` is its stable machine name (the API's CSV, documented in OpenAPI);
    `part` and `knob` say what it holds, so a caller can give it a header in any language."""

    key: str
    kind: Kind
    part: str
    knob: str | None = None
    machine_only: bool = False  # an id a spreadsheet reader has no use for
    header: str | None = None  # the message key of its header, for layouts of other tables


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[list[object]] = field(default_factory=list)

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


def group_columns(knobs: Sequence[str]) -> list[Column]:
    columns = [Column("group_type", "group_type", "group_type"),
               Column("group_id", "id", "group_id", machine_only=True),
               Column("group_name", "text", "group_name"),
               Column("suppressed", "flag", "suppressed"),
               Column("n", "count", "n")]
    for knob in knobs:
        columns += [Column(f"{knob}_{part}", kind, part, knob=knob) for part, kind in KNOB_PARTS]
    # invited and response_rate came last, after the API's columns had been published
    return columns + [Column("weakest", "knob", "weakest"), Column("strongest", "knob", "strongest"),
                      Column("spread", "score", "spread"), Column("invited", "count", "invited"),
                      Column("response_rate", "share", "response_rate")]


def group_values(view: GroupView, group_type: str, knobs: Sequence[str]) -> list[object]:
    """A group's row; a group the gate hides keeps its name and type, and nothing else."""
    if not view.shown:
        return [group_type, view.key, view.label, True] + [None] * (
            len(group_columns(knobs)) - 4)
    row: list[object] = [group_type, view.key, view.label, False, view.n]
    for knob in knobs:
        cell = view.cells.get(knob)
        s = cell.summary if cell else None
        row += ([s.n, s.mean, s.sd, s.ci_low, s.ci_high, cell.band.key if cell.band else None]
                if s else [None] * len(KNOB_PARTS))
    a = view.alignment
    row += [a.weakest, a.strongest, a.spread] if a else [None] * 3
    return row + [view.invited, None if view.rate is None else round(view.rate, 2)]


def groups_table(groups: Sequence[tuple[GroupView, str]], knobs: Sequence[str], *,
                 lead: Sequence[Column] = (), lead_values: Sequence[Sequence[object]] = (),
                 extra: Sequence[Column] = (), extra_values: Sequence[Sequence[object]] = (),
                 ) -> Table:
    """Groups × knobs, with optional columns before (a round, an institution) and after (a
    difference) the shared layout; `lead_values`/`extra_values` hold one list per group."""
    rows = []
    for index, (view, group_type) in enumerate(groups):
        before = list(lead_values[index]) if lead else []
        after = list(extra_values[index]) if extra else []
        rows.append(before + group_values(view, group_type, knobs) + after)
    return Table(columns=[*lead, *group_columns(knobs), *extra], rows=rows)


def units_table(dash: Dashboard) -> Table:
    """The dashboard's download: the institution, then every unit the round knows."""
    knobs = [knob.key for knob in dash.questionnaire.knobs]
    return groups_table([(dash.total, "institution")] + [(u, u.kind) for u in dash.units], knobs)


def own_items_columns(scale: Sequence[int]) -> list[Column]:
    """The layout of the own statements' table: one row per statement and group."""
    def own(key: str, kind: Kind, *, machine_only: bool = False) -> Column:
        return Column(key, kind, key, machine_only=machine_only,
                      header=f"own_items.table.{key}")
    return ([own("item_id", "id", machine_only=True), own("position", "count"),
             own("knob", "knob"), own("statement_nl", "text"), own("statement_en", "text"),
             Column("group_type", "group_type", "group_type"),
             Column("group_id", "id", "group_id", machine_only=True),
             Column("group_name", "text", "group_name"), Column("suppressed", "flag", "suppressed"),
             own("n", "count"), own("mean", "score"), own("sd", "score")]
            + [own(f"count_{value}", "count") for value in scale]
            + [own("dont_know", "count")])


def own_items_table(block: OwnBlock, scale: Sequence[int]) -> Table:
    """The own statements as published, apart from the knob scores: a group the gate hides
    keeps its name and type, and nothing else. Empty while the block is not shown."""
    columns = own_items_columns(scale)
    rows: list[list[object]] = []
    if not block.shown:
        return Table(columns=columns, rows=rows)
    for statement in block.statements:
        item = statement.item
        for group in statement.groups:
            lead: list[object] = [item.id, item.position, item.knob, item.statement_nl,
                                  item.statement_en or None, group.group_type, group.key,
                                  group.label]
            stat = group.stat
            if stat is None:
                rows.append(lead + [True] + [None] * (len(columns) - len(lead) - 1))
                continue
            rows.append(lead + [False, stat.summary.n, stat.summary.mean, stat.summary.sd]
                        + [stat.counts.get(value, 0) for value in scale] + [stat.dont_know])
    return Table(columns=columns, rows=rows)


def described(*, lead: Sequence[Column] = (), extra: Sequence[Column] = ()) -> str:
    """The CSV's columns in words, for the OpenAPI description."""
    knob = "<knob>"
    names = [c.key for c in (*lead, *group_columns([knob]), *extra)]
    return ("CSV with format=csv. Columns: " + ", ".join(names) + f". The `{knob}_…` columns "
            "repeat for every knob of the questionnaire, in its order (for example strategie_mean)."
            " Comma-separated, decimal point, UTF-8 without BOM; `suppressed` is true or false; a "
            "suppressed group keeps its type and name and every number is empty; scores have two "
            "decimals; response_rate is a fraction; bands and knobs are keys.")
