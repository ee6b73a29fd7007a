"""A second instrument: the knowledge-workplace scan runs as a round like the star.

A coordinator opens a scan round in the admin pages, colleagues answer it page by page (one page
per success factor) and see their own scores as bars; once a release publishes them, the board's
dashboard, its chart and table downloads, the report and the API speak of success factors, with
the scan's nine dimensions and no star texts; the star's rounds look as before.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from api.platform.models import AccountRole, Round
from api.setup import accounts
from api.setup.institutions import list_units
from api.survey import invitations
from tests.builders import (
    SCAN,
    complete_survey,
    csrf_of,
    make_institution,
    make_round,
    make_token,
    make_unit,
    personal_link,
    stored_responses,
    web_login,
)
from web.i18n import translate

PASSWORD = "een-lang-wachtwoord-42"
REVIEW = Path("/work/shared/seeds/knowledge-workplaces-review.txt")
STAR_WORDS = re.compile(r"\bknop\b|\bknoppen\b|stermodel|Galbraith|\bde ster\b|\bster van\b",
                        re.IGNORECASE)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def scan(catalog):
    return catalog.require(*SCAN)


@pytest.fixture
def alfa(session):
    institution = make_institution(session, "Hogeschool Alfa")
    make_unit(session, institution, "Kenniswerkplaats Zorg")
    for email, role in (("coordinator@alfa.nl", AccountRole.coordinator),
                        ("bestuur@alfa.nl", AccountRole.bestuur)):
        accounts.create_account(session=session, email=email, password=PASSWORD, role=role,
                                institutions=[institution])
    session.commit()
    return institution


def the_unit(session, institution):
    [unit] = list_units(session=session, institution=institution)
    session.commit()  # end the read: the app needs SQLite's write lock next
    return unit


def favourable(questionnaire, value: int) -> dict[str, int]:
    """Every statement answered so that each factor scores `value` (mirrored items too)."""
    return {i.id: (6 - value if i.reverse else value) for i in questionnaire.items}


def released_scan_round(session, catalog, scan, institution, count: int = 5) -> Round:
    """A scan round with `count` alike colleagues of one unit, released: every factor 4.0,
    time in the workload 2.0."""
    round_ = make_round(session, catalog, institution, questionnaire=SCAN)
    stored_responses(session, scan, round_, the_unit(session, institution), count,
                     role="docent_onderzoeker",
                     answers={**favourable(scan, 4), "tij1": 2, "tij2": 2, "tij3": 4})
    return round_


# --- the file -----------------------------------------------------------------------------------


def test_the_scan_file_loads_with_its_success_factors_and_cites_only_what_the_review_cites(scan):
    assert [k.key for k in scan.knobs] == ["belang", "praktijkvragen", "thema", "gemeenschap",
                                           "coordinator", "draagvlak", "voorlopers", "tijd",
                                           "lange_adem"]
    assert all(2 <= len(scan.items_of(k.key)) <= 4 for k in scan.knobs)
    assert any(item.reverse for item in scan.items)
    assert {"practor", "docent_onderzoeker", "student", "werkveldpartner"} <= scan.role_keys
    assert all(scan.suggestions_of(k.key) for k in scan.knobs)
    assert (scan.vocabulary, scan.chart) == ("kenniswerkplaats", "bars")
    # the review's own words, line breaks as spaces ("Schot et al." ends a line before "(2019)")
    review = " ".join(REVIEW.read_text(encoding="utf-8").split()) if REVIEW.exists() else None
    for source in {i.source for i in scan.items} | {s.source for s in scan.suggestions}:
        for citation in source.split("; "):
            author, year = citation.rsplit(", ", 1)
            if review is not None:  # "Schot et al. (2019)" or "(Schot et al., 2019)"
                assert f"{author} ({year})" in review or f"{author}, {year}" in review, citation


def test_the_new_optional_fields_leave_the_stars_content_hash_as_it_was(catalog):
    import hashlib

    star = catalog.require("galbraith-star", "1.0")
    meaning = star.model_dump(mode="json")
    assert (meaning.pop("vocabulary"), meaning.pop("chart")) == (None, "radar")
    assert meaning.pop("status") == "published"  # not part of the meaning either
    canonical = json.dumps(meaning, sort_keys=True, ensure_ascii=False)
    assert star.content_hash == hashlib.sha256(canonical.encode()).hexdigest()


# --- the coordinator and the respondents -------------------------------------------------------


def test_a_coordinator_opens_a_scan_round_and_colleagues_answer_it_one_success_factor_a_page(
        app, client, session, catalog, scan, alfa):
    web_login(client, "coordinator@alfa.nl", PASSWORD)
    form = page(client.get(f"/beheer/{alfa.slug}/metingen"))
    assert "kenniswerkplaats-scan/1.0" in [o["value"] for o in
                                          form.select("select#questionnaire option")]
    opens = datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(days=1)
    answer = client.post(f"/beheer/{alfa.slug}/metingen", follow_redirects=False, data={
        "csrf_token": csrf_of(client), "name": "Scan voorjaar",
        "questionnaire": "kenniswerkplaats-scan/1.0",
        "opens_date": opens.date().isoformat(), "opens_time": "09:00",
        "closes_date": (opens + timedelta(days=20)).date().isoformat(), "closes_time": "17:00"})
    assert answer.status_code == 303, answer.text
    round_ = session.exec(select(Round).where(Round.institution_id == alfa.id)).one()
    assert (round_.questionnaire_slug, round_.questionnaire_version) == SCAN
    unit = the_unit(session, alfa)
    links = [personal_link(session, round_, unit) for _ in range(5)]

    with TestClient(app) as phone:
        intro = page(phone.get(f"/s/{links[0]}"))
        roles = [o["value"] for o in intro.select('input[name="role"]')]
        assert {"student", "werkveldpartner", "docent_onderzoeker"} <= set(roles)
        csrf = csrf_of(phone)
        assert phone.post(f"/s/{links[0]}", data={"csrf_token": csrf, "role": "student"},
                          follow_redirects=False).status_code == 303
        first = page(phone.get(f"/s/{links[0]}/k/belang"))
        assert first.h1 is not None or first.h2 is not None
        assert "Gedeeld en eigen belang" in first.get_text()
        assert len(first.select('fieldset')) >= len(scan.items_of("belang"))

        thanks = None
        for i, link in enumerate(links):
            thanks = complete_survey(phone, scan, link, favourable(scan, 3 + i % 2),
                                     role="docent_onderzoeker")
            assert thanks.status_code == 200
    doc = page(thanks)
    text = doc.main.get_text(" ")
    assert translate("nl", "star.title", "kenniswerkplaats") in text  # "Jouw scores"
    assert STAR_WORDS.search(text) is None, STAR_WORDS.search(text)
    assert doc.select_one("figure.chart.bars svg") is not None
    own = [td.get_text() for td in doc.select('td[data-series="own"]')]
    assert own == ["3,0"] * len(scan.knobs)  # the last colleague's own scores


# --- the board ---------------------------------------------------------------------------------


def test_after_release_the_dashboard_shows_the_scans_bars_with_its_success_factors_only(
        client, session, catalog, scan, alfa):
    round_ = released_scan_round(session, catalog, scan, alfa)
    web_login(client, "bestuur@alfa.nl", PASSWORD)
    response = client.get(f"/dashboard/{alfa.slug}", params={"round": round_.id, "lang": "nl"})
    assert response.status_code == 200
    doc = page(response)
    text = doc.main.get_text(" ")
    assert STAR_WORDS.search(text) is None, STAR_WORDS.search(text)
    assert doc.select_one("#star-title").get_text() == "Succesfactoren van de instelling"
    assert [row.th.get_text() for row in doc.select("#institution-table tr[data-knob]")] == [
        k.name.nl for k in scan.knobs]
    assert doc.select_one("#kpi-weakest").get_text().startswith("Tijd in de taak")
    figure = doc.select_one("figure.chart.star.bars")
    labels = [m["aria-label"] for m in figure.select("[aria-label]") if ":" in m["aria-label"]]
    assert any("Een lange adem: 4.00" in label for label in labels)  # each bar tells its score
    assert "Roosters vrij voor onderzoek" in text  # the weakest factor's suggestion
    assert "(Zuiker et al., 2017)" in text

    english = page(client.get(f"/dashboard/{alfa.slug}", params={"round": round_.id,
                                                                   "lang": "en"}))
    assert english.select_one("#star-title").get_text() == "The institution's success factors"
    assert re.search(r"\bknobs?\b|Star Model", english.main.get_text(" ")) is None

    client.get(f"/dashboard/{alfa.slug}", params={"lang": "nl"})  # back to Dutch
    chart = client.get(f"/dashboard/{alfa.slug}/rounds/{round_.id}/charts/star.svg")
    assert chart.status_code == 200
    assert "Gemeenschap en gezamenlijke taal" in re.findall(r"<text[^>]*>([^<]*)</text>", chart.text)
    table = client.get(f"/dashboard/{alfa.slug}/rounds/{round_.id}/units.csv")
    header = next(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert any("Een coördinator" in column for column in header)
    assert not any("knop" in column.lower() for column in header)
    report = client.get(f"/dashboard/{alfa.slug}/rounds/{round_.id}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")


def test_the_api_lists_the_scans_dimensions_in_its_scores_and_csv(client, session, catalog,
                                                                  scan, alfa):
    round_ = released_scan_round(session, catalog, scan, alfa)
    headers = {"Authorization": f"Bearer {make_token(session, [alfa])}"}
    body = client.get(f"/api/v1/rounds/{round_.id}/scores", headers=headers).json()
    assert body["questionnaire"] == "kenniswerkplaats-scan/1.0"
    [total] = body["groups"]
    assert list(total["knobs"]) == [k.key for k in scan.knobs]
    assert total["weakest"] == "tijd" and total["knobs"]["tijd"]["mean"] == 2.0
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/api/v1/rounds/{round_.id}/scores", params={"format": "csv", "group_by": "unit"},
        headers=headers).text)))
    assert rows and {f"{k.key}_mean" for k in scan.knobs} <= set(rows[0])
    described = client.get("/api/v1/questionnaires/kenniswerkplaats-scan/1.0",
                           headers=headers).json()
    assert len(described["knobs"]) == 9


def test_a_scan_unit_below_k_stays_hidden_on_every_surface(client, session, catalog, scan, alfa):
    round_ = released_scan_round(session, catalog, scan, alfa, count=4)
    web_login(client, "bestuur@alfa.nl", PASSWORD)
    doc = page(client.get(f"/dashboard/{alfa.slug}", params={"round": round_.id}))
    assert doc.select_one("#institution-table") is None
    assert not [m for m in doc.select("figure.chart.star [aria-label]")
                if re.search(r": \d", m["aria-label"])]
    headers = {"Authorization": f"Bearer {make_token(session, [alfa])}"}
    [total] = client.get(f"/api/v1/rounds/{round_.id}/scores", headers=headers).json()["groups"]
    assert total["suppressed"] and total["knobs"] is None


def test_the_stars_rounds_keep_their_radar_and_their_words(client, session, catalog, alfa):
    star = catalog.require("galbraith-star", "1.0")
    round_ = make_round(session, catalog, alfa)
    unit = the_unit(session, alfa)
    invitations.ensure_shared(session=session, secret_key="x", round_=round_, unit=unit)
    session.commit()
    stored_responses(session, star, round_, unit, 5)
    web_login(client, "bestuur@alfa.nl", PASSWORD)
    doc = page(client.get(f"/dashboard/{alfa.slug}", params={"round": round_.id, "lang": "nl"}))
    assert doc.select_one("#star-title").get_text() == "Ster van de instelling"
    assert doc.select_one("figure.chart.star.bars") is None
    assert "Zwakste knop" in doc.main.get_text(" ")
    assert "Galbraith" in doc.main.get_text(" ")


def test_an_action_made_after_a_scan_round_speaks_of_success_factors(
        client, session, catalog, scan, alfa):
    round_ = released_scan_round(session, catalog, scan, alfa)
    web_login(client, "bestuur@alfa.nl", PASSWORD)
    dashboard = page(client.get(f"/dashboard/{alfa.slug}", params={"round": round_.id,
                                                                    "lang": "nl"}))
    form = page(client.get(dashboard.select_one("a.make-action")["href"]))
    text = form.main.get_text(" ")
    assert STAR_WORDS.search(text) is None, STAR_WORDS.search(text)
    assert form.select_one("label[for=knob]").get_text(strip=True) == "Succesfactor"
    assert [o.get_text() for o in form.select("#knob option") if o["value"]] == [
        k.name.nl for k in scan.knobs]

    fields = {f["name"]: f.get("value", "") for f in form.select("input[name]")}
    refused = client.post(f"/dashboard/{alfa.slug}/acties", data={
        **fields, "title": "Tijd in de taak", "knob": "strategie", "round": str(round_.id),
        "status": "gepland", "csrf_token": csrf_of(client)})
    assert refused.status_code == 422
    assert "Kies een van de succesfactoren van de scan." in page(refused).main.get_text(" ")
