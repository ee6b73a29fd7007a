"""Who may call /api/v1: bearer tokens, stored only as hashes, scoped to institutions and to
`read` and/or `import`. Every refusal is tested on every endpoint."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from api.platform.models import ApiToken, ApiTokenInstitution, Response
from api.setup import tokens
from tests.api.v1.support import Q_REF, assert_problem, bearer, count, fetch, use_shared_world

# read-mostly: one world per module (what the tests add does not disturb the others)
client, session, world = use_shared_world()

CSV_ROW = "unit,role,str1,str2,str3\nPractoraat Groot,practor,4,3,dk\n"


def endpoints(w) -> dict[str, tuple[str, str]]:
    """Every endpoint of the API, as (method, url) on institution A's data."""
    a, r = w.a.slug, w.latest.id
    return {
        "questionnaires": ("GET", "/api/v1/questionnaires"),
        "questionnaire": ("GET", f"/api/v1/questionnaires/{Q_REF}"),
        "institutions": ("GET", "/api/v1/institutions"),
        "institution": ("GET", f"/api/v1/institutions/{a}"),
        "units": ("GET", f"/api/v1/institutions/{a}/units"),
        "rounds": ("GET", f"/api/v1/institutions/{a}/rounds"),
        "trend": ("GET", f"/api/v1/institutions/{a}/trend"),
        "scores": ("GET", f"/api/v1/rounds/{r}/scores?group_by=unit"),
        "compare": ("GET", f"/api/v1/rounds/{r}/compare"),
        "compare_institutions": ("GET", "/api/v1/compare/institutions"),
        "import": ("POST", f"/api/v1/rounds/{r}/responses"),
        "report": ("GET", f"/api/v1/rounds/{r}/report.pdf"),
    }


ENDPOINTS = ["questionnaires", "questionnaire", "institutions", "institution", "units", "rounds",
             "trend", "scores", "compare", "compare_institutions", "import", "report"]
READ_ENDPOINTS = [e for e in ENDPOINTS if e != "import"]


def call(client, method: str, url: str, headers: dict[str, str]):
    if method == "POST":
        return client.post(url, content=CSV_ROW.encode(),
                           headers={**headers, "Content-Type": "text/csv"})
    return client.get(url, headers=headers)


def assert_unauthorized(response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_refuses_a_missing_unknown_malformed_or_revoked_token_with_401(
    client, session, world, endpoint
):
    method, url = endpoints(world)[endpoint]
    token, plain = tokens.create_token(session=session, name="Later ingetrokken",
                                       scopes=["read", "import"], institutions=[world.a])
    before = count(session, Response)

    for headers in ({}, bearer("ks_" + "x" * 43), bearer("not-a-token"), bearer(" "),
                    {"Authorization": f"Basic {plain}"}, {"Authorization": plain},
                    bearer(plain[:-1])):
        assert_unauthorized(call(client, method, url, headers))

    assert call(client, method, url, bearer(plain)).status_code in (200, 201)
    tokens.revoke_token(session=session, token_id=token.id)
    revoked = call(client, method, url, bearer(plain))
    assert_unauthorized(revoked)
    assert "revoked" in revoked.json()["detail"]
    assert count(session, Response) == before + (1 if method == "POST" else 0)


def test_the_database_keeps_only_the_sha256_of_a_token(client, session, world):
    token, plain = tokens.create_token(session=session, name="Onderzoeksbureau",
                                       scopes=["read"], institutions=[world.a])
    assert plain.startswith("ks_") and len(plain) > 40
    stored = fetch(session, select(ApiToken).where(ApiToken.id == token.id))[0]
    assert stored.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    for row in fetch(session, select(ApiToken)) + fetch(session, select(ApiTokenInstitution)):
        assert not any(plain in str(value) or plain[3:] in str(value)
                       for value in row.model_dump().values())
    assert client.get("/api/v1/institutions", headers=bearer(plain)).status_code == 200
    # the hash itself is not a token
    assert_unauthorized(client.get("/api/v1/institutions", headers=bearer(stored.token_hash)))


def test_a_token_lists_only_the_institutions_in_its_scope(client, world):
    def slugs(plain):
        response = client.get("/api/v1/institutions", headers=bearer(plain))
        assert response.status_code == 200
        return [i["slug"] for i in response.json()["items"]]

    assert slugs(world.read_a) == [world.a.slug]
    assert slugs(world.read_b) == [world.b.slug]
    assert slugs(world.read_ab) == sorted([world.a.slug, world.b.slug])


def test_a_token_of_institution_a_gets_404_for_everything_of_institution_b(client, world):
    b, r = world.b.slug, world.b_round.id
    headers = bearer(world.read_a)
    for url in (f"/api/v1/institutions/{b}", f"/api/v1/institutions/{b}/units",
                f"/api/v1/institutions/{b}/rounds", f"/api/v1/institutions/{b}/trend",
                f"/api/v1/institutions/{b}/trend?format=csv",
                f"/api/v1/rounds/{r}/scores", f"/api/v1/rounds/{r}/scores?group_by=unit",
                f"/api/v1/rounds/{r}/scores?group_by=role&format=csv",
                f"/api/v1/rounds/{r}/compare", f"/api/v1/rounds/{r}/compare?format=csv",
                f"/api/v1/compare/institutions?institution={b}",
                f"/api/v1/compare/institutions?institution={world.a.slug}&institution={b}"):
        body = assert_problem(client.get(url, headers=headers), 404)
        assert "Betadorp" not in body["detail"]
    # and B's own token does see them
    assert client.get(f"/api/v1/rounds/{r}/scores", headers=bearer(world.read_b)).status_code == 200


def test_out_of_scope_looks_exactly_like_not_existing(client, world):
    """A token cannot even learn that another institution or round exists."""
    headers = bearer(world.read_a)
    other = client.get(f"/api/v1/institutions/{world.b.slug}", headers=headers).json()
    missing = client.get("/api/v1/institutions/bestaat-niet", headers=headers).json()
    assert other["detail"].replace(world.b.slug, "X") == missing["detail"].replace("bestaat-niet", "X")
    other = client.get(f"/api/v1/rounds/{world.b_round.id}/scores", headers=headers).json()
    missing = client.get("/api/v1/rounds/987654/scores", headers=headers).json()
    assert other["detail"].replace(str(world.b_round.id), "X") == missing["detail"].replace(
        "987654", "X")


def test_units_of_another_institution_are_404_in_compare_and_trend(client, world):
    headers = bearer(world.read_a)
    assert_problem(client.get(f"/api/v1/rounds/{world.latest.id}/compare",
                              params={"unit": world.b_unit.id}, headers=headers), 404)
    assert_problem(client.get(f"/api/v1/institutions/{world.a.slug}/trend",
                              params={"unit": world.b_unit.id}, headers=headers), 404)


def test_a_token_of_a_cannot_import_into_a_round_of_b(client, session, world):
    before = count(session, Response)
    response = client.post(f"/api/v1/rounds/{world.b_round.id}/responses",
                           content=b"unit,role,str1\nPractoraat Beta,practor,4\n",
                           headers={**bearer(world.all_a), "Content-Type": "text/csv"})
    assert_problem(response, 404)
    assert count(session, Response) == before


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_an_import_only_token_may_not_read(client, world, endpoint):
    method, url = endpoints(world)[endpoint]
    response = call(client, method, url, bearer(world.import_a))
    assert_problem(response, 403, "read")


def test_a_read_only_token_may_not_import_and_nothing_is_stored(client, session, world):
    before = count(session, Response)
    for body, media in ((CSV_ROW, "text/csv"),
                        ('{"responses": [{"unit": "Practoraat Groot", "role": "practor", '
                         '"answers": {"str1": 4}}]}', "application/json")):
        response = client.post(f"/api/v1/rounds/{world.latest.id}/responses",
                               content=body.encode(),
                               headers={**bearer(world.read_a), "Content-Type": media})
        assert_problem(response, 403, "import")
    assert count(session, Response) == before
    # the same upload with an import token is accepted
    accepted = client.post(f"/api/v1/rounds/{world.latest.id}/responses", content=CSV_ROW.encode(),
                           headers={**bearer(world.import_a), "Content-Type": "text/csv"})
    assert accepted.status_code == 201, accepted.text
    assert count(session, Response) == before + 1


def test_a_token_for_two_institutions_sees_both_and_nothing_else(client, session, world):
    from tests.builders import make_institution, make_round

    third = make_institution(session, "Hogeschool Gammaveld")
    third_round = make_round(session, client.app.state.catalog, third)
    headers = bearer(world.read_ab)
    for slug in (world.a.slug, world.b.slug):
        assert client.get(f"/api/v1/institutions/{slug}", headers=headers).status_code == 200
    for round_id in (world.latest.id, world.b_round.id):
        assert client.get(f"/api/v1/rounds/{round_id}/scores", headers=headers).status_code == 200
    assert_problem(client.get(f"/api/v1/institutions/{third.slug}", headers=headers), 404)
    assert_problem(client.get(f"/api/v1/rounds/{third_round.id}/scores", headers=headers), 404)
    assert_problem(client.get("/api/v1/compare/institutions",
                              params={"institution": third.slug}, headers=headers), 404)
    compared = client.get("/api/v1/compare/institutions", headers=headers).json()
    assert sorted(i["institution"]["slug"] for i in compared["institutions"]) == sorted(
        [world.a.slug, world.b.slug])
