"""The administrator's page of evidence that the scale holds: choose a version, read per knob n,
alpha and its interval, and per statement how it hangs with the others — a weak statement and
one whose removal raises alpha are said in words, not by colour alone. Coordinators run one
institution and do not see this installation-wide page."""

from __future__ import annotations

import random

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from api.platform.models import AccountRole
from api.setup import accounts
from tests.builders import (
    SLUG,
    VERSION,
    importing_round,
    make_institution,
    scale_answers,
    sent_as_import,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"
ADMIN, COORDINATOR = "admin@kennisster.nl", "coordinator@alfa.nl"
PAGE = "/beheer/vragenlijsten/betrouwbaarheid"


@pytest.fixture
def people(session):
    alfa = make_institution(session, "Hogeschool Alfa")
    accounts.create_account(session=session, email=ADMIN, password=PASSWORD,
                            role=AccountRole.admin)
    accounts.create_account(session=session, email=COORDINATOR, password=PASSWORD,
                            role=AccountRole.coordinator, institutions=[alfa])
    session.commit()
    return alfa


def browser(app, email: str) -> TestClient:
    client = TestClient(app)
    web_login(client, email, PASSWORD)
    return client


def page_of(client: TestClient, url: str = PAGE) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def test_an_administrator_reads_per_knob_how_the_statements_hang_together(
        app, client, session, catalog, people):
    round_, unit, token = importing_round(session, catalog)
    questionnaire = catalog.require(SLUG, VERSION)
    sent_as_import(client, token, round_, unit, scale_answers(questionnaire, random.Random(5), 60))
    admin = browser(app, ADMIN)

    # the admin home links to it; so does the page's own navigation
    home = page_of(admin, "/beheer")
    assert home.select_one(f'nav.admin-nav a[href$="{PAGE}"]') is not None
    # without a choice the page opens on the star's newest version; the admin picks 1.0
    newest = catalog.latest(SLUG)
    assert page_of(admin).select_one("#versie option[selected]")["value"] == newest.ref
    page = page_of(admin, f"{PAGE}?versie={SLUG}/{VERSION}")
    assert page.select_one(f'nav.admin-nav a[href$="{PAGE}"]')["aria-current"] == "page"
    assert page.select_one("#versie option[selected]")["value"] == f"{SLUG}/{VERSION}"
    assert "Wat deze getallen betekenen" in page.get_text()
    assert "vanaf 30 volledige antwoorden" in page.get_text()

    sections = page.select("section[data-knob]")
    assert [s["data-knob"] for s in sections] == [k.key for k in questionnaire.knobs]
    strategie = sections[0]
    assert "Volledige antwoorden:" in strategie.get_text()
    alpha_line = strategie.select_one('[data-stat="alpha"]').get_text()
    assert alpha_line.startswith("Cronbachs alfa: 0,") and "[95%-interval 0," in alpha_line
    rows = strategie.select("tbody tr")
    assert [r["data-item"] for r in rows] == [i.id for i in questionnaire.items_of("strategie")]
    assert rows[0].th.get_text(strip=True).startswith(questionnaire.item_by_id["str1"].statement.nl)
    # str6 is noise in this data: weak, and alpha rises without it, both said in words
    noise = rows[5]
    assert "tegengesteld geformuleerd" in noise.th.get_text()
    assert "zwak (onder 0,3)" in noise.select_one('[data-stat="item-rest"]').get_text()
    assert "alfa wordt hoger" in noise.select_one('[data-stat="if-deleted"]').get_text()
    assert "zwak" not in rows[0].get_text()

    english = page_of(admin, f"{PAGE}?versie={SLUG}/{VERSION}&lang=en")
    assert english.h1.get_text() == "Reliability of the questionnaire"
    assert "weak (below 0.3)" in english.select("section[data-knob]")[0].get_text()


def test_a_version_with_too_few_responses_shows_how_many_are_still_needed(
        app, client, session, catalog, people):
    round_, unit, token = importing_round(session, catalog)
    questionnaire = catalog.require(SLUG, VERSION)
    rows = scale_answers(questionnaire, random.Random(3), 12)
    for row in rows:
        for item in questionnaire.items_of("strategie"):
            row[item.id] = row[item.id] or 2
    sent_as_import(client, token, round_, unit, rows)

    page = page_of(browser(app, ADMIN), f"{PAGE}?versie={SLUG}/{VERSION}")
    for section in page.select("section[data-knob]"):
        assert section.select("table") == []
        assert section.select_one('[data-stat="alpha"]') is None
        assert "Nog te weinig antwoorden: er zijn nog 18 volledige antwoorden nodig" in \
            section.select_one('[data-stat="too-few"]').get_text()


def test_a_coordinator_has_no_such_page_and_an_unknown_version_is_not_found(app, people):
    coordinator = browser(app, COORDINATOR)
    assert coordinator.get(PAGE).status_code == 404
    own = page_of(coordinator, f"/beheer/{people.slug}")
    assert own.select_one(f'a[href$="{PAGE}"]') is None

    admin = browser(app, ADMIN)
    assert admin.get(f"{PAGE}?versie={SLUG}/9.9").status_code == 404
    assert admin.get(f"{PAGE}?versie=nonsense").status_code == 404
    institution = page_of(admin, f"/beheer/{people.slug}")
    assert institution.select_one(f'nav.admin-nav a[href$="{PAGE}"]') is not None
