"""Releases: the moment waiting responses become part of the published numbers.

Called in the transaction that stores responses (survey submit, import, demo), when a round
closes, and at start-up for anything left waiting (such as responses stored before releases
existed), so a release follows within the same request as the response that allows it. The
building blocks here only flush; the use case that calls them commits.

Concurrent submits are made safe by taking a lock on the round before the waiting responses are
read: SQLite's write transactions already run one at a time (BEGIN IMMEDIATE); on PostgreSQL the
round's row is locked FOR NO KEY UPDATE, which a second submitter of the same round waits for,
and which does not clash with the key-share locks its foreign keys take.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import Session, select

from api.platform.models import Institution, KnobScore, Release, Response, Round, Unit
from api.results import anonymity


@dataclass(frozen=True)
class ReleaseState:
    """What a surface says about the numbers it shows: which release, and what waits."""

    release_id: int | None
    number: int  # 0 before the first release
    published_at: datetime | None
    counted: int  # responses in the published numbers
    pending: int  # responses waiting until their groups are large enough
    closed: bool  # the round is closed: what waits now will never be counted


def ancestors_of(*, session: Session, institution_id: int) -> dict[int, list[int]]:
    """Every unit's chain of parents, nearest first (a broken loop in the tree stops the chain)."""
    parent = dict(session.exec(select(Unit.id, Unit.parent_id)
                               .where(Unit.institution_id == institution_id)).all())
    chains: dict[int, list[int]] = {}
    for unit_id in parent:
        chain, seen, current = [], {unit_id}, parent.get(unit_id)
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parent.get(current)
        chains[unit_id] = chain
    return chains


def _lock_round(session: Session, round_id: int) -> Round:
    return session.exec(select(Round).where(Round.id == round_id)
                        .with_for_update(key_share=True)).one()


def _waiting(session: Session, round_id: int) -> list[anonymity.Arrival]:
    rows = session.exec(select(Response.id, Response.unit_id, Response.role)
                        .where(Response.round_id == round_id, Response.release_id.is_(None))).all()
    if not rows:
        return []
    knobs: dict[int, set[str]] = defaultdict(set)
    scored = session.exec(
        select(KnobScore.response_id, KnobScore.knob)
        .join(Response, Response.id == KnobScore.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_(None)))
    for response_id, knob in scored:
        knobs[response_id].add(knob)
    return [anonymity.Arrival(key=rid, unit_id=unit_id, role=role,
                              knobs=frozenset(knobs.get(rid, ())))
            for rid, unit_id, role in rows]


def release_due(*, session: Session, round_id: int, default_k: int) -> Release | None:
    """Publish every waiting response of the round that the release rule allows (flush only)."""
    round_ = _lock_round(session, round_id)
    arrivals = _waiting(session, round_.id)
    if not arrivals:
        return None
    institution = session.get(Institution, round_.institution_id)
    k = anonymity.threshold(default_k=default_k, institution=institution)
    chosen = anonymity.releasable(
        arrivals, k=k, ancestors=ancestors_of(session=session, institution_id=institution.id))
    if not chosen:
        return None
    number = session.exec(select(func.coalesce(func.max(Release.number), 0))
                          .where(Release.round_id == round_.id)).one() + 1
    release = Release(round_id=round_.id, number=number, responses=len(chosen))
    session.add(release)
    session.flush()
    ids = sorted(chosen)
    for start in range(0, len(ids), 500):  # stay below every database's parameter limit
        session.execute(Response.__table__.update()
                     .where(Response.id.in_(ids[start:start + 500]))
                     .values(release_id=release.id))
    session.execute(_ADD_RESPONSES, {"release_id": release.id})
    session.execute(_ADD_KNOB_SCORES, {"release_id": release.id})
    return release


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


# Add a release's responses to the running tallies in one GROUP BY each; the same statement text
# runs on SQLite and PostgreSQL (the WHERE keeps SQLite's parser from reading ON as a join).
_ADD_RESPONSES = text(
    "INSERT INTO response_tally (round_id, unit_id, role, n) "
    "SELECT round_id, unit_id, role, count(*) FROM response WHERE release_id = :release_id "
    "GROUP BY round_id, unit_id, role "
    "ON CONFLICT (round_id, unit_id, role) DO UPDATE SET n = response_tally.n + excluded.n")
_ADD_KNOB_SCORES = text(
    "INSERT INTO knob_tally (round_id, unit_id, role, knob, n, total, total_sq) "
    "SELECT s.round_id, s.unit_id, s.role, s.knob, count(*), sum(s.score), sum(s.score * s.score) "
    "FROM knob_score s JOIN response r ON r.id = s.response_id WHERE r.release_id = :release_id "
    "GROUP BY s.round_id, s.unit_id, s.role, s.knob "
    "ON CONFLICT (round_id, unit_id, role, knob) DO UPDATE SET n = knob_tally.n + excluded.n, "
    "total = knob_tally.total + excluded.total, total_sq = knob_tally.total_sq + excluded.total_sq")
