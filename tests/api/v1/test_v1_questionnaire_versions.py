"""A consultant reads the questionnaire versions through the API: each with its status, and
what changed between two versions (items added, removed, reworded); unknown versions are 404
and malformed ones 422, as problem+json.

The questionnaires folder is the test's own: galbraith-star 1.0 and a 1.1 in preparation
(`tests.builders.questionnaires_with_draft`)."""

from __future__ import annotations

import pytest

from api.results import comparison
from api.setup import questionnaire_versions
from tests.api.v1.support import assert_problem, bearer
from tests.builders import make_institution, make_round, make_token, questionnaires_with_draft


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(update={
        "questionnaires_dir": questionnaires_with_draft(tmp_path / "questionnaires")})


@pytest.fixture
def token(session) -> str:
    return make_token(session, [make_institution(session, "Hogeschool Versiedal")])


def listed(client, token) -> dict[str, dict]:
    response = client.get("/api/v1/questionnaires", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {q["version"]: q for q in response.json()["items"] if q["slug"] == "galbraith-star"}


def test_the_list_and_each_version_carry_their_status_as_it_moves_forward(
        client, app, session, token):
    catalog = app.state.catalog
    versions = listed(client, token)
    assert {v: q["status"] for v, q in versions.items()} == {"1.0": "published", "1.1": "draft"}
    assert versions["1.0"]["published_at"] is None  # published by its file, no round yet
    one = client.get("/api/v1/questionnaires/galbraith-star/1.1", headers=bearer(token)).json()
    assert one["status"] == "draft" and one["archived_at"] is None
    assert one["open_questions"] and "str9" in [i["id"] for i in one["items"]]

    questionnaire_versions.publish_version(session=session, catalog=catalog, actor=None,
                                           slug="galbraith-star", version="1.1")
    round_ = make_round(session, catalog, make_institution(session),
                        state="closed")
    assert round_.questionnaire_version == "1.0"
    questionnaire_versions.archive_version(session=session, catalog=catalog, actor=None,
                                           slug="galbraith-star", version="1.0")
    versions = listed(client, token)
    assert {v: q["status"] for v, q in versions.items()} == {"1.0": "archived",
                                                            "1.1": "published"}
    assert versions["1.0"]["published_at"] and versions["1.0"]["archived_at"]
    # the content hash stays what the responses carry
    assert versions["1.0"]["content_hash"] == catalog.require("galbraith-star",
                                                              "1.0").content_hash


def test_the_diff_names_items_added_removed_and_reworded(client, token):
    response = client.get("/api/v1/questionnaires/galbraith-star/diff",
                          params={"from": "1.0", "to": "1.1"}, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["from"] == {"version": "1.0", "status": "published"}
    assert body["to"] == {"version": "1.1", "status": "draft"}
    assert [i["id"] for i in body["items_added"]] == ["str9"]
    assert [i["id"] for i in body["items_removed"]] == ["str4"]
    assert [(c["id"], c["changes"]) for c in body["items_reworded"]] == [
        ("str1", ["statement_nl", "statement_en"]), ("str6", ["reverse"])]
    first = body["items_reworded"][0]
    assert first["after"]["statement"]["en"] == first["before"]["statement"]["en"] + " (revised)"
    assert body["knobs_added"] == body["knobs_removed"] == []
    assert body["open_questions_added"] == body["open_questions_removed"] == []
    backwards = client.get("/api/v1/questionnaires/galbraith-star/diff",
                           params={"from": "1.1", "to": "1.0"}, headers=bearer(token)).json()
    assert [i["id"] for i in backwards["items_added"]] == ["str4"]


@pytest.mark.parametrize(("params", "status"), [
    ({"from": "1.0", "to": "9.9"}, 404), ({"from": "0.1", "to": "1.0"}, 404),
    ({"from": "een", "to": "1.1"}, 422), ({"from": "1.0"}, 422)])
def test_unknown_or_malformed_versions_are_problems(client, token, params, status):
    response = client.get("/api/v1/questionnaires/galbraith-star/diff", params=params,
                          headers=bearer(token))
    assert_problem(response, status)


def test_an_unknown_questionnaire_has_no_diff(client, token):
    assert_problem(client.get("/api/v1/questionnaires/onbekend/diff",
                              params={"from": "1.0", "to": "1.1"}, headers=bearer(token)), 404,
                   "onbekend")


def test_comparing_institutions_reads_the_knobs_of_the_version_their_rounds_use_not_a_draft(
        app, session, settings):
    catalog = app.state.catalog
    institution = make_institution(session, "Hogeschool Vergelijkdal")
    nobody = comparison.compare_institutions(
        session=session, catalog=catalog, institutions=[institution],
        questionnaire="galbraith-star", default_k=settings.anonymity_k)
    assert nobody.dashboards == [] and nobody.questionnaire.version == "1.0"  # 1.1 is a draft

    make_round(session, catalog, institution, state="closed")
    found = comparison.compare_institutions(
        session=session, catalog=catalog, institutions=[institution],
        questionnaire="galbraith-star", default_k=settings.anonymity_k)
    assert [d.round.questionnaire_version for d in found.dashboards] == ["1.0"]
    assert found.questionnaire.version == "1.0"
