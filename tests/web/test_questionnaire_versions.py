"""Questionnaire versions in the browser: an administrator publishes a draft and archives a
version once its rounds have closed; coordinators and board members read the versions, their
items and what changed; an archived version stays viewable with its results, never fillable.

The questionnaires folder is the test's own: galbraith-star 1.0 and a 1.1 in preparation
(`tests.builders.questionnaires_with_draft`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from api.platform.models import AccountRole, AuditEvent, Round
from api.setup import rounds
from api.survey import invitations
from tests.builders import (
    csrf_of,
    make_account,
    make_institution,
    make_round,
    make_token,
    make_unit,
    questionnaires_with_draft,
    stored_responses,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"
ROUNDS_FORM = {"opens_date": "2030-01-06", "opens_time": "09:00", "closes_date": "2030-02-01",
               "closes_time": "17:00", "remind_days": ""}


@pytest.fixture
def settings(settings, tmp_path):
    """The app reads the test's own questionnaires: 1.0 published, 1.1 a draft."""
    return settings.model_copy(update={
        "questionnaires_dir": questionnaires_with_draft(tmp_path / "questionnaires")})


class People:
    """An administrator, a coordinator and a board member of Hogeschool Versiedal, each in a
    browser of their own; made and logged in when first used (argon2 and the second step of
    a login are slow)."""

    ACCOUNTS = {"admin": ("beheer@versiedal.nl", AccountRole.admin),
                "coordinator": ("coordinator@versiedal.nl", AccountRole.coordinator),
                "board": ("bestuur@versiedal.nl", AccountRole.bestuur)}

    def __init__(self, app, session, institution):
        self.app, self.session, self.institution = app, session, institution
        self.slug, self.browsers = institution.slug, {}

    def _browser(self, who: str) -> TestClient:
        if who not in self.browsers:
            email, role = self.ACCOUNTS[who]
            make_account(self.session, email, role,
                         [] if role == AccountRole.admin else [self.institution],
                         password=PASSWORD)
            self.browsers[who] = TestClient(self.app)
            web_login(self.browsers[who], email, PASSWORD)
        return self.browsers[who]

    admin = property(lambda self: self._browser("admin"))
    coordinator = property(lambda self: self._browser("coordinator"))
    board = property(lambda self: self._browser("board"))


@pytest.fixture
def people(app, client, session) -> Iterator[People]:
    institution = make_institution(session, "Hogeschool Versiedal")
    make_unit(session, institution, "Practoraat Versies")
    found = People(app, session, institution)
    yield found
    for browser in found.browsers.values():
        browser.close()


def rows(session, query) -> list:
    """Read in a transaction of its own: the test's session must not hold SQLite's write lock
    while the app answers."""
    session.expire_all()
    found = list(session.exec(query))
    session.commit()
    return found


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def post(browser: TestClient, url: str, data: dict):
    return browser.post(url, data={"csrf_token": csrf_of(browser), **data},
                        follow_redirects=False)


def status_on_list(browser: TestClient) -> dict[str, str]:
    html = page(browser.get("/vragenlijsten"))
    return {row["data-version"]: row["data-status"]
            for row in html.select('[data-questionnaire="galbraith-star"] tr[data-version]')}


def offered_versions(browser: TestClient, slug: str) -> list[str]:
    html = page(browser.get(f"/beheer/{slug}/metingen"))
    return [option["value"] for option in html.select("#questionnaire option")
            if option["value"].startswith("galbraith-star/")]  # the scan is offered too


def open_round_form(browser: TestClient, slug: str, version: str, name: str):
    return post(browser, f"/beheer/{slug}/metingen",
                {"name": name, "questionnaire": f"galbraith-star/{version}", **ROUNDS_FORM})


def error_text(response) -> str:
    return page(response).select_one(".error-summary").get_text(" ", strip=True)


def test_an_admin_publishes_a_draft_and_then_a_coordinator_opens_a_round_on_it(people, session):
    assert status_on_list(people.coordinator) == {"1.0": "published", "1.1": "draft"}
    # the round form offers only published versions; a draft sent anyway is refused, kept
    assert offered_versions(people.coordinator, people.slug) == ["galbraith-star/1.0"]
    refused = open_round_form(people.coordinator, people.slug, "1.1", "Meting met het concept")
    assert refused.status_code == 422
    assert "concept" in error_text(refused) and "1.1" in error_text(refused)
    assert page(refused).select_one("#name")["value"] == "Meting met het concept"
    assert rows(session, select(Round)) == []

    # the administrator must confirm, then publishes
    url = "/vragenlijsten/galbraith-star/1.1/publiceren"
    unconfirmed = post(people.admin, url, {})
    assert unconfirmed.status_code == 422
    assert "Vink aan" in error_text(unconfirmed)
    published = post(people.admin, url, {"confirm": "yes"})
    assert published.status_code == 303
    shown = people.admin.get(published.headers["location"])
    assert "gepubliceerd" in page(shown).select_one('.notice[role="status"]').text
    assert status_on_list(people.board) == {"1.0": "published", "1.1": "published"}
    assert [e.detail.split(" ")[0] for e in rows(session, select(AuditEvent).where(
        AuditEvent.action == "questionnaire.published"))] == ["galbraith-star/1.1"]
    # forward only: publishing again is refused with a message on the page
    again = post(people.admin, url, {"confirm": "yes"})
    assert again.status_code == 409 and "al gepubliceerd" in error_text(again)

    # now the form offers it, newest first and chosen, and a round opens on it
    assert offered_versions(people.coordinator, people.slug) == ["galbraith-star/1.1",
                                                                 "galbraith-star/1.0"]
    chosen = page(people.coordinator.get(f"/beheer/{people.slug}/metingen")).select_one(
        "#questionnaire option[selected]")
    assert chosen["value"] == "galbraith-star/1.1"
    opened = open_round_form(people.coordinator, people.slug, "1.1", "Meting 1.1")
    assert opened.status_code == 303, opened.text
    assert [(r.name, r.questionnaire_version) for r in rows(session, select(Round))] == [
        ("Meting 1.1", "1.1")]


def test_archiving_waits_for_the_open_round_and_then_keeps_its_results_viewable(
        people, app, session, settings):
    catalog = app.state.catalog
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution, unit = _institution_and_unit(session, people.slug)
    round_ = make_round(session, catalog, institution)
    stored_responses(session, questionnaire, round_, unit, 5)
    link = invitations.ensure_shared(session=session, secret_key=settings.secret_key,
                                     round_=round_, unit=unit)
    session.commit()
    url = "/vragenlijsten/galbraith-star/1.0/archiveren"

    refused = post(people.admin, url, {"confirm": "yes"})
    assert refused.status_code == 409
    assert round_.name in error_text(refused) and "Hogeschool Versiedal" in error_text(refused)
    assert status_on_list(people.admin)["1.0"] == "published"

    rounds.close_round(session=session, round_=round_, default_k=5)
    archived = post(people.admin, url, {"confirm": "yes"})
    assert archived.status_code == 303
    assert status_on_list(people.board)["1.0"] == "archived"
    version_page = page(people.board.get("/vragenlijsten/galbraith-star/1.0"))
    assert version_page.select_one(f'[data-round="{round_.id}"]') is not None  # still listed
    assert version_page.select("#change form") == []  # nothing to change for anyone

    # no new round on it
    assert "galbraith-star/1.0" not in offered_versions(people.coordinator, people.slug)
    refused_round = open_round_form(people.coordinator, people.slug, "1.0", "Nog eens 1.0")
    assert refused_round.status_code == 422 and "gearchiveerd" in error_text(refused_round)

    # the survey link says why it cannot be filled in, in both languages
    survey = people.board.get(f"/s/{link}")
    assert survey.status_code == 409
    assert "gearchiveerd" in page(survey).h1.text
    assert "archived" in page(people.board.get(f"/s/{link}?lang=en")).h1.text

    # the results stay: the dashboard and the API still show the round's numbers
    dashboard = people.board.get(f"/dashboard/{people.slug}?round={round_.id}&lang=nl")
    assert dashboard.status_code == 200 and round_.name in dashboard.text
    token = make_token(session, [institution], scopes=("read", "import"))
    scores = people.board.get(f"/api/v1/rounds/{round_.id}/scores",
                              headers={"Authorization": f"Bearer {token}"})
    assert scores.status_code == 200 and scores.json()["groups"][0]["n"] == 5
    # and the import takes nothing on it
    upload = people.board.post(f"/api/v1/rounds/{round_.id}/responses", json={"responses": [
        {"unit": unit.name, "role": "practor", "answers": {"str1": 4}}]},
        headers={"Authorization": f"Bearer {token}"})
    assert upload.status_code == 409 and "archived" in upload.json()["detail"]


def _institution_and_unit(session, slug):
    from api.platform.models import Institution, Unit

    institution = session.exec(select(Institution).where(Institution.slug == slug)).one()
    unit = session.exec(select(Unit).where(Unit.institution_id == institution.id)).one()
    session.commit()
    return institution, unit


@pytest.mark.parametrize("who", ["coordinator", "board"])
def test_only_an_administrator_changes_a_status(people, session, who):
    browser = getattr(people, who)
    for version, action in (("1.1", "publiceren"), ("1.0", "archiveren")):
        refused = post(browser, f"/vragenlijsten/galbraith-star/{version}/{action}",
                       {"confirm": "yes"})
        assert refused.status_code == 403
        # they see the status, not the buttons
        assert page(browser.get(f"/vragenlijsten/galbraith-star/{version}")).select(
            "#change form") == []
    assert status_on_list(browser) == {"1.0": "published", "1.1": "draft"}
    assert rows(session, select(AuditEvent).where(
        AuditEvent.action.like("questionnaire.%"))) == []


def test_a_form_without_its_token_changes_nothing(people):
    response = people.admin.post("/vragenlijsten/galbraith-star/1.1/publiceren",
                                 data={"confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 403
    assert status_on_list(people.admin)["1.1"] == "draft"


def test_a_board_member_reads_a_version_and_what_changed_in_their_language(people):
    html = page(people.board.get("/vragenlijsten/galbraith-star/1.1?lang=en"))
    assert "Draft" in html.select_one(".version-status").text
    strategy = html.select_one('[data-knob="strategie"]')
    assert "Our institutional plan mentions" in strategy.select_one('[data-item="str9"]').text
    assert strategy.select_one('[data-item="str4"]') is None
    assert html.select_one('[data-suggestion]') is not None  # suggestions with their source
    assert "Source" in html.select_one('[data-suggestion]').text

    diff = page(people.board.get(
        "/vragenlijsten/galbraith-star/verschil?van=1.0&naar=1.1&lang=nl"))
    section = {s["data-diff"]: [li.get("data-item") for li in s.select("li[data-item]")]
               for s in diff.select("[data-diff]")}
    assert section == {"items_added": ["str9"], "items_removed": ["str4"],
                       "items_reworded": ["str1", "str6"]}
    reworded = diff.select_one('[data-diff="items_reworded"] [data-item="str1"]')
    assert "(herzien)" in reworded.select_one(".after").text
    assert "(herzien)" not in reworded.select_one(".before").text
    assert "scoringsrichting" in diff.select_one(
        '[data-diff="items_reworded"] [data-item="str6"]').text
    # the same version twice: nothing changed; an unknown version: 404
    same = page(people.board.get("/vragenlijsten/galbraith-star/verschil?van=1.0&naar=1.0"))
    assert same.select_one("#diff-same") is not None
    assert people.board.get("/vragenlijsten/galbraith-star/verschil?van=0.9&naar=1.0"
                            ).status_code == 404
    assert people.board.get("/vragenlijsten/galbraith-star/7.7").status_code == 404


def test_the_versions_page_asks_for_a_login(client):
    response = client.get("/vragenlijsten", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]
