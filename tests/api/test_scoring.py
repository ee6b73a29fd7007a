"""The scoring rules of the design's "Scoring" section, checked with hand-computed numbers.

Every expected number is a literal worked out by hand; the comment next to it shows the arithmetic.
No database, no web: `api.scoring` is pure functions.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from api.platform.questionnaires import Questionnaire, load_file
from api.results.scoring import (
    Alignment,
    KnobAdvice,
    Summary,
    advice,
    alignment,
    band_for,
    cronbach_alpha,
    item_value,
    knob_scores,
    summarize,
    summarize_sums,
    t_critical_95,
    to_percent,
)

REAL_FILE = Path(__file__).resolve().parents[2] / "questionnaires" / "galbraith-star" / "1.0.yaml"


def _text(words: str) -> dict[str, str]:
    return {"nl": words, "en": words}


def small_questionnaire() -> Questionnaire:
    """Two knobs: `a` with four items (a4 reverse-coded) and `b` with three (b2 reverse-coded)."""
    items = [
        {"id": "a1", "knob": "a", "statement": _text("a one")},
        {"id": "a2", "knob": "a", "statement": _text("a two")},
        {"id": "a3", "knob": "a", "statement": _text("a three")},
        {"id": "a4", "knob": "a", "statement": _text("a four"), "reverse": True},
        {"id": "b1", "knob": "b", "statement": _text("b one")},
        {"id": "b2", "knob": "b", "statement": _text("b two"), "reverse": True},
        {"id": "b3", "knob": "b", "statement": _text("b three")},
    ]
    return Questionnaire.model_validate(
        {
            "slug": "mini",
            "version": "1.0",
            "title": _text("Mini"),
            "intro": _text("A tiny questionnaire for tests"),
            "minutes": 2,
            "scale": {
                "min": 1,
                "max": 5,
                "labels": {i: _text(f"label {i}") for i in range(1, 6)},
                "dont_know": _text("weet niet"),
            },
            "knobs": [
                {"key": "a", "name": _text("A"), "explanation": _text("knob a")},
                {"key": "b", "name": _text("B"), "explanation": _text("knob b")},
            ],
            "items": items,
            "roles": [{"key": "practor", "name": _text("Practor")}],
            "bands": [
                {"key": "urgent", "name": _text("Urgent"), "min": 1.0},
                {"key": "aandacht", "name": _text("Aandacht"), "min": 2.5},
                {"key": "sterk", "name": _text("Sterk"), "min": 3.5},
            ],
            "suggestions": [
                {
                    "id": "a_s1",
                    "knob": "a",
                    "title": _text("Do a"),
                    "text": _text("Do something about a"),
                    "source": "Someone, 2020",
                },
                {
                    "id": "b_s1",
                    "knob": "b",
                    "title": _text("Do b"),
                    "text": _text("Do something about b"),
                    "source": "Someone else, 2021",
                },
                {
                    "id": "b_s2",
                    "knob": "b",
                    "title": _text("Do more b"),
                    "text": _text("Do more about b"),
                    "source": "A third, 2022",
                },
            ],
        }
    )


@pytest.fixture(scope="module")
def mini() -> Questionnaire:
    return small_questionnaire()


@pytest.fixture(scope="module")
def star() -> Questionnaire:
    return load_file(REAL_FILE)


# --- item_value -------------------------------------------------------------------------------


def test_a_plain_statement_keeps_the_answer_given():
    assert item_value(4, reverse=False) == 4.0
    assert item_value(1, reverse=False) == 1.0


def test_reverse_coded_statements_are_mirrored():
    assert item_value(1, reverse=True) == 5.0  # 6 - 1
    assert item_value(2, reverse=True) == 4.0  # 6 - 2
    assert item_value(3, reverse=True) == 3.0  # 6 - 3
    assert item_value(5, reverse=True) == 1.0  # 6 - 5


def test_reverse_coding_mirrors_within_the_questionnaires_own_scale():
    # on a 1-7 scale the mirror is 8 - x
    assert item_value(2, reverse=True, scale_min=1, scale_max=7) == 6.0
    # on a 0-4 scale the mirror is 4 - x
    assert item_value(1, reverse=True, scale_min=0, scale_max=4) == 3.0


def test_weet_niet_stays_missing_whether_or_not_the_statement_is_reversed():
    assert item_value(None, reverse=False) is None
    assert item_value(None, reverse=True) is None


@pytest.mark.parametrize("raw", [0, 6, -1, 10])
def test_an_answer_outside_the_scale_is_refused(raw):
    with pytest.raises(ValueError):
        item_value(raw, reverse=False)
    with pytest.raises(ValueError):
        item_value(raw, reverse=True)


# --- knob_scores on a small questionnaire -----------------------------------------------------


def test_a_practor_who_answers_everything_gets_the_mean_per_knob(mini):
    answers = {"a1": 4, "a2": 2, "a3": 5, "a4": 1, "b1": 3, "b2": 4, "b3": 5}
    scores = knob_scores(answers, mini)
    assert scores == {
        "a": pytest.approx(4.0),  # (4 + 2 + 5 + (6-1)) / 4 = 16/4
        "b": pytest.approx(10 / 3),  # (3 + (6-4) + 5) / 3 = 10/3
    }


def test_a_practor_who_answers_only_half_a_knob_still_gets_a_score(mini):
    # a: 2 of 4 items answered, exactly half
    scores = knob_scores({"a1": 3, "a4": 2}, mini)
    assert scores["a"] == pytest.approx(3.5)  # (3 + (6-2)) / 2 = 7/2


def test_two_of_three_items_is_more_than_half_and_gets_a_score(mini):
    scores = knob_scores({"b1": 2, "b2": 5}, mini)
    assert scores["b"] == pytest.approx(1.5)  # (2 + (6-5)) / 2 = 3/2


def test_a_practor_who_answers_fewer_than_half_of_a_knob_gets_no_score_for_it(mini):
    # a: 1 of 4 answered; b: 1 of 3 answered (2*1 < 3)
    scores = knob_scores({"a1": 5, "b3": 5}, mini)
    assert scores == {"a": None, "b": None}


def test_a_practor_who_answers_nothing_gets_no_scores(mini):
    assert knob_scores({}, mini) == {"a": None, "b": None}


def test_weet_niet_counts_as_missing_not_as_zero(mini):
    answers = {"a1": None, "a2": None, "a3": 5, "a4": 1}
    scores = knob_scores(answers, mini)
    # two answered of four, the two "weet niet" are left out: (5 + (6-1)) / 2 = 10/2
    # (counted as zero it would be 10/4 = 2.5)
    assert scores["a"] == pytest.approx(5.0)


def test_weet_niet_can_push_a_knob_below_half_answered(mini):
    answers = {"a1": None, "a2": None, "a3": None, "a4": 2, "b1": None, "b2": None, "b3": 4}
    assert knob_scores(answers, mini) == {"a": None, "b": None}


def test_answers_to_unknown_items_are_ignored(mini):
    answers = {"a1": 2, "a2": 4, "zz9": 1, "str1": 5}
    scores = knob_scores(answers, mini)
    assert scores["a"] == pytest.approx(3.0)  # (2 + 4) / 2, zz9 and str1 play no part
    assert scores["b"] is None  # no b items answered at all


def test_an_answer_outside_the_scale_is_not_silently_scored(mini):
    with pytest.raises(ValueError):
        knob_scores({"a1": 7, "a2": 3}, mini)


def test_every_knob_of_the_questionnaire_gets_an_entry_in_its_order(mini):
    assert list(knob_scores({"b1": 1, "b3": 1}, mini)) == ["a", "b"]


# --- knob_scores on the real galbraith-star 1.0 -----------------------------------------------


def test_a_practor_filling_in_the_real_star_questionnaire_gets_hand_computed_knob_scores(star):
    answers = {
        # strategie, str6 reversed
        "str1": 5, "str2": 4, "str3": 3, "str4": 4, "str5": 2, "str6": 1,
        # structuur, exactly half answered; stu3 reversed, stu4..6 "weet niet"/absent
        "stu1": 3, "stu2": 3, "stu3": 1, "stu4": None, "stu5": None,
        # processen, two of six answered: too few
        "pro1": 5, "pro5": 4,
        # beloningen, all "weet niet"
        "bel1": None, "bel2": None, "bel3": None, "bel4": None, "bel5": None, "bel6": None,
        # mensen, men6 reversed
        "men1": 2, "men2": 2, "men3": 2, "men4": 2, "men5": 2, "men6": 5,
        # not in the questionnaire
        "xyz1": 5,
    }  # fmt: skip
    scores = knob_scores(answers, star)
    assert list(scores) == ["strategie", "structuur", "processen", "beloningen", "mensen"]
    assert scores["strategie"] == pytest.approx(23 / 6)  # (5+4+3+4+2+(6-1)) / 6 = 23/6
    assert scores["structuur"] == pytest.approx(11 / 3)  # (3+3+(6-1)) / 3 = 11/3
    assert scores["processen"] is None  # 2 of 6 < half
    assert scores["beloningen"] is None  # 0 of 6
    assert scores["mensen"] == pytest.approx(11 / 6)  # (2+2+2+2+2+(6-5)) / 6 = 11/6


def test_the_reverse_coded_star_items_are_mirrored_in_the_knob_score(star):
    # all six structuur items answered 2; stu3 and stu6 are reverse-coded and count as 6-2 = 4
    answers = {f"stu{i}": 2 for i in range(1, 7)}
    assert knob_scores(answers, star)["structuur"] == pytest.approx(
        16 / 6  # (2+2+4+2+2+4) / 6 = 16/6
    )


# --- summarize / summarize_sums / t_critical_95 -----------------------------------------------


def test_a_group_summary_has_n_mean_sample_sd_and_a_t_based_95_ci():
    s = summarize([2, 3, 4, 5])
    assert s.n == 4
    assert s.mean == pytest.approx(3.5)  # 14 / 4
    # squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; sample variance 5 / (4-1) = 5/3
    assert s.sd == pytest.approx(math.sqrt(5 / 3))  # 1.29099...
    # half-width t(3) * sd / sqrt(4) = 3.182 * 1.29099 / 2 = 2.05397
    assert s.ci_low == pytest.approx(3.5 - 2.05397, abs=1e-4)
    assert s.ci_high == pytest.approx(3.5 + 2.05397, abs=1e-4)


def test_a_group_of_identical_answers_has_zero_spread():
    s = summarize([3.0, 3.0, 3.0])
    assert s.mean == pytest.approx(3.0)
    assert s.sd == pytest.approx(0.0)
    assert s.ci_low == pytest.approx(3.0)
    assert s.ci_high == pytest.approx(3.0)


def test_a_single_respondent_has_a_mean_but_no_sd_or_ci():
    assert summarize([4.0]) == Summary(n=1, mean=4.0, sd=None, ci_low=None, ci_high=None)


def test_no_respondents_give_no_summary():
    assert summarize([]) is None
    assert summarize_sums(0, 0.0, 0.0) is None


def test_summary_from_sums_agrees_with_summary_from_values():
    # n = 4, sum = 2+3+4+5 = 14, sum of squares = 4+9+16+25 = 54
    from_sums = summarize_sums(4, 14.0, 54.0)
    from_values = summarize([2, 3, 4, 5])
    assert from_sums.n == from_values.n == 4
    assert from_sums.mean == pytest.approx(from_values.mean)
    assert from_sums.sd == pytest.approx(from_values.sd)
    assert from_sums.ci_low == pytest.approx(from_values.ci_low)
    assert from_sums.ci_high == pytest.approx(from_values.ci_high)


def test_summary_from_sums_of_knob_scores_matches_hand_computation():
    # values 1.5, 2.5, 4.0: n 3, sum 8, sum of squares 2.25 + 6.25 + 16 = 24.5
    s = summarize_sums(3, 8.0, 24.5)
    assert s.mean == pytest.approx(8 / 3)
    # sample variance (24.5 - 3 * (8/3)^2) / 2 = (24.5 - 64/3) / 2 = (9.5/3) / 2 = 19/12
    assert s.sd == pytest.approx(math.sqrt(19 / 12))
    # half-width t(2) * sd / sqrt(3) = 4.303 * sqrt(19/12) / sqrt(3)
    half = 4.303 * math.sqrt(19 / 12) / math.sqrt(3)
    assert s.ci_low == pytest.approx(8 / 3 - half)
    assert s.ci_high == pytest.approx(8 / 3 + half)


@pytest.mark.parametrize(
    ("df", "t"),
    [(1, 12.706), (2, 4.303), (3, 3.182), (10, 2.228), (30, 2.042), (60, 2.000), (120, 1.980)],
)
def test_t_critical_value_at_table_entries(df, t):
    assert t_critical_95(df) == pytest.approx(t)


def test_t_critical_value_between_table_entries_is_interpolated():
    # df 50 lies between 40 (2.021) and 60 (2.000); linear in 1/df:
    # share = (1/40 - 1/50) / (1/40 - 1/60) = 0.005 / 0.008333 = 0.6
    # t = 2.021 + 0.6 * (2.000 - 2.021) = 2.0084   (exact t(50) = 2.0086)
    assert t_critical_95(50) == pytest.approx(2.0084, abs=1e-4)
    assert 2.000 < t_critical_95(45) < 2.021
    assert 2.021 < t_critical_95(35) < 2.042
    assert 1.980 < t_critical_95(90) < 2.000


def test_t_critical_value_falls_steadily_as_groups_grow():
    values = [t_critical_95(df) for df in range(1, 501)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_t_critical_value_for_large_groups_approaches_the_normal_1_96():
    # beyond 120: halfway in 1/df between 1.980 and 1.960 at df 240
    assert t_critical_95(240) == pytest.approx(1.970, abs=1e-6)
    assert t_critical_95(100_000) == pytest.approx(1.96, abs=1e-3)


def test_t_critical_value_needs_at_least_one_degree_of_freedom():
    with pytest.raises(ValueError):
        t_critical_95(0)


# --- to_percent --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "percent"),
    [(1, 0.0), (3, 50.0), (5, 100.0), (3.5, 62.5)],  # 100 * (score - 1) / 4
)
def test_a_score_on_one_to_five_reads_as_a_percentage(score, percent):
    assert to_percent(score) == pytest.approx(percent)


# --- band_for ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1.0, "urgent"),
        (2.49, "urgent"),
        (2.5, "aandacht"),
        (3.49, "aandacht"),
        (3.5, "sterk"),
        (5, "sterk"),
    ],
)
def test_a_knob_score_falls_in_the_band_whose_lower_bound_it_reaches(star, score, band):
    assert band_for(score, star.bands).key == band


# --- alignment --------------------------------------------------------------------------------


def test_alignment_names_the_bottleneck_the_strongest_knob_and_the_spread():
    result = alignment({"strategie": 3.0, "structuur": 2.0, "processen": 4.5, "mensen": 3.2})
    assert result.weakest == "structuur"
    assert result.strongest == "processen"
    assert result.spread == pytest.approx(2.5)  # 4.5 - 2.0


def test_knobs_without_a_score_are_left_out_of_the_alignment():
    result = alignment({"strategie": None, "structuur": 2.5, "processen": 3.0, "mensen": None})
    assert result.weakest == "structuur"  # the None knobs are not taken as 0
    assert result.strongest == "processen"
    assert result.spread == pytest.approx(0.5)  # 3.0 - 2.5


def test_there_is_no_alignment_with_fewer_than_two_scored_knobs():
    assert alignment({"strategie": 3.0, "structuur": None}) is None
    assert alignment({"strategie": None}) is None
    assert alignment({}) is None


def test_alignment_ties_go_to_the_knob_listed_first():
    result = alignment({"a": 2.0, "b": 4.0, "c": 2.0, "d": 4.0})
    assert result.weakest == "a"
    assert result.strongest == "b"
    assert result.spread == pytest.approx(2.0)  # 4.0 - 2.0


def test_all_knobs_equal_give_zero_spread():
    result = alignment({"a": 3.0, "b": 3.0})
    assert result == Alignment(weakest="a", strongest="a", spread=0.0)


# --- cronbach_alpha ---------------------------------------------------------------------------

# Three items, four respondents
#   item 1: 1 2 3 4  mean 2.5  squared deviations 2.25+0.25+0.25+2.25 = 5  variance 5/3
#   item 2: 2 2 4 4  mean 3    squared deviations 1+1+1+1 = 4              variance 4/3
#   item 3: 2 3 3 4  mean 3    squared deviations 1+0+0+1 = 2              variance 2/3
#   totals: 5 7 10 12  mean 8.5  squared deviations 12.25+2.25+2.25+12.25 = 29  variance 29/3
# alpha = 3/2 * (1 - (11/3) / (29/3)) = 3/2 * 18/29 = 27/29
ALPHA_ROWS = [[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]]


def test_cronbach_alpha_matches_a_hand_computed_example():
    assert cronbach_alpha(ALPHA_ROWS) == pytest.approx(27 / 29)  # 0.9310


def test_cronbach_alpha_drops_respondents_with_a_missing_item():
    rows = [*ALPHA_ROWS, [5, None, 1], [None, None, None]]
    assert cronbach_alpha(rows) == pytest.approx(27 / 29)


def test_perfectly_parallel_items_give_alpha_one():
    # each item has variance v, the total 3x has variance 9v: 3/2 * (1 - 3v/9v) = 1
    assert cronbach_alpha([[1, 1, 1], [2, 2, 2], [4, 4, 4]]) == pytest.approx(1.0)


def test_cronbach_alpha_needs_two_complete_respondents():
    assert cronbach_alpha([[1, 2, 3], [None, 2, 3]]) is None
    assert cronbach_alpha([[1, 2, 3]]) is None
    assert cronbach_alpha([]) is None


def test_cronbach_alpha_is_undefined_when_the_totals_do_not_vary():
    # items vary, but every respondent's total is 6
    assert cronbach_alpha([[1, 5], [5, 1], [3, 3]]) is None
    # nothing varies at all
    assert cronbach_alpha([[3, 3, 3], [3, 3, 3]]) is None


def test_cronbach_alpha_needs_at_least_two_items():
    assert cronbach_alpha([[1], [3], [5]]) is None


# --- advice -----------------------------------------------------------------------------------


def test_only_knobs_below_the_strength_band_get_suggestions_weakest_first(star):
    means = {
        "strategie": 3.0,
        "structuur": 2.0,
        "processen": 3.5,  # exactly the strength band: no advice
        "beloningen": None,  # not scored: no advice
        "mensen": 4.2,
    }
    result = advice(means, star)
    assert [a.knob for a in result] == ["structuur", "strategie"]
    assert [a.score for a in result] == [2.0, 3.0]
    assert [a.band.key for a in result] == ["urgent", "aandacht"]
    assert [s.id for s in result[0].suggestions] == ["stu_s1", "stu_s2", "stu_s3", "stu_s4"]
    assert [s.id for s in result[1].suggestions] == ["str_s1", "str_s2", "str_s3", "str_s4"]
    for knob_advice in result:
        assert all(s.knob == knob_advice.knob for s in knob_advice.suggestions)
        assert all(s.source.strip() for s in knob_advice.suggestions)


def test_advice_carries_the_questionnaires_own_suggestions_with_their_source(mini):
    result = advice({"a": 3.49, "b": 1.2}, mini)
    assert len(result) == 2
    b_advice, a_advice = result
    assert isinstance(b_advice, KnobAdvice)
    assert b_advice.knob == "b"
    assert b_advice.band.key == "urgent"
    assert [(s.id, s.source) for s in b_advice.suggestions] == [
        ("b_s1", "Someone else, 2021"),
        ("b_s2", "A third, 2022"),
    ]
    assert a_advice.knob == "a"
    assert a_advice.band.key == "aandacht"
    assert [(s.id, s.source) for s in a_advice.suggestions] == [("a_s1", "Someone, 2020")]


def test_a_knob_exactly_at_the_strength_band_gets_no_advice(mini):
    assert advice({"a": 3.5, "b": 4.0}, mini) == []


def test_knobs_without_a_score_get_no_advice(mini):
    assert advice({"a": None, "b": None}, mini) == []


def test_equally_weak_knobs_are_advised_in_questionnaire_order(mini):
    assert [a.knob for a in advice({"b": 2.0, "a": 2.0}, mini)] == ["a", "b"]
