"""Scores across rounds, for the institution or one unit, with the change per knob."""

from __future__ import annotations

from api.results import scoring
from tests.api.v1.support import (
    KNOBS,
    assert_no_numbers,
    assert_problem,
    assert_published,
    bearer,
    expected,
    make_token,
    use_shared_world,
)
from tests.builders import make_institution

client, session, world = use_shared_world()


def trend(client, world, **params) -> dict:
    response = client.get(f"/api/v1/institutions/{world.a.slug}/trend", params=params,
                          headers=bearer(world.read_a))
    assert response.status_code == 200, response.text
    return response.json()


def summary_of(point: dict, knob: str) -> scoring.Summary:
    """A knob's summary as a trend point publishes it."""
    stats = point["scores"]["knobs"][knob]
    return scoring.Summary(**{part: stats[part] for part in ("n", "mean", "sd", "ci_low",
                                                             "ci_high")})


def test_the_institution_trend_has_a_point_per_round_with_the_change_per_knob(
    client, world, questionnaire
):
    body = trend(client, world)
    assert (body["questionnaire"], body["versions"], body["unit"]) == ("galbraith-star", ["1.0"],
                                                                       None)
    first, latest = body["points"]
    assert (first["round"]["id"], latest["round"]["id"]) == (world.first.id, world.latest.id)
    assert (first["round"]["responses"], latest["round"]["responses"]) == (5, 16)
    assert (first["round"]["release"]["pending"], latest["round"]["release"]["pending"]) == (3, 2)
    for point, round_ in ((first, world.first), (latest, world.latest)):
        same = client.get(f"/api/v1/rounds/{round_.id}/scores", headers=bearer(world.read_a))
        assert point["scores"] == same.json()["groups"][0]
    assert first["change"] is None

    before = expected(questionnaire, world.answers(first=True))
    after = expected(questionnaire, world.answers())
    assert set(latest["change"]) == set(KNOBS)
    for knob in KNOBS:
        exact = scoring.change_between(before[knob], after[knob])
        got = latest["change"][knob]
        # computed from the two published summaries, and published with two decimals itself
        assert_published(got["difference"], after[knob].mean - before[knob].mean, slack=0.01)
        assert_published(got["ci_low"], exact.low, slack=0.02)
        assert_published(got["ci_high"], exact.high, slack=0.02)
        # exactly the change between the two summaries as published, rounded
        published = scoring.change_between(summary_of(first, knob), summary_of(latest, knob))
        rounded = scoring.Change(difference=round(published.difference, 2),
                                 low=round(published.low, 2), high=round(published.high, 2))
        assert (got["difference"], got["ci_low"], got["ci_high"]) == (
            rounded.difference, rounded.low, rounded.high)
        assert got["clear"] is rounded.clear
        assert got["ci_low"] < got["difference"] < got["ci_high"]


def test_the_trend_of_one_unit_shows_only_what_anonymity_allows_in_each_round(
    client, world, questionnaire
):
    body = trend(client, world, unit=world.large.id)
    assert body["unit"] == {"id": world.large.id, "name": "Practoraat Groot", "kind": "practoraat",
                            "parent_id": world.centre.id, "children": []}
    first, latest = body["points"]
    assert first["round"]["id"] == world.first.id
    assert first["scores"]["group"] == {"type": "unit", "id": world.large.id,
                                        "name": "Practoraat Groot"}
    assert_no_numbers(first["scores"])  # its 3 responses in the first round wait
    assert first["change"] is None
    assert latest["scores"]["n"] == 10
    for knob in KNOBS:
        assert_published(latest["scores"]["knobs"][knob]["mean"],
                         expected(questionnaire, world.answers(unit=world.large))[knob].mean)
    assert latest["change"] is None  # nothing shown to compare with

    small = trend(client, world, unit=world.small.id)
    assert [p["round"]["id"] for p in small["points"]] == [world.latest.id]
    assert_no_numbers(small["points"][0]["scores"])


def test_the_trend_of_an_unknown_unit_is_404(client, world):
    headers = bearer(world.read_a)
    assert_problem(client.get(f"/api/v1/institutions/{world.a.slug}/trend",
                              params={"unit": 999999}, headers=headers), 404)
    assert_problem(client.get(f"/api/v1/institutions/{world.a.slug}/trend",
                              params={"unit": "groot"}, headers=headers), 422)


def test_the_trend_of_one_questionnaire_version_or_an_unknown_one(client, world):
    assert trend(client, world, questionnaire="galbraith-star/1.0") == trend(client, world)
    assert trend(client, world, questionnaire="galbraith-star") == trend(client, world)
    headers = bearer(world.read_a)
    for wanted in ("galbraith-star/2.0", "onbekend"):
        assert_problem(client.get(f"/api/v1/institutions/{world.a.slug}/trend",
                                  params={"questionnaire": wanted}, headers=headers), 404, wanted)


def test_an_institution_without_rounds_has_no_trend(client, session):
    empty = make_institution(session, "Hogeschool Nogniets")
    token = make_token(session, [empty])
    assert_problem(client.get(f"/api/v1/institutions/{empty.slug}/trend", headers=bearer(token)),
                   404, "no rounds")
