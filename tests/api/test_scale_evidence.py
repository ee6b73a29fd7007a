"""Evidence that a scale holds: the item analysis of a questionnaire version over every released
response of every institution and round, checked against an independent implementation.

pingouin (with scipy and pandas underneath) is the reference: `pingouin.cronbach_alpha` for alpha
and its Feldt interval, `pingouin.corr` for the corrected item–rest correlation, and
`pingouin.cronbach_alpha` on the frame without the item for alpha if deleted. Kennisster computes
the same from sums the database returns, and its own F quantile, so agreement to 1e-9 says the
SQL, the covariance algebra and the interval are all right.

pingouin rounds its interval to three decimals, so the interval is also compared, unrounded, with
the same formula on scipy's F quantile.
"""

from __future__ import annotations

import random

import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import f as f_distribution

from api.platform.models import Institution
from api.platform.questionnaires import Questionnaire
from api.results import _reliability, item_analysis
from tests.builders import (
    SLUG,
    VERSION,
    counted_statements,
    importing_round,
    make_institution,
    make_round,
    make_token,
    make_unit,
    scale_answers,
    sent_as_import,
)

ADMIN, COORDINATOR, PASSWORD = "beheer@kennisster.test", "coordinator@kennisster.test", "lang-en-sterk-2026"
URL = f"/api/v1/questionnaires/{SLUG}/{VERSION}/reliability"
MIN_N = 30
# pingouin's corr also estimates power and a Fisher interval, which warn on tiny samples
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pingouin",
                                        "ignore::RuntimeWarning:pingouin")


# --- the reference --------------------------------------------------------------------------------


def reference(frame: pd.DataFrame) -> dict:
    """Alpha, Feldt interval, item–rest r and alpha if deleted, by pingouin and scipy."""
    alpha, ci = pingouin.cronbach_alpha(frame)
    n, k = frame.shape
    df1, df2 = n - 1, (n - 1) * (k - 1)
    items = {}
    for column in frame.columns:
        rest = frame.drop(columns=column)
        r = pingouin.corr(frame[column], rest.sum(axis=1))["r"].iloc[0]
        items[column] = {"item_rest": float(r),
                         "alpha_if_deleted": float(pingouin.cronbach_alpha(rest)[0])
                         if rest.shape[1] >= 2 else None}
    return {"n": n, "alpha": float(alpha), "pingouin_ci": tuple(float(c) for c in ci),
            "ci": (1 - (1 - alpha) * f_distribution.isf(0.025, df1, df2),
                   1 - (1 - alpha) * f_distribution.isf(0.975, df1, df2)),
            "items": items}


def cross_sums(rows: list[list[int]], ids: list[str]) -> item_analysis.CrossSums:
    """What the database would send for these complete rows."""
    return item_analysis.CrossSums(
        n=len(rows), item_sums={a: sum(r[i] for r in rows) for i, a in enumerate(ids)},
        products={(a, b): sum(r[i] * r[j] for r in rows)
                  for i, a in enumerate(ids) for j, b in enumerate(ids)})


def assert_matches(found: item_analysis.ScaleStats, expected: dict, tol: float = 1e-9) -> None:
    assert found.n == expected["n"]
    assert found.alpha == pytest.approx(expected["alpha"], abs=tol)
    assert (found.ci_low, found.ci_high) == pytest.approx(expected["ci"], abs=tol)
    assert (found.ci_low, found.ci_high) == pytest.approx(expected["pingouin_ci"], abs=5e-4 + tol)
    for item in found.items:
        want = expected["items"][item.item_id]
        assert item.item_rest == pytest.approx(want["item_rest"], abs=tol), item.item_id
        assert item.alpha_if_deleted == pytest.approx(want["alpha_if_deleted"], abs=tol), item.item_id


# --- pure: the statistics from sums equal pingouin's for any answer matrix ------------------------


def varied(rows: list[list[int]]) -> bool:
    """Every item and every rest-sum varies, so every statistic is defined on both sides."""
    k = len(rows[0])
    columns = [[r[i] for r in rows] for i in range(k)]
    rests = [[sum(r) - r[i] for r in rows] for i in range(k)]
    return all(len(set(c)) > 1 for c in columns + rests + [[sum(r) for r in rows]])


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8).flatmap(lambda k: st.lists(
    st.lists(st.integers(1, 5), min_size=k, max_size=k), min_size=3, max_size=60)))
def test_item_analysis_from_sums_equals_pingouin_for_any_answers(rows):
    if not varied(rows):
        return
    ids = [f"i{i}" for i in range(len(rows[0]))]
    found = item_analysis.scale_stats(cross_sums(rows, ids), ids)
    expected = reference(pd.DataFrame(rows, columns=ids))
    if len(ids) == 2:  # alpha without one of two items is no alpha
        assert all(item.alpha_if_deleted is None for item in found.items)
        for item in expected["items"].values():
            item["alpha_if_deleted"] = None
    assert_matches(found, expected)


@pytest.mark.parametrize("df1", [1, 2, 4, 29, 59, 199, 4999])
@pytest.mark.parametrize("items", [2, 6])
def test_the_f_quantile_equals_scipys(df1, items):
    df2 = df1 * (items - 1)
    for p in (0.025, 0.5, 0.975):
        assert item_analysis.f_quantile(p, df1, df2) == pytest.approx(
            f_distribution.ppf(p, df1, df2), rel=1e-10)


# --- through the app: answers imported into several institutions and rounds ----------------------


def mirrored_complete(questionnaire: Questionnaire, rows: list[dict], knob: str) -> pd.DataFrame:
    """The reference's frame: complete rows only, reverse-coded items mirrored by hand."""
    items = questionnaire.items_of(knob)
    complete = [[6 - r[i.id] if i.reverse else r[i.id] for i in items] for r in rows
                if all(r[i.id] is not None for i in items)]
    return pd.DataFrame(complete, columns=[i.id for i in items])


@pytest.fixture
def questionnaire(catalog) -> Questionnaire:
    return catalog.require(SLUG, VERSION)


@pytest.fixture
def reader(session) -> str:
    """A consultant's read token, scoped to an institution that has no responses at all: the
    numbers are sector-wide and name no institution, so any read token may see them."""
    return make_token(session, [make_institution(session, "Bureau Elders")])


def api(client, token: str, url: str = URL):
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_published_reliability_over_all_institutions_and_rounds_equals_pingouin(
        client, session, catalog, questionnaire, reader, seed):
    rng = random.Random(seed)
    everyone = scale_answers(questionnaire, rng, 90)
    # two institutions, with their own k; the first runs two rounds of the same version
    first, unit_a, token_a = importing_round(session, catalog)
    sent_as_import(client, token_a, first, unit_a, everyone[:40])
    again = make_round(session, catalog, session.get(Institution, first.institution_id))
    sent_as_import(client, token_a, again, unit_a, everyone[40:60])
    other, unit_b, token_b = importing_round(session, catalog, k=7)
    sent_as_import(client, token_b, other, unit_b, everyone[60:])

    published = api(client, reader)
    assert published["questionnaire"] == f"{SLUG}/{VERSION}"
    assert published["minimum"] == MIN_N
    for knob in published["knobs"]:
        frame = mirrored_complete(questionnaire, everyone, knob["knob"])
        expected = reference(frame)
        # unrounded, straight from the sums the database sends
        sums = _reliability.version_cross_sums(session=session, questionnaire=questionnaire,
                                               knob=knob["knob"], default_k=5)
        assert_matches(item_analysis.scale_stats(sums, list(frame.columns)), expected)
        # published: the same numbers to two decimals
        assert knob["shown"] and knob["n"] == len(frame) and knob["needed"] == 0
        assert knob["alpha"] == pytest.approx(expected["alpha"], abs=0.005 + 1e-9)
        assert (knob["ci_low"], knob["ci_high"]) == pytest.approx(expected["ci"], abs=0.005 + 1e-9)
        for item in knob["item_stats"]:
            want = expected["items"][item["item"]]
            assert item["item_rest"] == pytest.approx(want["item_rest"], abs=0.005 + 1e-9)
            assert item["alpha_if_deleted"] == pytest.approx(want["alpha_if_deleted"],
                                                             abs=0.005 + 1e-9)
            assert item["weak"] == (item["item_rest"] < 0.3)
            assert item["raises_alpha"] == (item["alpha_if_deleted"] > knob["alpha"])
    # the noise statement of strategie hangs loosely, and alpha rises without it
    [strategie] = [k for k in published["knobs"] if k["knob"] == "strategie"]
    noise = strategie["item_stats"][5]
    assert noise["item"] == "str6" and noise["weak"] and noise["raises_alpha"]


def knobs_of(published: dict) -> dict[str, dict]:
    return {knob["knob"]: knob for knob in published["knobs"]}


def test_a_version_with_fewer_than_thirty_released_responses_shows_no_numbers(
        client, session, catalog, questionnaire, reader):
    rng = random.Random(7)
    round_, unit, token = importing_round(session, catalog)
    complete = scale_answers(questionnaire, rng, 35)
    for row in complete:  # every strategie item answered, so every knob counts every response
        for item in questionnaire.items_of("strategie"):
            row[item.id] = row[item.id] or 3
    sent_as_import(client, token, round_, unit, complete[:25])
    # three more of another unit wait for their release (3 < k = 5): they count nowhere
    waiting = make_unit(session, session.get(Institution, round_.institution_id))
    sent_as_import(client, token, round_, waiting, complete[25:28])

    published = api(client, reader)
    assert published["minimum"] == MIN_N
    for knob in published["knobs"]:
        assert (knob["shown"], knob["n"], knob["needed"]) == (False, 25, 5)
        assert knob["alpha"] is None and knob["ci_low"] is None and knob["item_stats"] == []

    # two more of the waiting unit make five there: released, and thirty in all
    sent_as_import(client, token, round_, waiting, complete[28:30])
    after = knobs_of(api(client, reader))
    assert all(knob["shown"] and knob["n"] == 30 for knob in after.values())


def test_a_release_that_brings_fewer_than_k_complete_respondents_of_a_knob_is_left_out(
        client, session, catalog, questionnaire, reader):
    """A knob score needs half of the knob's items, alpha needs all: five released respondents of
    whom two answered every strategie item would move strategie's sums by two people."""
    rng = random.Random(11)
    rows = scale_answers(questionnaire, rng, 45)
    for row in rows:
        for item in questionnaire.items_of("strategie"):
            row[item.id] = row[item.id] or 3
    round_, unit, token = importing_round(session, catalog)  # k = 5
    sent_as_import(client, token, round_, unit, rows[:40])
    before = knobs_of(api(client, reader))
    assert before["strategie"]["n"] == before["structuur"]["n"] == 40

    late = rows[40:]
    for row in late[:3]:  # three of the five say "weet niet" to one strategie statement
        row["str2"] = None
    sent_as_import(client, token, round_, unit, late)

    after = knobs_of(api(client, reader))
    assert after["structuur"]["n"] == 45  # the release of five counts in full elsewhere
    assert after["strategie"]["n"] == 40  # but brings only two complete strategie respondents
    assert after["strategie"] == before["strategie"]


def test_the_evidence_is_for_any_read_token_and_unknown_versions_are_problems(
        client, session, reader):
    importer = make_token(session, [make_institution(session)], scopes=("import",))
    assert client.get(URL, headers={"Authorization": f"Bearer {importer}"}).status_code == 403
    assert client.get(URL).status_code == 401

    unknown = client.get(f"/api/v1/questionnaires/{SLUG}/9.9/reliability",
                         headers={"Authorization": f"Bearer {reader}"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "9.9" in unknown.json()["detail"]

    empty = api(client, reader)
    assert [k["knob"] for k in empty["knobs"]] == ["strategie", "structuur", "processen",
                                                   "beloningen", "mensen"]
    assert all(k["n"] == 0 and k["needed"] == MIN_N and not k["shown"] for k in empty["knobs"])


def test_the_minimum_follows_the_largest_k_of_the_institutions_using_the_version(
        client, session, catalog, reader):
    institution = make_institution(session, k=40)
    make_round(session, catalog, institution)
    assert api(client, reader)["minimum"] == 40


def test_the_database_sends_sums_per_pair_of_items_not_answers(
        client, session, catalog, engine, questionnaire, reader):
    round_, unit, token = importing_round(session, catalog)
    sent_as_import(client, token, round_, unit, scale_answers(questionnaire, random.Random(2), 40))
    with counted_statements(engine) as statements:
        api(client, reader)
    evidence = [s.lower() for s in statements if "answer_1" in s.lower()]
    # one statement per knob, grouped by pair of items: 36 rows for six items, whatever n
    assert len(evidence) == len(questionnaire.knobs)
    assert all("sum(" in s and "group by" in s and "with complete" in s for s in evidence)
    sums = _reliability.version_cross_sums(session=session, questionnaire=questionnaire,
                                           knob="mensen", default_k=5)
    assert sums.n == 40 and len(sums.products) == 36 and len(sums.item_sums) == 6
