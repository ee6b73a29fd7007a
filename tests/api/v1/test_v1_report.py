"""A consultant fetches a round's PDF report through the API, in Dutch or English, with a token
scoped to the institution; the numbers are the API's own scores."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.api.v1.support import assert_problem, bearer, use_shared_world

client, session, world = use_shared_world()


def pdf_text(response) -> str:
    return " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.mark.parametrize(("lang", "decimal", "page"), [("nl", ",", "pagina 1 van"),
                                                        ("en", ".", "page 1 of")])
def test_a_read_token_gets_the_rounds_report_with_the_apis_scores(client, world, lang, decimal,
                                                                  page):
    url = f"/api/v1/rounds/{world.latest.id}/report.pdf"
    response = client.get(url, params={"lang": lang}, headers=bearer(world.read_a))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"].startswith("private")
    # the same release gives the same bytes: a client may revalidate with the ETag
    again = client.get(url, params={"lang": lang}, headers={
        **bearer(world.read_a), "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert "stand" in response.headers["content-disposition"]
    text = pdf_text(response)
    assert page in text and world.a.name in text
    scores = client.get(f"/api/v1/rounds/{world.latest.id}/scores",
                        headers=bearer(world.read_a)).json()["groups"][0]
    for knob, s in scores["knobs"].items():
        shown = f"{s['mean']:.2f}".replace(".", decimal)
        interval = (f"{s['ci_low']:.2f} – {s['ci_high']:.2f}").replace(".", decimal)
        assert f"{shown} {interval}" in text, knob


def test_the_report_needs_a_token_for_that_institution(client, world):
    url = f"/api/v1/rounds/{world.latest.id}/report.pdf"
    assert_problem(client.get(url), 401)
    assert_problem(client.get(url, headers=bearer(world.read_b)), 404)
    assert_problem(client.get(url, headers=bearer(world.import_a)), 403)
    assert_problem(client.get(url, params={"lang": "de"}, headers=bearer(world.read_a)), 422)


def test_the_openapi_document_describes_the_pdf(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"][
        "/api/v1/rounds/{round_id}/report.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
