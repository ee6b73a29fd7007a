"""Questionnaire versions as an administrator runs them in the browser: publish a draft, archive
a published version, and the overview everyone logged in may read.

Forward only: draft → published → archived. Archiving is refused while a round on the version is
open or has not opened yet (the message names those rounds): that is what keeps an archived
version unfillable, and the survey and the import check it again
(`api.platform.questionnaire_status`). An archived version stays on disk and viewable, and the
rounds that used it keep their results: the HEInnovate 2023 revision archived every old
assessment and broke trends, Kennisster keeps them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from api.platform.errors import Conflict, Forbidden
from api.platform.models import Account, Institution, Round, utcnow
from api.platform.questionnaire_diff import VersionDiff, diff
from api.platform.questionnaire_status import (
    VersionState,
    VersionStatus,
    all_states,
    record_of,
    status_of,
    version_state,
)
from api.platform.questionnaires import Catalog
from api.setup import access, audit, rounds


@dataclass(frozen=True)
class UsedBy:
    round: Round
    institution: Institution
    status: str  # the round's: not_open, open or closed


@dataclass(frozen=True)
class VersionRow:
    """A version on the overview, with the rounds of the reader's institutions that used it."""

    state: VersionState
    rounds: list[UsedBy]


def overview(*, session: Session, catalog: Catalog, account: Account,
             now: datetime | None = None) -> list[VersionRow]:
    """Every version with its status and the rounds (of the institutions this account may read)
    that used it, newest round first."""
    now = now or utcnow()
    readable = access.readable_institutions(session=session, account=account)
    by_id = {i.id: i for i in readable}
    used: dict[tuple[str, str], list[UsedBy]] = defaultdict(list)
    if by_id:
        found = session.exec(select(Round).where(Round.institution_id.in_(list(by_id)))
                             .order_by(Round.opens_at.desc(), Round.id.desc()))
        for round_ in found:
            used[(round_.questionnaire_slug, round_.questionnaire_version)].append(
                UsedBy(round_, by_id[round_.institution_id], round_.status(now)))
    return [VersionRow(state=s, rounds=used.get((s.questionnaire.slug, s.questionnaire.version),
                                                []))
            for s in all_states(session=session, catalog=catalog)]


def version_diff(*, session: Session, catalog: Catalog, slug: str, old: str, new: str,
                 ) -> tuple[VersionDiff, VersionState, VersionState]:
    """What changed from `old` to `new` of one questionnaire, with both statuses; 404 for a
    version that is not on disk."""
    before = version_state(session=session, catalog=catalog, slug=slug, version=old)
    after = version_state(session=session, catalog=catalog, slug=slug, version=new)
    return diff(before.questionnaire, after.questionnaire), before, after


def _admin_only(actor: Account | None) -> None:
    if actor is not None and not access.is_admin(actor):
        raise Forbidden("Only an administrator changes the status of a questionnaire version.",
                        code="version_admin_only")


def _refuse(ref: str, status: VersionStatus, wanted: str) -> Conflict:
    return Conflict(f"Questionnaire {ref} is {status}; it cannot be {wanted} "
                    f"(draft → published → archived, forward only).",
                    code=f"version_{status}_not_{wanted}", ref=ref)


def publish(*, session: Session, catalog: Catalog, slug: str, version: str,
            actor: Account | None = None, now: datetime | None = None) -> VersionState:
    """Draft → published: new rounds may use it, and its content is frozen (no commit)."""
    _admin_only(actor)
    questionnaire = version_state(session=session, catalog=catalog, slug=slug,
                                  version=version).questionnaire
    status = status_of(questionnaire, record_of(session=session, slug=slug, version=version,
                                                lock=True))
    if status != VersionStatus.draft:
        raise _refuse(questionnaire.ref, status, "published")
    rounds.publish(session=session, questionnaire=questionnaire, at=now)
    audit.record(session=session, actor=actor, action="questionnaire.published",
                 detail=f"{questionnaire.ref} (hash {questionnaire.content_hash[:12]})")
    return version_state(session=session, catalog=catalog, slug=slug, version=version)


def archive(*, session: Session, catalog: Catalog, slug: str, version: str,
            actor: Account | None = None, now: datetime | None = None) -> VersionState:
    """Published → archived, refused while a round on it is open or not yet opened (no commit).

    The building block the demo calls (`actor` None is the command line or the demo):
    `archive(session=..., catalog=..., slug="galbraith-star", version="1.0")`.
    """
    _admin_only(actor)
    now = now or utcnow()
    questionnaire = version_state(session=session, catalog=catalog, slug=slug,
                                  version=version).questionnaire
    status = status_of(questionnaire, record_of(session=session, slug=slug, version=version,
                                                lock=True))
    if status != VersionStatus.published:
        raise _refuse(questionnaire.ref, status, "archived")
    # the row exists and is locked from here, so a first round racing this one waits, or is seen
    record = rounds.publish(session=session, questionnaire=questionnaire, at=now)
    if record.archived_at is not None:
        raise _refuse(questionnaire.ref, VersionStatus.archived, "archived")
    running = [(r, name) for r, name in session.exec(
        select(Round, Institution.name).join(Institution, Institution.id == Round.institution_id)
        .where(Round.questionnaire_slug == slug, Round.questionnaire_version == version)
        .order_by(Round.opens_at, Round.id)) if r.status(now) != "closed"]
    if running:
        names = "; ".join(f"{r.name} ({name}, round {r.id})" for r, name in running)
        raise Conflict(f"Questionnaire {questionnaire.ref} is still used by rounds that are open "
                       f"or not yet opened: {names}. Archive it after they have closed.",
                       code="version_in_use", ref=questionnaire.ref, rounds=names)
    record.archived_at = now
    session.add(record)
    session.flush()
    audit.record(session=session, actor=actor, action="questionnaire.archived",
                 detail=questionnaire.ref)
    return version_state(session=session, catalog=catalog, slug=slug, version=version)


def publish_version(*, session: Session, catalog: Catalog, actor: Account | None, slug: str,
                    version: str) -> VersionState:
    """The administrator's "publish" (page): one transition, one audit event, one commit."""
    state = publish(session=session, catalog=catalog, slug=slug, version=version, actor=actor)
    session.commit()
    return state


def archive_version(*, session: Session, catalog: Catalog, actor: Account | None, slug: str,
                    version: str) -> VersionState:
    """The administrator's "archive" (page): one transition, one audit event, one commit."""
    state = archive(session=session, catalog=catalog, slug=slug, version=version, actor=actor)
    session.commit()
    return state
