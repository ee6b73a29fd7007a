"""Who may see which aggregate: the one place the anonymity threshold k is applied.

Two rules. A group of fewer than k respondents is never shown. And a hidden group must not be
recoverable by subtraction: when a total is shown next to some of its parts, what is left over
must itself be empty or at least k.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from api.models import Institution

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


def hidden_in_partition(sizes: Mapping[K, int], k: int) -> set[K]:
    """Groups to hide when all parts of a total are listed next to that total.

    Every group under k is hidden. When exactly one non-empty group is hidden, the total minus
    the shown groups would give it away, so the next-smallest group is hidden with it.
    """
    hidden = {key for key, n in sizes.items() if 0 < n < k}
    if len(hidden) == 1:
        others = sorted((n, str(key), key) for key, n in sizes.items()
                        if key not in hidden and n > 0)
        if others:
            hidden.add(others[0][2])
    return hidden
