"""The sector benchmark: how an institution compares with the sector, naming no institution.

Opted-in institutions (`SectorOptIn`, per questionnaire version) each contribute their
institution-level knob means as the gate publishes them: those of their latest round of that
version whose opening date falls in the study year (1 August – 31 July, Amsterdam time), at its
latest release. A round whose institution total is hidden (below k) contributes nothing.

The sector's numbers are published in sector releases, as an institution's are in releases,
with the same rule one level up, for institutions instead of respondents:

- a sector release needs at least `sector_min_institutions` (never below 5) contributions;
- its set of contributions (institution → institution release) must differ from EVERY earlier
  sector release of the same (version, study year) by at least k institutions, k the default
  anonymity threshold: an institution joining, leaving or bringing a new release counts one.
  So no two published benchmarks can be subtracted to pin down fewer than k institutions;
- until a new one qualifies, the last one stays what is shown. When an institution in the shown
  release opts out, that release is withdrawn (nothing shows), so opting out never reveals a
  difference of fewer than k institutions either; a later release must again differ by k from
  every earlier one, the withdrawn one included.

The building blocks here flush; the use case that calls them (an institution release, an
opt-in or opt-out) commits. Only `api.results.gate.sector_benchmark` reads them for a surface.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from api.platform.errors import Conflict, Forbidden
from api.platform.models import (
    Institution,
    Release,
    Round,
    SectorContribution,
    SectorOptIn,
    SectorRelease,
    utcnow,
)
from api.results import anonymity, gate

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
Contributions = Mapping[int, int]  # institution id -> the institution release it brings


def period_of(moment: datetime) -> str:
    """The Dutch study year (1 Aug – 31 Jul) of a moment, in Amsterdam time: '2026-2027'."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL_ZONE)
    start = local.year if local.month >= 8 else local.year - 1
    return f"{start}-{start + 1}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The study year's first moment and the first moment after it, in UTC."""
    start = int(period.split("-")[0])
    return (datetime(start, 8, 1, tzinfo=LOCAL_ZONE).astimezone(UTC),
            datetime(start + 1, 8, 1, tzinfo=LOCAL_ZONE).astimezone(UTC))


def distance(a: Contributions, b: Contributions) -> int:
    """Institutions whose contribution differs: in one set only, or with another release."""
    return sum(1 for institution in set(a) | set(b) if a.get(institution) != b.get(institution))


def may_publish(current: Contributions, earlier: Sequence[Contributions], *, k: int,
                minimum: int) -> bool:
    """The sector release rule: enough institutions, and k apart from every earlier release."""
    return len(current) >= minimum and all(distance(current, e) >= k for e in earlier)


def band(values: Sequence[float]) -> dict[str, float]:
    """Mean, Q1 and Q3 (inclusive quartiles: linear between the sorted values, as a
    spreadsheet's QUARTILE.INC), to the gate's two decimals."""
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"mean": gate.rounded(statistics.fmean(values)), "q1": gate.rounded(q1),
            "q3": gate.rounded(q3)}


@dataclass(frozen=True)
class Contribution:
    release_id: int
    means: dict[str, float]


def contributions(*, session: Session, slug: str, version: str, period: str,
                  default_k: int) -> dict[int, Contribution]:
    """What each opted-in institution brings now, by institution id (read only)."""
    opted = list(session.exec(select(SectorOptIn.institution_id).where(
        SectorOptIn.questionnaire_slug == slug, SectorOptIn.questionnaire_version == version)))
    if not opted:
        return {}
    start, end = period_bounds(period)
    rounds = session.exec(select(Round).where(
        Round.institution_id.in_(opted), Round.questionnaire_slug == slug,
        Round.questionnaire_version == version, Round.opens_at >= start, Round.opens_at < end,
    ).order_by(Round.opens_at.desc(), Round.id.desc())).all()
    found: dict[int, Contribution] = {}
    for round_ in rounds:
        if round_.institution_id in found:
            continue
        latest = session.exec(select(Release.id).where(Release.round_id == round_.id)
                              .order_by(Release.number.desc()).limit(1)).first()
        if latest is None:
            continue
        k = anonymity.threshold(default_k=default_k,
                                institution=session.get(Institution, round_.institution_id))
        total = gate.round_total(session=session, round_id=round_.id, k=k)
        if total.shown and total.knobs:
            found[round_.institution_id] = Contribution(release_id=latest, means=total.means())
    return found


def _earlier(session: Session, slug: str, version: str, period: str,
             ) -> list[tuple[SectorRelease, dict[int, int]]]:
    made = session.exec(select(SectorRelease).where(
        SectorRelease.questionnaire_slug == slug, SectorRelease.questionnaire_version == version,
        SectorRelease.period == period).order_by(SectorRelease.number)).all()
    sets: dict[int, dict[int, int]] = {r.id: {} for r in made}
    if made:
        for release_id, institution_id, contributed in session.exec(select(
                SectorContribution.sector_release_id, SectorContribution.institution_id,
                SectorContribution.release_id).where(
                SectorContribution.sector_release_id.in_(list(sets)))):
            sets[release_id][institution_id] = contributed
    return [(r, sets[r.id]) for r in made]


def lock_version(*, session: Session, slug: str, version: str) -> None:
    """One sector change at a time per questionnaire version, until the transaction ends.

    Why: two institutions releasing at the same moment would each count the sector without the
    other and both make release number N (a duplicate key in a respondent's submit), or publish
    two releases fewer than k apart. PostgreSQL: a transaction-scoped advisory lock, taken after
    the round's lock and before anything sector is read; SQLite runs its writers one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": f"kennisster.sector:{slug}/{version}"})


def consider(*, session: Session, slug: str, version: str, period: str, default_k: int,
             minimum: int) -> SectorRelease | None:
    """Make a sector release of the key when the rule allows one now (flush only)."""
    lock_version(session=session, slug=slug, version=version)
    current = contributions(session=session, slug=slug, version=version, period=period,
                            default_k=default_k)
    earlier = _earlier(session, slug, version, period)
    k = anonymity.threshold(default_k=default_k)
    if not may_publish({i: c.release_id for i, c in current.items()},
                       [sets for _, sets in earlier], k=k, minimum=minimum):
        return None
    knobs = sorted({knob for c in current.values() for knob in c.means})
    numbers = {}
    for knob in knobs:
        values = [c.means[knob] for c in current.values() if knob in c.means]
        if len(values) >= minimum:
            numbers[knob] = band(values)
    release = SectorRelease(questionnaire_slug=slug, questionnaire_version=version, period=period,
                            number=len(earlier) + 1, institutions=len(current), numbers=numbers)
    session.add(release)
    session.flush()
    session.add_all([SectorContribution(sector_release_id=release.id, institution_id=i,
                                        release_id=c.release_id) for i, c in current.items()])
    session.flush()
    return release


def after_release(*, session: Session, round_id: int, default_k: int, minimum: int,
                  ) -> SectorRelease | None:
    """Called when an institution release is made: when its institution takes part for the
    round's version, the round's key may get a new sector release (flush only)."""
    round_ = session.get(Round, round_id)
    opted = session.get(SectorOptIn, (round_.institution_id, round_.questionnaire_slug,
                                      round_.questionnaire_version))
    if opted is None:
        return None
    return consider(session=session, slug=round_.questionnaire_slug,
                    version=round_.questionnaire_version, period=period_of(round_.opens_at),
                    default_k=default_k, minimum=minimum)


def periods_of(*, session: Session, institution_id: int, slug: str, version: str) -> list[str]:
    """The study years in which the institution has rounds of the version."""
    opens = session.exec(select(Round.opens_at).where(
        Round.institution_id == institution_id, Round.questionnaire_slug == slug,
        Round.questionnaire_version == version)).all()
    return sorted({period_of(moment) for moment in opens})


def withdraw_with(*, session: Session, institution_id: int, slug: str, version: str) -> int:
    """On an opt-out: withdraw every shown sector release of the version the institution is in,
    so the change shows no difference of fewer than k institutions (flush only); how many."""
    shown = session.exec(select(SectorRelease).where(
        SectorRelease.questionnaire_slug == slug, SectorRelease.questionnaire_version == version,
        SectorRelease.withdrawn_at.is_(None))).all()
    latest: dict[str, SectorRelease] = {}
    for release in session.exec(select(SectorRelease).where(
            SectorRelease.questionnaire_slug == slug,
            SectorRelease.questionnaire_version == version)):
        if release.period not in latest or release.number > latest[release.period].number:
            latest[release.period] = release
    withdrawn = 0
    for release in shown:
        if latest.get(release.period) is not release:
            continue
        if session.get(SectorContribution, (release.id, institution_id)) is not None:
            release.withdrawn_at = utcnow()
            session.add(release)
            withdrawn += 1
    session.flush()
    return withdrawn


def benchmark_of_round(*, session: Session, round_: Round, institution: Institution,
                       default_k: int) -> gate.SectorView:
    """The benchmark beside a round for the API: 403 when the institution does not take part
    for the round's version, 409 while no sector release may be shown."""
    view = gate.sector_benchmark(session=session, institution=institution, round_=round_,
                                 k=anonymity.threshold(default_k=default_k,
                                                       institution=institution))
    if not view.opted_in:
        raise Forbidden(
            f"This institution does not take part in the sector benchmark of "
            f"{view.slug}/{view.version}; a coordinator can opt in under Beheer → "
            "Sectorbenchmark.", code="sector_not_opted_in")
    if not view.available:
        why = ("an institution stopped taking part and no new edition qualifies yet"
               if view.reason == "withdrawn" else
               "fewer than the minimum number of opted-in institutions have released results")
        raise Conflict(f"The sector benchmark of {view.slug}/{view.version} for study year "
                       f"{view.period} is not available yet: {why}.",
                       code="sector_not_available", reason=view.reason)
    return view
