"""A trend across questionnaire versions: refused (409) when the items differ and the new file
does not declare the old version comparable; allowed when it does; one version on request.

The second version is a copy of 1.0 with one statement reworded, in a questionnaires folder of
the test's own, served by an app on the same database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import yaml
from fastapi.testclient import TestClient

from api.main import create_app
from api.platform.models import Round, utcnow
from api.platform.settings import ROOT
from api.setup import rounds
from tests.api.v1.support import (
    KNOBS,
    assert_problem,
    assert_published,
    bearer,
    csv_table,
    expected,
    make_token,
    release,
    respond,
    varied_answers,
)
from tests.builders import make_institution, make_unit


def questionnaires_with_1_1(target, *, comparable: bool, items_change: bool = True):
    """A copy of the questionnaires with a 1.1 of galbraith-star: str1 reworded, or (with
    `items_change=False`) the same items and only the introduction reworded."""
    shutil.copytree(ROOT / "questionnaires", target)
    source = target / "galbraith-star" / "1.0.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["version"] = "1.1"
    if items_change:
        data["items"][0]["statement"]["nl"] += " (herzien)"
        data["items"][0]["statement"]["en"] += " (revised)"
    else:
        data["intro"]["nl"] += " Dank voor je tijd."
        data["intro"]["en"] += " Thank you for your time."
    if comparable:
        data["comparable_with"] = ["1.0"]
    (target / "galbraith-star" / "1.1.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


@dataclass
class Versions:
    client: TestClient
    slug: str
    old: Round  # galbraith-star 1.0
    new: Round  # galbraith-star 1.1
    old_answers: list[dict]
    new_answers: list[dict]
    token: str


@pytest.fixture
def versions(settings, session, tmp_path) -> Callable[..., Versions]:
    made = []

    def make(*, comparable: bool, items_change: bool = True) -> Versions:
        folder = questionnaires_with_1_1(tmp_path / "questionnaires", comparable=comparable,
                                         items_change=items_change)
        app = create_app(settings.model_copy(update={"questionnaires_dir": folder}),
                         warm_charts=False)
        made.append(app)
        catalog = app.state.catalog
        institution = make_institution(session, "Hogeschool Versiedal")
        unit = make_unit(session, institution, "Practoraat Versies")
        now = utcnow()
        found = {}
        for version, opens, closes in (("1.0", 60, 31), ("1.1", 30, 1)):
            round_ = rounds.open_round(session=session, catalog=catalog, institution=institution,
                                       name=f"Meting {version}", slug="galbraith-star",
                                       version=version, opens_at=now - timedelta(days=opens),
                                       closes_at=now - timedelta(days=closes))
            questionnaire = catalog.require("galbraith-star", version)
            seed = 600 if version == "1.0" else 700
            sets = [varied_answers(questionnaire, seed + i) for i in range(6)]
            for answers in sets:
                respond(session, questionnaire, round_, unit, answers)
            release(session, round_)
            found[version] = (round_, sets)
        client = TestClient(app)
        client.__enter__()
        made.append(client)
        return Versions(client=client, slug=institution.slug, old=found["1.0"][0],
                        new=found["1.1"][0], old_answers=found["1.0"][1],
                        new_answers=found["1.1"][1], token=make_token(session, [institution]))

    yield make
    for thing in reversed(made):
        if isinstance(thing, TestClient):
            thing.__exit__(None, None, None)
        else:
            thing.state.engine.dispose()


def get_trend(v: Versions, **params):
    return v.client.get(f"/api/v1/institutions/{v.slug}/trend", params=params,
                        headers=bearer(v.token))


def test_rounds_of_versions_whose_items_differ_are_refused_with_409_naming_the_versions(versions):
    v = versions(comparable=False)
    for params in ({}, {"questionnaire": "galbraith-star"}, {"format": "csv"}):
        body = assert_problem(get_trend(v, **params), 409, "1.0", "1.1")
        assert "galbraith-star" in body["detail"]
    # each round on its own still has its scores, each with its own version
    for round_, version in ((v.old, "1.0"), (v.new, "1.1")):
        response = v.client.get(f"/api/v1/rounds/{round_.id}/scores", headers=bearer(v.token))
        assert response.status_code == 200
        assert response.json()["questionnaire"] == f"galbraith-star/{version}"


def test_one_version_can_be_asked_for_even_when_versions_are_not_comparable(versions):
    v = versions(comparable=False)
    old = get_trend(v, questionnaire="galbraith-star/1.0")
    assert old.status_code == 200, old.text
    assert old.json()["versions"] == ["1.0"]
    assert [p["round"]["id"] for p in old.json()["points"]] == [v.old.id]
    new = get_trend(v, questionnaire="galbraith-star/1.1")
    assert new.status_code == 200
    assert [p["round"]["id"] for p in new.json()["points"]] == [v.new.id]
    assert new.json()["points"][0]["round"]["questionnaire"] == "galbraith-star/1.1"
    rows = csv_table(get_trend(v, questionnaire="galbraith-star/1.0", format="csv"))
    assert [r["round_id"] for r in rows] == [str(v.old.id)]


def test_versions_declared_comparable_make_one_trend_with_both_points(versions, catalog):
    v = versions(comparable=True)
    response = get_trend(v)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["versions"] == ["1.0", "1.1"]
    old, new = body["points"]
    assert (old["round"]["id"], new["round"]["id"]) == (v.old.id, v.new.id)
    assert (old["round"]["questionnaire"], new["round"]["questionnaire"]) == (
        "galbraith-star/1.0", "galbraith-star/1.1")
    q_old = catalog.require("galbraith-star", "1.0")
    q_new = v.client.app.state.catalog.require("galbraith-star", "1.1")
    for point, q, answers in ((old, q_old, v.old_answers), (new, q_new, v.new_answers)):
        summaries = expected(q, answers)
        assert point["scores"]["n"] == 6
        for knob in KNOBS:
            assert_published(point["scores"]["knobs"][knob]["mean"], summaries[knob].mean)
    assert set(new["change"]) == set(KNOBS)
    # asking for one version still gives only its rounds
    only_old = get_trend(v, questionnaire="galbraith-star/1.0").json()
    assert [p["round"]["id"] for p in only_old["points"]] == [v.old.id]
    assert only_old["versions"] == ["1.0"]


def test_versions_with_the_same_items_make_one_trend_without_a_declaration(versions):
    v = versions(comparable=False, items_change=False)
    response = get_trend(v)
    assert response.status_code == 200, response.text
    assert [p["round"]["id"] for p in response.json()["points"]] == [v.old.id, v.new.id]
