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
from fractions import Fraction

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


SEARCH_BUDGET = 20_000  # unions of small cells tried per knob before holding them all back


def small_determined(arrivals: Sequence[Arrival], *, k: int,
                     ancestors: Mapping[int, Sequence[int]] | None = None) -> set[object]:
    """Arrivals of one release whose knob scores, as a group of fewer than k, follow from the
    release's published group sums (someone who knows everyone's unit and role can subtract).

    Per knob, respondents who share the same groups form a cell, and the release publishes, per
    group, the sum over its cells. A union of cells is pinned down exactly when its indicator is
    a combination of the groups' indicators, that is, when it is orthogonal to every vector of
    the null space of the groups × cells matrix: the cells' null-space coordinates add up to
    zero. Only unions of fewer than k respondents matter, so only cells below k are combined,
    depth first while the union stays below k. Returns the respondents of the first such union;
    should the search run out of budget, all small cells are returned, which is always safe.
    """
    ancestors = ancestors or {}
    for knob in sorted({knob for a in arrivals for knob in a.knobs}):
        cells: dict[tuple[Group, ...], list[object]] = defaultdict(list)
        for arrival in arrivals:
            if knob in arrival.knobs:
                cells[tuple(sorted(set(groups_of(arrival, ancestors)), key=str))].append(
                    arrival.key)
        signatures = list(cells)
        groups = sorted({g for sig in signatures for g in sig}, key=str)
        null = _null_space([[Fraction(int(g in sig)) for sig in signatures] for g in groups],
                           len(signatures))
        coords = [tuple(v[i] for v in null) for i in range(len(signatures))]
        small = sorted((i for i, sig in enumerate(signatures) if len(cells[sig]) < k),
                       key=lambda i: len(cells[signatures[i]]))
        found = _zero_union(small, coords, [len(cells[sig]) for sig in signatures], k)
        if found:
            return {key for i in found for key in cells[signatures[i]]}
    return set()


def _zero_union(small: list[int], coords: list[tuple[Fraction, ...]], sizes: list[int],
                k: int) -> list[int] | None:
    zero = tuple(Fraction(0) for _ in coords[0]) if coords else ()
    budget = [SEARCH_BUDGET]

    def search(start: int, chosen: list[int], total: tuple[Fraction, ...], members: int):
        for pos in range(start, len(small)):
            cell = small[pos]
            if members + sizes[cell] >= k:
                break  # cells are sorted by size: every later one is as large
            budget[0] -= 1
            if budget[0] < 0:
                return small
            union = tuple(a + b for a, b in zip(total, coords[cell], strict=True))
            if union == zero:
                return chosen + [cell]
            deeper = search(pos + 1, chosen + [cell], union, members + sizes[cell])
            if deeper:
                return deeper
        return None

    return search(0, [], zero, 0)


def _null_space(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of {x : rows · x = 0}, by reduced row echelon form over exact fractions."""
    matrix = [list(r) for r in rows]
    pivots: list[int] = []
    line = 0
    for col in range(width):
        pick = next((r for r in range(line, len(matrix)) if matrix[r][col] != 0), None)
        if pick is None:
            continue
        matrix[line], matrix[pick] = matrix[pick], matrix[line]
        lead = matrix[line][col]
        matrix[line] = [v / lead for v in matrix[line]]
        for r in range(len(matrix)):
            if r != line and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[line], strict=True)]
        pivots.append(col)
        line += 1
    basis = []
    for free in (c for c in range(width) if c not in pivots):
        vector = [Fraction(0)] * width
        vector[free] = Fraction(1)
        for r, col in enumerate(pivots):
            vector[col] = -matrix[r][free]
        basis.append(vector)
    return basis
