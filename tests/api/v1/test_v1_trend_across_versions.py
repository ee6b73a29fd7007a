"""A consultant reads the trend of an institution that moved from galbraith-star 1.0 to 1.1:
strategie, structuur and mensen cross the versions with both rounds' published numbers;
processen and beloningen keep only the 1.1 point, and the trend says why, in Dutch and English,
in JSON and CSV. Action progress follows the same per-knob rule."""

from __future__ import annotations

import pytest
import yaml

from api.platform.settings import ROOT
from tests.api.v1.support import assert_published, bearer, csv_table, expected, make_token
from tests.builders import make_institution, make_unit, planned_action, released_round

KNOBS = ("strategie", "structuur", "processen", "beloningen", "mensen")
CROSSING = ("strategie", "structuur", "mensen")
REFUSED = ("processen", "beloningen")


def declared_reasons() -> dict[str, dict[str, str]]:
    """The reasons as the 1.1 file gives them (folded YAML, read as the app reads it)."""
    data = yaml.safe_load((ROOT / "questionnaires" / "galbraith-star" / "1.1.yaml")
                          .read_text("utf-8"))
    return data["comparable_with"]["1.0"]["not_comparable"]


@pytest.fixture
def moved(session, catalog):
    institution = make_institution(session, "Hogeschool Overstap")
    unit = make_unit(session, institution, "Practoraat Overstap")
    old, old_answers = released_round(session, catalog, institution, unit, version="1.0",
                                      state="closed", seed=10)
    new, new_answers = released_round(session, catalog, institution, unit, version="1.1",
                                      state="open", seed=20)
    on_strategie = planned_action(session, catalog, institution, old, "strategie",
                                  "Koers bespreken")
    on_beloningen = planned_action(session, catalog, institution, old, "beloningen",
                                   "Bijdragen erkennen")
    session.commit()
    return {"slug": institution.slug, "old": old, "new": new, "old_answers": old_answers,
            "new_answers": new_answers, "token": make_token(session, [institution]),
            "strategie": on_strategie.id, "beloningen": on_beloningen.id}


def test_the_trend_crosses_from_1_0_to_1_1_for_comparable_knobs_and_names_the_others_with_reasons(
        client, catalog, moved):
    response = client.get(f"/api/v1/institutions/{moved['slug']}/trend",
                          headers=bearer(moved["token"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["versions"] == ["1.0", "1.1"] and body["reference_version"] == "1.1"
    old, new = body["points"]
    assert (old["round"]["id"], new["round"]["id"]) == (moved["old"].id, moved["new"].id)

    q_old, q_new = (catalog.require("galbraith-star", v) for v in ("1.0", "1.1"))
    exact_old, exact_new = expected(q_old, moved["old_answers"]), expected(q_new,
                                                                           moved["new_answers"])
    for knob in CROSSING:
        assert_published(old["scores"]["knobs"][knob]["mean"], exact_old[knob].mean)
        assert_published(new["scores"]["knobs"][knob]["mean"], exact_new[knob].mean)
    for knob in REFUSED:  # 1.1's own numbers, and nothing of 1.0 for these knobs
        assert old["scores"]["knobs"][knob] is None
        assert_published(new["scores"]["knobs"][knob]["mean"], exact_new[knob].mean)
    assert old["not_comparable"] == list(REFUSED) and new["not_comparable"] == []
    assert set(new["change"]) == set(CROSSING)

    reasons = declared_reasons()
    assert [(r["version"], r["knob"]) for r in body["not_comparable"]] == [
        ("1.0", knob) for knob in REFUSED]
    for refused in body["not_comparable"]:
        assert refused["reason"] == reasons[refused["knob"]]

    rows = csv_table(client.get(f"/api/v1/institutions/{moved['slug']}/trend",
                                params={"format": "csv"}, headers=bearer(moved["token"])))
    assert [r["round_id"] for r in rows] == [str(moved["old"].id), str(moved["new"].id)]
    assert rows[0]["not_comparable"] == "processen beloningen" and rows[1]["not_comparable"] == ""
    assert rows[0]["processen_mean"] == "" and rows[1]["processen_mean"] != ""
    assert float(rows[0]["mensen_mean"]) == old["scores"]["knobs"]["mensen"]["mean"]


def test_asking_for_one_version_gives_its_own_trend_with_nothing_refused(client, moved):
    only_old = client.get(f"/api/v1/institutions/{moved['slug']}/trend",
                          params={"questionnaire": "galbraith-star/1.0"},
                          headers=bearer(moved["token"])).json()
    assert only_old["not_comparable"] == [] and len(only_old["points"]) == 1
    # the questionnaire itself tells a client which knobs cross, and why the others do not
    q = client.get("/api/v1/questionnaires/galbraith-star/1.1",
                   headers=bearer(moved["token"])).json()
    assert q["comparable_with"] == ["1.0"]
    assert q["comparable_knobs"]["1.0"]["comparable"] == list(CROSSING)
    assert q["comparable_knobs"]["1.0"]["not_comparable"] == declared_reasons()


def test_action_progress_is_measured_on_a_crossing_knob_and_refused_with_the_reason_on_the_others(
        client, moved):
    response = client.get(f"/api/v1/institutions/{moved['slug']}/actions",
                          headers=bearer(moved["token"]))
    assert response.status_code == 200, response.text
    by_id = {a["id"]: a["progress"] for a in response.json()["items"]}
    measured, refused = by_id[moved["strategie"]], by_id[moved["beloningen"]]
    assert measured["round_id"] == moved["new"].id
    assert measured["standing"] == "measured" and measured["change"] is not None
    assert measured["reason"] is None
    assert refused["standing"] == "not_comparable" and refused["change"] is None
    assert refused["reason"] == declared_reasons()["beloningen"]
