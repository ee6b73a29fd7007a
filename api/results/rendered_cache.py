"""Pages from the release: storage of what the dashboard drew, and the stamp that keys it.

Between two releases every published number of a round stands still (`api.results.releases`),
so the dashboard's fragments, charts, downloads and report need to be drawn only once per
release, language and option set. They are kept in the `rendered` table, so every app server
reads what one of them drew and a restart keeps it.

What is *not* frozen by a release goes into the round's `Stamp`: names (institution, units,
rounds), the institution's k, the round's dates and status, invitations, how many responses
wait. A release or any such edit gives a new stamp, so new keys; the rows of the round under an
older stamp are pruned when a newer one is stored. The stamp is a handful of small queries, none
of which grows with the number of responses.

This module never decides who may see a round: callers check access first (`web.rendered`),
then ask for the stamp of a round of the institution they were allowed to read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from api.platform.db import dialect_insert, session_scope
from api.platform.errors import NotFound
from api.platform.models import (
    Institution,
    Invitation,
    InvitationKind,
    Release,
    Rendered,
    Response,
    Round,
    Unit,
    utcnow,
)
from api.results import gate

log = logging.getLogger(__name__)
KEEP_PER_ROUND = 200  # option sets of one round kept at most; the oldest go first


@dataclass(frozen=True)
class Stamp:
    """One round as its pages depend on it, apart from the request's options."""

    round: Round
    k: int
    release_id: int | None
    release_number: int
    digest: str  # a hash of everything below and of what the release does not freeze


@dataclass(frozen=True)
class Entry:
    body: bytes
    media_type: str


def _chosen_round(rounds: list[Round], round_id: int | None, now: datetime) -> Round:
    """The dashboard's rule (`build_dashboard`): the latest opened round when none is asked."""
    if not rounds:
        raise NotFound("This institution has no rounds yet.", code="no_rounds")
    if round_id is None:
        opened = [r for r in rounds if r.opens_at <= now]
        return opened[-1] if opened else rounds[-1]
    found = next((r for r in rounds if r.id == round_id), None)
    if found is None:
        raise NotFound("This institution has no such round.")
    return found


def round_stamp(*, session: Session, institution: Institution, round_id: int | None,
                default_k: int, now: datetime | None = None) -> Stamp:
    """The stamp of one round of `institution` (the latest opened when `round_id` is None);
    NotFound as the dashboard says it when the institution has no such round."""
    now = now or utcnow()
    counted_rounds = gate.rounds_of(session=session, institution=institution)
    round_ = _chosen_round([r for r, _ in counted_rounds], round_id, now)
    k = gate.threshold(default_k=default_k, institution=institution)
    latest = session.exec(select(Release.id, Release.number, Release.published_at)
                          .where(Release.round_id == round_.id)
                          .order_by(Release.number.desc()).limit(1)).first()
    # waiting responses only: the (round, release) index holds them first, so this stays small
    pending = session.exec(select(sa.func.count()).select_from(Response)
                           .where(Response.round_id == round_.id,
                                  Response.release_id.is_(None))).one()
    units = session.exec(select(Unit.id, Unit.name, Unit.kind, Unit.parent_id, Unit.archived_at)
                         .where(Unit.institution_id == institution.id)
                         .order_by(Unit.id)).all()
    invited = session.exec(select(Invitation.unit_id, sa.func.count())
                           .where(Invitation.round_id == round_.id,
                                  Invitation.kind == InvitationKind.personal)
                           .group_by(Invitation.unit_id).order_by(Invitation.unit_id)).all()
    parts = {
        "institution": [institution.id, institution.slug, institution.name, k],
        "rounds": [[r.id, r.name, r.opens_at, r.closes_at, r.questionnaire_slug,
                    r.questionnaire_version, r.status(now), n] for r, n in counted_rounds],
        "round": round_.id,
        "release": list(latest) if latest else None,
        "pending": pending,
        "units": [list(u) for u in units],
        "invited": [list(i) for i in invited],
    }
    return Stamp(round=round_, k=k, release_id=latest[0] if latest else None,
                 release_number=latest[1] if latest else 0, digest=digest(parts))


def digest(value: object) -> str:
    """A stable hash of JSON-able parts (times as ISO text)."""
    text = json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read(*, session: Session, key: str) -> Entry | None:
    found = session.exec(select(Rendered.body, Rendered.media_type)
                         .where(Rendered.key == key)).first()
    return Entry(body=bytes(found[0]), media_type=found[1]) if found else None


def keep(*, engine: Engine, key: str, stamp: Stamp, kind: str, lang: str, entry: Entry,
         generation: str | None = None) -> bool:
    """Store one rendering and prune the round's stale ones, in a transaction of its own.

    `generation` (default the stamp's digest) is what makes an older rendering of this kind
    stale: the report adds the action plan's fingerprint to it.

    A second writer of the same key changes nothing (ON CONFLICT DO NOTHING: the bytes are the
    same), and a failure (a locked database, a lost connection) is logged and swallowed: the
    request that drew the bytes still answers with them. True when stored or already there."""
    try:
        with session_scope(engine, write=True) as session:
            insert = dialect_insert(session)
            session.execute(insert(Rendered.__table__).values(
                key=key, round_id=stamp.round.id, release_id=stamp.release_id, kind=kind,
                lang=lang, stamp=generation or stamp.digest, media_type=entry.media_type, body=entry.body,
                created_at=utcnow().replace(second=0, microsecond=0),
            ).on_conflict_do_nothing(index_elements=["key"]))
            _prune(session, round_id=stamp.round.id, kind=kind,
                   generation=generation or stamp.digest)
            session.commit()
        return True
    except SQLAlchemyError:
        log.warning("could not keep a rendered %s of round %s", kind, stamp.round.id,
                    exc_info=True)
        return False


def _prune(session: Session, *, round_id: int, kind: str, generation: str) -> None:
    """Drop the round's renderings of this kind from another generation (an older release or
    edit), and beyond KEEP_PER_ROUND the oldest of the round (flush only)."""
    table = Rendered.__table__
    session.execute(table.delete().where(table.c.round_id == round_id, table.c.kind == kind,
                                         table.c.stamp != generation))
    kept = session.exec(select(sa.func.count()).select_from(Rendered)
                        .where(Rendered.round_id == round_id)).one()
    if kept > KEEP_PER_ROUND:
        oldest = select(table.c.key).where(table.c.round_id == round_id).order_by(
            table.c.created_at, table.c.key).limit(kept - KEEP_PER_ROUND)
        session.execute(table.delete().where(table.c.key.in_(oldest.scalar_subquery())))
