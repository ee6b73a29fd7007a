"""Who may see which aggregate: the one place the anonymity threshold k is applied.

Two rules. A group of fewer than k respondents is never shown. And a hidden group must not be
recoverable by subtraction: when a total is shown next to some of its parts, what is left over
must itself be empty or at least k.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from api.platform.models import Institution

MIN_K = 3
K = TypeVar("K")


def threshold(*, default_k: int, institution: Institution | None = None) -> int:
    """The institution's own k when it set one, else the configured default; never below 3."""
    own = institution.anonymity_k if institution is not None else None
    return max(MIN_K, own if own is not None else default_k)


def shown(n: int, k: int) -> bool:
    return n >= k


def total_beside_part(*, total_n: int, part_n: int, k: int) -> tuple[bool, bool]:
    """(show the part, show the total) when both would appear together.

    The total is hidden when the part is shown and the rest of the total (total − part) is a
    non-empty group smaller than k, because subtracting would reveal that rest.
    """
    part_ok = shown(part_n, k)
    rest = total_n - part_n
    total_ok = shown(total_n, k) and (not part_ok or rest == 0 or rest >= k)
    return part_ok, total_ok


def hidden_in_partition(sizes: Mapping[K, int], k: int, *, forced: Iterable[K] = ()) -> set[K]:
    """Groups to hide when all parts of a total are listed next to that total.

    Every non-empty group under k is hidden, and so is every group in `forced`. The total minus
    the shown groups equals the hidden groups together, so while those together hold fewer than
    k respondents the smallest shown group is hidden as well. With exactly one small group this
    hides the next-smallest beside it; with two groups of one respondent each it goes on until
    the hidden ones together reach k.
    """
    hidden = {key for key, n in sizes.items() if 0 < n < k} | (set(forced) & set(sizes))

    def hidden_total() -> int:
        return sum(sizes[key] for key in hidden)

    while 0 < hidden_total() < k:
        shown_groups = sorted((n, str(key), key) for key, n in sizes.items()
                              if key not in hidden and n > 0)
        if not shown_groups:
            break
        hidden.add(shown_groups[0][2])
    return hidden


def hidden_cells(
    group_sizes: Mapping[K, int], knob_sizes: Mapping[K, Mapping[str, int]], knobs: Iterable[str],
    k: int,
) -> tuple[set[K], set[tuple[K, str]]]:
    """Hidden groups, and hidden (group, knob) cells, for a partition shown beside its total.

    A knob's n can be below the group's n (respondents who answered too few statements), so the
    same rule runs per knob, with the hidden groups forced hidden in every knob.
    """
    groups = hidden_in_partition(group_sizes, k)
    cells: set[tuple[K, str]] = {(group, knob) for group in groups for knob in knobs}
    for knob in knobs:
        sizes = {group: knob_sizes.get(group, {}).get(knob, 0) for group in group_sizes}
        cells |= {(group, knob) for group in hidden_in_partition(sizes, k, forced=groups)}
    return groups, cells
