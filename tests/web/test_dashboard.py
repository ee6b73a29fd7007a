"""The board's dashboard through the real HTTP app and a real database.

Who may see what (tenancy), anonymity on every surface (page, charts, CSV, XLSX), the numbers
against `api.scoring`, escaping of open answers, trend, suggestions, sorting, language and the
list of dashboards. Board members log in through the real login form.

Responses are stored as respondents leave them and then published the way the app does at
start-up (`publish`): a release takes every waiting response whose groups all grow by 0 or at
least k; the others wait, count in no number, and the page says how many wait.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from api.platform.questionnaires import Questionnaire
from api.results import exports, releases, scoring
from api.setup.accounts import create_account
from api.survey.responses import record_response
from tests.builders import make_institution, make_round, make_unit

Q_SLUG, Q_VERSION = "galbraith-star", "1.0"
PASSWORD = "een-lang-wachtwoord-42"
KNOBS = ("strategie", "structuur", "processen", "beloningen", "mensen")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOO_FEW = "te weinig reacties"
K = 5  # the settings' default k of the test app


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def questionnaire(catalog) -> Questionnaire:
    return catalog.require(Q_SLUG, Q_VERSION)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf(client) -> str:
    """The form token of this browser, read from the login page, as a browser would."""
    return page(client.get("/login")).select_one('input[name="csrf_token"]')["value"]


def login(client, email: str, password: str = PASSWORD, next: str = "/dashboard"):
    """Log in through the real form: GET /login for the token, POST /login with it."""
    client.cookies.delete("ks_session")
    response = client.post("/login", data={"csrf_token": csrf(client), "email": email,
                                           "password": password, "next": next},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert urlsplit(response.headers["location"]).path == next
    assert client.cookies.get("ks_session")
    return response


def logout(client) -> None:
    client.cookies.delete("ks_session")


def make_account(session, email: str, *, role: str = "bestuur", institutions=()) -> str:
    session.commit()  # the responses arranged so far, before the app reads them
    create_account(session=session, email=email, password=PASSWORD, role=role,
                   institutions=list(institutions))
    session.commit()  # create_account only flushes: the app must see the account
    return email


def scored_answers(questionnaire: Questionnaire, values: dict[str, int | None],
                   base: dict[str, int | None] | None = None) -> dict[str, int | None]:
    """Raw answers whose every item of a knob scores `values[knob]` (reverse-coded items are
    answered mirrored, so the knob score is exactly that value); None = "weet niet" for all."""
    answers = dict(base or {})
    for knob, value in values.items():
        for item in questionnaire.items_of(knob):
            if value is None:
                answers[item.id] = None
            else:
                answers[item.id] = 6 - value if item.reverse else value
    return answers


def varied_answers(questionnaire: Questionnaire, i: int) -> dict[str, int | None]:
    """A different but fixed set of answers for respondent i, with now and then a "weet niet"
    (at most one per knob, so every knob is still scored)."""
    answers: dict[str, int | None] = {}
    for j, item in enumerate(questionnaire.items):
        answers[item.id] = None if (i + j) % 11 == 0 else 1 + (i * 7 + j * 3 + i * j) % 5
    return answers


def respond(session, questionnaire, round_, unit, answers, *, role: str = "practor",
            open_answers: dict[str, str] | None = None):
    response = record_response(
        session=session, round_=round_, unit_id=unit.id, role=role, questionnaire=questionnaire,
        answers=answers, open_answers=open_answers or {},
        submission_key=f"dash-{uuid.uuid4().hex}")
    session.flush()
    return response  # the caller commits, once for all its responses


def publish(session) -> None:
    """Release what the release rule allows in every round, as the app does at start-up."""
    session.commit()
    releases.release_all_due(session=session, default_k=K)


def release_state(html: BeautifulSoup) -> str:
    return text(html.select_one("p#release-state"))


def expected_summaries(questionnaire, answer_sets) -> dict[str, scoring.Summary | None]:
    """Per knob: the statistics computed by the scoring module from the stored answers."""
    per_response = [scoring.knob_scores(a, questionnaire) for a in answer_sets]
    return {knob.key: scoring.summarize([s[knob.key] for s in per_response
                                         if s[knob.key] is not None])
            for knob in questionnaire.knobs}


def nl(value: float) -> str:
    """A score as the page shows it in Dutch: two decimals, decimal comma."""
    return f"{value:.2f}".replace(".", ",")


def close(shown: str, value: float) -> bool:
    """A Dutch two-decimal number on the page is `value` rounded (either way at a tie, which
    the sums of the tallies and a list of scores may reach from different sides)."""
    whole, _, decimals = shown.partition(",")
    return len(decimals) == 2 and abs(float(f"{whole}.{decimals}") - value) <= 0.005 + 1e-9


KNOB_NL = {"strategie": "Strategie", "structuur": "Structuur", "processen": "Processen",
           "beloningen": "Beloningen", "mensen": "Mensen"}
PART_NL = {"n": "n", "mean": "gemiddelde", "sd": "standaardafwijking", "ci_low": "95%-interval van",
           "ci_high": "95%-interval tot", "band": "band"}
GROUP, KIND, NUMBERS, N = "Groep", "Soort", "Cijfers", "Reacties (n)"
HIDDEN, SHOWN = "te weinig reacties", "getoond"


def col(knob: str, part: str) -> str:
    """A knob's column as a Dutch reader sees it in the download: 'Strategie: gemiddelde'."""
    return f"{KNOB_NL[knob]}: {PART_NL[part]}"


def csv_rows(response) -> dict[str, dict[str, str]]:
    """The dashboard's CSV as Dutch Excel reads it: a BOM, semicolons, decimal commas."""
    assert response.content.startswith("\ufeff".encode())
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    return {row[GROUP]: row for row in reader}


def nl_float(cell: str) -> float:
    assert "." not in cell, cell
    return float(cell.replace(",", "."))


def xlsx_rows(response) -> dict[str, dict[str, object]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[1]
    return {row[1]: dict(zip(headers, row, strict=True)) for row in rows[2:]}


def number_columns(headers) -> list[str]:
    return [h for h in headers if h not in (GROUP, KIND, NUMBERS)]


def unit_order(html: BeautifulSoup) -> list[int]:
    return [int(tr["data-unit"]) for tr in html.select("#units-table tbody tr[data-unit]")]


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


# --- tenancy ---------------------------------------------------------------------------------


@dataclass
class World:
    a_slug: str
    b_slug: str
    a_round: int
    b_round: int
    a_name: str
    b_name: str
    b_unit: int
    b_unit_name: str
    board_a: str
    admin: str


@pytest.fixture
def world(session, catalog, questionnaire) -> World:
    """Two institutions with a published round of 10 responses each (5 practors, 5 teacher-
    researchers, so the roles chart has two lines); a board member of A and an admin."""
    made = []
    for name in ("Hogeschool Alfastad", "ROC Betadorp"):
        institution = make_institution(session, name)
        unit = make_unit(session, institution, f"Practoraat van {name}")
        round_ = make_round(session, catalog, institution)
        for i in range(10):
            respond(session, questionnaire, round_, unit, varied_answers(questionnaire, i),
                    role="practor" if i % 2 else "docent_onderzoeker")
        made.append((institution, round_, unit))
    publish(session)
    (a, a_round, _), (b, b_round, b_unit) = made
    return World(a_slug=a.slug, b_slug=b.slug, a_round=a_round.id, b_round=b_round.id,
                 a_name=a.name, b_name=b.name, b_unit=b_unit.id, b_unit_name=b_unit.name,
                 board_a=make_account(session, "bestuur@alfastad.nl", institutions=[a]),
                 admin=make_account(session, "beheer@kennisster.nl", role="admin"))


def _page_url(slug: str, round_id: int) -> str:
    return f"/dashboard/{slug}?round={round_id}"


def _chart_url(chart: str, fmt: str):
    return lambda slug, round_id: f"/dashboard/{slug}/rounds/{round_id}/charts/{chart}.{fmt}"


def _table_url(fmt: str):
    return lambda slug, round_id: f"/dashboard/{slug}/rounds/{round_id}/units.{fmt}"


ROUTES = {
    "page": (_page_url, "text/html"),
    **{f"{chart}.{fmt}": (_chart_url(chart, fmt), media)
       for chart in ("star", "roles", "trend")
       for fmt, media in (("svg", "image/svg+xml"), ("png", "image/png"))},
    "units.csv": (_table_url("csv"), "text/csv"),
    "units.xlsx": (_table_url("xlsx"), XLSX),
}


def _contains(response, name: str) -> bool:
    if response.headers["content-type"].startswith(("image/png", XLSX)):
        return False  # binary: the name checks are made on the text formats
    return name in response.text


@pytest.mark.parametrize("route", ROUTES)
def test_every_dashboard_route_shows_an_institution_only_to_its_own_board_and_admins(
    client, world, route
):
    url, media = ROUTES[route]
    a_url, b_url = url(world.a_slug, world.a_round), url(world.b_slug, world.b_round)

    # anonymous: to the login page, with the way back, for pages and downloads alike
    logout(client)
    for target in (a_url, b_url):
        response = client.get(target, follow_redirects=False)
        assert response.status_code == 303, (route, target)
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        asked = urlsplit(target)
        assert parse_qs(location.query)["next"] == [
            asked.path + (f"?{asked.query}" if asked.query else "")]  # the page, query and all

    # a board member of A: A yes, B never, not even B's round under A's own slug
    login(client, world.board_a)
    own = client.get(a_url)
    assert own.status_code == 200, (route, own.text[:300])
    assert own.headers["content-type"].startswith(media)
    assert own.headers["cache-control"] == "private, no-store"
    magic = {"image/png": b"\x89PNG", XLSX: b"PK", "image/svg+xml": b"<svg"}.get(media)
    assert magic is None or own.content.startswith(magic)
    assert not _contains(own, world.b_name)
    if route == "page":  # A's numbers are published: the page has something to keep from B
        assert text(page(own).select_one("#kpi-n")) == "10"
    for target in (b_url, url(world.a_slug, world.b_round), url("bestaat-niet", world.a_round)):
        response = client.get(target)
        assert response.status_code == 404, (route, target)
        assert world.b_name not in response.text
    # the 404 for B is the same as for an institution that does not exist
    assert client.get(b_url).text == client.get(url("bestaat-niet", world.b_round)).text.replace(
        "bestaat-niet", world.b_slug)

    # an administrator sees both
    login(client, world.admin)
    for target, name in ((a_url, world.a_name), (b_url, world.b_name)):
        response = client.get(target)
        assert response.status_code == 200, (route, target)
        assert response.headers["content-type"].startswith(media)
        if route in ("page", "units.csv"):
            assert name in response.text


def test_a_unit_of_another_institution_cannot_be_laid_over_the_star(client, world):
    login(client, world.board_a)
    chart = f"/dashboard/{world.a_slug}/rounds/{world.a_round}/charts/star.svg"
    plain = client.get(chart)
    sneaky = client.get(chart, params={"compare": world.b_unit})
    assert sneaky.status_code == 200
    assert world.b_unit_name not in sneaky.text
    assert sneaky.text == plain.text
    response = client.get(f"/dashboard/{world.a_slug}", params={"compare": world.b_unit})
    assert response.status_code == 200
    assert world.b_unit_name not in response.text and world.b_name not in response.text


def test_the_dashboard_list_redirects_a_board_member_with_one_institution_to_it(
    client, session, world
):
    login(client, world.board_a)
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == f"/dashboard/{world.a_slug}"


def test_the_dashboard_list_of_an_account_without_institutions_says_so(client, session, world):
    make_account(session, "nieuw@bestuur.nl")
    login(client, "nieuw@bestuur.nl")
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 200
    html = page(response)
    assert "Je account heeft nog geen toegang tot een instelling" in text(html.select_one("main")
                                                                          or html)
    assert html.select("ul.links a") == []


def test_the_dashboard_list_of_an_admin_names_every_institution(client, world):
    login(client, world.admin)
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 200
    links = {a["href"]: a.text for a in page(response).select("ul.links a")}
    assert {urlsplit(href).path for href in links} == {f"/dashboard/{world.a_slug}",
                                                       f"/dashboard/{world.b_slug}"}


def test_the_dashboard_list_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.path, parse_qs(location.query)["next"]) == ("/login", ["/dashboard"])


# --- anonymity through the app ---------------------------------------------------------------


@dataclass
class Groups:
    slug: str
    round_id: int
    big: int
    middle: int
    small: int
    answers: list  # the answers of the published respondents (Groot and Middel)


@pytest.fixture
def small_groups(client, session, catalog, questionnaire) -> Groups:
    """Practoraat Groot: 5 practors and 5 teacher-researchers; Middel: 6 practors; Klein: 2
    lectors (k = 5). The release takes Groot and Middel, where every unit and role grows by at
    least 5; Klein's 2 would add 2 to Klein and 2 to the lectors, so they wait."""
    institution = make_institution(session, "Hogeschool Anoniem")
    big = make_unit(session, institution, "Practoraat Groot")
    middle = make_unit(session, institution, "Practoraat Middel")
    small = make_unit(session, institution, "Practoraat Klein")
    round_ = make_round(session, catalog, institution)
    roles = [
        (big, ["practor"] * 5 + ["docent_onderzoeker"] * 5),
        (middle, ["practor"] * 6),
        (small, ["lector_onderzoeksleider"] * 2),
    ]
    answers, i = [], 0
    for unit, unit_roles in roles:
        for role in unit_roles:
            a = varied_answers(questionnaire, i)
            respond(session, questionnaire, round_, unit, a, role=role)
            if unit is not small:
                answers.append(a)
            i += 1
    publish(session)
    make_account(session, "bestuur@anoniem.nl", institutions=[institution])
    login(client, "bestuur@anoniem.nl")
    return Groups(slug=institution.slug, round_id=round_.id, big=big.id, middle=middle.id,
                  small=small.id, answers=answers)


def test_a_small_units_respondents_wait_and_the_page_shows_everyone_else(
    client, small_groups, questionnaire
):
    g = small_groups
    html = page(client.get(f"/dashboard/{g.slug}"))
    # Klein is listed without any number: its 2 respondents wait for colleagues
    small = html.select_one(f'#units-table tr[data-unit="{g.small}"]')
    assert text(small.select_one("td.suppressed")) == TOO_FEW
    assert small.select("td[data-knob]") == []
    assert len(small.select("td")) == 1  # no n, no rate, no knob, no weakest knob, no spread
    state = release_state(html)
    assert "16 reacties verwerkt" in state and "2 wachten tot hun groep groot genoeg is" in state

    # Groot and Middel are both shown: no complementary suppression, since nothing is left to
    # subtract (the institution's 16 are exactly Groot's 10 and Middel's 6)
    for unit, n in ((g.big, "10"), (g.middle, "6")):
        row = html.select_one(f'#units-table tr[data-unit="{unit}"]')
        assert row.select_one("td.suppressed") is None
        assert len(row.select("td[data-knob]:not(.hidden-cell)")) == 5
        assert text(row.select("td")[0]) == n
    assert text(html.select_one("#kpi-n")) == "16"
    expected = expected_summaries(questionnaire, g.answers)  # Klein's answers are not in them
    for knob in KNOBS:
        shown = text(html.select_one(f'#institution-table tr[data-knob="{knob}"] td.mean'))
        assert close(shown, expected[knob].mean), (knob, shown, expected[knob].mean)

    # a unit without published numbers cannot be laid over the star, nor gets its own advice
    assert sorted(int(box["value"]) for box in html.select('input[name="compare"]')) == sorted(
        [g.big, g.middle])
    assert sorted(int(d["data-unit"]) for d in html.select("details.unit-advice")) == sorted(
        [g.big, g.middle])


def test_a_waiting_unit_keeps_its_row_in_the_csv_without_any_number(client, small_groups):
    g = small_groups
    response = client.get(f"/dashboard/{g.slug}/rounds/{g.round_id}/units.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="' in response.headers["content-disposition"]
    rows = csv_rows(response)
    headers = list(next(iter(rows.values())))
    assert rows["Practoraat Klein"][NUMBERS] == HIDDEN
    assert {c: rows["Practoraat Klein"][c] for c in number_columns(headers)} == {
        c: "" for c in number_columns(headers)}
    for name, n in (("Practoraat Groot", "10"), ("Practoraat Middel", "6")):
        assert rows[name][NUMBERS] == SHOWN
        assert rows[name][N] == n
        assert all(rows[name][col(knob, "mean")] for knob in KNOBS)
    total = rows["Hogeschool Anoniem"]
    assert (total[KIND], total[NUMBERS], total[N]) == ("instelling", SHOWN, "16")
    assert all(total[col(knob, "mean")] for knob in KNOBS)


def test_a_waiting_unit_keeps_its_row_in_the_xlsx_without_any_number(client, small_groups):
    g = small_groups
    response = client.get(f"/dashboard/{g.slug}/rounds/{g.round_id}/units.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    rows = xlsx_rows(response)
    headers = list(next(iter(rows.values())))
    assert rows["Practoraat Klein"][NUMBERS] == HIDDEN
    assert {c: rows["Practoraat Klein"][c] for c in number_columns(headers)} == {
        c: None for c in number_columns(headers)}
    for name, n in (("Practoraat Groot", 10), ("Practoraat Middel", 6)):
        assert rows[name][NUMBERS] == SHOWN
        assert rows[name][N] == n
        assert all(isinstance(rows[name][col(knob, "mean")], float) for knob in KNOBS)
    assert rows["Hogeschool Anoniem"][N] == 16
    assert rows["Hogeschool Anoniem"][NUMBERS] == SHOWN


def test_the_star_draws_no_series_for_a_waiting_unit_even_when_asked_to(client, small_groups):
    g = small_groups
    base = f"/dashboard/{g.slug}/rounds/{g.round_id}/charts/star"
    plain = client.get(f"{base}.svg")
    response = client.get(f"{base}.svg", params={"compare": g.small})
    assert response.status_code == 200
    assert "Practoraat Klein" not in response.text
    assert response.text == plain.text  # nothing drawn beyond the institution itself
    # the shown units are drawn when asked: the checks above would see a series
    both = client.get(f"{base}.svg", params={"compare": [g.small, g.middle]}).text
    assert "Practoraat Middel" in both and "Practoraat Klein" not in both
    assert "Practoraat Groot" in client.get(f"{base}.svg", params={"compare": g.big}).text

    png_plain = client.get(f"{base}.png")
    png_hidden = client.get(f"{base}.png", params={"compare": g.small})
    assert png_hidden.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_hidden.content == png_plain.content

    # the page's own inline star ignores the waiting unit as well
    html = page(client.get(f"/dashboard/{g.slug}", params={"compare": g.small}))
    star = html.select_one('section[aria-labelledby="star-title"] div.svg')
    assert "Practoraat Klein" not in str(star)
    assert html.select('input[name="compare"][checked]') == []


def test_a_role_whose_respondents_wait_is_in_neither_the_roles_table_nor_its_chart(
    client, small_groups
):
    g = small_groups
    html = page(client.get(f"/dashboard/{g.slug}"))
    rows = {tr["data-role"]: tr for tr in html.select("#roles-table tr[data-role]")}
    assert set(rows) == {"practor", "docent_onderzoeker"}  # the 2 lectors wait
    for role, n in (("practor", "11"), ("docent_onderzoeker", "5")):
        assert rows[role].select_one("td.suppressed") is None
        assert text(rows[role].select("td")[0]) == n
        assert len(rows[role].select("td[data-knob]:not(.hidden-cell)")) == 5

    for chart in (html.select_one('section[aria-labelledby="roles-title"] div.svg'),
                  BeautifulSoup(client.get(
                      f"/dashboard/{g.slug}/rounds/{g.round_id}/charts/roles.svg").text,
                      "html.parser")):
        drawn = str(chart)
        assert "Practor" in drawn
        assert "Docent-onderzoeker" in drawn
        assert "Lector of onderzoeksleider" not in drawn


@pytest.fixture
def knob_gaps(client, session, catalog, questionnaire):
    """Units of 9, 8 and 7 practors; in the 7, only two answered a strategie statement. Those two
    would add 2 to Cc's strategie, so they wait; the release takes the other 22, and Cc is shown
    with its 5 released respondents, none of whom has a strategie score."""
    institution = make_institution(session, "Hogeschool Knoppen")
    units = {name: make_unit(session, institution, f"Practoraat {name}")
             for name in ("Aa", "Bb", "Cc")}
    round_ = make_round(session, catalog, institution)
    strategie = {"Aa": [2] * 9, "Bb": [4] * 8, "Cc": [3, 3, None, None, None, None, None]}
    for name, values in strategie.items():
        for i, value in enumerate(values):
            answers = scored_answers(questionnaire, {"strategie": value},
                                     base=varied_answers(questionnaire, i))
            respond(session, questionnaire, round_, units[name], answers)
    publish(session)
    make_account(session, "bestuur@knoppen.nl", institutions=[institution])
    login(client, "bestuur@knoppen.nl")
    return institution.slug, round_.id, {name: unit.id for name, unit in units.items()}


def test_a_knob_only_a_few_of_a_unit_answered_waits_and_the_unit_is_shown_without_it(
    client, knob_gaps
):
    slug, round_id, units = knob_gaps
    html = page(client.get(f"/dashboard/{slug}"))

    def cell(unit: str, knob: str):
        return html.select_one(f'#units-table tr[data-unit="{units[unit]}"] td[data-knob="{knob}"]')

    assert "hidden-cell" in cell("Cc", "strategie")["class"]
    assert text(cell("Bb", "strategie")) == "4,00"  # no cell is hidden beside it any more
    assert text(cell("Aa", "strategie")) == "2,00"
    for unit in ("Aa", "Bb", "Cc"):
        for knob in KNOBS[1:]:
            assert "hidden-cell" not in cell(unit, knob)["class"], (unit, knob)
    cc = html.select_one(f'#units-table tr[data-unit="{units["Cc"]}"]')
    assert text(cc.select("td")[0]) == "5"
    assert text(html.select_one("#kpi-n")) == "22"
    total = html.select_one('#institution-table tr[data-knob="strategie"]')
    assert text(total.select("td")[3]) == "17"  # 9 + 8; Cc's two strategie answers wait
    assert "2 wachten tot hun groep groot genoeg is" in release_state(html)

    rows = csv_rows(client.get(f"/dashboard/{slug}/rounds/{round_id}/units.csv"))
    cc_row = rows["Practoraat Cc"]
    assert (cc_row[NUMBERS], cc_row[N]) == (SHOWN, "5")
    assert [cc_row[col("strategie", c)] for c in ("mean", "sd", "ci_low", "ci_high", "n",
                                                  "band")] == [""] * 6
    assert cc_row[col("structuur", "mean")] != ""
    assert rows["Practoraat Bb"][col("strategie", "mean")] == "4,00"
    assert rows["Practoraat Aa"][col("strategie", "mean")] == "2,00"


def test_sorting_ascending_by_a_knob_puts_units_without_that_score_last(client, knob_gaps):
    """Cc is shown, but has no strategie score: no value to sort on."""
    slug, _, units = knob_gaps
    html = page(client.get(f"/dashboard/{slug}", params={"sort": "strategie", "order": "asc"}))
    assert unit_order(html) == [units["Aa"], units["Bb"], units["Cc"]]


def test_sorting_descending_by_a_knob_puts_units_without_that_score_last(client, knob_gaps):
    slug, _, units = knob_gaps
    html = page(client.get(f"/dashboard/{slug}", params={"sort": "strategie", "order": "desc"}))
    assert unit_order(html) == [units["Bb"], units["Aa"], units["Cc"]]


def test_an_institution_with_its_own_k_of_3_shows_groups_of_3(client, session, catalog,
                                                              questionnaire):
    institution = make_institution(session, "Hogeschool Klein K", k=3)
    small, other = make_unit(session, institution, "Trio"), make_unit(session, institution, "Vier")
    round_ = make_round(session, catalog, institution)
    for i in range(3):
        respond(session, questionnaire, round_, small, varied_answers(questionnaire, i))
    for i in range(4):
        respond(session, questionnaire, round_, other, varied_answers(questionnaire, i + 3))
    publish(session)
    make_account(session, "bestuur@kleink.nl", institutions=[institution])
    login(client, "bestuur@kleink.nl")
    html = page(client.get(f"/dashboard/{institution.slug}"))
    assert html.select("#units-table td.suppressed") == []
    assert len(html.select("#units-table td[data-knob]:not(.hidden-cell)")) == 10
    assert "7 reacties verwerkt" in release_state(html) and "wachten" not in release_state(html)


def test_groups_published_under_a_smaller_k_are_hidden_once_the_institution_raises_it(
    client, session, catalog, questionnaire
):
    """Published while the institution's k was 3: Trio (3 teacher-researchers) and Vier (4
    practors). Once it raises k to 5, the gate hides every group now under 5, in the units and the
    roles table alike, while the institution's 7 respondents stay shown."""
    institution = make_institution(session, "Hogeschool Strenger", k=3)
    trio, four = make_unit(session, institution, "Trio"), make_unit(session, institution, "Vier")
    round_ = make_round(session, catalog, institution)
    for i in range(3):
        respond(session, questionnaire, round_, trio, varied_answers(questionnaire, i),
                role="docent_onderzoeker")
    for i in range(4):
        respond(session, questionnaire, round_, four, varied_answers(questionnaire, i + 3))
    publish(session)
    make_account(session, "bestuur@strenger.nl", institutions=[institution])
    login(client, "bestuur@strenger.nl")
    before = page(client.get(f"/dashboard/{institution.slug}"))
    assert before.select("#units-table td.suppressed") == []
    assert before.select("#roles-table td.suppressed") == []

    institution.anonymity_k = 5
    session.add(institution)
    session.commit()
    html = page(client.get(f"/dashboard/{institution.slug}"))
    for unit in (trio, four):
        row = html.select_one(f'#units-table tr[data-unit="{unit.id}"]')
        assert text(row.select_one("td.suppressed")) == TOO_FEW
        assert row.select("td[data-knob]") == []
    for role in ("docent_onderzoeker", "practor"):
        row = html.select_one(f'#roles-table tr[data-role="{role}"]')
        assert text(row.select_one("td.suppressed")) == TOO_FEW
        assert row.select("td[data-knob]") == []
    assert text(html.select_one("#kpi-n")) == "7"
    rows = csv_rows(client.get(f"/dashboard/{institution.slug}/rounds/{round_.id}/units.csv"))
    assert (rows["Trio"][NUMBERS], rows["Vier"][NUMBERS]) == (HIDDEN, HIDDEN)
    assert rows["Trio"][N] == rows["Vier"][N] == ""


def test_a_round_below_k_shows_no_result_anywhere(client, session, catalog, questionnaire):
    institution = make_institution(session, "Hogeschool Weinig")
    unit = make_unit(session, institution, "Practoraat Weinig")
    round_ = make_round(session, catalog, institution)
    for i in range(4):
        respond(session, questionnaire, round_, unit, varied_answers(questionnaire, i),
                open_answers={"open_strategie": f"Geheim idee nummer {i}"})
    publish(session)  # 4 < k: nothing can be released
    make_account(session, "bestuur@weinig.nl", institutions=[institution])
    login(client, "bestuur@weinig.nl")

    response = client.get(f"/dashboard/{institution.slug}")
    html = page(response)
    assert html.select_one("#kpi-n") is None
    assert html.select_one("#institution-table") is None
    assert html.select("details.open-answers") == []
    assert "Geheim idee" not in response.text
    assert "Open antwoorden verschijnen vanaf 5 reacties" in response.text
    assert text(html.select_one(f'#units-table tr[data-unit="{unit.id}"] td.suppressed')) == TOO_FEW
    assert html.select(".knob-advice") == [] and html.select("#reliability-table") == []
    state = release_state(html)
    assert state.startswith("Nog geen tussenstand") and "4 wachten" in state

    rows = csv_rows(client.get(f"/dashboard/{institution.slug}/rounds/{round_.id}/units.csv"))
    for row in rows.values():
        assert row[NUMBERS] == HIDDEN
        assert all(row[c] == "" for c in number_columns(row))
    svg = client.get(f"/dashboard/{institution.slug}/rounds/{round_.id}/charts/star.svg",
                     params={"compare": unit.id}).text
    # the download names the institution in its title only: no line, no point, no unit
    assert "Practoraat Weinig" not in svg and 'aria-roledescription="point"' not in svg
    assert svg.count("Hogeschool Weinig") == 2  # the title's text and its aria-label
    assert "Hogeschool Weinig · Meting" in svg and "nog geen tussenstand" in svg


# --- the numbers are the scoring module's ----------------------------------------------------


@pytest.fixture
def scored(client, session, catalog, questionnaire):
    """Two units of 6 and 7 practors with varied answers, all published; strategie scores
    chosen by hand: unit 1: 2, 3, 3, 4, 4, 5 and unit 2: 1, 2, 3, 3, 4, 4, 5."""
    institution = make_institution(session, "Hogeschool Rekenwerk")
    one, two = make_unit(session, institution, "Eerste"), make_unit(session, institution, "Tweede")
    round_ = make_round(session, catalog, institution)
    by_unit = {one.id: [], two.id: []}
    strategie = [(one, [2, 3, 3, 4, 4, 5]), (two, [1, 2, 3, 3, 4, 4, 5])]
    i = 0
    for unit, values in strategie:
        for value in values:
            answers = scored_answers(questionnaire, {"strategie": value},
                                     base=varied_answers(questionnaire, i))
            respond(session, questionnaire, round_, unit, answers)
            by_unit[unit.id].append(answers)
            i += 1
    publish(session)
    make_account(session, "bestuur@rekenwerk.nl", institutions=[institution])
    login(client, "bestuur@rekenwerk.nl")
    return institution.slug, round_.id, by_unit


def test_the_institution_strategie_row_matches_a_hand_computation(client, scored):
    """13 scores summing to 43 with squares summing to 159: mean 43/13 = 3.3077; variance
    (159 − 43²/13)/12 = 1.39744, sd 1.1821; t(12) = 2.179, half-width 2.179·1.1821/√13 = 0.7144."""
    slug, _, _ = scored
    row = page(client.get(f"/dashboard/{slug}")).select_one(
        '#institution-table tr[data-knob="strategie"]')
    mean, ci, sd, n, band = (text(td) for td in row.select("td"))
    assert (mean, ci, sd, n, band) == ("3,31", "2,59 – 4,02", "1,18", "13", "Aandacht nodig")


def test_the_page_shows_the_scoring_modules_numbers_for_institution_and_units(client, scored,
                                                                              questionnaire):
    slug, _, by_unit = scored
    html = page(client.get(f"/dashboard/{slug}"))
    everyone = [a for answers in by_unit.values() for a in answers]
    total = expected_summaries(questionnaire, everyone)
    for knob in KNOBS:
        s = total[knob]
        row = html.select_one(f'#institution-table tr[data-knob="{knob}"]')
        mean, ci, sd, n = (text(td) for td in row.select("td")[:4])
        assert (mean, ci, sd, n) == (nl(s.mean), f"{nl(s.ci_low)} – {nl(s.ci_high)}", nl(s.sd),
                                     str(s.n)), knob
    for unit_id, answers in by_unit.items():
        expected = expected_summaries(questionnaire, answers)
        row = html.select_one(f'#units-table tr[data-unit="{unit_id}"]')
        assert text(row.select("td")[0]) == str(len(answers))
        for knob in KNOBS:
            assert text(row.select_one(f'td[data-knob="{knob}"]')) == nl(expected[knob].mean)

    means = {knob: round(total[knob].mean, 2) for knob in KNOBS}  # as published
    weakest = min(KNOBS, key=lambda k: means[k])
    knob_name = questionnaire.knob_by_key[weakest].name.get("nl")
    assert text(html.select_one("#kpi-weakest")) == f"{knob_name} ({nl(means[weakest])})"
    # the spread between the published means, so it can be checked against the table
    assert text(html.select_one("#kpi-spread")) == nl(max(means.values()) - min(means.values()))


def test_the_csv_holds_the_scoring_modules_numbers_to_two_decimals(client, scored,
                                                                    questionnaire):
    slug, round_id, by_unit = scored
    rows = csv_rows(client.get(f"/dashboard/{slug}/rounds/{round_id}/units.csv"))
    everyone = [a for answers in by_unit.values() for a in answers]
    groups = {"Hogeschool Rekenwerk": everyone, "Eerste": next(iter(by_unit.values())),
              "Tweede": list(by_unit.values())[1]}
    assert set(rows) == set(groups)
    for name, answers in groups.items():
        expected = expected_summaries(questionnaire, answers)
        row = rows[name]
        assert row[N] == str(len(answers))
        for knob in KNOBS:
            s = expected[knob]
            for column, value in (("mean", s.mean), ("sd", s.sd), ("ci_low", s.ci_low),
                                  ("ci_high", s.ci_high)):
                cell = row[col(knob, column)]
                assert len(cell.partition(",")[2]) == 2, (name, knob, column, cell)
                assert nl_float(cell) == pytest.approx(value, abs=0.005 + 1e-9), (name, knob)
            assert row[col(knob, "n")] == str(s.n)
    assert rows["Hogeschool Rekenwerk"][col("strategie", "mean")] == "3,31"  # 43/13, by hand


# --- open answers ----------------------------------------------------------------------------

EVIL = "<script>alert(1)</script><b>x</b>"


def test_open_answers_are_escaped_on_the_page(client, session, catalog, questionnaire):
    institution = make_institution(session, "Hogeschool Open")
    unit = make_unit(session, institution, "Practoraat Open")
    round_ = make_round(session, catalog, institution)
    for i in range(5):
        opens = {"open_strategie": EVIL} if i == 0 else {}
        if i == 1:
            opens = {"open_mensen": "Vaker samen koffie drinken"}
        respond(session, questionnaire, round_, unit, varied_answers(questionnaire, i),
                open_answers=opens)
    publish(session)
    make_account(session, "bestuur@open.nl", institutions=[institution])
    login(client, "bestuur@open.nl")

    response = client.get(f"/dashboard/{institution.slug}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in response.text
    assert EVIL not in response.text
    html = page(response)
    strategie = html.select_one('details.open-answers[data-knob="strategie"]')
    assert [li.get_text() for li in strategie.select("li")] == [EVIL]
    for details in html.select(".open-answers"):
        assert details.select("script") == [] and details.select("b") == []
    assert [li.get_text() for li in html.select('details.open-answers[data-knob="mensen"] li')] == [
        "Vaker samen koffie drinken"]


def test_a_unit_name_with_markup_is_escaped_in_the_tables_and_the_inline_star(
    client, session, catalog, questionnaire
):
    """The star is inlined as trusted SVG: the chart renderer must escape the legend text."""
    institution = make_institution(session, "Hogeschool Opmaak")
    unit = make_unit(session, institution, '<img src=x onerror="alert(1)">')
    round_ = make_round(session, catalog, institution)
    for i in range(5):
        respond(session, questionnaire, round_, unit, varied_answers(questionnaire, i))
    publish(session)
    make_account(session, "bestuur@opmaak.nl", institutions=[institution])
    login(client, "bestuur@opmaak.nl")
    html = page(client.get(f"/dashboard/{institution.slug}", params={"compare": unit.id}))
    assert html.select("img") == []
    assert text(html.select_one(f'#units-table tr[data-unit="{unit.id}"] th')) == unit.name
    star = html.select_one('section[aria-labelledby="star-title"] div.svg')
    assert unit.name in [t.get_text() for t in star.select("text")]  # drawn as plain text
    assert star.select("img") == []


# --- trend -----------------------------------------------------------------------------------


def test_a_clear_change_between_rounds_is_named_and_no_change_is_called_chance(
    client, session, catalog, questionnaire
):
    institution = make_institution(session, "Hogeschool Trend")
    unit = make_unit(session, institution, "Practoraat Trend")
    before = make_round(session, catalog, institution, state="closed")
    after = make_round(session, catalog, institution, state="open")
    values = {
        before.id: {"strategie": [2, 2, 2, 2, 3, 1], "mensen": [3, 4, 3, 4, 3, 4]},
        after.id: {"strategie": [4, 4, 4, 4, 5, 3], "mensen": [4, 3, 4, 3, 4, 3]},
    }
    other = [3, 3, 4, 2, 3, 3]
    for round_ in (before, after):
        for i in range(6):
            knobs = {knob: other[i] for knob in KNOBS}
            knobs.update({knob: v[i] for knob, v in values[round_.id].items()})
            respond(session, questionnaire, round_, unit, scored_answers(questionnaire, knobs))
    publish(session)
    make_account(session, "bestuur@trend.nl", institutions=[institution])
    login(client, "bestuur@trend.nl")

    html = page(client.get(f"/dashboard/{institution.slug}"))
    change = scoring.change_between(scoring.summarize([2, 2, 2, 2, 3, 1]),
                                    scoring.summarize([4, 4, 4, 4, 5, 3]))
    assert change.clear and change.low > 0
    up = html.select_one('#changes li[data-knob="strategie"]')
    assert up["data-clear"] == "yes"
    assert text(up) == (f"Strategie steeg van 2,00 naar 4,00. Die stijging is groter dan de "
                        f"onzekerheid (95%-interval van het verschil: {nl(change.low)} tot "
                        f"{nl(change.high)}).")
    for knob in ("mensen", "structuur", "processen", "beloningen"):
        li = html.select_one(f'#changes li[data-knob="{knob}"]')
        assert li["data-clear"] == "no", knob
        assert "veranderde 0,00 punt" in text(li)
    assert html.select_one('section[aria-labelledby="trend-title"] div.svg svg') is not None

    # the earlier round has nothing before it to compare with
    earlier = page(client.get(f"/dashboard/{institution.slug}", params={"round": before.id}))
    assert earlier.select_one("#changes") is None

    # the previous round can be laid over the star
    star = client.get(f"/dashboard/{institution.slug}/rounds/{after.id}/charts/star.svg",
                      params={"previous": "1"}).text
    assert before.name in star and after.name in star


# --- suggestions -----------------------------------------------------------------------------


def test_knobs_below_the_strength_band_get_suggestions_weakest_first_with_their_source(
    client, session, catalog, questionnaire
):
    institution = make_institution(session, "Hogeschool Advies")
    unit = make_unit(session, institution, "Practoraat Advies")
    round_ = make_round(session, catalog, institution)
    per_knob = {"strategie": [2] * 6, "structuur": [3] * 6, "processen": [2, 3, 3, 3, 2, 3],
                "beloningen": [4] * 6, "mensen": [3, 4, 3, 4, 3, 4]}  # mensen exactly 3.5
    for i in range(6):
        respond(session, questionnaire, round_, unit,
                scored_answers(questionnaire, {knob: v[i] for knob, v in per_knob.items()}))
    publish(session)
    make_account(session, "bestuur@advies.nl", institutions=[institution])
    login(client, "bestuur@advies.nl")

    html = page(client.get(f"/dashboard/{institution.slug}"))
    articles = html.select(".knob-advice")
    assert [a["data-knob"] for a in articles] == ["strategie", "processen", "structuur"]
    bands = {"strategie": ("urgent", "2,00"), "processen": ("aandacht", "2,67"),
             "structuur": ("aandacht", "3,00")}
    for article in articles:
        knob = article["data-knob"]
        band, score = bands[knob]
        badge = article.select_one(".badge")
        assert f"band-{band}" in badge["class"] and text(badge).endswith(score)
        suggestions = questionnaire.suggestions_of(knob)
        assert suggestions
        items = article.select("li")
        assert len(items) == len(suggestions)
        for li, suggestion in zip(items, suggestions, strict=True):
            assert text(li.select_one("strong")) == suggestion.title.get("nl")
            assert text(li.select_one("cite")) == f"({suggestion.source})"
            assert suggestion.source.strip()
    assert html.select('.knob-advice[data-knob="beloningen"]') == []
    assert html.select('.knob-advice[data-knob="mensen"]') == []


# --- sorting ---------------------------------------------------------------------------------


def test_sorting_by_a_knob_orders_the_shown_units_and_keeps_waiting_units_last(
    client, session, catalog, questionnaire
):
    institution = make_institution(session, "Hogeschool Volgorde")
    # sizes 5, 6, 7, 8 and 2: the 2 wait; every other unit is shown, the 5 as well
    plan = {"Delta": (5, 5), "Alfa": (6, 3), "Bravo": (7, 4), "Charlie": (8, 2), "Echo": (2, 1)}
    units = {}
    round_ = make_round(session, catalog, institution)
    for name, (size, value) in plan.items():
        unit = make_unit(session, institution, name)
        units[name] = unit.id
        for i in range(size):
            respond(session, questionnaire, round_, unit,
                    scored_answers(questionnaire, {"strategie": value},
                                   base=varied_answers(questionnaire, i)))
    publish(session)
    make_account(session, "bestuur@volgorde.nl", institutions=[institution])
    login(client, "bestuur@volgorde.nl")

    def order(**params) -> list[str]:
        html = page(client.get(f"/dashboard/{institution.slug}", params=params))
        names = {v: k for k, v in units.items()}
        return [names[u] for u in unit_order(html)]

    # Echo, whose 2 respondents wait, comes last whatever the order
    assert order(sort="strategie", order="desc") == ["Delta", "Bravo", "Alfa", "Charlie", "Echo"]
    assert order(sort="strategie", order="asc") == ["Charlie", "Alfa", "Bravo", "Delta", "Echo"]
    assert order() == ["Alfa", "Bravo", "Charlie", "Delta", "Echo"]  # by name by default
    assert order(sort="n", order="desc") == ["Charlie", "Bravo", "Alfa", "Delta", "Echo"]
    assert order(sort="n", order="asc") == ["Delta", "Alfa", "Bravo", "Charlie", "Echo"]
    # an unknown sort key falls back to the name
    assert order(sort="geheim", order="asc") == ["Alfa", "Bravo", "Charlie", "Delta", "Echo"]
    html = page(client.get(f"/dashboard/{institution.slug}",
                           params={"sort": "strategie", "order": "desc"}))
    header = html.select_one("#units-table th[aria-sort]")
    assert header["aria-sort"] == "descending" and text(header) == "Strategie"


# --- English ---------------------------------------------------------------------------------


def test_the_dashboard_speaks_english_when_asked(client, small_groups):
    g = small_groups
    html = page(client.get(f"/dashboard/{g.slug}", params={"lang": "en"}))
    assert text(html.select_one("#star-title")) == "The institution's star"
    assert text(html.select_one("#units-title")) == "Practorates and departments per knob"
    assert text(html.select_one("#roles-title")) == "Comparison by role"
    assert text(html.select_one("#advice-title")) == "What next?"
    assert text(html.select_one("#open-title")) == "Open answers"
    assert text(html.select_one('#institution-table tr[data-knob="strategie"] th')) == "Strategy"
    assert text(html.select_one(f'#units-table tr[data-unit="{g.small}"] td.suppressed')) == (
        "too few responses")
    mean = text(html.select_one('#institution-table tr[data-knob="strategie"] td.mean'))
    assert "." in mean and "," not in mean  # English decimal point
    state = release_state(html)
    assert state.startswith("As of ") and "16 responses counted" in state
    assert "2 waiting until their group is large enough" in state
    # the choice is remembered for the next page
    again = page(client.get(f"/dashboard/{g.slug}"))
    assert text(again.select_one("#star-title")) == "The institution's star"


def test_a_unit_name_that_looks_like_a_formula_is_exported_as_text(client, session, catalog,
                                                                    questionnaire):
    institution = make_institution(session, "Hogeschool Formule")
    unit = make_unit(session, institution, '=HYPERLINK("http://x")')
    round_ = make_round(session, catalog, institution)
    for i in range(5):
        respond(session, questionnaire, round_, unit, varied_answers(questionnaire, i))
    publish(session)
    make_account(session, "bestuur@formule.nl", institutions=[institution])
    login(client, "bestuur@formule.nl")
    base = f"/dashboard/{institution.slug}/rounds/{round_.id}/units"
    assert "'=HYPERLINK(\"http://x\")" in csv_rows(client.get(f"{base}.csv"))
    assert "'=HYPERLINK(\"http://x\")" in xlsx_rows(client.get(f"{base}.xlsx"))


def test_a_dutch_board_member_gets_dutch_excel_files_and_an_english_one_english(
        client, small_groups, questionnaire):
    """Dutch Excel splits on semicolons and reads decimal commas; the XLSX keeps numbers as
    numbers with two decimals, colours the bands and freezes its header."""
    g = small_groups
    base = f"/dashboard/{g.slug}/rounds/{g.round_id}/units"
    dutch = client.get(f"{base}.csv")
    header = dutch.content.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:4] == ["Soort", "Groep", "Cijfers", "Reacties (n)"]
    assert "Strategie: gemiddelde" in header and "Strategie: 95%-interval van" in header
    assert header[-5:] == ["Zwakste knop", "Sterkste knop", "Spreiding (hoogste − laagste)",
                           "Uitgenodigd", "Respons"]
    total = csv_rows(dutch)["Hogeschool Anoniem"]
    assert "," in total[col("strategie", "mean")]
    assert total[col("strategie", "band")] in {b.name.get("nl") for b in questionnaire.bands}
    assert total["Zwakste knop"] in KNOB_NL.values()

    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").content))
    sheet = book.active
    assert sheet.title == "Practoraten × knoppen"
    assert sheet.freeze_panes == "C3"  # type and name stay in view
    assert sheet["A1"].value.startswith("Hogeschool Anoniem — ")
    headers = [c.value for c in sheet[2]]
    mean = sheet.cell(row=3, column=headers.index("Strategie: gemiddelde") + 1)
    band = sheet.cell(row=3, column=headers.index("Strategie: band") + 1)
    assert isinstance(mean.value, float) and mean.number_format == "0.00"
    assert mean.fill.fgColor.rgb.endswith(exports.BAND_FILLS[next(
        b.key for b in questionnaire.bands if b.name.get("nl") == band.value)])

    english = client.get(f"{base}.csv", params={"lang": "en"})
    header = english.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:4] == ["Type", "Group", "Numbers", "Responses (n)"]
    assert "Strategy: mean" in header
    english_xlsx = client.get(f"{base}.xlsx", params={"lang": "en"})
    english_sheet = load_workbook(io.BytesIO(english_xlsx.content)).active
    assert english_sheet.title == "Practorates × knobs"
    assert [c.value for c in english_sheet[2]][:2] == ["Type", "Group"]
