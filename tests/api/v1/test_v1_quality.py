"""What makes the API pleasant to use: problem+json errors with a human message, ETag and
Cache-Control on every GET with 304 on revalidation, and an OpenAPI document with interactive
docs."""

from __future__ import annotations

import pytest

from api.platform.db import session_scope
from api.platform.models import Round
from tests.api.v1.support import PROBLEM, Q_REF, assert_problem, bearer, use_shared_world

client, session, world = use_shared_world()


def get_urls(w) -> list[str]:
    a, r = w.a.slug, w.latest.id
    return [
        "/api/v1/questionnaires", f"/api/v1/questionnaires/{Q_REF}",
        f"/api/v1/questionnaires/{Q_REF.split('/')[0]}/diff?from=1.0&to=1.0", "/api/v1/institutions",
        f"/api/v1/questionnaires/{Q_REF}/reliability",
        f"/api/v1/institutions/{a}", f"/api/v1/institutions/{a}/units",
        f"/api/v1/institutions/{a}/rounds", f"/api/v1/institutions/{a}/trend",
        f"/api/v1/institutions/{a}/trend?format=csv",
        *(f"/api/v1/rounds/{r}/scores?group_by={g}" for g in ("institution", "unit", "role")),
        f"/api/v1/rounds/{r}/scores?group_by=unit&format=csv",
        f"/api/v1/rounds/{r}/compare", f"/api/v1/rounds/{r}/compare?format=csv",
        "/api/v1/compare/institutions", "/api/v1/compare/institutions?format=csv",
        f"/api/v1/rounds/{r}/own-items", f"/api/v1/rounds/{r}/own-items?format=csv",
        f"/api/v1/rounds/{r}/network-map",
    ]


OPERATIONS = {
    ("get", "/api/v1/questionnaires"), ("get", "/api/v1/questionnaires/{slug}/{version}"),
    ("get", "/api/v1/questionnaires/{slug}/diff"),
    ("get", "/api/v1/questionnaires/{slug}/{version}/reliability"),
    ("get", "/api/v1/institutions"), ("get", "/api/v1/institutions/{slug}"),
    ("get", "/api/v1/institutions/{slug}/units"), ("get", "/api/v1/institutions/{slug}/rounds"),
    ("get", "/api/v1/institutions/{slug}/trend"), ("get", "/api/v1/rounds/{round_id}/scores"),
    ("get", "/api/v1/institutions/{slug}/actions"), ("get", "/api/v1/rounds/{round_id}/report.pdf"),
    ("get", "/api/v1/rounds/{round_id}/compare"), ("get", "/api/v1/compare/institutions"),
    ("post", "/api/v1/rounds/{round_id}/responses"), ("get", "/api/v1/rounds/{round_id}/own-items"),
    ("get", "/api/v1/rounds/{round_id}/network-map"),
    ("get", "/api/v1/institutions/{slug}/webhooks"), ("post", "/api/v1/institutions/{slug}/webhooks"),
    ("delete", "/api/v1/institutions/{slug}/webhooks/{webhook_id}"),
    ("post", "/api/v1/institutions/{slug}/webhooks/{webhook_id}/secret"),
    ("get", "/api/v1/institutions/{slug}/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/v1/institutions/{slug}/webhooks/{webhook_id}/test"),
    ("get", "/api/v1/rounds/{round_id}/network-map"), ("get", "/api/v1/rounds/{round_id}/benchmark"),
}


# --- ETag, Cache-Control, 304 -----------------------------------------------------------------


@pytest.fixture(scope="module")
def latest_has_the_network_map(shared_app, shared_world) -> None:
    """The network map's read needs a round that has the map: this module's latest round has it
    (the shared world is this module's own, so no other module sees the change)."""
    with session_scope(shared_app.state.engine, write=True) as db_session:
        round_ = db_session.get(Round, shared_world.latest.id)
        round_.network_map = True
        db_session.add(round_)
        db_session.commit()


@pytest.mark.usefixtures("latest_has_the_network_map")
def test_every_get_has_an_etag_and_cache_control_and_revalidates_to_304(client, world):
    headers = bearer(world.read_ab)
    tags = set()
    for url in get_urls(world):
        first = client.get(url, headers=headers)
        assert first.status_code == 200, (url, first.text)
        tag = first.headers.get("etag")
        assert tag and tag.startswith('"') and tag.endswith('"'), url
        assert first.headers.get("cache-control"), url
        assert "private" in first.headers["cache-control"]  # it depends on the token
        assert "authorization" in first.headers.get("vary", "").lower()
        again = client.get(url, headers=headers)
        assert again.headers["etag"] == tag and again.content == first.content

        revalidated = client.get(url, headers={**headers, "If-None-Match": tag})
        assert revalidated.status_code == 304, url
        assert revalidated.content == b""
        assert revalidated.headers["etag"] == tag
        assert revalidated.headers.get("cache-control")
        listed = client.get(url, headers={**headers, "If-None-Match": f'"other", {tag}'})
        assert listed.status_code == 304
        stale = client.get(url, headers={**headers, "If-None-Match": '"0123456789abcdef"'})
        assert stale.status_code == 200 and stale.content == first.content
        tags.add(tag)
    assert len(tags) == len(get_urls(world))  # each representation its own tag


def test_the_etag_changes_when_the_numbers_change(client, world):
    """One imported response waits: the numbers stay as they are, but the round now says one
    more is pending, so the representation and its ETag change. Four more in the same unit and
    role make five: they are released together and the numbers move."""
    url = f"/api/v1/rounds/{world.latest.id}/scores"
    first = client.get(url, headers=bearer(world.all_a))
    row = "Practoraat Groot,practor,1,1,1\n"

    def upload(rows: int):
        imported = client.post(f"/api/v1/rounds/{world.latest.id}/responses",
                               content=("unit,role,str1,str2,str3\n" + row * rows).encode(),
                               headers={**bearer(world.all_a), "Content-Type": "text/csv"})
        assert imported.status_code == 201
        assert "etag" not in imported.headers

    upload(1)
    waiting = client.get(url, headers={**bearer(world.all_a),
                                       "If-None-Match": first.headers["etag"]})
    assert waiting.status_code == 200
    assert waiting.headers["etag"] != first.headers["etag"]
    assert waiting.json()["groups"] == first.json()["groups"]
    before, now = first.json()["round"]["release"], waiting.json()["round"]["release"]
    assert (now["id"], now["pending"]) == (before["id"], before["pending"] + 1)

    upload(4)
    after = client.get(url, headers={**bearer(world.all_a),
                                     "If-None-Match": waiting.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != waiting.headers["etag"]
    assert after.json()["groups"][0]["n"] == first.json()["groups"][0]["n"] + 5
    released = after.json()["round"]["release"]
    assert (released["number"], released["pending"]) == (before["number"] + 1, before["pending"])


def test_refusals_carry_no_etag_and_are_never_304(client, world):
    url = f"/api/v1/institutions/{world.b.slug}"
    refused = client.get(url, headers=bearer(world.read_a))
    assert refused.status_code == 404 and "etag" not in refused.headers
    allowed = client.get(url, headers=bearer(world.read_b))
    unauthorized = client.get(url, headers={"If-None-Match": allowed.headers["etag"]})
    assert unauthorized.status_code == 401
    assert client.get(url, headers={**bearer(world.read_a),
                                    "If-None-Match": allowed.headers["etag"]}).status_code == 404


# --- problem+json ---------------------------------------------------------------------------


def test_errors_are_problem_json_with_a_human_message(client, world):
    headers = bearer(world.read_a)
    cases = [
        (client.get("/api/v1/institutions"), 401),
        (client.get("/api/v1/institutions", headers=bearer(world.import_a)), 403),
        (client.get("/api/v1/institutions/bestaat-niet", headers=headers), 404),
        (client.get("/api/v1/institutions?limit=-3", headers=headers), 422),
        (client.get(f"/api/v1/rounds/{world.latest.id}/scores?group_by=x", headers=headers), 422),
        (client.post(f"/api/v1/rounds/{world.latest.id}/responses", content=b"x",
                     headers={**bearer(world.import_a), "Content-Type": "text/plain"}), 415),
    ]
    for response, status in cases:
        body = assert_problem(response, status)
        assert set(body) <= {"type", "title", "status", "detail", "errors"}
        assert " " in body["detail"]  # a sentence, not a code
    for response in (client.get("/api/v1/bestaat-niet", headers=headers),
                     client.delete("/api/v1/institutions", headers=headers)):
        assert response.status_code in (404, 405)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == response.status_code


# --- OpenAPI and docs ---------------------------------------------------------------------------


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_openapi_document_lists_every_endpoint_with_bearer_security(openapi):
    operations = {(method, path) for path, ops in openapi["paths"].items()
                  if path.startswith("/api/v1") for method in ops}
    assert operations == OPERATIONS
    schemes = openapi["components"]["securitySchemes"]
    bearer_names = [name for name, s in schemes.items()
                    if s["type"] == "http" and s["scheme"].lower() == "bearer"]
    assert bearer_names
    for method, path in OPERATIONS:
        op = openapi["paths"][path][method]
        assert any(name in requirement for requirement in op["security"]
                   for name in bearer_names), (method, path)
        assert op.get("summary") or op.get("description")


def test_the_openapi_document_gives_response_schemas(openapi):
    components = openapi["components"]["schemas"]
    for method, path in OPERATIONS:
        responses = openapi["paths"][path][method]["responses"]
        ok = responses["201" if method == "post" else "200"]
        if path.endswith(".pdf"):  # the report is a document, not JSON
            assert "application/pdf" in ok["content"], (method, path)
        else:
            ref = ok["content"]["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1] in components, (method, path)
        for status in ("401", "403", "404", "422"):
            assert status in responses, (method, path, status)
    scores = openapi["paths"]["/api/v1/rounds/{round_id}/scores"]["get"]["responses"]["200"]
    assert "text/csv" in scores["content"]
    assert "409" in openapi["paths"]["/api/v1/institutions/{slug}/trend"]["get"]["responses"]
    for name in ("ScoresOut", "GroupScoresOut", "KnobStats", "CompareOut", "TrendOut",
                 "ImportResult", "Problem", "RowError"):
        assert name in components
    body = openapi["paths"]["/api/v1/rounds/{round_id}/responses"]["post"]["requestBody"]
    assert {"application/json", "text/csv"} <= set(body["content"])


def test_the_openapi_document_describes_errors_as_problem_json(openapi):
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if int(status) < 400:
                    continue
                schema = response["content"].get(PROBLEM, {}).get("schema", {})
                assert schema.get("$ref", "").endswith("/Problem"), (method, path, status)


def test_the_interactive_docs_are_served_as_html(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/api/v1/openapi.json" in response.text
    assert "swagger" in response.text.lower()
