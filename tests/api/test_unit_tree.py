"""The rules of the unit import: read any CSV or XLSX a coordinator may have, check it as a whole,
and store either every row or nothing. Hypothesis tries the rules on files nobody would write by
hand; the CLI runs the same use case."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlmodel import select
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.platform.models import AuditEvent, Unit
from api.setup import units
from api.setup.unit_tree import (
    MAX_ROWS,
    RowIn,
    UnitImportRefused,
    example_csv,
    plan_import,
    read_table,
)
from tests.builders import make_institution, make_unit


def rows(*cells: tuple[str, str, str]) -> list[RowIn]:
    return [RowIn(row=i, name=n, kind=k, parent=p) for i, (n, k, p) in enumerate(cells, start=2)]


def problems(call) -> list[tuple[int, str | None, str]]:
    with pytest.raises(UnitImportRefused) as refused:
        call()
    return [(p.row, p.column, p.code) for p in refused.value.problems]


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_a_csv_reads_the_same_in_every_encoding_and_with_either_delimiter(encoding, delimiter):
    text = delimiter.join(["Naam", "Soort", "Bovenliggende"]) + "\r\n" + "\r\n".join(
        delimiter.join(cells) for cells in [["Zorg & Welzijn", "afdeling", ""],
                                            ["Practoraat Één", "practoraat", "Zorg & Welzijn"]])
    assert read_table("eenheden.csv", text.encode(encoding)) == [
        RowIn(2, "Zorg & Welzijn", "afdeling", ""),
        RowIn(3, "Practoraat Één", "practoraat", "Zorg & Welzijn")]


def test_a_quoted_name_with_the_delimiter_in_it_is_one_cell():
    table = read_table("x.csv", b'naam;soort\n"Team A; B";team\n"Lab ""Noord""";team\n')
    assert [row.name for row in table] == ["Team A; B", 'Lab "Noord"']


def test_the_parent_column_may_be_left_out_and_other_columns_are_ignored():
    table = read_table("x.csv", b"code,naam,soort,opmerking\n1,Team A,team,nieuw\n")
    assert table == [RowIn(2, "Team A", "team", "")]


def test_row_numbers_are_those_a_spreadsheet_shows_with_empty_rows_skipped():
    assert problems(lambda: plan_import(read_table(
        "x.csv", b"naam;soort\n\nTeam A;team\n;;\nTeam B;club\n"), existing={})) == [
        (5, "kind", "kind_unknown")]


def test_an_xlsx_reads_its_first_sheet_with_numbers_as_names():
    workbook = Workbook()
    workbook.active.append(["naam", "soort", "bovenliggende"])
    workbook.active.append([2030, "team", None])
    workbook.create_sheet("Notities").append(["niet", "dit"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table("eenheden.xlsx", buffer.getvalue()) == [RowIn(2, "2030", "team", "")]


@pytest.mark.parametrize(("filename", "content", "code"), [
    ("x.csv", b"   \n", "file_empty"),
    ("x.csv", b"naam;soort\n", "file_empty"),
    ("x.xls", b"\xd0\xcf\x11\xe0", "not_a_table"),
    ("x.xlsx", b"PK\x03\x04rest", "not_a_table"),
    ("x.csv", b"naam\x00;soort\n", "not_a_table"),
    ("x.csv", b"\x81\x8d\x8f\x90\x9d", "not_a_table"),  # neither UTF-8 nor Windows-1252
    ("x.csv", b'naam;soort\n"open;team\n', "csv_unreadable"),
])
def test_what_is_not_a_unit_table_is_named_as_such(filename, content, code):
    assert [c for _, _, c in problems(lambda: read_table(filename, content))] == [code]


def test_a_header_without_a_name_or_kind_column_or_with_one_twice_is_refused():
    assert problems(lambda: read_table("x.csv", b"eenheid;type;soort\nA;team;team\n")) == [
        (1, "kind", "column_twice"), (1, "name", "column_missing")]


def test_more_than_the_maximum_rows_is_refused_before_anything_else():
    text = "naam;soort\n" + "".join(f"T{i};team\n" for i in range(MAX_ROWS + 1))
    assert problems(lambda: read_table("x.csv", text.encode())) == [(0, None, "too_many_rows")]
    text = "naam;soort\n" + "".join(f"T{i};team\n" for i in range(MAX_ROWS))
    assert len(read_table("x.csv", text.encode())) == MAX_ROWS


# --- checking -------------------------------------------------------------------------------------


def test_parents_may_come_after_their_children_and_are_planned_first():
    plan = plan_import(rows(("Team A", "team", "Lab"), ("Lab", "Research group", "Techniek"),
                            ("Techniek", "Afdeling", "")), existing={})
    assert [(p.name, p.kind, p.parent) for p in plan] == [
        ("Techniek", "afdeling", None), ("Lab", "practoraat", "Techniek"),
        ("Team A", "team", "Lab")]


def test_a_parent_may_be_an_existing_unit_named_in_another_case_but_not_an_archived_one():
    plan = plan_import(rows(("Team A", "team", "kenniscentrum")),
                       existing={"Kenniscentrum": False})
    assert plan[0].parent == "Kenniscentrum"
    assert problems(lambda: plan_import(rows(("Team A", "team", "Oud")),
                                        existing={"Oud": True})) == [(2, "parent", "parent_archived")]


def test_every_rule_names_its_row_and_column():
    assert problems(lambda: plan_import(rows(
        ("", "team", ""),
        ("A" * 201, "team", ""),
        ("Tab\there", "team", ""),
        ("Bestaat", "team", ""),
        ("Dubbel", "team", ""), ("dubbel ", "team", ""),
        ("Zonder soort", "", ""),
        ("Eigen", "team", "eigen"),
        ("Kind", "team", "Nergens"),
        ("Lang", "team", "B" * 201),
        ("X", "team", "Y"), ("Y", "team", "Z"), ("Z", "team", "X"),
    ), existing={"bestaat": False})) == [
        (2, "name", "name_empty"), (3, "name", "too_long"), (4, "name", "control_characters"),
        (5, "name", "name_exists"), (7, "name", "name_twice"), (8, "kind", "kind_empty"),
        (9, "parent", "parent_self"), (10, "parent", "parent_unknown"), (11, "parent", "too_long"),
        (12, "parent", "cycle"), (13, "parent", "cycle"), (14, "parent", "cycle")]


# --- properties -----------------------------------------------------------------------------------

NAMES = st.sampled_from(["Techniek", "techniek", "Zorg", "Team A", "Lab", "", " ", "Tab\tA",
                         "Bestaand", "Oud", "É", "N" * 201])
KINDS = st.sampled_from(["afdeling", "Practoraat", "team", "department", "club", ""])
ROWS = st.lists(st.tuples(NAMES, KINDS, st.one_of(st.just(""), NAMES)), min_size=1, max_size=8)
EXISTING = {"Bestaand": False, "Oud": True}


@given(ROWS)
def test_a_plan_holds_every_row_once_with_each_parent_before_its_children(cells):
    try:
        plan = plan_import(rows(*cells), existing=EXISTING)
    except UnitImportRefused as refused:
        assert refused.problems and all(p.row >= 2 for p in refused.problems)
        return
    assert sorted(p.row for p in plan) == list(range(2, 2 + len(cells)))
    placed = set(EXISTING)
    for planned in plan:
        assert planned.parent is None or planned.parent in placed
        placed.add(planned.name)


@given(ROWS, st.sampled_from([";", ","]), st.sampled_from(["utf-8-sig", "cp1252"]))
def test_writing_rows_to_a_csv_and_reading_them_back_changes_no_decision(cells, delimiter,
                                                                       encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["naam", "soort", "bovenliggende"])
    writer.writerows(cells)
    try:
        read = read_table("x.csv", buffer.getvalue().encode(encoding))
    except UnitImportRefused:  # every row blank after the header
        assert all(not "".join(row).strip() for row in cells)
        return

    def decision(table):
        try:
            return [(p.name, p.parent) for p in plan_import(table, existing=EXISTING)]
        except UnitImportRefused as refused:
            return [(p.column, p.code) for p in refused.problems]

    kept = [row for row in rows(*cells) if (row.name + row.kind + row.parent).strip()]
    assert decision(read) == decision(kept) or [r.row for r in read] != [r.row for r in kept]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=ROWS)
def test_any_file_either_imports_every_row_or_stores_nothing(session, cells):
    institution = make_institution(session)
    make_unit(session, institution, "Bestaand")
    old = make_unit(session, institution, "Oud")
    units.archive_unit(session=session, actor=None, unit=old)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([["naam", "soort", "bovenliggende"], *cells])
    before = {u.name for u in session.exec(select(Unit).where(
        Unit.institution_id == institution.id))}
    events = len(session.exec(select(AuditEvent)).all())
    try:
        made = units.import_units(session=session, actor=None, institution=institution,
                                  filename="x.csv", content=buffer.getvalue().encode())
    except UnitImportRefused:
        session.rollback()
        made = None
    after = {u.name for u in session.exec(select(Unit).where(
        Unit.institution_id == institution.id).execution_options(populate_existing=True))}
    if made is None:
        assert after == before
        assert len(session.exec(select(AuditEvent)).all()) == events
    else:
        wanted = [n.strip() for n, k, p in cells if (n + k + p).strip()]
        assert after == before | set(wanted) and len(made) == len(wanted)
        assert len(session.exec(select(AuditEvent)).all()) == events + 1
    session.commit()


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def kennisster(app, settings, monkeypatch):
    from api.platform import settings as settings_module

    monkeypatch.setattr(settings_module, "get_settings", lambda: settings)
    monkeypatch.setattr("api.cli.get_settings", lambda: settings)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables on one line each
    runner = CliRunner()
    return lambda *args: runner.invoke(cli_app, list(args))


def test_the_command_line_imports_renames_moves_archives_and_deletes_through_the_same_use_cases(
    kennisster, session, tmp_path
):
    institution = make_institution(session, "ROC Midden")
    session.commit()
    good = tmp_path / "eenheden.csv"
    good.write_bytes(example_csv())
    result = kennisster("unit", "import", institution.slug, str(good))
    assert result.exit_code == 0, result.output
    assert "5 units added to ROC Midden" in result.output

    bad = tmp_path / "fout.csv"
    bad.write_text("naam;soort\nTechniek;afdeling\nNieuw;club\n", encoding="utf-8")
    result = kennisster("unit", "import", institution.slug, str(bad))
    assert result.exit_code == 1
    assert "name_exists" not in result.output and "exists already" in result.output
    assert "Unknown kind 'club'" in result.output and "nothing was stored" in result.output

    for args in (("rename", "Team Mechatronica", "Team Robotica"),
                 ("move", "Team Robotica", "--parent", "Zorg & Welzijn"),
                 ("archive", "Team Robotica"), ("archive", "Team Robotica", "--undo")):
        result = kennisster("unit", args[0], institution.slug, *args[1:])
        assert result.exit_code == 0, result.output
    result = kennisster("unit", "move", "roc-midden", "Techniek", "--parent",
                        "Practoraat Slimme Maakindustrie")
    assert result.exit_code == 1 and "cannot go under" in result.output
    result = kennisster("unit", "delete", institution.slug, "Zorg & Welzijn")
    assert result.exit_code == 1 and "move those first" in result.output
    result = kennisster("unit", "delete", institution.slug, "Team Robotica")
    assert result.exit_code == 0, result.output

    result = kennisster("institution", "update", institution.slug, "--k", "7", "--language", "en")
    assert result.exit_code == 0 and "k 5 → 7; language nl → en" in result.output
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["unit.imported", "unit.renamed", "unit.moved", "unit.archived",
                       "unit.unarchived", "unit.deleted", "institution.updated"]
    assert {e.actor for e in session.exec(select(AuditEvent))} == {"cli"}
