"""The network map (netwerkkaart) as plain data: its targets, its marks and how a group's marks
read, after the circle model of Van den Boom-Muilenburg & Ommering (z.j.): who we consult about
the change, how often (weekly, at least monthly, less), which kind of contact (own team,
elsewhere in the institution, outside) and for which form of knowledge.

Pure functions only: the survey, the workshop maps and the gate's aggregates all read marks
through `summarize`, so a team's shared map and a unit's published map look alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FREQUENCIES = ("weekly", "monthly", "less", "never")
RINGS = ("weekly", "monthly", "less")  # from the centre out
FORMS = ("wetenschappelijk", "professioneel", "ervaring")
OUTSIDE = ("werkveld", "onderzoek", "experts")
OWN = "own"
KINDS = ("own", "institution", "outside")
DIGITS = 2


def unit_target(unit_id: int) -> str:
    """The key of another unit of the institution as a target."""
    return f"u{unit_id}"


def target_unit(target: str) -> int | None:
    """The unit id behind a target key, or None for own team and the outside categories."""
    if target.startswith("u") and target[1:].isdigit():
        return int(target[1:])
    return None


def kind_of(target: str) -> str:
    if target == OWN:
        return "own"
    if target in OUTSIDE:
        return "outside"
    return "institution"


@dataclass(frozen=True)
class Target:
    """One place on the map; `name` is a unit's name (own team and outside are named by the page
    in the reader's language)."""

    key: str
    kind: str
    name: str = ""

    @property
    def unit_id(self) -> int | None:
        return target_unit(self.key)


def targets(*, own_unit_id: int | None, units: Sequence[tuple[int, str]]) -> list[Target]:
    """Own team first, then the other units of the institution (by name), then the outside."""
    found = [Target(OWN, "own")] if own_unit_id is not None else []
    found += [Target(unit_target(uid), "institution", name)
              for uid, name in sorted(units, key=lambda u: (u[1].casefold(), u[0]))
              if uid != own_unit_id]
    return found + [Target(key, "outside") for key in OUTSIDE]


@dataclass(frozen=True)
class Mark:
    """What one respondent (or one team) said of one target."""

    frequency: str
    forms: frozenset[str] = frozenset()


def checked_marks(raw: object, allowed: set[str] | None = None) -> dict[str, Mark]:
    """Marks read back from stored JSON ({target: {"f": frequency, "k": [forms]}}), keeping only
    well-formed ones for allowed targets: a draft may be older than a deploy or a unit's removal."""
    marks: dict[str, Mark] = {}
    if not isinstance(raw, Mapping):
        return marks
    for target, value in raw.items():
        if not isinstance(target, str) or (allowed is not None and target not in allowed):
            continue
        if not isinstance(value, Mapping) or value.get("f") not in FREQUENCIES:
            continue
        forms = value.get("k") or []
        if not isinstance(forms, list):
            continue
        marks[target] = Mark(value["f"], frozenset(f for f in forms if f in FORMS))
    return marks


def stored_marks(marks: Mapping[str, Mark]) -> dict:
    """The JSON form of marks, in a stable order."""
    return {target: {"f": mark.frequency, "k": sorted(mark.forms)}
            for target, mark in sorted(marks.items())}


@dataclass(frozen=True)
class TargetView:
    """One target as a group sees it: shares of the group's n per frequency (what is left is
    "not marked") and per form of knowledge, the typical frequency and the dominant form."""

    target: str
    kind: str
    frequency: dict[str, float]
    forms: dict[str, float]
    typical: str | None
    dominant: str | None

    @property
    def at_least_monthly(self) -> float:
        return round(self.frequency.get("weekly", 0.0) + self.frequency.get("monthly", 0.0),
                     DIGITS)

    @property
    def unmarked(self) -> float:
        return round(max(0.0, 1.0 - sum(self.frequency.values())), DIGITS)

    @property
    def unit_id(self) -> int | None:
        return target_unit(self.target)


@dataclass(frozen=True)
class MapView:
    """A group's map: its respondents (n) and every target anyone marked. A group below k is
    `shown=False` with n 0 and no targets."""

    n: int
    shown: bool
    targets: dict[str, TargetView]


HIDDEN_MAP = MapView(n=0, shown=False, targets={})


def _typical(counts: Mapping[str, int]) -> str | None:
    """The median frequency of those who marked the target (weekly < monthly < less < never)."""
    total = sum(counts.get(f, 0) for f in FREQUENCIES)
    if not total:
        return None
    seen = 0
    for frequency in FREQUENCIES:
        seen += counts.get(frequency, 0)
        if 2 * seen >= total:
            return frequency
    return None


def summarize(n: int, frequency_counts: Mapping[str, Mapping[str, int]],
              form_counts: Mapping[str, Mapping[str, int]]) -> MapView:
    """A group's map from counts per target: respondents per frequency and per form, over the
    group's n respondents (those who skipped the map count as "not marked")."""
    if n <= 0:
        return MapView(n=0, shown=True, targets={})
    found: dict[str, TargetView] = {}
    for target in sorted(set(frequency_counts) | set(form_counts)):
        counts = frequency_counts.get(target, {})
        forms = form_counts.get(target, {})
        form_shares = {f: round(forms.get(f, 0) / n, DIGITS) for f in FORMS}
        best = max(FORMS, key=lambda f: (forms.get(f, 0), -FORMS.index(f)))
        found[target] = TargetView(
            target=target, kind=kind_of(target),
            frequency={f: round(counts.get(f, 0) / n, DIGITS) for f in FREQUENCIES},
            forms=form_shares, typical=_typical(counts),
            dominant=best if forms.get(best, 0) else None)
    return MapView(n=n, shown=True, targets=found)


def summarize_marks(marks: Mapping[str, Mark]) -> MapView:
    """One map (a workshop's shared map) read as a group of one."""
    frequency = {t: {m.frequency: 1} for t, m in marks.items()}
    forms = {t: {f: 1 for f in m.forms} for t, m in marks.items()}
    return summarize(1, frequency, forms)
