"""Every table also comes as CSV (`?format=csv`): a header row and the same numbers as the JSON,
read back with the csv module."""

from __future__ import annotations

import pytest

from tests.api.v1.support import (
    KNOBS,
    assert_csv_matches_group,
    assert_two_decimals,
    bearer,
    csv_table,
    num,
    use_shared_world,
)

client, session, world = use_shared_world()

GROUP_COLUMNS = (["group_type", "group_id", "group_name", "suppressed", "n"]
                 + [f"{k}_{p}" for k in KNOBS for p in ("n", "mean", "sd", "ci_low", "ci_high",
                                                         "band")]
                 + ["weakest", "strongest", "spread", "invited", "response_rate"])


def both(client, url: str, token: str, **params):
    """The JSON and the CSV of one table."""
    headers = bearer(token)
    as_json = client.get(url, params=params, headers=headers)
    assert as_json.status_code == 200, as_json.text
    as_csv = client.get(url, params={**params, "format": "csv"}, headers=headers)
    assert as_csv.headers["content-disposition"].startswith("attachment; filename=")
    assert as_csv.headers["content-disposition"].endswith('.csv"')
    header = as_csv.text.splitlines()[0].split(",")
    return as_json.json(), header, csv_table(as_csv)


@pytest.mark.parametrize("group_by", ["institution", "unit", "role"])
def test_scores_as_csv_hold_the_same_numbers_as_the_json(client, world, group_by):
    body, header, rows = both(client, f"/api/v1/rounds/{world.latest.id}/scores", world.read_a,
                              group_by=group_by)
    assert header == GROUP_COLUMNS
    assert len(rows) == len(body["groups"]) > 0
    for row, group in zip(rows, body["groups"], strict=True):
        assert_csv_matches_group(row, group)
    if group_by == "unit":  # small's 2 wait; the units beside it are shown
        suppressed = {r["group_name"] for r in rows if r["suppressed"] == "true"}
        assert suppressed == {"Practoraat Klein"}


def test_compare_as_csv_has_the_institution_first_and_each_units_difference(client, world):
    body, header, rows = both(client, f"/api/v1/rounds/{world.latest.id}/compare", world.read_a)
    assert header == GROUP_COLUMNS + [f"{k}_difference" for k in KNOBS]
    institution, *units = rows
    assert_csv_matches_group(institution, body["institution"])
    assert all(institution[f"{k}_difference"] == "" for k in KNOBS)
    assert len(units) == len(body["units"])
    for row, unit in zip(units, body["units"], strict=True):
        assert_csv_matches_group(row, unit)
        for knob in KNOBS:
            if unit["difference"] is None:
                assert row[f"{knob}_difference"] == ""
            else:
                assert_two_decimals(row[f"{knob}_difference"])
                assert num(row[f"{knob}_difference"]) == unit["difference"][knob]
    shown = [r for r in units if r["suppressed"] == "false"]
    assert sorted(r["group_name"] for r in shown) == ["Practoraat Groot", "Practoraat Midden"]
    assert all(r[f"{k}_difference"] != "" for r in shown for k in KNOBS)

    limited = csv_table(client.get(f"/api/v1/rounds/{world.latest.id}/compare",
                                   params={"unit": world.large.id, "format": "csv"},
                                   headers=bearer(world.read_a)))
    assert [r["group_type"] for r in limited] == ["institution", "unit"]
    assert limited[1] == next(r for r in shown if r["group_name"] == "Practoraat Groot")


def test_compare_institutions_as_csv(client, world):
    body, header, rows = both(client, "/api/v1/compare/institutions", world.read_ab)
    assert header == ["institution", "round_id", "round_name"] + GROUP_COLUMNS
    assert len(rows) == len(body["institutions"]) == 2
    for row, entry in zip(rows, body["institutions"], strict=True):
        assert row["institution"] == entry["institution"]["slug"]
        assert row["round_id"] == str(entry["round"]["id"])
        assert row["round_name"] == entry["round"]["name"]
        assert_csv_matches_group(row, entry["scores"])


def test_trend_as_csv(client, world):
    for params in ({}, {"unit": world.large.id}):
        body, header, rows = both(client, f"/api/v1/institutions/{world.a.slug}/trend",
                                  world.read_a, **params)
        # last, the knobs a row leaves empty because its version does not compare (none here)
        assert header == ["round_id", "round_name"] + GROUP_COLUMNS + ["not_comparable"]
        assert len(rows) == len(body["points"]) == 2
        assert all(row["not_comparable"] == "" for row in rows)
        for row, point in zip(rows, body["points"], strict=True):
            assert row["round_id"] == str(point["round"]["id"])
            assert row["round_name"] == point["round"]["name"]
            assert_csv_matches_group(row, point["scores"])
