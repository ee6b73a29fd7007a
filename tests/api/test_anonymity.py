"""The anonymity rules of `api.anonymity`, by hand examples: no database, no web.

Rule 1: a group of fewer than k respondents is never shown.
Rule 2: a hidden group must not be recoverable by subtraction. When all parts of a total are listed
next to that total, total − shown parts = hidden parts together, so the hidden parts together must
hold at least k respondents; while they do not, the smallest shown group is hidden as well.
"""

from __future__ import annotations

import itertools

import pytest

from api.platform.models import Institution
from api.results import anonymity

KNOBS = ["strategie", "structuur", "processen", "beloningen", "mensen"]


def institution(k: int | None) -> Institution:
    return Institution(name="Instelling", slug="instelling", anonymity_k=k)


# --- threshold -------------------------------------------------------------------------------


def test_threshold_uses_the_configured_default_when_the_institution_has_none():
    assert anonymity.threshold(default_k=5) == 5
    assert anonymity.threshold(default_k=5, institution=institution(None)) == 5
    assert anonymity.threshold(default_k=7, institution=institution(None)) == 7


def test_threshold_prefers_the_institutions_own_k_over_the_default():
    assert anonymity.threshold(default_k=5, institution=institution(8)) == 8
    assert anonymity.threshold(default_k=5, institution=institution(3)) == 3


@pytest.mark.parametrize(("default_k", "own"), [(1, None), (2, None), (0, None), (-4, None),
                                                (5, 2), (5, 1), (5, 0), (2, 2)])
def test_threshold_is_never_below_three(default_k, own):
    assert anonymity.threshold(default_k=default_k, institution=institution(own)) == 3


def test_min_k_is_three():
    assert anonymity.MIN_K == 3


def test_shown_from_k_respondents_on():
    assert not anonymity.shown(0, 5)
    assert not anonymity.shown(4, 5)
    assert anonymity.shown(5, 5)
    assert anonymity.shown(6, 5)


# --- total_beside_part -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total_n", "part_n", "k", "expected"),
    [
        (20, 10, 5, (True, True)),    # rest 10 ≥ k
        (15, 10, 5, (True, True)),    # rest exactly k
        (12, 10, 5, (True, False)),   # rest 2: total − part would reveal those 2
        (11, 10, 5, (True, False)),   # rest 1: a single respondent
        (10, 10, 5, (True, True)),    # rest empty: total and part are the same people
        (12, 3, 5, (False, True)),    # part too small: only the total
        (4, 4, 5, (False, False)),    # nothing reaches k
        (4, 2, 5, (False, False)),
        (8, 5, 5, (True, False)),     # part exactly k, rest 3
        (6, 3, 3, (True, True)),      # k = 3: part 3, rest 3
        (5, 3, 3, (True, False)),     # k = 3: rest 2
    ],
)
def test_total_beside_part(total_n, part_n, k, expected):
    assert anonymity.total_beside_part(total_n=total_n, part_n=part_n, k=k) == expected


def test_total_beside_part_never_lets_a_small_rest_be_worked_out():
    """Exhaustively for small numbers: whenever both are shown, part ≥ k and rest is 0 or ≥ k."""
    for k in (3, 5):
        for total_n, part_n in itertools.product(range(0, 25), repeat=2):
            if part_n > total_n:
                continue
            part_ok, total_ok = anonymity.total_beside_part(total_n=total_n, part_n=part_n, k=k)
            assert part_ok == (part_n >= k)
            if total_ok:
                assert total_n >= k
            if part_ok and total_ok:
                rest = total_n - part_n
                assert rest == 0 or rest >= k, (k, total_n, part_n)


# --- hidden_in_partition ---------------------------------------------------------------------


def test_issue_example_one_small_group_hides_the_next_smallest_as_well():
    """{A:10, B:7, C:2}, k=5: C is below k; total − A − B would give C, so B goes too."""
    assert anonymity.hidden_in_partition({"A": 10, "B": 7, "C": 2}, 5) == {"B", "C"}


def test_all_groups_large_enough_hides_nothing():
    assert anonymity.hidden_in_partition({"A": 10, "B": 7, "C": 5}, 5) == set()


def test_two_groups_of_one_keep_hiding_until_the_hidden_ones_reach_k():
    # 1 + 1 = 2 < 5: the smallest shown group (6) is hidden too; 8 ≥ 5 stops it
    assert anonymity.hidden_in_partition({"A": 10, "B": 6, "C": 1, "D": 1}, 5) == {"B", "C", "D"}
    # 1 + 1 = 2, + 2 = 4 < 5 (B is already under k), so A must go as well: everything hidden
    assert anonymity.hidden_in_partition({"A": 10, "B": 2, "C": 1, "D": 1}, 5) == {
        "A", "B", "C", "D"}
    # only two groups: 1 + 1 with nothing else to hide
    assert anonymity.hidden_in_partition({"C": 1, "D": 1}, 5) == {"C", "D"}


def test_small_groups_that_together_reach_k_need_no_extra_hiding():
    assert anonymity.hidden_in_partition({"A": 9, "B": 3, "C": 2}, 5) == {"B", "C"}
    assert anonymity.hidden_in_partition({"A": 9, "B": 8, "C": 4, "D": 1}, 5) == {"C", "D"}


def test_empty_groups_are_neither_hidden_nor_counted():
    assert anonymity.hidden_in_partition({"A": 10, "B": 0, "C": 7}, 5) == set()
    # an empty group does not count as the "next-smallest" to hide
    assert anonymity.hidden_in_partition({"A": 10, "B": 0, "C": 7, "D": 2}, 5) == {"C", "D"}


def test_the_next_smallest_is_chosen_by_size_not_by_name():
    assert anonymity.hidden_in_partition({"a": 6, "b": 20, "c": 9, "d": 3}, 5) == {"a", "d"}


def test_a_tie_for_next_smallest_is_broken_the_same_way_every_time():
    sizes = {"B": 7, "A": 7, "C": 12, "D": 2}
    first = anonymity.hidden_in_partition(sizes, 5)
    assert first == {"A", "D"}
    for order in itertools.permutations(sizes):
        assert anonymity.hidden_in_partition({key: sizes[key] for key in order}, 5) == first


def test_a_single_small_group_alone_is_hidden():
    assert anonymity.hidden_in_partition({"A": 3}, 5) == {"A"}
    assert anonymity.hidden_in_partition({"A": 5}, 5) == set()


def test_integer_keys_work_like_unit_ids():
    assert anonymity.hidden_in_partition({11: 9, 12: 6, 13: 2}, 5) == {12, 13}


def test_forced_groups_are_hidden_and_count_towards_the_hidden_total():
    # forced B (8) is already ≥ k together: nothing else
    assert anonymity.hidden_in_partition({"A": 10, "B": 8, "C": 6}, 5, forced={"B"}) == {"B"}
    # forced with a small one: B + C = 11, so A stays shown
    assert anonymity.hidden_in_partition({"A": 10, "B": 8, "C": 3}, 5, forced=["B"]) == {"B", "C"}
    # a forced group of 1 triggers the next-smallest rule on its own
    assert anonymity.hidden_in_partition({"A": 10, "B": 8, "C": 1}, 5, forced={"C"}) == {"B", "C"}
    # a forced group that alone reaches k needs no company
    assert anonymity.hidden_in_partition({"A": 10, "B": 7, "C": 6}, 5, forced={"C"}) == {"C"}


def test_forced_keys_outside_the_partition_are_ignored():
    assert anonymity.hidden_in_partition({"A": 10, "B": 7}, 5, forced={"Z"}) == set()


def test_forced_empty_group_hides_it_without_further_hiding():
    assert anonymity.hidden_in_partition({"A": 10, "B": 0}, 5, forced={"B"}) == {"B"}


@pytest.mark.parametrize("k", [3, 5])
def test_no_hidden_group_can_be_recovered_by_subtraction_in_small_partitions(k):
    """Exhaustively for partitions of up to four groups of 0–7: what is hidden is either nothing,
    or together at least k (or everything, when no shown group is left to hide)."""
    for sizes_tuple in itertools.product(range(0, 8), repeat=4):
        sizes = dict(zip("ABCD", sizes_tuple, strict=True))
        hidden = anonymity.hidden_in_partition(sizes, k)
        shown = {key for key, n in sizes.items() if n > 0} - hidden
        for key in shown:
            assert sizes[key] >= k, (sizes, hidden)
        hidden_total = sum(sizes[key] for key in hidden)
        assert hidden_total == 0 or hidden_total >= k or not shown, (sizes, hidden)
        # nothing is hidden that did not need to be: every hidden group is small, or needed
        for key in hidden:
            assert sizes[key] > 0


# --- hidden_cells ----------------------------------------------------------------------------


def test_hidden_cells_hides_whole_groups_in_every_knob():
    sizes = {"A": 10, "B": 7, "C": 2}
    knob_sizes = {g: {knob: n for knob in KNOBS} for g, n in sizes.items()}
    groups, cells = anonymity.hidden_cells(sizes, knob_sizes, KNOBS, 5)
    assert groups == {"B", "C"}
    assert cells == {(g, knob) for g in ("B", "C") for knob in KNOBS}


def test_a_knob_below_k_inside_a_shown_group_hides_that_cell_and_the_next_smallest_cell():
    """Group C has 8 respondents, but only 3 of them answered enough strategie statements: the
    group is shown, its strategie cell is not, and for strategie the next-smallest cell (B, 9)
    is hidden too, or total − A − B would give C's strategie score."""
    sizes = {"A": 10, "B": 9, "C": 8}
    knob_sizes = {g: {knob: n for knob in KNOBS} for g, n in sizes.items()}
    knob_sizes["C"]["strategie"] = 3
    groups, cells = anonymity.hidden_cells(sizes, knob_sizes, KNOBS, 5)
    assert groups == set()
    assert cells == {("C", "strategie"), ("B", "strategie")}


def test_a_knob_with_one_missing_answer_in_a_shown_group_is_not_a_leak_by_itself():
    """A knob n of 7 in a group of 8 is still ≥ k; the knob partition is fine, nothing hidden."""
    sizes = {"A": 10, "B": 9, "C": 8}
    knob_sizes = {g: {knob: n for knob in KNOBS} for g, n in sizes.items()}
    knob_sizes["C"]["mensen"] = 7
    assert anonymity.hidden_cells(sizes, knob_sizes, KNOBS, 5) == (set(), set())


def test_hidden_groups_are_forced_hidden_in_every_knob_even_when_their_knob_n_is_large():
    # B is hidden as next-smallest beside C; in knob 'mensen' C answered nothing (n=0), but B
    # must stay hidden there too, or it would show there while hidden elsewhere.
    sizes = {"A": 10, "B": 7, "C": 2}
    knob_sizes = {g: {knob: n for knob in KNOBS} for g, n in sizes.items()}
    knob_sizes["C"]["mensen"] = 0
    groups, cells = anonymity.hidden_cells(sizes, knob_sizes, KNOBS, 5)
    assert groups == {"B", "C"}
    assert ("B", "mensen") in cells and ("C", "mensen") in cells
    assert not any(g == "A" for g, _ in cells)


def test_a_group_missing_from_knob_sizes_counts_as_zero():
    sizes = {"A": 10, "B": 9, "C": 8}
    knob_sizes = {"A": {k: 10 for k in KNOBS}, "B": {k: 9 for k in KNOBS}}
    assert anonymity.hidden_cells(sizes, knob_sizes, KNOBS, 5) == (set(), set())


def test_per_knob_small_cells_in_two_groups_are_hidden_together():
    sizes = {"A": 12, "B": 9, "C": 8}
    knob_sizes = {g: {knob: n for knob in KNOBS} for g, n in sizes.items()}
    knob_sizes["B"]["processen"] = 2
    knob_sizes["C"]["processen"] = 4   # 2 + 4 = 6 ≥ 5: A's processen may stay shown
    groups, cells = anonymity.hidden_cells(sizes, knob_sizes, KNOBS, 5)
    assert groups == set()
    assert cells == {("B", "processen"), ("C", "processen")}
