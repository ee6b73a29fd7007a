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
from api.results import _aggregation, _network, _reliability, anonymity, network, releases, scoring
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
    """Cronbach's alpha per knob over the released respondents, when the round's total is shown."""
    if not round_total(session=session, round_id=round_id, k=k).shown:
        return {}
    found = _reliability.knob_reliability(session=session, questionnaire=questionnaire,
                                          round_id=round_id)
    return {knob: replace(rel, alpha=rounded(rel.alpha)) for knob, rel in found.items()}


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
