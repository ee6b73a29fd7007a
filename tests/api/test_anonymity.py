"""The anonymity rules of `api.results.anonymity`, by hand examples: no database, no web.

Rule 1: a group of fewer than k respondents is never shown.
Rule 2 (releases): a release adds to every group a surface can show, and to every knob of it,
either no respondents or at least k; what would add fewer waits.
"""

from __future__ import annotations

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


# --- the release rule ------------------------------------------------------------------------

ALL = frozenset(KNOBS)


def arrivals(*specs: tuple[int, str], knobs: frozenset[str] = ALL) -> list[anonymity.Arrival]:
    return [anonymity.Arrival(key=i, unit_id=unit, role=role, knobs=knobs)
            for i, (unit, role) in enumerate(specs)]


def test_five_colleagues_of_one_practoraat_and_role_are_released_together():
    five = arrivals(*[(1, "practor")] * 5)
    assert anonymity.releasable(five, k=5) == {0, 1, 2, 3, 4}


def test_four_arrivals_wait_for_a_fifth():
    assert anonymity.releasable(arrivals(*[(1, "practor")] * 4), k=5) == set()


def test_a_lone_respondent_of_another_unit_waits_while_the_rest_is_released():
    found = anonymity.releasable(arrivals(*[(1, "practor")] * 5, (2, "practor")), k=5)
    assert found == {0, 1, 2, 3, 4}


def test_a_lone_role_holds_back_only_its_own_respondent_and_then_its_unit_follows():
    # four practors and one manager in unit 1: the manager's role grows by one, so the manager
    # waits; then unit 1 would grow by only four, so all of it waits
    found = anonymity.releasable(arrivals(*[(1, "practor")] * 4, (1, "anders")), k=5)
    assert found == set()
    more = arrivals(*[(1, "practor")] * 5, (1, "anders"))
    assert anonymity.releasable(more, k=5) == {0, 1, 2, 3, 4}


def test_the_rule_holds_per_knob_a_respondent_without_a_score_counts_only_where_scored():
    full = arrivals(*[(1, "practor")] * 5)
    partial = [anonymity.Arrival(key=9, unit_id=1, role="practor", knobs=ALL - {"mensen"})]
    # six arrivals, but "mensen" would grow by five and every other knob by six: all released
    assert anonymity.releasable(full + partial, k=5) == {0, 1, 2, 3, 4, 9}
    # four complete and one partial: mensen would grow by four, so its four wait, then the rest
    four = arrivals(*[(1, "practor")] * 4)
    assert anonymity.releasable(four + partial, k=5) == set()


def test_a_parent_unit_with_its_own_respondents_is_a_group_of_its_own():
    # unit 2 sits under unit 1; five in unit 2 and two directly in unit 1
    found = anonymity.releasable(arrivals(*[(2, "practor")] * 5, (1, "practor"), (1, "practor")),
                                 k=5, ancestors={2: [1]})
    assert found == {0, 1, 2, 3, 4}


def test_k_three_releases_three():
    assert anonymity.releasable(arrivals(*[(1, "practor")] * 3), k=3) == {0, 1, 2}


def test_nothing_to_release_is_an_empty_release():
    assert anonymity.releasable([], k=5) == set()


@pytest.mark.parametrize("k", [3, 4, 5])
def test_what_is_released_always_obeys_the_rule_and_leaves_nothing_small_to_subtract(k):
    """Exhaustively over small arrival sets in two units and two roles: the release obeys the
    group rule, no union of its cells under k follows from its group sums, and an arrival is
    held back only when releasing it now would break one of the two."""
    import itertools

    kinds = [(1, "practor"), (1, "anders"), (2, "practor"), (2, "anders")]
    for counts in itertools.product(range(0, k + 1), repeat=len(kinds)):
        specs = [kind for kind, n in zip(kinds, counts, strict=True) for _ in range(n)]
        found = arrivals(*specs)
        chosen = anonymity.releasable(found, k=k)
        released = [a for a in found if a.key in chosen]
        assert anonymity.increments_ok(released, k=k)
        assert anonymity.small_determined(released, k=k) == set()
        if len(chosen) < len(found):
            everything = found
            assert (not anonymity.increments_ok(everything, k=k)
                    or anonymity.small_determined(everything, k=k))


def test_a_unit_minus_a_role_that_lies_wholly_inside_it_would_show_the_rest_so_that_rest_waits():
    # unit 1: five practors and two "anders"; unit 2: five "anders". Every group grows by at
    # least five (unit 1: 7, unit 2: 5, practor: 5, anders: 7), but unit 1 − practor is the two
    # "anders" of unit 1. They wait; then "anders" grows by 5, unit 1 by 5: the rest is released.
    found = arrivals(*[(1, "practor")] * 5, (1, "anders"), (1, "anders"), *[(2, "anders")] * 5)
    assert anonymity.small_determined(found, k=5) == {5, 6}
    assert anonymity.releasable(found, k=5) == {0, 1, 2, 3, 4, 7, 8, 9, 10, 11}


def test_overlapping_cuts_that_cannot_be_untangled_are_released_whole():
    # unit 1: 3 practors + 2 anders, unit 2: 2 practors + 3 anders: every cell is below five, but
    # no combination of unit and role sums isolates one (a 2 × 2 table with its margins)
    found = arrivals(*[(1, "practor")] * 3, *[(1, "anders")] * 2, *[(2, "practor")] * 2,
                     *[(2, "anders")] * 3)
    assert anonymity.small_determined(found, k=5) == set()
    assert anonymity.releasable(found, k=5) == set(range(10))
