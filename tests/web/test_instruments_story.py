"""Issue 14's story, tried as a new user would, through the real app and database.

An institution measured with galbraith-star 1.0 last spring; 1.1 replaced it and the
administrator archived 1.0. The coordinator now runs a round on 1.1 with two statements of the
institution's own and the network map. Afterwards the board reads: the archived round still in
full, the trend crossing from 1.0 to 1.1 for the knobs 1.1 declares comparable (and why not the
others), the own statements as their own block, and a unit's network map — every number only for
groups of at least k, a unit of four shows none of them.
"""

from __future__ import annotations

from api.platform.models import OwnItemKind
from api.results import releases
from api.results.network import Mark
from api.setup import questionnaire_versions
from api.survey import network_map
from api.survey.responses import record_response
from tests.builders import (
    make_account,
    make_institution,
    make_own_items,
    make_round,
    make_token,
    make_unit,
    open_now,
    released_round,
    spread_answers,
    web_login,
)

SLUG = "galbraith-star"
K = 5
BOARD = "bestuur@verhaal.test"
PASSWORD = "een-lang-wachtwoord-42"


def test_a_round_on_1_1_with_own_items_and_the_network_map_after_an_archived_1_0_round(
        client, session, catalog):
    institution = make_institution(session, "Hogeschool Het Verhaal", k=K)
    alfa = make_unit(session, institution, "Practoraat Alfa")
    beta = make_unit(session, institution, "Practoraat Beta")
    klein = make_unit(session, institution, "Practoraat Klein")
    spring, _ = released_round(session, catalog, institution, alfa, version="1.0", state="closed",
                               respondents=6)
    # 1.1 replaced 1.0: the administrator archives it (its round has closed)
    questionnaire_versions.archive(session=session, catalog=catalog, slug=SLUG, version="1.0")
    session.commit()

    # the coordinator prepares the new round: 1.1, the network map, two own statements
    winter = make_round(session, catalog, institution, state="not_open", questionnaire=(SLUG, "1.1"),
                        network_map=True)
    own = make_own_items(session, catalog, winter, [
        (OwnItemKind.likert, "Ons lectorenplatform helpt me verder.",
         "Our platform of practors helps me on my way.", "structuur"),
        (OwnItemKind.likert, "Ik weet wie ik over onderzoeksdata kan bellen.", "", ""),
    ])
    session.commit()
    open_now(session, winter)

    # five of Alfa, five of Beta and four of Klein answer one by one, own statements and map
    # included; each submit releases what the rule allows (Klein's four wait for a fifth)
    q11 = catalog.require(SLUG, "1.1")
    for unit, count in ((alfa, 5), (beta, 5), (klein, 4)):
        for i in range(count):
            response = record_response(
                session=session, round_=winter, unit_id=unit.id, role="practor",
                questionnaire=q11, answers=spread_answers(q11, i), open_answers={},
                own_answers={own[0].id: 4, own[1].id: 2 + i % 3},
                submission_key=f"story-{unit.id}-{i}")
            network_map.record_marks(session=session, response_id=response.id, marks={
                "own": Mark("weekly", frozenset({"ervaring"})),
                f"u{beta.id if unit is alfa else alfa.id}": Mark("monthly",
                                                                 frozenset({"professioneel"})),
                "werkveld": Mark("less", frozenset({"ervaring", "professioneel"}))})
            releases.release_due(session=session, round_id=winter.id, default_k=K)
            session.commit()

    token = make_token(session, [institution])
    api = {"Authorization": f"Bearer {token}"}

    # 1.0 is archived, never fillable, and its round stays readable in full
    assert client.get(f"/api/v1/questionnaires/{SLUG}/1.0", headers=api).json()["status"] == "archived"
    old = client.get(f"/api/v1/rounds/{spring.id}/scores?group_by=institution", headers=api)
    assert old.status_code == 200 and old.json()["groups"][0]["n"] == 6

    # the trend crosses to 1.0 for the comparable knobs and says why it refuses the others
    trend = client.get(f"/api/v1/institutions/{institution.slug}/trend", headers=api).json()
    assert trend["reference_version"] == "1.1"
    assert [p["round"]["id"] for p in trend["points"]] == [spring.id, winter.id]
    refused = {r["knob"]: r for r in trend["not_comparable"]}
    assert set(refused) == {"processen", "beloningen"}
    assert all(r["version"] == "1.0" and r["reason"]["nl"] for r in refused.values())
    first = trend["points"][0]
    assert set(first["not_comparable"]) == {"processen", "beloningen"}
    assert first["scores"]["knobs"]["strategie"]["mean"] is not None
    assert (first["scores"]["knobs"].get("processen") or {}).get("mean") is None

    # the own statements: their own block, institution and the units of k or more, not Klein
    own_block = client.get(f"/api/v1/rounds/{winter.id}/own-items", headers=api).json()
    assert own_block["shown"] and len(own_block["statements"]) == 2
    groups = {g["group"]["name"]: g for g in own_block["statements"][0]["groups"]}
    assert groups["Practoraat Alfa"]["n"] == 5 and groups["Practoraat Alfa"]["mean"] == 4
    assert groups["Practoraat Klein"]["suppressed"] and groups["Practoraat Klein"]["n"] is None
    scores = client.get(f"/api/v1/rounds/{winter.id}/scores?group_by=institution",
                        headers=api).json()
    assert set(scores["groups"][0]["knobs"]) == {knob.key for knob in q11.knobs}  # no own item

    # the network map per unit: Alfa's and Beta's, never Klein's four
    maps = {g["unit_id"]: g for g in client.get(f"/api/v1/rounds/{winter.id}/network-map",
                                                headers=api).json()["groups"]}
    assert maps[alfa.id]["shown"] and maps[alfa.id]["n"] == 5
    werkveld = next(t for t in maps[alfa.id]["targets"] if t["target"] == "werkveld")
    assert werkveld["frequency"]["less"] == 1 and werkveld["forms"]["ervaring"] == 1
    hidden = maps.get(klein.id, {"shown": False, "targets": []})
    assert not hidden["shown"] and hidden["targets"] == []

    # the board member reads it on the dashboard
    make_account(session, BOARD, "bestuur", [institution], password=PASSWORD)
    web_login(client, BOARD, PASSWORD)
    page = client.get(f"/dashboard/{institution.slug}?round={winter.id}")
    assert page.status_code == 200
    assert "Ons lectorenplatform helpt me verder." in page.text
    assert "niet vergelijkbaar" in page.text.lower()
    circle = client.get(f"/dashboard/{institution.slug}/netwerkkaart",
                        params={"round": winter.id, "unit": alfa.id})
    assert circle.status_code == 200 and "<svg" in circle.text
    assert "wie zouden we vaker willen betrekken?" in circle.text  # the article's questions beside it
    archived = client.get(f"/dashboard/{institution.slug}?round={spring.id}")
    assert archived.status_code == 200 and "1.0" in archived.text
