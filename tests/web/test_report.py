"""The board member's PDF report, downloaded from the dashboard as they would, and read back.

The report's numbers must be the dashboard's, to the character; a unit below k is named without
a number; open answers are user text and must print as written, never run as Typst code.
"""

from __future__ import annotations

import io
import re

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from api.plans.actions import ActionInput, create_action
from api.results import scoring
from api.setup.accounts import create_account
from tests.builders import make_institution, make_round, make_unit, stored_response, web_login
from web.i18n import translate

PASSWORD = "een-lang-wachtwoord-42"
BOARD = "bestuur@rapportstad.nl"
MARKUP = '#read("/etc/passwd") *vet* $x$ <label> @ref _schuin_ `code` \\ #let a = 1'
ACTION = "Deel *ambities* #hardop"
SECTION_TITLES = ("report.star_title", "report.units_title", "report.heatmap_title",
                  "dashboard.chart_roles", "dashboard.chart_trend", "report.quality_title",
                  "dashboard.advice_title", "dashboard.open_title", "actions.title",
                  "report.method_title")
TEXTS = {"nl": {"too_few": "te weinig reacties", "page": "pagina {n} van {m}"},
         "en": {"too_few": "too few responses", "page": "page {n} of {m}"}}


def knob_answers(questionnaire, value: int) -> dict[str, int]:
    """Answers whose every knob scores exactly `value` (reverse-coded items answered mirrored)."""
    return {item.id: 6 - value if item.reverse else value for item in questionnaire.items}


def varied(questionnaire, i: int) -> dict[str, int | None]:
    return {item.id: None if (i + j) % 11 == 0 else 1 + (i * 7 + j * 3 + i * j) % 5
            for j, item in enumerate(questionnaire.items)}


@pytest.fixture
def report_world(session, catalog):
    """A demo-like institution: a closed earlier round and an open one; in the open round
    Practoraat Groot (10, half practors, half teacher-researchers, one wrote an open answer full
    of Typst markup) and Practoraat Midden (5 of its 6 counted) are published, Practoraat Klein's
    3 respondents (every knob 1) wait below k."""
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution = make_institution(session, "Hogeschool Rapportstad")
    large = make_unit(session, institution, "Practoraat Groot")
    middle = make_unit(session, institution, "Practoraat Midden")
    small = make_unit(session, institution, "Practoraat Klein")
    earlier = make_round(session, catalog, institution, state="closed")
    for i in range(5):
        stored_response(session, questionnaire, earlier, large, answers=varied(questionnaire, 50 + i))
        stored_response(session, questionnaire, earlier, middle,
                        answers=varied(questionnaire, 70 + i))
    latest = make_round(session, catalog, institution)
    for role in ("practor", "docent_onderzoeker"):
        for i in range(5):
            stored_response(session, questionnaire, latest, large, role=role,
                            answers=varied(questionnaire, i + (5 if role == "practor" else 0)),
                            open_answers={"open_strategie": MARKUP} if i == 0 else None)
    for i in range(6):
        stored_response(session, questionnaire, latest, middle, answers=varied(questionnaire, 20 + i))
    small_answers = knob_answers(questionnaire, 1)
    for _ in range(3):
        stored_response(session, questionnaire, latest, small, answers=small_answers)
    board = create_account(session=session, email=BOARD, password=PASSWORD, role="bestuur",
                           institutions=[institution])
    session.commit()
    create_action(session=session, catalog=catalog, actor=board, institution=institution,
                  data=ActionInput(round=earlier.id, knob="strategie", unit=None, title=ACTION,
                                   owner="Onderzoeksleider", status="bezig"))
    return {"institution": institution, "round": latest, "small": small,
            "small_scores": scoring.knob_scores(small_answers, questionnaire),
            "questionnaire": questionnaire}


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def flat(text: str) -> str:
    """The text on one line; a word Typst hyphenated at a line's end joined again."""
    return " ".join(re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", text).split())


def download(client, world, lang: str):
    """Open the dashboard in `lang`, follow its PDF link: what the board member gets."""
    web_login(client, BOARD, PASSWORD)
    page = client.get(f"/dashboard/{world['institution'].slug}",
                      params={"round": world["round"].id, "lang": lang})
    assert page.status_code == 200
    html = BeautifulSoup(page.text, "html.parser")
    link = html.select_one("#report-download a")
    assert link is not None and link.has_attr("download")
    response = client.get(link["href"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    return html, response


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_shows_the_institutions_numbers_exactly_as_the_dashboard(
        client, report_world, lang):
    html, response = download(client, report_world, lang)
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="kennisster-{report_world["institution"].slug}-'
                        rf'{report_world["round"].id}-stand\d+-(rapport|report)\.pdf"', disposition)
    pages = pdf_pages(response.content)
    lines = {line.strip() for page in pages for line in page.splitlines()}
    rows = html.select("#institution-table tbody tr[data-knob]")
    assert len(rows) == 5
    for row in rows:
        knob = row.select_one("th").get_text(strip=True)
        mean, interval, sd, n, band = (" ".join(td.get_text(" ").split()) for td in row("td"))
        assert re.fullmatch(r"\d[.,]\d\d", mean)  # two decimals, in the page's language
        assert ("," in mean) == (lang == "nl")
        # one row of the report's table: knob, mean, interval, sd and n as the page shows them
        assert f"{knob} {mean} {interval} {sd} {n} {band}" in lines, (knob, lines)
    everything = flat(" ".join(pages))
    assert report_world["institution"].name in everything
    assert report_world["round"].name in everything


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_unit_below_k_is_named_without_any_of_its_numbers(client, report_world, lang):
    _, response = download(client, report_world, lang)
    text = flat(" ".join(pdf_pages(response.content)))
    small = report_world["small"].name
    assert text.count(small) >= 2  # its own star's place and its row of the heatmap
    assert f"{small} {TEXTS[lang]['too_few']}" in text
    would_be = {f"{score:.2f}" for score in report_world["small_scores"].values()}
    assert would_be == {"1.00"}  # the check below can see a number of Klein's
    for number in would_be | {n.replace(".", ",") for n in would_be}:
        assert number not in text


def test_open_answers_with_typst_markup_print_as_written(client, report_world):
    _, response = download(client, report_world, "nl")
    text = flat(" ".join(pdf_pages(response.content)))
    assert flat(MARKUP) in text
    assert "root:" not in text  # /etc/passwd was not read


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_page_says_which_page_of_how_many(client, report_world, lang):
    _, response = download(client, report_world, lang)
    pages = pdf_pages(response.content)
    assert len(pages) > 1
    titles = [translate(lang, key) for key in SECTION_TITLES]
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[-1] == TEXTS[lang]["page"].format(n=number, m=len(pages))
        # no section heading is left alone at the foot of a page
        assert not any(lines[-2] == f"{i} {title}" for i, title in enumerate(titles, start=1))


def test_a_board_member_of_another_institution_gets_no_report(client, session, report_world):
    other = make_institution(session, "ROC Elders")
    create_account(session=session, email="bestuur@elders.nl", password=PASSWORD, role="bestuur",
                   institutions=[other])
    session.commit()
    web_login(client, "bestuur@elders.nl", PASSWORD)
    response = client.get(f"/dashboard/{report_world['institution'].slug}/rounds/"
                          f"{report_world['round'].id}/report.pdf")
    assert response.status_code == 404
    assert "application/pdf" not in response.headers["content-type"]


def test_a_round_with_too_few_responses_still_gives_a_report_without_numbers(client, session,
                                                                             catalog):
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution = make_institution(session, "Hogeschool Beginstad")
    unit = make_unit(session, institution, "Practoraat Eerste")
    round_ = make_round(session, catalog, institution)
    for i in range(3):
        stored_response(session, questionnaire, round_, unit, answers=varied(questionnaire, i))
    create_account(session=session, email=BOARD, password=PASSWORD, role="bestuur",
                   institutions=[institution])
    session.commit()
    web_login(client, BOARD, PASSWORD)
    response = client.get(f"/dashboard/{institution.slug}/rounds/{round_.id}/report.pdf?lang=en")
    assert response.status_code == 200
    text = flat(" ".join(pdf_pages(response.content)))
    assert "This round has too few responses to show results (at least 5 needed)." in text
    assert "Practoraat Eerste too few responses" in text
    assert not re.search(r"\d\.\d\d", text)  # not one score, interval or sd


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_action_of_the_earlier_round_stands_with_its_change_as_on_the_dashboard(
        client, report_world, lang):
    html, response = download(client, report_world, lang)
    line = " ".join(html.select_one(".action-progress").get_text(" ").split())
    assert ACTION in line and "[" in line  # a change with its interval, since the action
    assert line in flat(" ".join(pdf_pages(response.content)))
