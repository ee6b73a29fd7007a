"""The one answer to "what is the status of questionnaire slug/version?" — for the survey, the
round form, the import, the pages and the API alike.

A version is `draft` (in preparation), `published` (new rounds may use it) or `archived`
(viewable with its rounds' results, never fillable). The file may say `status: draft`; the
transitions an administrator makes in the browser are kept in `published_questionnaire`, forward
only: a row means published (its content hash frozen), a row with `archived_at` means archived.
So a row always wins over the file, and a version without a row has the status its file says.
Changing the status is `api.setup.questionnaire_versions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from api.platform.errors import DomainError, InvalidInput, NotFound
from api.platform.models import PublishedQuestionnaire
from api.platform.questionnaires import Catalog, Questionnaire, version_key


class VersionStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class NotFillable(DomainError):
    """A survey link or an import on a version that takes no answers (archived, or a draft)."""

    status_code = 409
    code = "survey_questionnaire_archived"


@dataclass(frozen=True)
class VersionState:
    questionnaire: Questionnaire
    status: VersionStatus
    published_at: datetime | None  # when a round first used it or an administrator published it
    archived_at: datetime | None


def status_of(questionnaire: Questionnaire, record: PublishedQuestionnaire | None) -> VersionStatus:
    """The rule, on what is known: the database's transition, else the file's word."""
    if record is not None:
        return VersionStatus.archived if record.archived_at is not None else VersionStatus.published
    return VersionStatus(questionnaire.status)


def _state(questionnaire: Questionnaire, record: PublishedQuestionnaire | None) -> VersionState:
    return VersionState(questionnaire=questionnaire, status=status_of(questionnaire, record),
                        published_at=record.published_at if record else None,
                        archived_at=record.archived_at if record else None)


def record_of(*, session: Session, slug: str, version: str, lock: bool = False,
              ) -> PublishedQuestionnaire | None:
    """The stored transition of one version; `lock` for whoever is about to change or rely on it
    (PostgreSQL: a round being created and the version being archived wait for each other)."""
    if lock:
        return session.exec(select(PublishedQuestionnaire).where(
            PublishedQuestionnaire.slug == slug,
            PublishedQuestionnaire.version == version).with_for_update()).first()
    return session.get(PublishedQuestionnaire, (slug, version))


def version_state(*, session: Session, catalog: Catalog, slug: str, version: str) -> VersionState:
    """One version's status; 404 for a version that is not on disk."""
    questionnaire = catalog.get(slug, version)
    if questionnaire is None:
        raise NotFound(f"No questionnaire {slug}/{version}.", code="questionnaire_not_found",
                       ref=f"{slug}/{version}")
    return _state(questionnaire, record_of(session=session, slug=slug, version=version))


def all_states(*, session: Session, catalog: Catalog) -> list[VersionState]:
    """Every version on disk with its status, by questionnaire and then version (one query)."""
    records = {(r.slug, r.version): r for r in session.exec(select(PublishedQuestionnaire))}
    return [_state(q, records.get((q.slug, q.version))) for q in catalog]


def published_versions(*, session: Session, catalog: Catalog) -> list[Questionnaire]:
    """What a new round may use: published versions only, by questionnaire, newest first."""
    found = [s.questionnaire for s in all_states(session=session, catalog=catalog)
             if s.status == VersionStatus.published]
    newest_first = sorted(found, key=version_key, reverse=True)
    return sorted(newest_first, key=lambda q: q.slug)  # stable: versions stay newest first


def check_usable_for_round(questionnaire: Questionnaire,
                           record: PublishedQuestionnaire | None) -> None:
    """A new round only on a published version; the message says why not and what to do."""
    status = status_of(questionnaire, record)
    if status == VersionStatus.draft:
        raise InvalidInput(f"Questionnaire {questionnaire.ref} is a draft; an administrator "
                           f"publishes it before rounds can use it.", code="questionnaire_draft",
                           ref=questionnaire.ref)
    if status == VersionStatus.archived:
        raise InvalidInput(f"Questionnaire {questionnaire.ref} is archived; new rounds use a "
                           f"published version.", code="questionnaire_archived",
                           ref=questionnaire.ref)


def check_fillable(questionnaire: Questionnaire, record: PublishedQuestionnaire | None) -> None:
    """A survey link or an import on an archived (or draft) version takes no answers: 409."""
    status = status_of(questionnaire, record)
    if status == VersionStatus.archived:
        raise NotFillable(f"Questionnaire {questionnaire.ref} is archived: its rounds and "
                          f"results stay viewable, but it takes no more answers.",
                          ref=questionnaire.ref)
    if status == VersionStatus.draft:
        raise NotFillable(f"Questionnaire {questionnaire.ref} is a draft and takes no answers.",
                          code="survey_questionnaire_draft", ref=questionnaire.ref)


def require_fillable(*, session: Session, questionnaire: Questionnaire) -> None:
    """`check_fillable` with the stored transition looked up (the import)."""
    check_fillable(questionnaire, record_of(session=session, slug=questionnaire.slug,
                                            version=questionnaire.version))
