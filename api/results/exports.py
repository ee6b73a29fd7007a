"""The units × knobs table as CSV and XLSX, built from the same dashboard data as the page.

Column names are stable and machine-friendly, so consultants can load the file into their own
tools; suppressed groups keep their row, with `suppressed` true and every number empty.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from api.results import gate
from api.results.dashboard import Dashboard, GroupView

BAND_FILLS = {"urgent": "F6C8C4", "aandacht": "FCE3B0", "sterk": "CDE8D1"}


def units_table(dash: Dashboard) -> tuple[list[str], list[list[object]]]:
    knobs = [knob.key for knob in dash.questionnaire.knobs]
    headers = ["group", "kind", "n", "invited", "response_rate", "suppressed"]
    for knob in knobs:
        headers += [f"{knob}_mean", f"{knob}_sd", f"{knob}_ci_low", f"{knob}_ci_high",
                    f"{knob}_n", f"{knob}_band"]
    headers += ["weakest_knob", "spread"]

    def row(group: GroupView, kind: str) -> list[object]:
        values: list[object] = [group.label, kind, group.n if group.shown else None,
                                group.invited if group.shown else None,
                                gate.rounded(group.rate), not group.shown]
        for knob in knobs:
            cell = group.cells[knob]
            s = cell.summary
            values += [gate.rounded(s.mean) if s else None, gate.rounded(s.sd) if s else None,
                       gate.rounded(s.ci_low) if s else None, gate.rounded(s.ci_high) if s else None,
                       s.n if s else None, cell.band.key if cell.band else None]
        values += [group.alignment.weakest if group.alignment else None,
                   gate.rounded(group.alignment.spread) if group.alignment else None]
        return values

    rows = [row(dash.total, "institution")] + [row(u, u.kind) for u in dash.units]
    return headers, rows


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(headers: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool)
                         else safe_cell(v) for v in row])
    return out.getvalue()


def to_xlsx(headers: list[str], rows: list[list[object]], *, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "units x knobs"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
        for cell, header in zip(sheet[sheet.max_row], headers, strict=True):
            if header.endswith("_band") and cell.value in BAND_FILLS:
                cell.fill = PatternFill("solid", fgColor=BAND_FILLS[cell.value])
    sheet.freeze_panes = "B3"
    sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
