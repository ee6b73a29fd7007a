"""The resources a consultant reads: questionnaires, institutions, units (a tree) and rounds;
lists are paginated with limit/offset, a total and a `Link: rel="next"` header."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from api.platform.models import UnitKind
from api.setup import institutions
from tests.api.v1.support import (
    KNOBS,
    Q_REF,
    Q_SLUG,
    Q_VERSION,
    ROLES,
    assert_problem,
    bearer,
    make_token,
    use_shared_world,
)
from tests.builders import make_institution, make_round

client, session, world = use_shared_world()


def next_link(response) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link.strip())
    assert match, link
    return match.group(1)


def follow(client, url: str, headers) -> list[dict]:
    """Every item of a paginated list, page by page through the Link header."""
    items, pages = [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        assert len(items) <= body["total"]
        url, pages = next_link(response), pages + 1
        assert pages < 20
    assert len(items) == body["total"]
    return items


# --- questionnaires ---------------------------------------------------------------------------


def test_questionnaires_are_listed_with_their_content_hash(client, world, catalog):
    response = client.get("/api/v1/questionnaires", headers=bearer(world.read_a))
    assert response.status_code == 200
    body = response.json()
    refs = {f"{q['slug']}/{q['version']}": q for q in body["items"]}
    assert Q_REF in refs
    assert refs[Q_REF]["content_hash"] == catalog.require(Q_SLUG, Q_VERSION).content_hash
    assert refs[Q_REF]["title"]["nl"] and refs[Q_REF]["title"]["en"]
    assert body["total"] == len(list(catalog)) and body["offset"] == 0 and body["limit"] == 50


def test_a_questionnaire_gives_knobs_items_scale_bands_roles_and_suggestions(
    client, world, questionnaire
):
    response = client.get(f"/api/v1/questionnaires/{Q_REF}", headers=bearer(world.read_a))
    assert response.status_code == 200
    q = response.json()
    assert (q["slug"], q["version"]) == (Q_SLUG, Q_VERSION)
    assert q["content_hash"] == questionnaire.content_hash
    assert [k["key"] for k in q["knobs"]] == list(KNOBS)
    assert all(k["name"]["nl"] and k["explanation"]["en"] for k in q["knobs"])
    prefixes = {"strategie": "str", "structuur": "stu", "processen": "pro", "beloningen": "bel",
                "mensen": "men"}
    assert [i["id"] for i in q["items"]] == [f"{prefixes[k]}{n}" for k in KNOBS for n in range(1, 7)]
    by_id = {i["id"]: i for i in q["items"]}
    assert by_id["str6"]["reverse"] is True and by_id["str1"]["reverse"] is False
    assert by_id["str6"]["knob"] == "strategie" and by_id["str6"]["statement"]["nl"]
    assert {i["id"] for i in q["items"] if i["reverse"]} == {
        i.id for i in questionnaire.items if i.reverse}
    assert q["scale"]["min"] == 1 and q["scale"]["max"] == 5
    assert sorted(int(k) for k in q["scale"]["labels"]) == [1, 2, 3, 4, 5]
    assert q["scale"]["dont_know"]["nl"]
    assert [r["key"] for r in q["roles"]] == list(ROLES)
    assert [b["key"] for b in q["bands"]] == [b.key for b in questionnaire.bands]
    assert [b["min"] for b in q["bands"]] == sorted(b["min"] for b in q["bands"])
    assert q["suggestions"] and {s["knob"] for s in q["suggestions"]} == set(KNOBS)
    assert all(s["title"]["nl"] and s["text"]["en"] and s["source"] for s in q["suggestions"])
    assert q["comparable_with"] == []


def test_an_unknown_questionnaire_version_is_a_404_problem(client, world):
    assert_problem(client.get(f"/api/v1/questionnaires/{Q_SLUG}/9.9",
                              headers=bearer(world.read_a)), 404, "9.9")
    assert_problem(client.get("/api/v1/questionnaires/onbekend/1.0",
                              headers=bearer(world.read_a)), 404)


# --- institutions -----------------------------------------------------------------------------


def test_an_institution_shows_its_name_and_anonymity_threshold(client, session, world):
    strict = make_institution(session, "Hogeschool Strengdal", k=8)
    headers = bearer(make_token(session, [world.a, strict]))
    a = client.get(f"/api/v1/institutions/{world.a.slug}", headers=headers).json()
    assert a == {"slug": world.a.slug, "name": "Hogeschool Alfastad", "anonymity_k": 5}
    own = client.get(f"/api/v1/institutions/{strict.slug}", headers=headers).json()
    assert own == {"slug": strict.slug, "name": "Hogeschool Strengdal", "anonymity_k": 8}


def test_institutions_are_paginated_with_total_and_a_next_link(client, session, world):
    others = [make_institution(session, f"Pagina Instelling {n}") for n in range(3)]
    headers = bearer(make_token(session, [world.a, world.b, *others]))
    expected = sorted([world.a.slug, world.b.slug, *(i.slug for i in others)])

    first = client.get("/api/v1/institutions", params={"limit": 2}, headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 0)
    assert [i["slug"] for i in body["items"]] == expected[:2]
    link = next_link(first)
    assert link is not None
    assert parse_qs(urlsplit(link).query) == {"limit": ["2"], "offset": ["2"]}
    assert urlsplit(link).path == "/api/v1/institutions"

    middle = client.get(link, headers=headers)
    assert [i["slug"] for i in middle.json()["items"]] == expected[2:4]
    last = client.get(next_link(middle), headers=headers)
    assert [i["slug"] for i in last.json()["items"]] == expected[4:]
    assert last.json()["offset"] == 4
    assert next_link(last) is None
    assert [i["slug"] for i in follow(client, "/api/v1/institutions?limit=1", headers)] == expected

    whole = client.get("/api/v1/institutions", headers=headers)
    assert len(whole.json()["items"]) == 5 and next_link(whole) is None
    beyond = client.get("/api/v1/institutions", params={"offset": 10}, headers=headers).json()
    assert beyond["items"] == [] and beyond["total"] == 5


def test_pagination_parameters_out_of_range_are_422_problems(client, world):
    headers = bearer(world.read_a)
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "veel"}):
        assert_problem(client.get("/api/v1/institutions", params=params, headers=headers), 422)
    assert client.get("/api/v1/institutions", params={"limit": 200},
                      headers=headers).status_code == 200


# --- units ------------------------------------------------------------------------------------


def test_units_come_as_a_tree_with_children_nested(client, world):
    response = client.get(f"/api/v1/institutions/{world.a.slug}/units",
                          headers=bearer(world.read_a))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    roots = {u["name"]: u for u in body["items"]}
    assert set(roots) == {"Kenniscentrum", "Practoraat Los"}
    centre = roots["Kenniscentrum"]
    assert (centre["id"], centre["kind"], centre["parent_id"]) == (world.centre.id, "afdeling", None)
    children = {c["name"]: c for c in centre["children"]}
    assert set(children) == {"Practoraat Klein", "Practoraat Midden", "Practoraat Groot"}
    for unit in (world.small, world.middle, world.large):
        child = children[unit.name]
        assert child == {"id": unit.id, "name": unit.name, "kind": "practoraat",
                         "parent_id": world.centre.id, "children": []}
    assert roots["Practoraat Los"]["children"] == [] and roots["Practoraat Los"]["parent_id"] is None
    # B's unit is nowhere in A's tree
    assert "Practoraat Beta" not in response.text


def test_units_nest_as_deep_as_they_are_made(client, session):
    deep = make_institution(session, "Hogeschool Diepland")
    faculty = institutions.create_unit(session=session, institution=deep, name="Faculteit",
                                       kind=UnitKind.afdeling)
    lectoraat = institutions.create_unit(session=session, institution=deep, name="Practoraat Diep",
                                         parent=faculty)
    team = institutions.create_unit(session=session, institution=deep, name="Team Diep",
                                    kind=UnitKind.team, parent=lectoraat)
    headers = bearer(make_token(session, [deep]))
    body = client.get(f"/api/v1/institutions/{deep.slug}/units", headers=headers).json()
    assert body["total"] == 1
    [root] = body["items"]
    [child] = root["children"]
    [grandchild] = child["children"]
    assert (root["id"], child["id"], grandchild["id"]) == (faculty.id, lectoraat.id, team.id)
    assert (child["parent_id"], grandchild["parent_id"]) == (faculty.id, lectoraat.id)
    assert grandchild["kind"] == "team" and grandchild["children"] == []


def test_units_are_paginated_by_top_level_unit(client, world):
    headers = bearer(world.read_a)
    first = client.get(f"/api/v1/institutions/{world.a.slug}/units", params={"limit": 1},
                       headers=headers)
    assert first.json()["total"] == 2 and len(first.json()["items"]) == 1
    assert next_link(first) is not None
    roots = follow(client, f"/api/v1/institutions/{world.a.slug}/units?limit=1", headers)
    assert sorted(u["name"] for u in roots) == ["Kenniscentrum", "Practoraat Los"]
    centre = next(u for u in roots if u["name"] == "Kenniscentrum")
    assert len(centre["children"]) == 3


# --- rounds -----------------------------------------------------------------------------------


def test_rounds_are_listed_oldest_first_with_status_and_response_counts(client, session, world,
                                                                        catalog):
    planned = make_round(session, catalog, world.b, state="not_open")
    a = client.get(f"/api/v1/institutions/{world.a.slug}/rounds", headers=bearer(world.read_a))
    assert a.status_code == 200
    items = a.json()["items"]
    assert [(r["id"], r["status"], r["responses"]) for r in items] == [
        (world.first.id, "closed", 5), (world.latest.id, "open", 16)]
    # responses counts the published respondents; the release says what still waits
    for item in items:
        release = item["release"]
        assert set(release) == {"id", "number", "published_at", "counted", "pending"}
        assert release["counted"] == item["responses"] and release["number"] == 1
        assert isinstance(release["id"], int) and release["published_at"]
    assert [r["release"]["pending"] for r in items] == [3, 2]
    assert all(r["questionnaire"] == Q_REF for r in items)
    assert items[0]["name"] == world.first.name
    assert items[0]["opens_at"] < items[1]["opens_at"]
    assert items[0]["closes_at"] is not None

    b = client.get(f"/api/v1/institutions/{world.b.slug}/rounds", headers=bearer(world.read_b))
    assert [(r["id"], r["status"], r["responses"]) for r in b.json()["items"]] == [
        (world.b_round.id, "open", 5), (planned.id, "not_open", 0)]
    assert b.json()["items"][1]["release"] == {"id": None, "number": 0, "published_at": None,
                                               "counted": 0, "pending": 0}


def test_rounds_are_paginated(client, world):
    headers = bearer(world.read_a)
    first = client.get(f"/api/v1/institutions/{world.a.slug}/rounds", params={"limit": 1},
                       headers=headers)
    assert [r["id"] for r in first.json()["items"]] == [world.first.id]
    second = client.get(next_link(first), headers=headers)
    assert [r["id"] for r in second.json()["items"]] == [world.latest.id]
    assert next_link(second) is None
