"""Who may see which aggregate: the threshold k and the release rule, as pure functions.

Numbers are published in releases. A release is a set of newly arrived responses published
together, and it obeys one rule: for every group any surface can show (the institution, every
unit, every unit with everything below it, every role) and for every knob, the number of
respondents the release adds to that group is either 0 or at least k. Responses that would add
between 1 and k − 1 to some group wait for a later release.

Because every group grows only in steps of at least k, any difference between two views, and any
total minus its shown parts, is itself 0 or at least k respondents: no complementary
suppression is needed on top of it. `api.results.gate` applies the threshold once more to every
group it publishes, for groups that grew under a smaller k than the institution has now.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from api.platform.models import Institution

MIN_K = 3
RESPONDENTS = "n"  # the measure every response counts in; the others are knob keys


def threshold(*, default_k: int, institution: Institution | None = None) -> int:
    """The institution's own k when it set one, else the configured default; never below 3."""
    own = institution.anonymity_k if institution is not None else None
    return max(MIN_K, own if own is not None else default_k)


def shown(n: int, k: int) -> bool:
    return n >= k


@dataclass(frozen=True)
class Arrival:
    """What the release rule needs to know of one unreleased response, and nothing more."""

    key: object
    unit_id: int
    role: str
    knobs: frozenset[str]  # the knobs this response has a score for


Group = tuple[str, object]


def groups_of(arrival: Arrival, ancestors: Mapping[int, Sequence[int]]) -> list[Group]:
    """Every group a surface can show that this response counts in."""
    groups: list[Group] = [("institution", None), ("unit", arrival.unit_id),
                           ("role", arrival.role), ("subtree", arrival.unit_id)]
    groups += [("subtree", parent) for parent in ancestors.get(arrival.unit_id, ())]
    return groups


def releasable(arrivals: Iterable[Arrival], *, k: int,
               ancestors: Mapping[int, Sequence[int]] | None = None) -> set[object]:
    """The keys of the largest set of arrivals that may be released together.

    Start with every arrival; while some group and measure would grow by 1 to k − 1, take out
    every arrival counted there. An arrival taken out can never be part of a valid release of
    these arrivals (that group would still grow by fewer than k), so what remains is the one
    largest valid release; it may be empty.
    """
    ancestors = ancestors or {}
    members: dict[tuple[Group, str], set[object]] = defaultdict(set)
    cells_of: dict[object, list[tuple[Group, str]]] = {}
    for arrival in arrivals:
        cells = [(group, measure) for group in groups_of(arrival, ancestors)
                 for measure in (RESPONDENTS, *sorted(arrival.knobs))]
        cells_of[arrival.key] = cells
        for cell in cells:
            members[cell].add(arrival.key)
    kept = set(cells_of)
    small = [cell for cell, keys in members.items() if 0 < len(keys) < k]
    while small:
        for cell in small:
            for key in list(members[cell]):
                if key in kept:
                    kept.discard(key)
                    for other in cells_of[key]:
                        members[other].discard(key)
        small = [cell for cell, keys in members.items() if 0 < len(keys) < k]
    return kept


def increments_ok(arrivals: Iterable[Arrival], *, k: int,
                  ancestors: Mapping[int, Sequence[int]] | None = None) -> bool:
    """Whether releasing exactly these arrivals together obeys the rule."""
    counts = Counter(
        (group, measure) for arrival in arrivals
        for group in groups_of(arrival, ancestors or {})
        for measure in (RESPONDENTS, *arrival.knobs))
    return all(n >= k for n in counts.values())
