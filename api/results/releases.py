"""Releases: the moment waiting responses become part of the published numbers.

Called in the transaction that stores responses (survey submit, import, demo), when a round
closes, and at start-up for anything left waiting (such as responses stored before releases
existed), so a release follows within the same request as the response that allows it. The
building blocks here only flush; the use case that calls them commits.

Concurrent submits are made safe by taking a lock on the round before the waiting responses are
read: SQLite's write transactions already run one at a time (BEGIN IMMEDIATE); on PostgreSQL the
round's row is locked FOR NO KEY UPDATE, which a second submitter of the same round waits for,
and which does not clash with the key-share locks its foreign keys take. Held until the commit,
that lock makes a round's submits on PostgreSQL run one after the other; `release_after_commit`
releases after the use case committed instead, and takes the lock only when a release may be
possible.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, text
from sqlmodel import Session, select

from api.platform.models import (
    Institution,
    KnobScore,
    OwnAnswer,
    Release,
    Response,
    Round,
    Unit,
)
from api.results import anonymity
from api.webhooks import events as webhook_events


@dataclass(frozen=True)
class ReleaseState:
    """What a surface says about the numbers it shows: which release, and what waits."""

    release_id: int | None
    number: int  # 0 before the first release
    published_at: datetime | None
    counted: int  # responses in the published numbers
    pending: int  # responses waiting until their groups are large enough
    closed: bool  # the round is closed: what waits now will never be counted


_PARENTS = sa.select(Unit.__table__.c.id, Unit.__table__.c.parent_id).where(
    Unit.__table__.c.institution_id == sa.bindparam("institution_id"))


def ancestors_of(*, session: Session, institution_id: int) -> dict[int, list[int]]:
    """Every unit's chain of parents, nearest first (a broken loop in the tree stops the chain)."""
    parent = dict(session.execute(_PARENTS, {"institution_id": institution_id}).all())
    chains: dict[int, list[int]] = {}
    for unit_id in parent:
        chain, seen, current = [], {unit_id}, parent.get(unit_id)
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parent.get(current)
        chains[unit_id] = chain
    return chains


# The statements of every submit, built once as Core statements with bound parameters: building
# a statement and its cache key on each call cost more than running it.
_ROUND = Round.__table__.c
_RESPONSE = Response.__table__.c
_LOCK_ROUND = (sa.select(_ROUND.institution_id).where(_ROUND.id == sa.bindparam("round_id"))
               .with_for_update(key_share=True))
_TRY_LOCK_ROUND = (sa.select(_ROUND.id).where(_ROUND.id == sa.bindparam("round_id"))
                   .with_for_update(key_share=True, skip_locked=True))
_INSTITUTION_OF_ROUND = sa.select(_ROUND.institution_id).where(_ROUND.id == sa.bindparam("round_id"))
_WAITING_COUNT = sa.select(func.count()).select_from(Response.__table__).where(
    _RESPONSE.round_id == sa.bindparam("round_id"), _RESPONSE.release_id.is_(None))


def _lock_round(session: Session, round_id: int) -> int:
    """Lock the round's row (PostgreSQL: FOR NO KEY UPDATE); its institution's id."""
    return session.execute(_LOCK_ROUND, {"round_id": round_id}).scalar_one()


def _waiting_count(session: Session, round_id: int) -> int:
    return session.execute(_WAITING_COUNT, {"round_id": round_id}).scalar_one()


Scores = dict[int, dict[str, float]]  # response id -> knob -> score


def _waiting(session: Session, round_id: int) -> tuple[list[anonymity.Arrival], Scores]:
    """The round's waiting responses as the release rule sees them, and their knob scores
    (which the tallies add up when they are released)."""
    rows = session.execute(select(Response.id, Response.unit_id, Response.role)
                           .where(Response.round_id == round_id,
                                  Response.release_id.is_(None))).all()
    if not rows:
        return [], {}
    scores: Scores = defaultdict(dict)
    scored = session.execute(
        select(KnobScore.response_id, KnobScore.knob, KnobScore.score)
        .join(Response, Response.id == KnobScore.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_(None)))
    for response_id, knob, score in scored:
        scores[response_id][knob] = score
    # every own statement answered is a measure of its own, so its published numbers grow by 0
    # or at least k answers per release, as a knob's do; they add nothing to the tallies
    own: dict[int, set[str]] = defaultdict(set)
    for response_id, item_id in session.execute(
            select(OwnAnswer.response_id, OwnAnswer.item_id)
            .join(Response, Response.id == OwnAnswer.response_id)
            .where(Response.round_id == round_id, Response.release_id.is_(None),
                   OwnAnswer.value.is_not(None))):
        own[response_id].add(own_measure(item_id))
    return [anonymity.Arrival(key=rid, unit_id=unit_id, role=role,
                              knobs=frozenset(scores.get(rid, ())) | frozenset(own.get(rid, ())))
            for rid, unit_id, role in rows], scores


def own_measure(item_id: int) -> str:
    """The release rule's name for the answers to one own statement (never a knob's key)."""
    return f"own:{item_id}"


def _add_to_tallies(session: Session, round_id: int, released: list[anonymity.Arrival],
                    scores: Scores) -> None:
    """Add a release's responses to the running tallies, from the rows `_waiting` read: no
    statement reads the response or knob_score tables again (a GROUP BY over the release would
    scan every response of the round, once per release)."""
    responses = Counter((a.unit_id, a.role) for a in released)
    knobs: dict[tuple[int, str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for arrival in released:
        for knob, score in scores.get(arrival.key, {}).items():
            cell = knobs[(arrival.unit_id, arrival.role, knob)]
            cell[0] += 1
            cell[1] += score
            cell[2] += score * score
    session.execute(_ADD_RESPONSES, [
        {"round_id": round_id, "unit_id": unit_id, "role": role, "n": n}
        for (unit_id, role), n in sorted(responses.items())])
    if knobs:
        session.execute(_ADD_KNOB_SCORES, [
            {"round_id": round_id, "unit_id": unit_id, "role": role, "knob": knob, "n": n,
             "total": total, "total_sq": total_sq}
            for (unit_id, role, knob), (n, total, total_sq) in sorted(knobs.items())])


def release_due(*, session: Session, round_id: int, default_k: int) -> Release | None:
    """Publish every waiting response of the round that the release rule allows (flush only).

    Most submits end after one count: with fewer than k waiting nothing can be released
    (`anonymity.may_release_any`), so the waiting responses are read only when some may go."""
    session.flush()  # the caller's pending ORM changes, before the lock and the counts
    institution_id = _lock_round(session, round_id)
    return _release_locked(session, round_id, institution_id, default_k)[0]


def _release_locked(session: Session, round_id: int, institution_id: int,
                    default_k: int) -> tuple[Release | None, int]:
    """With the round's lock held: the release (or None) and how many responses waited."""
    # usually in the session already (the caller checked the round's institution): no query
    institution = session.get(Institution, institution_id)
    k = anonymity.threshold(default_k=default_k, institution=institution)
    waiting = _waiting_count(session, round_id)
    if not anonymity.may_release_any(waiting, k=k):
        return None, waiting
    arrivals, scores = _waiting(session, round_id)
    chosen = anonymity.releasable(
        arrivals, k=k, ancestors=ancestors_of(session=session, institution_id=institution_id))
    if not chosen:
        return None, len(arrivals)
    number = session.execute(select(func.coalesce(func.max(Release.number), 0))
                             .where(Release.round_id == round_id)).scalar_one() + 1
    release = Release(round_id=round_id, number=number, responses=len(chosen))
    session.add(release)
    session.flush()
    ids = sorted(chosen)
    for start in range(0, len(ids), 500):  # stay below every database's parameter limit
        session.execute(Response.__table__.update()
                     .where(Response.id.in_(ids[start:start + 500]))
                     .values(release_id=release.id))
    _add_to_tallies(session, round_id, [a for a in arrivals if a.key in chosen], scores)
    webhook_events.release_published(session, release, institution_id)
    _consider_sector(session, round_id, default_k)
    return release, len(arrivals)


def _consider_sector(session: Session, round_id: int, default_k: int) -> None:
    """A new institution release may let the sector benchmark of its version move on
    (`api.results.sector`), in the same transaction. Imported here: the sector reads the gate,
    which reads this module."""
    from api.platform.settings import get_settings
    from api.results import sector

    sector.after_release(session=session, round_id=round_id, default_k=default_k,
                         minimum=get_settings().sector_min_institutions)


def release_after_commit(*, session: Session, round_id: int, default_k: int) -> int:
    """`release_due` for a use case that has just committed its responses, in transactions of
    its own (commits); the number of releases made.

    Why: inside the use case's transaction the round's lock would be held until its commit, so on
    PostgreSQL every submit of a round would wait for the one before it (commit and WAL flush
    included). Here a submitter takes the lock only when a release may be possible, and never
    waits for it:

    - a count without the lock sees every response committed before it. With fewer than k
      waiting it stops: of submitters racing on the round, the one that commits last counts after
      its commit and so sees every response committed before it;
    - the lock is tried with SKIP LOCKED. Held by another submitter, it stops: its own response
      committed before the try, so while the holder held the lock; the holder counts again after
      its commit, sees the response, and goes on releasing;
    - the holder, after each release, counts again: when more responses wait than it left
      waiting, someone committed meanwhile (and may have stopped on its lock), so it tries again.

    So no response that a release may include is left waiting once the submits are done, as with
    `release_due` under the lock. A crash between the commits leaves responses waiting for the
    next submit or the start-up release (`release_all_due`), never published early.
    """
    institution_id = session.execute(_INSTITUTION_OF_ROUND, {"round_id": round_id}).scalar_one()
    k = anonymity.threshold(default_k=default_k,
                            institution=session.get(Institution, institution_id))
    made = 0
    while anonymity.may_release_any(_waiting_count(session, round_id), k=k):
        if session.execute(_TRY_LOCK_ROUND, {"round_id": round_id}).first() is None:
            break  # another submitter holds it and will count this response after its commit
        release, waited = _release_locked(session, round_id, institution_id, default_k)
        session.commit()
        made += release is not None
        left = waited - (release.responses if release else 0)
        if _waiting_count(session, round_id) <= left:
            break  # nobody committed while the lock was held: nothing more to try
    session.commit()  # end the read
    return made


def release_all_due(*, session: Session, default_k: int) -> int:
    """Release what may be released in every round that has waiting responses; the number made.

    Each round commits on its own, so a large backlog never holds one long lock."""
    round_ids = session.exec(select(Response.round_id).where(Response.release_id.is_(None))
                             .distinct()).all()
    made = 0
    for round_id in round_ids:
        made += release_due(session=session, round_id=round_id, default_k=default_k) is not None
        session.commit()
    return made


def state(*, session: Session, round_: Round, now: datetime) -> ReleaseState:
    return states(session=session, rounds=[round_], now=now)[round_.id]


def states(*, session: Session, rounds: list[Round], now: datetime) -> dict[int, ReleaseState]:
    """Each round's `ReleaseState` by round id: two queries, however many rounds."""
    ids = [r.id for r in rounds]
    if not ids:
        return {}
    newest = (select(Release.round_id, func.max(Release.number).label("number"))
              .where(Release.round_id.in_(ids)).group_by(Release.round_id).subquery())
    latest = {release.round_id: release for release in session.exec(
        select(Release).join(newest, (Release.round_id == newest.c.round_id)
                             & (Release.number == newest.c.number)))}
    waiting = Response.release_id.is_(None)
    counts: dict[int, dict[bool, int]] = defaultdict(dict)
    for round_id, is_waiting, n in session.exec(
            select(Response.round_id, waiting, func.count())
            .where(Response.round_id.in_(ids)).group_by(Response.round_id, waiting)):
        counts[round_id][bool(is_waiting)] = int(n)
    found = {}
    for round_ in rounds:
        release, count = latest.get(round_.id), counts.get(round_.id, {})
        found[round_.id] = ReleaseState(
            release_id=release.id if release else None, number=release.number if release else 0,
            published_at=release.published_at if release else None,
            counted=count.get(False, 0), pending=count.get(True, 0),
            closed=round_.status(now) == "closed")
    return found


# The upserts of the running tallies; the same statement text runs on SQLite and PostgreSQL.
_ADD_RESPONSES = text(
    "INSERT INTO response_tally (round_id, unit_id, role, n) "
    "VALUES (:round_id, :unit_id, :role, :n) "
    "ON CONFLICT (round_id, unit_id, role) DO UPDATE SET n = response_tally.n + excluded.n")
_ADD_KNOB_SCORES = text(
    "INSERT INTO knob_tally (round_id, unit_id, role, knob, n, total, total_sq) "
    "VALUES (:round_id, :unit_id, :role, :knob, :n, :total, :total_sq) "
    "ON CONFLICT (round_id, unit_id, role, knob) DO UPDATE SET n = knob_tally.n + excluded.n, "
    "total = knob_tally.total + excluded.total, total_sq = knob_tally.total_sq + excluded.total_sq")
