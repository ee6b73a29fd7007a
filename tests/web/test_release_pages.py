"""Pages from the release: the dashboard, its charts, downloads and report are drawn once per
release, language and option set, kept in the database, and served again only to readers who
may see the round — through the real HTTP app and a real database.

A drawing is seen by `web.release_pages.RENDERS` (how often each kind was drawn in this
process) and by the rows of `rendered`; never by timing.
"""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from api.main import create_app
from api.platform.models import Rendered
from api.results import rendered_cache
from api.setup.accounts import create_account
from tests.builders import (
    csrf_of,
    make_institution,
    make_round,
    make_token,
    make_unit,
    stored_responses,
    web_login,
)
from web import release_pages

PASSWORD = "een-lang-wachtwoord-42"


@pytest.fixture
def world(session, catalog):
    """Hogeschool Ster with two practoraten (one above k, one below), a board member, and
    Hogeschool Elders with its own board member."""
    questionnaire = catalog.require("galbraith-star", "1.0")
    ster = make_institution(session, "Hogeschool Ster")
    big, small = make_unit(session, ster, "Practoraat Groot"), make_unit(session, ster, "Klein")
    round_ = make_round(session, catalog, ster)
    stored_responses(session, questionnaire, round_, big, 5)
    stored_responses(session, questionnaire, round_, small, 2)
    elders = make_institution(session, "Hogeschool Elders")
    make_round(session, catalog, elders)
    for email, institution, role in (("bestuur@ster.nl", ster, "bestuur"),
                                     ("bestuur2@ster.nl", ster, "bestuur"),
                                     ("coordinator@ster.nl", ster, "coordinator"),
                                     ("bestuur@elders.nl", elders, "bestuur")):
        create_account(session=session, email=email, password=PASSWORD, role=role,
                       institutions=[institution])
    session.commit()
    return {"slug": ster.slug, "round": round_.id, "big": big, "questionnaire": questionnaire,
            "round_obj": round_, "ster": ster, "elders_slug": elders.slug}


def html(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def kept(session, kind: str | None = None) -> list:
    """The rows of `rendered`, read in a transaction that ends at once."""
    query = select(Rendered.key, Rendered.round_id, Rendered.release_id, Rendered.kind,
                   Rendered.lang, Rendered.body)
    if kind:
        query = query.where(Rendered.kind == kind)
    found = list(session.exec(query))
    session.commit()
    return found


def drawn(kind: str) -> int:
    return release_pages.RENDERS[kind]


def test_the_second_view_of_the_dashboard_comes_from_the_release_without_drawing_again(
        client, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    before = drawn("page")
    first = html(client.get(f"/dashboard/{world['slug']}"))
    assert drawn("page") == before + 1
    [row] = kept(session, "page")
    assert (row.round_id, row.lang) == (world["round"], "nl")

    second = html(client.get(f"/dashboard/{world['slug']}"))
    assert drawn("page") == before + 1  # read back, not drawn
    assert text(second.select_one("#units-table")) == text(first.select_one("#units-table"))
    assert text(second.select_one("#kpi-n")) == "5"
    assert second.select_one("#actieplan") is not None  # the live part is there too


def test_a_new_release_shows_the_new_numbers_and_prunes_the_old_drawing(client, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    assert text(html(client.get(f"/dashboard/{world['slug']}")).select_one("#kpi-n")) == "5"
    [old] = kept(session, "page")

    stored_responses(session, world["questionnaire"], world["round_obj"], world["big"], 5)
    page = html(client.get(f"/dashboard/{world['slug']}"))
    assert text(page.select_one("#kpi-n")) == "10"
    assert "10" in text(page.select_one("#release-state"))
    [new] = kept(session, "page")  # the older release's drawing is gone
    assert new.key != old.key and new.release_id != old.release_id


def test_a_waiting_response_shows_on_the_next_view_although_no_release_came(
        client, session, world):
    """What waits is not frozen by the release: the page says at once that one more waits."""
    web_login(client, "bestuur@ster.nl", PASSWORD)
    before = text(html(client.get(f"/dashboard/{world['slug']}")).select_one("#release-state"))
    assert "2" in before  # Klein's two wait for colleagues
    stored_responses(session, world["questionnaire"], world["round_obj"], world["big"], 1)
    after = text(html(client.get(f"/dashboard/{world['slug']}")).select_one("#release-state"))
    assert "3" in after and "5" in after  # one more waits; the published five stand


def test_a_new_and_an_edited_action_show_on_the_next_view_and_in_the_next_report(client, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    slug = world["slug"]
    client.get(f"/dashboard/{slug}")
    client.get(f"/dashboard/{slug}/rounds/{world['round']}/report.pdf")
    reports = drawn("report")

    response = client.post(f"/dashboard/{slug}/acties", data={
        "csrf_token": csrf_of(client), "round": str(world["round"]), "knob": "mensen",
        "unit": "", "title": "Koffie met de lectoren", "suggestion": "", "owner": "",
        "due_on": "", "status": "gepland", "notes": "", "back_round": ""},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    page = html(client.get(f"/dashboard/{slug}"))
    assert "Koffie met de lectoren" in text(page.select_one("#actieplan"))

    action = page.select_one("#actieplan li[data-action]")
    response = client.post(f"/dashboard/{slug}/acties/{action['data-action']}/status", data={
        "csrf_token": csrf_of(client), "status": "bezig", "back_round": str(world["round"])},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    page = html(client.get(f"/dashboard/{slug}"))
    assert "status-bezig" in page.select_one("#actieplan li[data-action]")["class"]

    pdf = client.get(f"/dashboard/{slug}/rounds/{world['round']}/report.pdf")
    assert drawn("report") == reports + 1
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Koffie met de lectoren" in " ".join(words.split())


def test_another_institutions_board_member_gets_404_even_when_the_drawing_is_kept(
        client, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    slug, round_id = world["slug"], world["round"]
    urls = [f"/dashboard/{slug}", f"/dashboard/{slug}/rounds/{round_id}/charts/star.svg",
            f"/dashboard/{slug}/rounds/{round_id}/units.csv",
            f"/dashboard/{slug}/rounds/{round_id}/report.pdf"]
    for url in urls:
        assert client.get(url).status_code == 200
    assert {r.kind for r in kept(session)} == {"page", "chart", "table", "report"}

    client.cookies.clear()
    web_login(client, "bestuur@elders.nl", PASSWORD)
    elders = world["elders_slug"]
    for url in [*urls, *(u.replace(f"/dashboard/{slug}/", f"/dashboard/{elders}/")
                         for u in urls[1:])]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Practoraat Groot" not in response.text


def test_switching_language_gives_the_other_language(client, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    dutch = html(client.get(f"/dashboard/{world['slug']}"))
    english = html(client.get(f"/dashboard/{world['slug']}?lang=en"))
    assert dutch.html["lang"] == "nl" and english.html["lang"] == "en"
    assert text(dutch.select_one("#units-title")) != text(english.select_one("#units-title"))
    assert sorted(r.lang for r in kept(session, "page")) == ["en", "nl"]
    again = html(client.get(f"/dashboard/{world['slug']}?lang=nl"))
    assert text(again.select_one("#units-title")) == text(dutch.select_one("#units-title"))


def test_each_reader_gets_their_own_header_and_form_tokens_around_the_same_drawing(
        client, settings, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    board = html(client.get(f"/dashboard/{world['slug']}"))
    with TestClient(client.app) as colleague, TestClient(client.app) as coordinator_browser:
        web_login(colleague, "bestuur2@ster.nl", PASSWORD)
        drawings = drawn("page")
        second_board = html(colleague.get(f"/dashboard/{world['slug']}"))
        assert drawn("page") == drawings  # the first board member's drawing served the second
        web_login(coordinator_browser, "coordinator@ster.nl", PASSWORD)
        coordinator = html(coordinator_browser.get(f"/dashboard/{world['slug']}"))
        assert drawn("page") == drawings + 1  # another role, another header: its own drawing
    for page, email in ((board, "bestuur@ster.nl"), (second_board, "bestuur2@ster.nl"),
                        (coordinator, "coordinator@ster.nl")):
        assert text(page.select_one("header a.who")) == email
    assert coordinator.select_one("a.admin-link") and not board.select_one("a.admin-link")
    tokens = [p.select_one('header input[name="csrf_token"]')["value"]
              for p in (board, second_board)]
    assert tokens[0] != tokens[1] and all(tokens)
    assert text(second_board.select_one("#units-table")) == text(board.select_one("#units-table"))
    for row in kept(session, "page"):
        assert b"@ster.nl" not in row.body
        assert not any(token.encode() in row.body for token in tokens)


def test_the_kept_drawing_survives_a_restart(client, settings, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    first = html(client.get(f"/dashboard/{world['slug']}"))
    client.get(f"/dashboard/{world['slug']}/rounds/{world['round']}/charts/star.svg")
    drawings = dict(release_pages.RENDERS)

    restarted = create_app(settings, warm_charts=False)  # a new app (or server) on the same DB
    try:
        with TestClient(restarted) as again:
            web_login(again, "bestuur@ster.nl", PASSWORD)
            page = html(again.get(f"/dashboard/{world['slug']}"))
            chart = again.get(f"/dashboard/{world['slug']}/rounds/{world['round']}"
                              "/charts/star.svg")
    finally:
        restarted.state.engine.dispose()
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert dict(release_pages.RENDERS) == drawings
    assert text(page.select_one("#units-table")) == text(first.select_one("#units-table"))


def test_downloads_are_drawn_once_and_the_api_shares_the_report_with_its_etag(
        client, session, world):
    web_login(client, "bestuur@ster.nl", PASSWORD)
    base = f"/dashboard/{world['slug']}/rounds/{world['round']}"
    for url, kind in ((f"{base}/charts/star.png", "chart"), (f"{base}/units.xlsx", "table"),
                      (f"{base}/units.csv", "table"), (f"{base}/report.pdf", "report")):
        first = client.get(url)
        drawings = drawn(kind)
        second = client.get(url)
        assert drawn(kind) == drawings, url
        assert second.content == first.content
        assert second.headers["content-disposition"] == first.headers["content-disposition"]

    token = make_token(session, [world["ster"]])
    auth = {"Authorization": f"Bearer {token}"}
    drawings = drawn("report")
    api = client.get(f"/api/v1/rounds/{world['round']}/report.pdf?lang=nl", headers=auth)
    assert api.status_code == 200 and drawn("report") == drawings  # the dashboard's drawing
    assert api.content == client.get(f"{base}/report.pdf").content
    again = client.get(f"/api/v1/rounds/{world['round']}/report.pdf?lang=nl",
                       headers={**auth, "If-None-Match": api.headers["etag"]})
    assert again.status_code == 304

    english = client.get(f"/api/v1/rounds/{world['round']}/report.pdf?lang=en", headers=auth)
    assert english.status_code == 200 and drawn("report") == drawings + 1  # drawn and kept
    client.get(f"/api/v1/rounds/{world['round']}/report.pdf?lang=en", headers=auth)
    assert drawn("report") == drawings + 1


def test_a_drawing_that_cannot_be_kept_still_answers_the_page(client, session, world,
                                                              monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(rendered_cache, "session_scope", locked)
    web_login(client, "bestuur@ster.nl", PASSWORD)
    page = html(client.get(f"/dashboard/{world['slug']}"))
    assert text(page.select_one("#kpi-n")) == "5"
    assert kept(session) == []


def test_without_the_cache_every_view_is_drawn(settings, session, world):
    """The benchmark's baseline: `render_cache=False` draws each request and keeps nothing."""
    settings.render_cache = False
    app = create_app(settings, warm_charts=False)
    try:
        with TestClient(app) as client:
            web_login(client, "bestuur@ster.nl", PASSWORD)
            drawings = drawn("page")
            client.get(f"/dashboard/{world['slug']}")
            client.get(f"/dashboard/{world['slug']}")
    finally:
        app.state.engine.dispose()
    assert drawn("page") == drawings + 2
    assert kept(session) == []
