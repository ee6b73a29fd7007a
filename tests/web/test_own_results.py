"""A practor's own star lives behind a private link of its own.

The story: a coordinator made personal links (and so holds them). A practor answers through one,
gets a private results link on the thank-you page, and comes back to it after the round has
closed. The invitation link never shows the own star again; nothing in the database ties the
private link to the invitation.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import select

from api.platform.models import Invitation, OwnResult
from api.setup.rounds import close_round
from tests.builders import (
    all_answers,
    complete_survey,
    make_institution,
    make_round,
    make_unit,
    personal_link,
)

Q = ("galbraith-star", "1.0")


def _own_cells(html: str) -> dict[str, str]:
    doc = BeautifulSoup(html, "html.parser")
    return {td["data-knob"]: td.get_text(strip=True)
            for td in doc.select('td[data-series="own"]')}


def _world(session, catalog):
    questionnaire = catalog.require(*Q)
    institution = make_institution(session, "Hogeschool Privé")
    unit = make_unit(session, institution, "Practoraat Eigen")
    round_ = make_round(session, catalog, institution)
    return questionnaire, institution, unit, round_


def test_a_practor_keeps_a_private_link_to_their_own_star_after_the_round_closes(
        client, session, catalog, settings):
    questionnaire, _, unit, round_ = _world(session, catalog)
    links = [personal_link(session, round_, unit) for _ in range(6)]
    for index, link in enumerate(links[1:]):
        client.cookies.clear()
        assert complete_survey(client, questionnaire, link,
                               all_answers(questionnaire, 2 + index % 3)).status_code == 200
    client.cookies.clear()
    thanks = complete_survey(client, questionnaire, links[0], all_answers(questionnaire, 5))
    assert thanks.status_code == 200
    assert thanks.headers["cache-control"] == "no-store"
    own = _own_cells(thanks.text)
    assert set(own) == {k.key for k in questionnaire.knobs} and all(own.values())
    private = BeautifulSoup(thanks.text, "html.parser").select_one("#results-link")["href"]
    path = urlsplit(private).path
    assert private.startswith("http") and path.startswith("/mijn/")
    assert links[0] not in path

    # the invitation link, in anyone's hands, shows no own star any more
    for holder_sees in (client.get(f"/s/{links[0]}/bedankt"), client.get(f"/s/{links[0]}")):
        assert _own_cells(holder_sees.text) == {}
        assert path not in holder_sees.text

    close_round(session=session, round_=round_, default_k=settings.anonymity_k)
    client.cookies.clear()  # another browser, later: the private link alone is enough
    later = client.get(path)
    assert later.status_code == 200
    assert later.headers["cache-control"] == "no-store"
    assert later.headers["referrer-policy"] == "no-referrer"
    assert _own_cells(later.text) == own
    groups = BeautifulSoup(later.text, "html.parser").select('td[data-series="unit"]')
    assert len(groups) == len(questionnaire.knobs)  # 6 answered: the unit is published beside it

    svg = client.get(f"{path}/ster.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    assert root.tag.endswith("svg") and "Practoraat Eigen" in svg.text and "Mijn ster" in svg.text
    png = client.get(f"{path}/ster.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_private_link_is_kept_only_as_a_hash_and_names_no_invitation(
        client, session, catalog, engine):
    questionnaire, _, unit, round_ = _world(session, catalog)
    link = personal_link(session, round_, unit)
    thanks = complete_survey(client, questionnaire, link, all_answers(questionnaire, 3))
    secret = BeautifulSoup(thanks.text, "html.parser").select_one(
        "#results-link")["href"].rsplit("/", 1)[1]
    [row] = session.exec(select(OwnResult).where(OwnResult.round_id == round_.id)).all()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    invitation = session.exec(select(Invitation).where(Invitation.round_id == round_.id)).one()
    columns = {c.name for c in OwnResult.__table__.columns}
    assert columns == {"id", "secret_hash", "round_id", "unit_id", "scores"}  # no time, no link
    with engine.connect() as conn:
        stored = [str(v) for r in conn.execute(sa.text("SELECT * FROM own_result")) for v in r]
    assert secret not in stored and invitation.token_hash not in stored
    assert str(invitation.id) not in {str(row.id)}


def test_a_wrong_or_short_private_link_finds_nothing(client, session, catalog):
    _world(session, catalog)
    for path in ("/mijn/" + "x" * 32, "/mijn/kort", "/mijn/" + "x" * 32 + "/ster.svg"):
        response = client.get(path)
        assert response.status_code == 404, path
    page = client.get("/mijn/" + "y" * 32)
    assert "Deze resultatenlink werkt niet" in page.text


def test_a_second_click_on_submit_makes_no_second_private_link(client, session, catalog):
    questionnaire, _, unit, round_ = _world(session, catalog)
    link = personal_link(session, round_, unit)
    assert complete_survey(client, questionnaire, link, all_answers(questionnaire, 4))
    again = client.post(f"/s/{link}/afronden", data={"csrf_token": client.cookies.get(
        "ks_csrf", "")}, follow_redirects=False)
    assert "results-link" not in again.text
    assert len(session.exec(select(OwnResult).where(OwnResult.round_id == round_.id)).all()) == 1
