"""Writing a `Table` as CSV or XLSX, in the dialect its reader needs.

The API's CSV is for programs: stable column names, comma, decimal point, bands as keys. A
person's download follows their language: Dutch Excel splits on semicolons and reads "3,42" as a
number, so Dutch files use both; the XLSX holds numbers as numbers with two decimals, band
colours and a frozen header row. The words in a person's headers come from a `Labels` object
the caller passes (the web layer knows the messages).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from api.results.tables import Column, Table

BAND_FILLS = {"urgent": "F6C8C4", "aandacht": "FCE3B0", "sterk": "CDE8D1"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {"score": "0.00", "share": "0%", "count": "0"}


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str
    bom: bool  # Excel reads a CSV as UTF-8 only when it starts with a byte order mark


MACHINE = Dialect(",", ".", bom=False)
DUTCH_EXCEL = Dialect(";", ",", bom=True)
ENGLISH_EXCEL = Dialect(",", ".", bom=True)


class Labels(Protocol):
    """The words a person reads: a header per column and a text for keys and flags."""

    def header(self, column: Column) -> str: ...

    def value(self, column: Column, raw: object) -> object: ...


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _number(value: float, kind: str, dialect: Dialect, human: bool) -> str:
    if kind == "share" and human:
        return f"{round(value * 100)}%"
    text = f"{value:.2f}" if kind in ("score", "share") else str(value)
    return text.replace(".", dialect.decimal)


def _csv_cell(column: Column, value: object, dialect: Dialect, labels: Labels | None) -> str:
    if value is None:
        return ""
    if column.kind in ("score", "share", "count") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        return _number(value, column.kind, dialect, labels is not None)
    if labels is not None:
        value = labels.value(column, value)
    elif isinstance(value, bool):
        value = "true" if value else "false"
    return str(safe_cell(value))


def _visible(table: Table, labels: Labels | None) -> list[int]:
    return [i for i, c in enumerate(table.columns) if labels is None or not c.machine_only]


def to_csv(table: Table, *, dialect: Dialect = MACHINE, labels: Labels | None = None) -> str:
    """Without `labels`, the machine form: column keys and raw keys. With them, a person's."""
    keep = _visible(table, labels)
    out = io.StringIO()
    if dialect.bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([labels.header(table.columns[i]) if labels else table.columns[i].key
                     for i in keep])
    for row in table.rows:
        writer.writerow([_csv_cell(table.columns[i], row[i], dialect, labels) for i in keep])
    return out.getvalue()


def to_xlsx(table: Table, *, labels: Labels, title: str, sheet_name: str,
            widths: Sequence[tuple[str, int]] = (("text", 34), ("flag", 18), ("knob", 14), ("band", 16))
            ) -> bytes:
    """A sheet a board member can read: a title, a bold frozen header, numbers as numbers with
    their format, and the band colours on each knob's band and mean."""
    keep = _visible(table, labels)
    columns = [table.columns[i] for i in keep]
    # openpyxl (≈ 5 MB resident) is loaded by the first download that needs it, not by every process
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([labels.header(c) for c in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        values = [row[i] for i in keep]
        sheet.append([v if c.kind in NUMBER_FORMATS or v is None
                      else safe_cell(labels.value(c, v)) for c, v in zip(columns, values,
                                                                          strict=True)])
        cells = sheet[sheet.max_row]
        bands = {c.knob: v for c, v in zip(columns, values, strict=True) if c.kind == "band"}
        for cell, column in zip(cells, columns, strict=True):
            if column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
            fill = BAND_FILLS.get(bands.get(column.knob)) if column.part in ("mean", "band") \
                else None
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
    width_of = dict(widths)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width_of.get(column.kind, 12)
    sheet.row_dimensions[2].height = 45
    # the header row and everything up to the group's name stay in view while scrolling
    names = [i for i, c in enumerate(columns, start=1) if c.kind == "text"]
    sheet.freeze_panes = f"{get_column_letter((names[0] if names else 0) + 1)}3"
    sheet.page_setup.orientation = "landscape"  # printed, the table fits the page's width
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
