"""The one gate every published number passes: who may see which number, and how precisely.

Pages, charts, downloads, the thank-you page and `/api/v1` get their numbers from here and from
nowhere else; `api.results._aggregation` and `api.results._reliability` are private to this
module (a test fails when another module imports them). What comes out of the gate is:

- computed from released responses only (`api.results.releases`), so two views of a round differ
  by whole releases of at least k respondents per group, never by one person;
- shown for a group, and for one knob of a group, only from k respondents on;
- rounded to the two decimals the dashboard shows, so no surface carries more digits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session, select

from api.platform.models import Institution, Response, Round, utcnow
from api.platform.questionnaires import Questionnaire
from api.results import (
    _aggregation,
    _network,
    _reliability,
    anonymity,
    item_analysis,
    network,
    releases,
    scoring,
)
from api.results._aggregation import GroupBy
from api.results._reliability import Reliability
from api.results.releases import ReleaseState

DIGITS = 2  # decimals of every published score, sd, interval, spread, difference and alpha


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _published_summary(summary: scoring.Summary) -> scoring.Summary:
    return scoring.Summary(n=summary.n, mean=rounded(summary.mean), sd=rounded(summary.sd),
                           ci_low=rounded(summary.ci_low), ci_high=rounded(summary.ci_high))


@dataclass(frozen=True)
class Published:
    """One group's numbers as they may leave the server.

    A group below k is `shown=False` with n 0 and no knobs: not even its size is published.
    """

    n: int
    shown: bool
    knobs: dict[str, scoring.Summary] = field(default_factory=dict)

    def means(self) -> dict[str, float]:
        return {knob: summary.mean for knob, summary in self.knobs.items()}


HIDDEN = Published(n=0, shown=False)


def change(before: scoring.Summary, after: scoring.Summary) -> scoring.Change:
    """How a knob moved between two published summaries, to the published precision."""
    found = scoring.change_between(before, after)
    return scoring.Change(difference=rounded(found.difference), low=rounded(found.low),
                          high=rounded(found.high))


def threshold(*, default_k: int, institution: Institution) -> int:
    return anonymity.threshold(default_k=default_k, institution=institution)


def _publish(scores: _aggregation.GroupScores | None, k: int) -> Published:
    if scores is None or not anonymity.shown(scores.n, k):
        return HIDDEN
    knobs = {knob: _published_summary(summary) for knob, summary in scores.knobs.items()
             if anonymity.shown(summary.n, k)}
    return Published(n=scores.n, shown=True, knobs=knobs)


def scores(
    *, session: Session, round_ids: list[int], k: int, group_by: GroupBy = "institution",
) -> dict[tuple[int, object], Published]:
    """Published numbers per (round, group); the group key is None for the whole institution,
    a unit id or a role key. Groups without released respondents are absent."""
    found = _aggregation.scores_by(session=session, round_ids=round_ids, group_by=group_by)
    return {key: _publish(group, k) for key, group in found.items()}


def round_total(*, session: Session, round_id: int, k: int) -> Published:
    return scores(session=session, round_ids=[round_id], k=k).get((round_id, None), HIDDEN)


def unit_total(*, session: Session, round_id: int, unit_id: int, k: int) -> Published:
    """One unit's published numbers: the same group, with the same numbers, as on the dashboard."""
    found = _aggregation.scores_by(session=session, round_ids=[round_id], group_by="unit",
                                   unit_ids=[unit_id])
    return _publish(found.get((round_id, unit_id)), k)


def rounds_of(*, session: Session, institution: Institution) -> list[tuple[Round, int]]:
    """The institution's rounds, oldest first, with their number of released responses."""
    found = list(session.exec(select(Round).where(Round.institution_id == institution.id)
                              .order_by(Round.opens_at, Round.id)))
    counted = _aggregation.released_per_round(session=session, round_ids=[r.id for r in found])
    return [(r, counted.get(r.id, 0)) for r in found]


def release_state(*, session: Session, round_: Round, now: datetime | None = None) -> ReleaseState:
    """Which release the numbers reflect and how many responses wait: participation, not
    answers, so it may be live."""
    return releases.state(session=session, round_=round_, now=now or utcnow())


def release_states(*, session: Session, rounds: Sequence[Round], now: datetime | None = None,
                   ) -> dict[int, ReleaseState]:
    """`release_state` of several rounds by round id, in two queries whatever their number."""
    return releases.states(session=session, rounds=list(rounds), now=now or utcnow())


def reliability(*, session: Session, questionnaire: Questionnaire, round_id: int, k: int,
                ) -> dict[str, Reliability]:
    """Cronbach's alpha per knob over the released respondents, when the round's total is shown,
    counted by whole releases of at least k complete respondents (`_reliability`)."""
    if not round_total(session=session, round_id=round_id, k=k).shown:
        return {}
    found = _reliability.knob_reliability(session=session, questionnaire=questionnaire,
                                          round_id=round_id, k=k)
    return {knob: replace(rel, alpha=rounded(rel.alpha)) for knob, rel in found.items()}


# --- evidence that a scale holds: one instrument version over the whole sector -------------------

MIN_N_EVIDENCE = 30  # complete respondents a knob needs before its item analysis is shown


@dataclass(frozen=True)
class ItemEvidence:
    """One statement of a knob: how it hangs with the others, and what leaving it out does."""

    item_id: str
    item_rest: float | None
    weak: bool  # item–rest r below 0.3 (on the published value)
    alpha_if_deleted: float | None
    raises_alpha: bool  # alpha without the item is higher than with it (on the published values)


@dataclass(frozen=True)
class KnobEvidence:
    knob: str
    items: int
    shown: bool
    n: int  # complete respondents counted; 0 or at least k (see `scale_evidence`)
    needed: int  # how many more complete respondents before the knob is shown; 0 when shown
    alpha: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    item_stats: tuple[ItemEvidence, ...] = ()


@dataclass(frozen=True)
class ScaleEvidence:
    slug: str
    version: str
    minimum: int  # max(MIN_N_EVIDENCE, the largest k of the institutions using the version)
    knobs: tuple[KnobEvidence, ...]


def scale_evidence(*, session: Session, questionnaire: Questionnaire, default_k: int,
                   ) -> ScaleEvidence:
    """Per knob of one questionnaire version, over the released responses of every round of
    every institution: n, Cronbach's alpha with Feldt's 95 % interval, and per item the
    corrected item–rest correlation and alpha if the item is deleted.

    Why this may be published:
    - Only released responses count, and only by whole releases that bring at least their
      institution's k complete respondents of the knob (`_reliability.version_cross_sums`).
      So the set behind the numbers grows in steps of at least k, never by one person, and n
      itself is 0 or at least k: publishing it (and how many are still needed) names no
      small group.
    - A knob is shown from max(30, k) complete respondents on. Below 30 alpha's interval is so
      wide that the number says little, and a statistic over many people moves little when
      one of them changes.
    - Every number is a second-order statistic of the whole sector (variances and covariances
      scaled away into alphas and correlations), rounded to two decimals: no mean, no
      institution, no unit, no role. Could an item–rest r over a set that grows by one reveal
      that one person's answers? Not here: the set grows only by releases of at least k, and
      between two views an attacker sees a handful of rounded coefficients, not the sums they
      come from, so the difference of two views does not pin down any answer of a group
      below k.
    """
    k = _reliability.version_k(session=session, questionnaire=questionnaire, default_k=default_k)
    minimum = max(MIN_N_EVIDENCE, k)
    knobs = []
    for knob in questionnaire.knobs:
        item_ids = [item.id for item in questionnaire.items_of(knob.key)]
        sums = _reliability.version_cross_sums(session=session, questionnaire=questionnaire,
                                               knob=knob.key, default_k=default_k)
        if sums.n < minimum:
            knobs.append(KnobEvidence(knob=knob.key, items=len(item_ids), shown=False, n=sums.n,
                                      needed=minimum - sums.n))
            continue
        found = item_analysis.scale_stats(sums, item_ids)
        alpha = rounded(found.alpha)
        items = []
        for item in found.items:
            rest, without = rounded(item.item_rest), rounded(item.alpha_if_deleted)
            items.append(ItemEvidence(
                item_id=item.item_id, item_rest=rest,
                weak=rest is not None and rest < item_analysis.WEAK_ITEM_REST,
                alpha_if_deleted=without,
                raises_alpha=without is not None and alpha is not None and without > alpha))
        knobs.append(KnobEvidence(knob=knob.key, items=len(item_ids), shown=True, n=sums.n,
                                  needed=0, alpha=alpha, ci_low=rounded(found.ci_low),
                                  ci_high=rounded(found.ci_high), item_stats=tuple(items)))
    return ScaleEvidence(slug=questionnaire.slug, version=questionnaire.version, minimum=minimum,
                         knobs=tuple(knobs))


def open_answers(*, session: Session, questionnaire: Questionnaire, round_id: int, k: int,
                 ) -> dict[str, list[str]]:
    """Released open answers per knob, once the round's total is shown.

    They come with no time and in an order that follows neither arrival nor the alphabet: each
    text's place is a hash of the text and the round, so a batch added by a release spreads
    through the list instead of landing at its end.
    """
    if not round_total(session=session, round_id=round_id, k=k).shown:
        return {}
    knob_of = {q.id: q.knob or "" for q in questionnaire.open_questions}

    def place(text: str) -> str:
        return hashlib.sha256(f"{round_id}\x00{text}".encode()).hexdigest()

    grouped: dict[str, list[str]] = {}
    for question_id, text in sorted(
            _aggregation.released_open_answers(session=session, round_id=round_id),
            key=lambda row: place(row[1])):
        grouped.setdefault(knob_of.get(question_id, ""), []).append(text)
    return grouped


@dataclass(frozen=True)
class OwnStat:
    """One own statement in one group, as it may leave the server: mean, sd and interval over
    the answers (weet niet left out), the number of answers per scale value, and weet niet."""

    summary: scoring.Summary
    counts: dict[int, int]
    dont_know: int


@dataclass(frozen=True)
class OwnPublished:
    """The published numbers of a round's own items, apart from the knob scores.

    `shown` is False while the round's total is hidden: then nothing is published. An item of a
    group is present only from k answers on, and a unit only when the unit itself is shown; the
    release rule counts every own statement as a measure of its own (`api.results.releases`),
    so these numbers too grow by 0 or at least k between releases.
    """

    shown: bool
    total: dict[int, OwnStat] = field(default_factory=dict)  # own item id -> stat
    units: dict[int, dict[int, OwnStat]] = field(default_factory=dict)  # unit id -> item id ->
    open_answers: dict[int, list[str]] = field(default_factory=dict)  # own item id -> texts


def _own_stat(counts: dict[int | None, int], k: int) -> OwnStat | None:
    answered = {value: n for value, n in counts.items() if value is not None}
    n = sum(answered.values())
    if not anonymity.shown(n, k):
        return None
    total = float(sum(value * m for value, m in answered.items()))
    total_sq = float(sum(value * value * m for value, m in answered.items()))
    summary = scoring.summarize_sums(n, total, total_sq)
    return OwnStat(summary=_published_summary(summary), counts=dict(sorted(answered.items())),
                   dont_know=counts.get(None, 0))


def own_items(*, session: Session, round_id: int, k: int) -> OwnPublished:
    """The round's own statements per institution and per shown unit, and the released answers
    to its own open questions under the rule of the instrument's (`open_answers`)."""
    if not round_total(session=session, round_id=round_id, k=k).shown:
        return OwnPublished(shown=False)
    shown_units = {key[1] for key, group in scores(session=session, round_ids=[round_id], k=k,
                                                    group_by="unit").items() if group.shown}
    per_unit: dict[int, dict[int, dict[int | None, int]]] = {}
    per_item: dict[int, dict[int | None, int]] = {}
    for unit_id, item_id, value, n in _aggregation.released_own_counts(session=session,
                                                                       round_id=round_id):
        cell = per_item.setdefault(item_id, {})
        cell[value] = cell.get(value, 0) + n
        per_unit.setdefault(unit_id, {}).setdefault(item_id, {})[value] = n
    total = {item_id: stat for item_id, counts in per_item.items()
             if (stat := _own_stat(counts, k)) is not None}
    units = {unit_id: {item_id: stat for item_id, counts in items.items()
                       if (stat := _own_stat(counts, k)) is not None}
             for unit_id, items in per_unit.items() if unit_id in shown_units}

    def place(text: str) -> str:
        return hashlib.sha256(f"{round_id}\x00{text}".encode()).hexdigest()

    texts: dict[int, list[str]] = {}
    for item_id, text in sorted(_aggregation.released_own_texts(session=session,
                                                                round_id=round_id),
                                key=lambda row: place(row[1])):
        texts.setdefault(item_id, []).append(text)
    return OwnPublished(shown=True, total=total,
                        units={u: items for u, items in units.items() if items},
                        open_answers=texts)


def units_with_responses(*, session: Session, round_id: int) -> set[int]:
    """Units with at least one stored response in the round, released or waiting: who took part,
    not what was answered. The dashboard lists them, without numbers while they wait, so a unit
    does not drop out of the table while its respondents wait for colleagues."""
    return {unit_id for _, unit_id in units_with_responses_per_round(session=session,
                                                                     round_ids=[round_id])}


def units_with_responses_per_round(*, session: Session, round_ids: Sequence[int],
                                   ) -> set[tuple[int, int]]:
    """(round, unit) pairs of `units_with_responses`, for several rounds in one query."""
    if not round_ids:
        return set()
    return set(session.exec(select(Response.round_id, Response.unit_id)
                            .where(Response.round_id.in_(list(round_ids))).distinct()))


def invitations_per_unit(*, session: Session, round_id: int) -> dict[int, int]:
    """Personal invitations per unit: who was asked, not what was answered."""
    return {unit_id: n for (_, unit_id), n in invitations_per_round_and_unit(
        session=session, round_ids=[round_id]).items()}


def invitations_per_round_and_unit(*, session: Session, round_ids: Sequence[int],
                                   ) -> dict[tuple[int, int], int]:
    """Personal invitations per (round, unit), for several rounds in one query."""
    return _aggregation.invitations_per_unit(session=session, round_ids=list(round_ids))


def network_maps(*, session: Session, round_: Round, k: int) -> dict[int | None, network.MapView]:
    """The network map per respondent unit (unit id) and for the whole institution (None), from
    released responses only, for groups of at least k; a group below k is `HIDDEN_MAP`.

    Every share is over the group's released respondents, those who skipped the map included
    (as "not marked"): the group is then exactly the unit (or institution) the release rule grows
    by 0 or at least k, so no view, no pair of releases and no unit against the institution
    pins down fewer than k respondents. Rounds without the map publish nothing.
    """
    if not round_.network_map:
        return {}
    sizes = _network.released_per_unit(session=session, round_id=round_.id)
    frequencies, forms = _network.marks_per_unit(session=session, round_id=round_.id)
    found: dict[int | None, network.MapView] = {}
    for unit_id, n in sizes.items():
        found[unit_id] = (network.summarize(n, frequencies.get(unit_id, {}), forms.get(unit_id, {}))
                          if anonymity.shown(n, k) else network.HIDDEN_MAP)
    total = sum(sizes.values())
    if anonymity.shown(total, k):
        all_frequencies: dict[str, dict[str, int]] = {}
        all_forms: dict[str, dict[str, int]] = {}
        for source, into in ((frequencies, all_frequencies), (forms, all_forms)):
            for per_target in source.values():
                for target, counts in per_target.items():
                    cell = into.setdefault(target, {})
                    for key, count in counts.items():
                        cell[key] = cell.get(key, 0) + count
        found[None] = network.summarize(total, all_frequencies, all_forms)
    else:
        found[None] = network.HIDDEN_MAP
    return found


# --- the sector benchmark: the institution beside the sector, naming no institution ------------

ABOVE, MIDDLE, BELOW = "above", "middle", "below"  # above Q3, from Q1 to Q3, below Q1


@dataclass(frozen=True)
class SectorKnob:
    knob: str
    mean: float
    q1: float
    q3: float
    own: float | None  # the institution's own published mean in the round; None when hidden
    position: str | None  # ABOVE, MIDDLE or BELOW; None without an own mean


@dataclass(frozen=True)
class SectorView:
    """The sector benchmark as a surface may show it for one round of one institution.

    `reason` says why nothing shows: "not_opted_in", "too_few" (fewer than the minimum of
    opted-in institutions with released results, or no sector release yet) or "withdrawn" (an
    institution left and the next release does not qualify yet). Never a name or an id of any
    contributing institution: only how many there are."""

    slug: str
    version: str
    period: str
    opted_in: bool
    available: bool
    reason: str | None = None
    institutions: int = 0
    published_at: datetime | None = None
    release_number: int = 0
    knobs: tuple[SectorKnob, ...] = ()
    minimum: int = 5  # institutions a sector release needs (`sector_min_institutions`)

    def knob(self, key: str) -> SectorKnob | None:
        return next((k for k in self.knobs if k.knob == key), None)


def position_of(own: float | None, q1: float, q3: float) -> str | None:
    """Where a mean stands against the sector's band: above Q3, below Q1, or in between."""
    if own is None:
        return None
    return ABOVE if own > q3 else BELOW if own < q1 else MIDDLE


def sector_benchmark(*, session: Session, institution: Institution, round_: Round, k: int,
                     ) -> SectorView:
    """The sector's frozen numbers for the round's version and study year beside the round's own
    published means. The sector numbers come only from sector releases (`api.results.sector`):
    made from at least five institutions and k apart from each other."""
    from api.platform.models import SectorOptIn, SectorRelease
    from api.platform.settings import get_settings
    from api.results import sector

    slug, version = round_.questionnaire_slug, round_.questionnaire_version
    period = sector.period_of(round_.opens_at)
    opted = session.get(SectorOptIn, (institution.id, slug, version)) is not None
    base = SectorView(slug=slug, version=version, period=period, opted_in=opted, available=False,
                      minimum=get_settings().sector_min_institutions)
    if not opted:
        return replace(base, reason="not_opted_in")
    latest = session.exec(select(SectorRelease).where(
        SectorRelease.questionnaire_slug == slug, SectorRelease.questionnaire_version == version,
        SectorRelease.period == period).order_by(SectorRelease.number.desc()).limit(1)).first()
    if latest is None:
        return replace(base, reason="too_few")
    if latest.withdrawn_at is not None:
        return replace(base, reason="withdrawn")
    own = round_total(session=session, round_id=round_.id, k=k).means()
    knobs = tuple(
        SectorKnob(knob=knob, mean=rounded(cell["mean"]), q1=rounded(cell["q1"]),
                   q3=rounded(cell["q3"]), own=own.get(knob),
                   position=position_of(own.get(knob), cell["q1"], cell["q3"]))
        for knob, cell in latest.numbers.items())
    return replace(base, available=True, institutions=latest.institutions,
                   published_at=latest.published_at, release_number=latest.number, knobs=knobs)
