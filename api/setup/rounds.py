"""Rounds (metingen) and the rule that a published questionnaire version never changes meaning."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from api.platform.errors import Conflict, InvalidInput, NotFound, QuestionnaireChanged
from api.platform.models import Institution, PublishedQuestionnaire, Response, Round, utcnow
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import releases
from api.setup.institutions import checked_name
from api.survey import mailing


def publish(*, session: Session, questionnaire: Questionnaire) -> None:
    """Record the version's content hash the first time a round uses it (no commit)."""
    published = session.get(PublishedQuestionnaire, (questionnaire.slug, questionnaire.version))
    if published is None:
        session.add(PublishedQuestionnaire(slug=questionnaire.slug, version=questionnaire.version,
                                           content_hash=questionnaire.content_hash))
    elif published.content_hash != questionnaire.content_hash:
        raise QuestionnaireChanged(_changed_message(questionnaire.ref, published.content_hash,
                                                    questionnaire.content_hash))


def _changed_message(ref: str, stored: str, current: str) -> str:
    return (
        f"questionnaires/{ref}.yaml was edited after it was published (published hash "
        f"{stored[:12]}, file now {current[:12]}). A published version never changes: restore "
        f"the file and publish your change as a new version (for example a new file next to it "
        f"with a higher version number)."
    )


def check_published(*, session: Session, catalog: Catalog) -> None:
    """Refuse to start when a questionnaire file no longer matches what responses answered."""
    published = {(p.slug, p.version): p.content_hash
                 for p in session.exec(select(PublishedQuestionnaire))}
    answered = session.exec(
        select(Response.questionnaire_slug, Response.questionnaire_version,
               Response.questionnaire_hash).distinct()
    ).all()
    for slug, version, content_hash in answered:
        published.setdefault((slug, version), content_hash)
    for (slug, version), content_hash in published.items():
        questionnaire = catalog.get(slug, version)
        if questionnaire is None:
            raise QuestionnaireChanged(
                f"questionnaires/{slug}/{version}.yaml is missing, but rounds or responses use it. "
                f"Put the published file back; never delete a published version.")
        if questionnaire.content_hash != content_hash:
            raise QuestionnaireChanged(
                _changed_message(questionnaire.ref, content_hash, questionnaire.content_hash))


def open_round(
    *, session: Session, catalog: Catalog, institution: Institution, name: str, slug: str,
    version: str, opens_at: datetime | None = None, closes_at: datetime | None = None,
) -> Round:
    questionnaire = catalog.get(slug, version)
    if questionnaire is None:
        raise InvalidInput(f"There is no questionnaire {slug}/{version}.")
    opens_at = opens_at or utcnow()
    if closes_at is not None and closes_at <= opens_at:
        raise InvalidInput("A round must close after it opens.")
    name = checked_name(name, "A round")
    publish(session=session, questionnaire=questionnaire)
    round_ = Round(institution_id=institution.id, name=name.strip(), questionnaire_slug=slug,
                   questionnaire_version=version, opens_at=opens_at, closes_at=closes_at)
    session.add(round_)
    session.flush()
    return round_


def close_round(*, session: Session, round_: Round, default_k: int,
                at: datetime | None = None) -> Round:
    """Close the round and make its final release: what the rule allows is published, and what
    it does not stays out of every number for good."""
    at = at or utcnow()
    if round_.closes_at is not None and round_.closes_at <= at:
        raise Conflict(f"Round {round_.id} already closed on {round_.closes_at:%Y-%m-%d %H:%M} UTC.")
    if at <= round_.opens_at:
        raise InvalidInput("A round cannot close before it opens.")
    round_.closes_at = at
    session.add(round_)
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)
    mailing.forget_addresses(session, now=at)
    session.commit()
    return round_


def get_round(*, session: Session, round_id: int, institution: Institution | None = None) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None or (institution is not None and round_.institution_id != institution.id):
        raise NotFound(f"No round {round_id}.")
    return round_
