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
from itertools import combinations

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


def may_release_any(waiting: int, *, k: int) -> bool:
    """Whether `waiting` arrivals can hold a release at all. Every release adds at least k to the
    institution, which counts every arrival: with fewer than k waiting, none can be released."""
    return waiting >= k


def releasable(arrivals: Iterable[Arrival], *, k: int,
               ancestors: Mapping[int, Sequence[int]] | None = None) -> set[object]:
    """The keys of the arrivals that may be released together now; possibly none.

    First the group rule (`_grown_by_k`). Then a check the group rule alone misses: groups of
    different cuts overlap, and their sums can be combined. Five practors of unit A next to two
    "anders" of unit A and five of unit B pass the group rule (A 7, B 5, practor 5, anders 7),
    yet A − practor is the two "anders" of A. `small_determined` finds every such combination;
    its respondents wait, and the group rule runs again on what is left.
    """
    ancestors = ancestors or {}
    candidates = list(arrivals)
    while True:
        chosen = _grown_by_k(candidates, k=k, ancestors=ancestors)
        kept = [a for a in candidates if a.key in chosen]
        exposed = small_determined(kept, k=k, ancestors=ancestors)
        if not exposed:
            return chosen
        candidates = [a for a in kept if a.key not in exposed]


def _grown_by_k(arrivals: Sequence[Arrival], *, k: int,
                ancestors: Mapping[int, Sequence[int]]) -> set[object]:
    """The largest set of arrivals that adds 0 or at least k to every group and measure.

    Start with every arrival; while some group and measure would grow by 1 to k − 1, take out
    every arrival counted there. An arrival taken out can never be part of a valid release of
    these arrivals (that group would still grow by fewer than k), so what remains is the one
    largest valid set.
    """
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


def small_determined(arrivals: Sequence[Arrival], *, k: int,
                     ancestors: Mapping[int, Sequence[int]] | None = None) -> set[object]:
    """Arrivals of one release whose knob scores, as a group of fewer than k, follow from the
    release's published group sums (someone who knows everyone's unit and role can subtract).

    Per knob, the release publishes a sum per unit and per role (the institution and every unit
    with what lies below it are sums of units, so they add nothing an attacker could not already
    combine). Respondents who share unit and role form a cell. A set of cells is pinned down
    exactly when it is a combination of unit sums and role sums, and every such set is made of
    pieces of one form: take some roles R; the units U where those roles occur hold all of their
    respondents; then "U minus R" is the respondents of U whose role is not in R, a number an
    attacker gets by subtraction. So it suffices to try every set of roles R (roles are few):
    a piece of 1 … k − 1 respondents is returned, to wait. Adding further units to U only adds
    whole units (each grows by at least k under the group rule), so the smallest U is the one
    to try.
    """
    for knob in sorted({knob for a in arrivals for knob in a.knobs}):
        scored = [a for a in arrivals if knob in a.knobs]
        roles = sorted({a.role for a in scored})
        for size in range(1, len(roles) + 1):
            for chosen in combinations(roles, size):
                units = {a.unit_id for a in scored if a.role in chosen}
                rest = {a.key for a in scored if a.unit_id in units and a.role not in chosen}
                if 0 < len(rest) < k:
                    return rest
    return set()
