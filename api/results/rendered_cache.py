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
    OwnItem,
    Release,
    Rendered,
    Response,
    ResponseTally,
    Round,
    SectorOptIn,
    SectorRelease,
    Unit,
    utcnow,
)
from api.results import gate, sector
from api.results.dashboard import latest_opened

log = logging.getLogger(__name__)
KEEP_PER_ROUND = 100  # option sets of one round kept at most; the oldest go first


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
        return latest_opened(rounds, now=now) or rounds[-1]
    found = next((r for r in rounds if r.id == round_id), None)
    if found is None:
        raise NotFound("This institution has no such round.")
    return found


def _stamp_statements():
    """The stamp's two queries, built once: the stamp runs on every view, and building a
    statement costs more than running it."""
    round_t, tally, release = Round.__table__, ResponseTally.__table__, Release.__table__
    response, unit, invitation = Response.__table__, Unit.__table__, Invitation.__table__
    counted = (select(sa.func.coalesce(sa.func.sum(tally.c.n), 0))
               .where(tally.c.round_id == round_t.c.id).scalar_subquery())
    latest_id = (select(release.c.id).where(release.c.round_id == round_t.c.id)
                 .order_by(release.c.number.desc()).limit(1).scalar_subquery())
    latest_number = (select(sa.func.coalesce(sa.func.max(release.c.number), 0))
                     .where(release.c.round_id == round_t.c.id).scalar_subquery())
    pending = (select(sa.func.count()).select_from(response)
               .where(response.c.round_id == round_t.c.id, response.c.release_id.is_(None))
               .scalar_subquery())
    rounds = (select(*[round_t.c[name] for name in _ROUND_FIELDS], counted.label("counted"),
                     latest_id.label("latest_id"), latest_number.label("latest_number"),
                     pending.label("pending"))
              .where(round_t.c.institution_id == sa.bindparam("institution_id"))
              .order_by(round_t.c.opens_at, round_t.c.id))
    invited = (select(sa.func.count()).select_from(invitation)
               .where(invitation.c.unit_id == unit.c.id,
                      invitation.c.round_id == sa.bindparam("round_id"),
                      invitation.c.kind == InvitationKind.personal.value).scalar_subquery())
    units = (select(unit.c.id, unit.c.name, unit.c.kind, unit.c.parent_id, unit.c.archived_at,
                    invited.label("invited"))
             .where(unit.c.institution_id == sa.bindparam("institution_id"))
             .order_by(unit.c.id))
    return rounds, units


_ROUND_FIELDS = ("id", "institution_id", "name", "questionnaire_slug", "questionnaire_version",
                 "opens_at", "closes_at")
_ROUNDS, _UNITS = _stamp_statements()
# the round's own items: edited before the round opens, shown on its pages
_OWN = (select(*[OwnItem.__table__.c[name] for name in ("id", "position", "kind",
                                                       "statement_nl", "statement_en", "knob")])
        .where(OwnItem.__table__.c.round_id == sa.bindparam("round_id"))
        .order_by(OwnItem.__table__.c.position, OwnItem.__table__.c.id))


def _sector_statement():
    """Whether the institution takes part for a version, and the newest sector release of the
    version and study year (its id and withdrawal): one statement, built once, as the stamp's."""
    opt_in, made = SectorOptIn.__table__, SectorRelease.__table__
    newest = (select(made.c.id, made.c.withdrawn_at)
              .where(made.c.questionnaire_slug == sa.bindparam("slug"),
                     made.c.questionnaire_version == sa.bindparam("version"),
                     made.c.period == sa.bindparam("period"))
              .order_by(made.c.number.desc()).limit(1))
    opted = sa.exists().where(opt_in.c.institution_id == sa.bindparam("institution_id"),
                              opt_in.c.questionnaire_slug == sa.bindparam("slug"),
                              opt_in.c.questionnaire_version == sa.bindparam("version"))
    return select(opted.label("opted"),
                  newest.with_only_columns(made.c.id).scalar_subquery().label("id"),
                  newest.with_only_columns(made.c.withdrawn_at).scalar_subquery()
                  .label("withdrawn_at"))


_SECTOR = _sector_statement()


def round_stamp(*, session: Session, institution: Institution, round_id: int | None,
                default_k: int, now: datetime | None = None) -> Stamp:
    """The stamp of one round of `institution` (the latest opened when `round_id` is None);
    NotFound as the dashboard says it when the institution has no such round.

    Four queries: the institution's rounds, each with its released count (the tallies), latest
    release and waiting responses (the (round, release) index holds them first, so counting
    them stays small); then its units, each with its personal invitations in the round; then
    the round's own items (edited until it opens); then whether the institution takes part in
    the sector benchmark and the newest sector release beside the round."""
    now = now or utcnow()
    connection = session.connection()
    rows = connection.execute(_ROUNDS, {"institution_id": institution.id}).all()
    by_id = {row.id: Round(**{name: getattr(row, name) for name in _ROUND_FIELDS})
             for row in rows}
    round_ = _chosen_round(list(by_id.values()), round_id, now)
    chosen = next(row for row in rows if row.id == round_.id)
    k = gate.threshold(default_k=default_k, institution=institution)
    units = connection.execute(_UNITS, {"institution_id": institution.id,
                                        "round_id": round_.id}).all()
    parts = {
        "institution": [institution.id, institution.slug, institution.name, k],
        # per round: what names and dates it, whether it is open, and what its numbers are
        "rounds": [[row.id, row.name, row.opens_at, row.closes_at, row.questionnaire_slug,
                    row.questionnaire_version, by_id[row.id].status(now), int(row.counted),
                    row.latest_id, int(row.pending)] for row in rows],
        "round": round_.id,
        "units": [list(u) for u in units],
        "own_items": [list(row) for row in connection.execute(_OWN, {"round_id": round_.id})],
        # the sector benchmark beside the round: a new sector release or an opt-in/out redraws
        "sector": _sector_part(session, institution.id, round_),
    }
    return Stamp(round=round_, k=k, release_id=chosen.latest_id,
                 release_number=int(chosen.latest_number), digest=digest(parts))


def _sector_part(session: Session, institution_id: int, round_: Round) -> list:
    """Whether the institution takes part for the round's version, and the newest sector release
    of the round's version and study year (its id and whether it was withdrawn)."""
    row = session.connection().execute(_SECTOR, {
        "institution_id": institution_id, "slug": round_.questionnaire_slug,
        "version": round_.questionnaire_version,
        "period": sector.period_of(round_.opens_at)}).one()
    return [bool(row.opted), row.id, row.withdrawn_at]


def digest(value: object) -> str:
    """A stable hash of JSON-able parts (times as ISO text)."""
    text = json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_READ = select(Rendered.__table__.c.body, Rendered.__table__.c.media_type).where(
    Rendered.__table__.c.key == sa.bindparam("key"))


def read(*, session: Session, key: str) -> Entry | None:
    found = session.connection().execute(_READ, {"key": key}).first()
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
                created_on=utcnow().date(),
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
            table.c.created_on, table.c.key).limit(kept - KEEP_PER_ROUND)
        session.execute(table.delete().where(table.c.key.in_(oldest.scalar_subquery())))
