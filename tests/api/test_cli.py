"""The administrator's command line, `kennisster`, run as the administrator runs it.

Every command goes through Typer's CliRunner with the settings taken from the environment, as in
a shell, against the same migrated test database the app fixture uses (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set). What the commands stored is read back from the database, and the
links they print are opened in the real web app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, func, select
from typer.main import get_command
from typer.testing import CliRunner, Result

import api.cli as cli_module
from api.cli import app as cli_app
from api.platform.models import Institution, Invitation, InvitationKind, Response, Round, Unit, UnitKind
from api.platform.settings import get_settings
from api.setup.demo import DEMO_INSTITUTION, PROFILES
from api.survey.invitations import hash_token
from tests.builders import stored_response, stored_responses

BASE_URL = "http://testserver"
QUESTIONNAIRE = "galbraith-star/1.0"
KNOWN_COMMANDS = [
    ["migrate"], ["check"], ["invite"], ["demo"], ["serve"], ["up"],
    ["institution"], ["institution", "create"], ["institution", "list"],
    ["unit"], ["unit", "create"], ["unit", "list"],
    ["round"], ["round", "open"], ["round", "close"], ["round", "list"],
]


def _subcommands(group) -> dict:
    """A group's commands; Typer builds them on click's Group interface (its own copy of click)."""
    ctx = group.context_class(group)
    return {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}


def _command_paths(group, prefix: tuple[str, ...] = ()) -> Iterator[list[str]]:
    for name, command in _subcommands(group).items():
        yield [*prefix, name]
        if hasattr(command, "list_commands"):
            yield from _command_paths(command, (*prefix, name))


CLI_GROUP = get_command(cli_app)
ALL_COMMANDS = list(_command_paths(CLI_GROUP))  # the known ones and any added since

Run = Callable[..., Result]


def _configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """The shell the administrator types in: only the given Kennisster variables, a wide terminal."""
    for name in ("DATABASE_URL", "KENNISSTER_DATABASE_URL", "KENNISSTER_DATA_DIR",
                 "KENNISSTER_SECRET_KEY", "KENNISSTER_BASE_URL", "KENNISSTER_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables and messages on one line each


@pytest.fixture
def runner(monkeypatch) -> Iterator[Run]:
    """`run("institution", "list")` is `kennisster institution list` typed in the shell.

    The engines the commands make are disposed afterwards: a real run is one process that ends,
    here they would keep database connections open for the rest of the test session.
    """
    engines: list[sa.Engine] = []
    make_engine = cli_module.make_engine

    def tracked(settings):
        engine = make_engine(settings)
        engines.append(engine)
        return engine

    monkeypatch.setattr(cli_module, "make_engine", tracked)
    get_settings.cache_clear()
    cli_runner = CliRunner()

    def run(*args: str | int) -> Result:
        get_settings.cache_clear()  # every command is a new process that reads the environment
        return cli_runner.invoke(cli_app, [str(a) for a in args], prog_name="kennisster")

    yield run
    for engine in engines:
        engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def kennisster(app, settings, tmp_path, monkeypatch, runner) -> Run:
    """The command line on the test database; `app` empties the tables after the test."""
    _configure(monkeypatch, KENNISSTER_DATABASE_URL=settings.database_url,
               KENNISSTER_DATA_DIR=str(tmp_path), KENNISSTER_SECRET_KEY=settings.secret_key,
               KENNISSTER_BASE_URL=BASE_URL, KENNISSTER_ENVIRONMENT="test")
    return runner


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def output(result: Result) -> str:
    """What the administrator reads, without any colour codes."""
    return ANSI.sub("", result.output)


def ok(result: Result) -> str:
    text = output(result)
    assert result.exit_code == 0, text + repr(result.exception)
    return text


def refused(result: Result, *fragments: str) -> str:
    """Exit code 1 with an `Error:` line naming the problem, and no traceback."""
    text = output(result)
    assert result.exit_code == 1, text
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in text
    assert text.startswith("Error: "), text
    for fragment in fragments:
        assert fragment in text, text
    return text


def table_rows(text: str) -> list[list[str]]:
    """The body rows of a rich table, as lists of stripped cells."""
    return [[cell.strip() for cell in line.strip().strip("│").split("│")]
            for line in text.splitlines() if line.startswith("│")]


def urls(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def path_of(url: str) -> str:
    assert url.startswith(f"{BASE_URL}/s/"), url
    return url.removeprefix(BASE_URL)


def count(engine: sa.Engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def table_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in SQLModel.metadata.sorted_tables}


def stored_token_hashes(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(Invitation.token_hash)).scalars())


def created_id(text: str) -> int:
    """The id in "Created institution 7: …", "Opened round 3: …"."""
    return int(text.split(":", 1)[0].split()[-1])


@pytest.fixture
def school(kennisster) -> dict[str, str | int]:
    """An institution with one practoraat and a round open from now on, set up by the CLI."""
    ok(kennisster("institution", "create", "Hogeschool Teststad"))
    ok(kennisster("unit", "create", "hogeschool-teststad", "Practoraat Kunde"))
    round_id = created_id(ok(kennisster("round", "open", "hogeschool-teststad", "Meting 1")))
    return {"slug": "hogeschool-teststad", "unit": "Practoraat Kunde", "round": round_id}


# --- help ------------------------------------------------------------------------------------


def test_help_lists_every_command_with_its_help_text(kennisster):
    text = ok(kennisster("--help"))
    assert "Usage: kennisster" in text
    assert "Kennisster: zelfevaluatie van kennisdeling tussen practoraten." in text
    assert all(command in ALL_COMMANDS for command in KNOWN_COMMANDS)
    lines = text.splitlines()
    for name, command in _subcommands(CLI_GROUP).items():
        help_text = command.get_short_help_str(limit=200)
        assert help_text, f"{name} has no help text"
        assert any(line.strip("│ ").startswith(f"{name} ") and help_text in line for line in lines), (
            name, help_text)


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_every_command_explains_itself_with_help(kennisster, command):
    text = ok(kennisster(*command, "--help"))
    assert f"Usage: kennisster {' '.join(command)}" in text
    assert "Traceback" not in text


# --- the administrator's story ---------------------------------------------------------------


def test_an_administrator_sets_up_an_institution_with_practoraten_and_opens_a_round(kennisster,
                                                                                      engine):
    created = ok(kennisster("institution", "create", "ROC Midden Nederland", "--k", "7"))
    assert "ROC Midden Nederland" in created and "roc-midden-nederland" in created
    [row] = table_rows(ok(kennisster("institution", "list")))
    assert row[1:] == ["roc-midden-nederland", "ROC Midden Nederland", "7"]

    centre = ok(kennisster("unit", "create", "roc-midden-nederland", "Kenniscentrum",
                           "--kind", "afdeling"))
    assert "afdeling" in centre and "Kenniscentrum" in centre
    practoraat = ok(kennisster("unit", "create", "roc-midden-nederland", "Practoraat Zorg",
                               "--parent", "Kenniscentrum"))
    assert "practoraat" in practoraat and "Practoraat Zorg" in practoraat
    by_id = ok(kennisster("unit", "create", "roc-midden-nederland", "Team Onderzoek",
                          "--kind", "team", "--parent", created_id(centre)))
    assert "team" in by_id

    rows = {row[2]: row for row in table_rows(ok(kennisster("unit", "list",
                                                             "roc-midden-nederland")))}
    assert set(rows) == {"Kenniscentrum", "Practoraat Zorg", "Team Onderzoek"}
    assert rows["Kenniscentrum"][1] == "afdeling" and rows["Kenniscentrum"][3] == ""
    assert rows["Practoraat Zorg"][1:] == ["practoraat", "Practoraat Zorg", str(created_id(centre))]
    assert rows["Team Onderzoek"][3] == str(created_id(centre))
    with engine.connect() as conn:
        units = {u.name: u for u in conn.execute(select(Unit)).all()}
    assert units["Practoraat Zorg"].parent_id == units["Kenniscentrum"].id
    assert units["Practoraat Zorg"].kind == UnitKind.practoraat

    opened = ok(kennisster("round", "open", "roc-midden-nederland", "Nulmeting 2027"))
    assert "Nulmeting 2027" in opened and QUESTIONNAIRE in opened
    [row] = table_rows(ok(kennisster("round", "list", "roc-midden-nederland")))
    assert row[0] == str(created_id(opened))
    assert row[1:3] == ["Nulmeting 2027", QUESTIONNAIRE]
    assert row[4] == "—" and row[5] == "0" and row[6] == "0"


def test_an_institution_can_be_named_by_its_id_too(kennisster):
    inst_id = created_id(ok(kennisster("institution", "create", "Hogeschool Id")))
    ok(kennisster("unit", "create", inst_id, "Practoraat Via Id"))
    [row] = table_rows(ok(kennisster("unit", "list", "hogeschool-id")))
    assert row[2] == "Practoraat Via Id"


def test_a_round_keeps_its_given_moments_in_utc(kennisster, engine):
    ok(kennisster("institution", "create", "Hogeschool Tijd"))
    round_id = created_id(ok(kennisster(
        "round", "open", "hogeschool-tijd", "Meting 2030", "--opens", "2030-01-01T10:00+02:00",
        "--closes", "2030-02-01")))
    [row] = table_rows(ok(kennisster("round", "list", "hogeschool-tijd")))
    assert row[3:] == ["2030-01-01 08:00", "2030-02-01 00:00", "0", "0"]
    with engine.connect() as conn:
        stored = conn.execute(select(Round).where(Round.id == round_id)).one()
    assert stored.opens_at == datetime(2030, 1, 1, 8, tzinfo=UTC)
    assert stored.closes_at == datetime(2030, 2, 1, tzinfo=UTC)


def test_invite_prints_distinct_personal_links_that_open_the_survey_and_stores_only_hashes(
    kennisster, school, app, engine
):
    text = ok(kennisster("invite", school["round"], school["unit"], "-n", "3"))
    links = urls(text)
    assert len(links) == 3 and len(set(links)) == 3
    with TestClient(app) as client:
        for link in links:
            assert client.get(path_of(link)).status_code == 200, link

    tokens = [link.rsplit("/", 1)[1] for link in links]
    hashes = stored_token_hashes(engine)
    assert hashes == {hash_token(token) for token in tokens}
    assert not any(token in stored for token in tokens for stored in hashes)
    assert count(engine, Invitation, Invitation.kind == InvitationKind.personal) == 3


def test_invite_without_count_prints_one_link_and_accepts_the_unit_id(kennisster, school, engine):
    [row] = table_rows(ok(kennisster("unit", "list", school["slug"])))
    links = urls(ok(kennisster("invite", school["round"], row[0])))
    assert len(links) == 1 and links[0].startswith(f"{BASE_URL}/s/")
    assert count(engine, Invitation) == 1


def test_the_shared_link_is_the_same_every_time_and_stored_once(kennisster, school, app, engine):
    first = urls(ok(kennisster("invite", school["round"], school["unit"], "--shared")))
    again = urls(ok(kennisster("invite", school["round"], school["unit"], "--shared")))
    assert len(first) == 1 and first == again
    assert count(engine, Invitation) == 1
    assert count(engine, Invitation, Invitation.kind == InvitationKind.shared) == 1
    assert first[0].rsplit("/", 1)[1] not in str(stored_token_hashes(engine))
    with TestClient(app) as client:
        assert client.get(path_of(first[0])).status_code == 200

    ok(kennisster("unit", "create", school["slug"], "Practoraat Ander"))
    other = urls(ok(kennisster("invite", school["round"], "Practoraat Ander", "--shared")))
    assert other != first


def test_closing_a_round_makes_its_links_answer_410(kennisster, school, app):
    personal = urls(ok(kennisster("invite", school["round"], school["unit"], "-n", "2")))
    shared = urls(ok(kennisster("invite", school["round"], school["unit"], "--shared")))
    with TestClient(app) as client:
        for link in personal + shared:
            assert client.get(path_of(link)).status_code == 200

        closed = ok(kennisster("round", "close", school["round"]))
        assert "Closed round" in closed and "Meting 1" in closed

        for link in personal + shared:
            assert client.get(path_of(link)).status_code == 410, link
    [row] = table_rows(ok(kennisster("round", "list", school["slug"])))
    assert row[4] != "—"


def test_round_list_shows_the_responses_counted_and_those_still_waiting(kennisster, school,
                                                                         session, catalog):
    ok(kennisster("unit", "create", school["slug"], "Practoraat Klein"))
    questionnaire = catalog.require(*QUESTIONNAIRE.split("/"))
    round_ = session.get(Round, school["round"])
    units = {u.name: u for u in session.exec(select(Unit).where(
        Unit.institution_id == round_.institution_id))}
    stored_responses(session, questionnaire, round_, units[school["unit"]], 5)
    stored_response(session, questionnaire, round_, units["Practoraat Klein"])  # alone: it waits
    [row] = table_rows(ok(kennisster("round", "list", school["slug"])))
    assert row[5:] == ["5", "1"]

    ok(kennisster("round", "close", school["round"]))  # closing releases nothing more
    [row] = table_rows(ok(kennisster("round", "list", school["slug"])))
    assert row[4] != "—" and row[5:] == ["5", "1"]


# --- bad input: exit code 1, a clear message, nothing stored ---------------------------------

BAD_INPUT = {
    "unknown institution slug": (
        ["unit", "create", "bestaat-niet", "Practoraat X"], ["No institution 'bestaat-niet'"]),
    "unknown institution in unit list": (["unit", "list", "bestaat-niet"], ["No institution"]),
    "unknown institution in round open": (
        ["round", "open", "bestaat-niet", "Meting"], ["No institution 'bestaat-niet'"]),
    "unknown institution in round list": (["round", "list", "bestaat-niet"], ["No institution"]),
    "duplicate institution name": (
        ["institution", "create", "Hogeschool Teststad"], ["already exists"]),
    "k below 3": (["institution", "create", "X", "--k", "2"], ["never be below 3"]),
    "blank institution name": (["institution", "create", "   "], ["needs a name"]),
    "duplicate unit name": (
        ["unit", "create", "{slug}", "Practoraat Kunde"], ["already has a unit named"]),
    "unknown unit kind": (
        ["unit", "create", "{slug}", "Club", "--kind", "club"], ["Kind must be one of"]),
    "unknown parent unit": (
        ["unit", "create", "{slug}", "Team B", "--parent", "Bestaat Niet"],
        ["has no unit 'Bestaat Niet'"]),
    "closes before it opens": (
        ["round", "open", "{slug}", "Meting 2", "--opens", "2030-01-10", "--closes", "2030-01-01"],
        ["must close after it opens"]),
    "closes in the past": (
        ["round", "open", "{slug}", "Meting 2", "--closes", "2001-01-01"],
        ["must close after it opens"]),
    "unknown questionnaire": (
        ["round", "open", "{slug}", "Meting 2", "--questionnaire", "nope/9.9"],
        ["There is no questionnaire nope/9.9"]),
    "invalid date": (
        ["round", "open", "{slug}", "Meting 2", "--opens", "1 december"],
        ["'1 december' is not a date", "YYYY-MM-DD"]),
    "invalid closing date": (
        ["round", "open", "{slug}", "Meting 2", "--closes", "2030-13-45"], ["is not a date"]),
    "close an unknown round": (["round", "close", "999999"], ["No round 999999"]),
    "invite for an unknown round": (
        ["invite", "999999", "Practoraat Kunde"], ["No round 999999"]),
    "invite for an unknown unit": (
        ["invite", "{round}", "Practoraat Onbekend"], ["has no unit 'Practoraat Onbekend'"]),
    "invite zero links": (["invite", "{round}", "Practoraat Kunde", "-n", "0"], ["between 1 and"]),
    "invite too many links": (
        ["invite", "{round}", "Practoraat Kunde", "-n", "5001"], ["between 1 and 5000"]),
}


@pytest.mark.parametrize("args, message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(kennisster, school, engine,
                                                                     args, message):
    before = table_counts(engine)
    result = kennisster(*(arg.format(**school) for arg in args))
    refused(result, *message)
    assert table_counts(engine) == before


def test_a_round_cannot_be_closed_before_it_opens(kennisster, school, engine):
    later = created_id(ok(kennisster("round", "open", school["slug"], "Meting 2030",
                                     "--opens", "2030-01-01")))
    refused(kennisster("round", "close", later), "cannot close before it opens")
    with engine.connect() as conn:
        assert conn.execute(select(Round.closes_at).where(Round.id == later)).scalar_one() is None


def test_a_unit_of_another_institution_gets_no_links_for_this_round(kennisster, school, engine):
    ok(kennisster("institution", "create", "Andere School"))
    ok(kennisster("unit", "create", "andere-school", "Practoraat Elders"))
    before = table_counts(engine)
    refused(kennisster("invite", school["round"], "Practoraat Elders"), "has no unit")
    refused(kennisster("unit", "create", school["slug"], "Team", "--parent", "Practoraat Elders"),
            "has no unit")
    assert table_counts(engine) == before


def test_a_second_institution_with_the_same_slug_is_refused_clearly(kennisster, engine):
    ok(kennisster("institution", "create", "Roc A"))
    refused(kennisster("institution", "create", "ROC A"), "roc-a")
    assert count(engine, Institution) == 1


def test_an_institution_named_by_a_number_gets_a_slug_that_cannot_be_mistaken_for_an_id(
    kennisster, engine
):
    ok(kennisster("institution", "create", "Hogeschool Eerst"))
    assert "(slug instelling-1)" in ok(kennisster("institution", "create", "1"))
    result = kennisster("unit", "create", "instelling-1", "Practoraat Nummer")
    with engine.connect() as conn:
        owner = conn.execute(select(Institution.name).join(Unit, Unit.institution_id == Institution.id)
                             .where(Unit.name == "Practoraat Nummer")).scalar_one_or_none()
    assert result.exit_code == 0 and owner == "1", (output(result), owner)


TOO_LONG = "Practoraat " + "x" * 200  # the name columns hold 200 characters

LONG_NAMES = {
    "institution": ["institution", "create", TOO_LONG],
    "unit": ["unit", "create", "{slug}", TOO_LONG],
    "round": ["round", "open", "{slug}", TOO_LONG],
}


@pytest.mark.parametrize("args", LONG_NAMES.values(), ids=LONG_NAMES.keys())
def test_a_name_longer_than_its_column_is_refused_clearly(kennisster, school, engine, args):
    before = table_counts(engine)
    refused(kennisster(*(arg.format(**school) for arg in args)))
    assert table_counts(engine) == before


# --- demo, check, migrate --------------------------------------------------------------------


def test_demo_loads_the_demo_institution_once(kennisster, engine):
    first = ok(kennisster("demo"))
    assert f"Demo institution {DEMO_INSTITUTION!r} created." in first
    with engine.connect() as conn:
        institution = conn.execute(select(Institution).where(
            Institution.name == DEMO_INSTITUTION)).one()
    practoraten = count(engine, Unit, Unit.institution_id == institution.id,
                        Unit.kind == UnitKind.practoraat)
    assert practoraten >= 6 and practoraten == len(PROFILES)
    # the star's two rounds on 1.0 and its newest on 1.1, and the knowledge-workplace scan's one
    assert count(engine, Round, Round.institution_id == institution.id) == 4
    # the demo institution's own (the five small sector-benchmark institutions have their own)
    responses = count(engine, Response, Response.round_id.in_(
        select(Round.id).where(Round.institution_id == institution.id)))
    assert 210 <= responses <= 290
    rows = table_rows(ok(kennisster("round", "list", institution.slug)))
    # every response is either counted or waits for its group (a practoraat of 3 in rounds 2, 3)
    assert len(rows) == 4 and sum(int(row[5]) + int(row[6]) for row in rows) == responses
    assert all(int(row[5]) > 0 for row in rows)

    before = table_counts(engine)
    again = ok(kennisster("demo"))
    assert "already present; nothing changed" in again
    assert table_counts(engine) == before


def test_demo_links_open_the_survey(kennisster, engine, app):
    ok(kennisster("demo"))
    with engine.connect() as conn:
        institution = conn.execute(select(Institution).where(
            Institution.name == DEMO_INSTITUTION)).one()
    *_, current = table_rows(ok(kennisster("round", "list", institution.slug)))
    assert current[4] == "—"
    links = urls(ok(kennisster("invite", current[0], PROFILES[0].name, "-n", "2")))
    with TestClient(app) as client:
        assert all(client.get(path_of(link)).status_code == 200 for link in links)


def test_up_prints_commands_that_work_as_printed_from_the_repository_root_and_says_what_they_take(
    kennisster, engine, app, monkeypatch
):
    """`kennisster up` printed `kennisster invite 2 2 -n 5`: not on PATH outside the venv, and
    two bare numbers. Now the venv's own script, the unit by name, and what each argument is."""
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)  # where the README runs its commands
    monkeypatch.setattr(cli_module, "serve", lambda **_: None)  # print the tour, do not serve
    text = ok(kennisster("up"))
    lines = text.splitlines()
    invite = next(line.strip() for line in lines if " invite " in line)
    program, *args = shlex.split(invite)
    assert (root / program).is_file() and not Path(program).is_absolute(), program
    assert program.endswith("kennisster") and "/" in program  # e.g. .venv/bin/kennisster
    with engine.connect() as conn:
        current = conn.execute(select(Round).order_by(Round.opens_at.desc())).first()
    assert args == ["invite", str(current.id), PROFILES[0].name, "-n", "5"], args
    explained = lines[lines.index(next(line for line in lines if " invite " in line)) + 1]
    assert f"{current.id} = meting / round {current.name!r}" in explained, explained
    assert "eenheid / unit" in explained

    links = urls(ok(kennisster(*args)))  # the printed command, as the shell would run it
    assert len(links) == 5
    with TestClient(app) as client:
        assert all(client.get(path_of(link)).status_code == 200 for link in links)
    for what in ("round list", "unit list"):
        line = next(line for line in lines if f" {what} " in line)
        program, *args = shlex.split(line.split(":", 1)[1])
        assert (root / program).is_file(), program
        assert table_rows(ok(kennisster(*args)))


def test_check_prints_each_questionnaire_with_its_hash(kennisster, catalog):
    text = ok(kennisster("check"))
    questionnaire = catalog.require("galbraith-star", "1.0")
    assert f"{QUESTIONNAIRE}: {len(questionnaire.knobs)} knobs, {len(questionnaire.items)} items" in text
    assert f"hash {questionnaire.content_hash[:12]}" in text
    assert len(text.strip().splitlines()) == len(list(catalog))


def test_migrate_on_a_migrated_database_is_a_no_op(kennisster, engine, school):
    before = table_counts(engine)
    text = ok(kennisster("migrate"))
    assert "Database at head" in text
    assert table_counts(engine) == before


def test_migrate_creates_the_database_in_the_data_dir_on_a_first_run(runner, monkeypatch, tmp_path):
    _configure(monkeypatch, KENNISSTER_DATA_DIR=str(tmp_path), KENNISSTER_BASE_URL=BASE_URL)
    text = ok(runner("migrate"))
    assert "Database at head" in text and str(tmp_path / "kennisster.db") in text
    assert (tmp_path / "kennisster.db").exists()
    assert (tmp_path / "secret_key").exists()
    ok(runner("institution", "create", "Eerste School"))
    [row] = table_rows(ok(runner("institution", "list")))
    assert row[1:] == ["eerste-school", "Eerste School", "default"]


def test_migrate_reads_the_plain_database_url_hosting_platforms_set(runner, monkeypatch, tmp_path):
    database = tmp_path / "elders" / "platform.db"
    _configure(monkeypatch, KENNISSTER_DATA_DIR=str(tmp_path / "data"),
               DATABASE_URL=f"sqlite:///{database}")
    text = ok(runner("migrate"))
    assert str(database) in text
    assert database.exists()
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        assert "institution" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_closing_a_round_twice_keeps_its_first_closing_moment(kennisster, school, engine):
    ok(kennisster("round", "close", str(school["round"])))
    with engine.connect() as conn:
        first = conn.execute(select(Round.closes_at).where(Round.id == school["round"])).scalar_one()
    refused(kennisster("round", "close", str(school["round"])), "already closed")
    with engine.connect() as conn:
        assert conn.execute(select(Round.closes_at).where(Round.id == school["round"])).scalar_one() == first


def test_an_administrator_sets_an_institutions_sign_in_from_the_shell(kennisster):
    ok(kennisster("institution", "create", "Hogeschool Rivierenland"))
    out = ok(kennisster("institution", "sign-in", "hogeschool-rivierenland",
                        "--domain", "HS-Rivierenland.nl", "--domain", "rivierenland.nl",
                        "--role", "coordinator", "--password-off"))
    assert "domains: hs-rivierenland.nl, rivierenland.nl; new accounts: coordinator; " \
           "password sign-in: off" in " ".join(out.split())
    refused(kennisster("institution", "sign-in", "hogeschool-rivierenland", "--role", "admin"),
            "bestuur or coordinator")
    out = ok(kennisster("institution", "sign-in", "hogeschool-rivierenland", "--no-domains",
                        "--password-on"))
    assert "domains: –; new accounts: coordinator; password sign-in: on" in " ".join(out.split())
def test_the_sector_benchmark_of_the_demo_says_not_available_once_two_leave(kennisster, engine):
    """With six demo institutions the benchmark shows; two leave (four remain): not available."""
    from sqlmodel import Session

    from api.results import gate

    ok(kennisster("demo"))
    ok(kennisster("sector", "leave", "hogeschool-noord-demo", "galbraith-star/1.1"))
    ok(kennisster("sector", "leave", "hogeschool-oost-demo", "galbraith-star/1.1"))
    with Session(engine) as session:
        main = session.exec(select(Institution).where(Institution.name == DEMO_INSTITUTION)).one()
        newest = session.exec(select(Round).where(Round.institution_id == main.id,
                                                  Round.questionnaire_version == "1.1")).one()
        view = gate.sector_benchmark(session=session, institution=main, round_=newest, k=5)
        assert view.opted_in and not view.available and view.reason == "withdrawn"
    refused(kennisster("sector", "join", "hogeschool-noord-demo", "galbraith-star/9.9"),
            "no questionnaire version")
