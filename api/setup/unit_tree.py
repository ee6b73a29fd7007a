"""Reading a unit tree from a CSV or XLSX file, and checking it as a whole before anything is stored.

A coordinator keeps the list of afdelingen, practoraten and teams in a spreadsheet. The file has
the columns `naam`/`name`, `soort`/`kind` and, optionally, `bovenliggende`/`parent` (a unit that
exists already or appears in the same file, in any row order; empty means top level). Every bad
row is named with its row number (as the spreadsheet shows it: the header is row 1), its column
and what is wrong; a file with any problem stores nothing.

Pure functions, no database: `read_table` turns bytes into rows, `plan_import` checks them against
the names the institution already has and returns the units in an order that creates every parent
before its children.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from api.platform.errors import DomainError
from api.platform.models import UnitKind
from api.setup.institutions import NAME_MAX, has_control_characters

MAX_ROWS = 1000
MAX_PROBLEMS = 200
COLUMNS = {  # the word in a header → the column it names
    "naam": "name", "name": "name",
    "soort": "kind", "kind": "kind", "type": "kind",
    "bovenliggende": "parent", "parent": "parent", "bovenliggende eenheid": "parent",
}
REQUIRED = ("name", "kind")
KIND_WORDS = {
    "practoraat": UnitKind.practoraat, "practoraten": UnitKind.practoraat,
    "practorate": UnitKind.practoraat, "research group": UnitKind.practoraat,
    "afdeling": UnitKind.afdeling, "afdelingen": UnitKind.afdeling,
    "department": UnitKind.afdeling, "departement": UnitKind.afdeling,
    "team": UnitKind.team, "teams": UnitKind.team,
}
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class UnitProblem:
    """One thing wrong with the file: row 0 is the file itself, row 1 its header."""

    row: int
    column: str | None  # "name", "kind", "parent" or None for the whole row or file
    code: str  # a text under `units.problem.` in the message files
    params: Mapping[str, object] = field(default_factory=dict)
    message: str = ""  # plain English, for the command line and the JSON problem


class UnitImportRefused(DomainError):
    status_code = 422
    code = "unit_import_refused"

    def __init__(self, problems: Sequence[UnitProblem]):
        shown = list(problems)[:MAX_PROBLEMS]
        super().__init__(f"The file was not imported: {len(problems)} problem(s). " + "; ".join(
            f"row {p.row}{f' ({p.column})' if p.column else ''}: {p.message}" for p in shown[:20]))
        self.problems = shown
        self.total = len(problems)


@dataclass(frozen=True)
class RowIn:
    """One data row as read, before any check."""

    row: int
    name: str
    kind: str
    parent: str


@dataclass(frozen=True)
class PlannedUnit:
    row: int
    name: str
    kind: str
    parent: str | None  # a name: of an existing unit or one planned earlier in the list


def _problem(row: int, column: str | None, code: str, message: str, **params: object) -> UnitProblem:
    return UnitProblem(row=row, column=column, code=code, params=params, message=message)


def _refuse(code: str, message: str, **params: object) -> UnitImportRefused:
    return UnitImportRefused([_problem(0, None, code, message, **params)])


# --- reading ------------------------------------------------------------------------------------


def read_table(filename: str, content: bytes) -> list[RowIn]:
    """The data rows of a CSV or XLSX file; raises UnitImportRefused when it is neither, is
    empty, lacks a column or has more than MAX_ROWS rows."""
    if not content.strip():
        raise _refuse("file_empty", "The file is empty.")
    lower = filename.lower()
    if content.startswith(XLSX_MAGIC) or lower.endswith((".xlsx", ".xlsm")):
        table = _xlsx_table(content)
    elif lower.endswith((".csv", ".txt")) or not lower.rpartition(".")[1]:
        table = _csv_table(content)
    else:
        raise _refuse("not_a_table", "Only a CSV or an XLSX file can be imported.")
    return _rows(table)


def _decode(content: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else Windows-1252 (Dutch Excel's 'CSV')."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _refuse("not_a_table", "The file is not text in UTF-8 or Windows-1252.") from exc


def _delimiter(text: str) -> str:
    """`;` (Dutch Excel) or `,`, whichever the header line holds more of."""
    header = text.lstrip("\n\r").splitlines()[0] if text.strip() else ""
    return ";" if header.count(";") > header.count(",") else ","


def _csv_table(content: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in content:
        raise _refuse("not_a_table", "The file contains NUL bytes; it is not a CSV text file.")
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    table = []
    try:
        for cells in reader:
            table.append((reader.line_num, cells))
            if len(table) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise UnitImportRefused([_problem(reader.line_num, None, "csv_unreadable",
                                          f"The CSV cannot be read here: {exc}.")]) from exc
    # the row number people see in a spreadsheet: the record's number (a quoted cell may span
    # lines in the file but is one row in Excel)
    return [(number, cells) for number, (_, cells) in enumerate(table, start=1)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(content: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable upload gets the same answer
        raise _refuse("not_a_table", "The file is not a readable XLSX workbook.") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _refuse("file_empty", "The workbook has no sheet.")
        table = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            table.append((number, [_cell_text(value) for value in values]))
            if len(table) > MAX_ROWS + 1:
                break
        return table
    except UnitImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a workbook broken inside its sheet
        raise _refuse("not_a_table", "The file is not a readable XLSX workbook.") from exc
    finally:
        workbook.close()


def _rows(table: list[tuple[int, list[str]]]) -> list[RowIn]:
    table = [(number, cells) for number, cells in table if any(cell.strip() for cell in cells)]
    if not table:
        raise _refuse("file_empty", "The file is empty.")
    header_row, header = table[0]
    columns: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        word = " ".join(cell.strip().lstrip("\ufeff").lower().split())
        name = COLUMNS.get(word)
        if name is None:
            continue  # another column (a note, a code): not ours to judge
        if name in columns:
            problems.append(_problem(header_row, name, "column_twice",
                                     f"The header names the column {name!r} twice.", word=cell))
        columns.setdefault(name, index)
    problems += [_problem(header_row, name, "column_missing",
                          f"The header lacks the column {name!r}.") for name in REQUIRED
                 if name not in columns]
    if problems:
        raise UnitImportRefused(problems)
    data = table[1:]
    if not data:
        raise _refuse("file_empty", "The file has a header but no units.")
    if len(data) > MAX_ROWS:
        raise _refuse("too_many_rows", f"The file has more than {MAX_ROWS} units.", max=MAX_ROWS)

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    return [RowIn(row=number, name=cell(cells, "name"), kind=cell(cells, "kind"),
                  parent=cell(cells, "parent")) for number, cells in data]


# --- checking -----------------------------------------------------------------------------------


def _key(name: str) -> str:
    """Names are compared without regard to case or spacing: "Team A" and "team  a" are one."""
    return " ".join(name.casefold().split())


def _text_problem(row: int, column: str, text: str) -> UnitProblem | None:
    if len(text) > NAME_MAX:
        return _problem(row, column, "too_long", f"{len(text)} characters; at most {NAME_MAX}.",
                        length=len(text), max=NAME_MAX)
    if has_control_characters(text):
        return _problem(row, column, "control_characters", "Contains control characters.")
    return None


def plan_import(rows: Sequence[RowIn], *, existing: Mapping[str, bool]) -> list[PlannedUnit]:
    """Check every row; return the units parents first, or raise with every problem found.

    `existing` maps the names of the institution's units to whether that unit is archived.
    """
    existing_keys = {_key(name): (name, archived) for name, archived in existing.items()}
    problems: list[UnitProblem] = []
    seen: dict[str, int] = {}
    good: dict[str, RowIn] = {}  # key → row, for rows whose own name is fine
    parents: dict[str, str] = {}  # key → key of a parent in the file
    for row in rows:
        name, kind_word, parent = row.name.strip(), row.kind.strip(), row.parent.strip()
        row_problems = []
        if not name:
            row_problems.append(_problem(row.row, "name", "name_empty", "The name is empty."))
        elif problem := _text_problem(row.row, "name", name):
            row_problems.append(problem)
        elif _key(name) in seen:
            row_problems.append(_problem(row.row, "name", "name_twice",
                                         f"{name!r} appears already in row {seen[_key(name)]}.",
                                         name=name, first=seen[_key(name)]))
        elif _key(name) in existing_keys:
            row_problems.append(_problem(row.row, "name", "name_exists",
                                         f"A unit {existing_keys[_key(name)][0]!r} exists already.",
                                         name=existing_keys[_key(name)][0]))
        if name and _key(name) not in seen:
            seen[_key(name)] = row.row
        kind = KIND_WORDS.get(" ".join(kind_word.lower().split()))
        if kind is None:
            if not kind_word:
                row_problems.append(_problem(row.row, "kind", "kind_empty", "The kind is empty."))
            else:
                shown = kind_word[:40]
                row_problems.append(_problem(row.row, "kind", "kind_unknown",
                                             f"Unknown kind {shown!r}: use practoraat, afdeling "
                                             "or team.", kind=shown))
        if parent and (problem := _text_problem(row.row, "parent", parent)):
            row_problems.append(problem)
        problems += row_problems
        if not any(p.column == "name" for p in row_problems):
            good[_key(name)] = row
    for key, row in good.items():
        parent = row.parent.strip()
        if not parent or _text_problem(row.row, "parent", parent):
            continue
        parent_key = _key(parent)
        if parent_key == key:
            problems.append(_problem(row.row, "parent", "parent_self",
                                     "A unit cannot be its own parent.", name=parent))
        elif parent_key in seen:
            if parent_key in good:
                parents[key] = parent_key
        elif parent_key in existing_keys:
            if existing_keys[parent_key][1]:
                problems.append(_problem(row.row, "parent", "parent_archived",
                                         f"The unit {parent!r} is archived.", name=parent))
        else:
            problems.append(_problem(row.row, "parent", "parent_unknown",
                                     f"No unit {parent!r} here or in the file.", name=parent))
    problems += _cycles(parents, good)
    if problems:
        problems.sort(key=lambda p: (p.row, ("name", "kind", "parent", None).index(p.column)))
        raise UnitImportRefused(problems)
    return _parents_first(rows, parents, existing_keys)


def _cycles(parents: Mapping[str, str], good: Mapping[str, RowIn]) -> list[UnitProblem]:
    """A problem for every row in a loop of parents (a → b → a), naming the loop."""
    problems, state = [], {}  # state: 1 on the current path, 2 done
    for start in parents:
        path: list[str] = []
        node = start
        while node in parents and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parents[node]
        if state.get(node) == 1:  # came back onto the current path: a loop
            loop = path[path.index(node):]
            names = " → ".join(good[k].name.strip() for k in [*loop, loop[0]])
            problems += [_problem(good[k].row, "parent", "cycle",
                                  f"The parents go round in a circle: {names}.", cycle=names)
                         for k in loop]
        for visited in path:
            state[visited] = 2
    return problems


def _parents_first(rows: Sequence[RowIn], parents: Mapping[str, str],
                   existing_keys: Mapping[str, tuple[str, bool]]) -> list[PlannedUnit]:
    by_key = {_key(row.name): row for row in rows}
    planned: list[PlannedUnit] = []
    done: set[str] = set()

    def visit(key: str) -> None:
        if key in done:
            return
        if key in parents:
            visit(parents[key])
        done.add(key)
        row = by_key[key]
        parent = row.parent.strip()
        parent_name = None
        if parent:
            parent_key = _key(parent)
            parent_name = (by_key[parent_key].name.strip() if parent_key in by_key
                           else existing_keys[parent_key][0])
        planned.append(PlannedUnit(row=row.row, name=row.name.strip(),
                                   kind=KIND_WORDS[" ".join(row.kind.strip().lower().split())],
                                   parent=parent_name))

    for row in rows:
        visit(_key(row.name))
    return planned


def example_csv() -> bytes:
    """The example file offered on the units page: Dutch headers, `;` as Dutch Excel writes it,
    UTF-8 with a BOM so Excel shows the accents right."""
    lines = ["naam;soort;bovenliggende",
             "Techniek;afdeling;",
             "Practoraat Slimme Maakindustrie;practoraat;Techniek",
             "Team Mechatronica;team;Techniek",
             "Zorg & Welzijn;afdeling;",
             "Practoraat Zorgtechnologie;practoraat;Zorg & Welzijn"]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
