"""Rounds (metingen) and the rule that a published questionnaire version never changes meaning."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from api.platform import questionnaire_status
from api.platform.db import dialect_insert
from api.platform.errors import Conflict, InvalidInput, NotFound, QuestionnaireChanged
from api.platform.models import (
    Account,
    Institution,
    PublishedQuestionnaire,
    Response,
    Round,
    utcnow,
)
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import releases
from api.setup import audit
from api.setup.institutions import NAME_MAX, checked_name
from api.survey import mailing
from api.webhooks import events as webhook_events


def publish(*, session: Session, questionnaire: Questionnaire,
            at: datetime | None = None) -> PublishedQuestionnaire:
    """Freeze the version: record its content hash the first time a round uses it or an
    administrator publishes or archives it, and refuse a file edited since (no commit)."""
    published = questionnaire_status.record_of(session=session, slug=questionnaire.slug,
                                               version=questionnaire.version, lock=True)
    if published is None:
        # Two first users of a version (a round being created, the version being archived) may
        # both find no row: the insert that loses adds nothing, and both then lock the one row.
        session.exec(dialect_insert(session)(PublishedQuestionnaire).values(
            slug=questionnaire.slug, version=questionnaire.version,
            content_hash=questionnaire.content_hash, published_at=at or utcnow(),
        ).on_conflict_do_nothing(index_elements=["slug", "version"]))
        published = questionnaire_status.record_of(session=session, slug=questionnaire.slug,
                                                   version=questionnaire.version, lock=True)
    if published.content_hash != questionnaire.content_hash:
        raise QuestionnaireChanged(_changed_message(questionnaire.ref, published.content_hash,
                                                    questionnaire.content_hash))
    return published


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
    # locked until the commit: an administrator archiving the version waits for this round
    questionnaire_status.check_usable_for_round(questionnaire, questionnaire_status.record_of(
        session=session, slug=slug, version=version, lock=True))
    # again on the row as it is once locked: an archive that raced this first round has won
    questionnaire_status.check_usable_for_round(
        questionnaire, publish(session=session, questionnaire=questionnaire))
    round_ = Round(institution_id=institution.id, name=name.strip(), questionnaire_slug=slug,
                   questionnaire_version=version, opens_at=opens_at, closes_at=closes_at)
    session.add(round_)
    session.flush()
    webhook_events.round_changed(session, round_, webhook_events.ROUND_OPENED)
    return round_


def close_round(*, session: Session, round_: Round, default_k: int,
                at: datetime | None = None, actor: Account | None = None) -> Round:
    """Close the round and make its final release: what the rule allows is published, and what
    it does not stays out of every number for good. `actor` None is the command line."""
    at = at or utcnow()
    if round_.closes_at is not None and round_.closes_at <= at:
        raise Conflict(f"Round {round_.id} already closed on {round_.closes_at:%Y-%m-%d %H:%M} UTC.",
                       code="round_already_closed")
    if at <= round_.opens_at:
        raise InvalidInput("A round cannot close before it opens.", code="close_before_open")
    audit.record(session=session, actor=actor, action="round.closed",
                 institution=round_.institution_id, detail=f"{round_.name} (round {round_.id})")
    round_.closes_at = at
    session.add(round_)
    session.flush()
    webhook_events.round_changed(session, round_, webhook_events.ROUND_CLOSED)
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)
    mailing.forget_addresses(session, now=at)
    session.commit()
    return round_


def _checked_moments(opens_at: datetime, closes_at: datetime | None, now: datetime) -> None:
    if closes_at is None:
        return
    if closes_at <= opens_at:
        raise InvalidInput("A round must close after it opens.", code="close_before_open")
    if closes_at <= now:
        raise InvalidInput("The closing moment has passed already.", code="close_in_past")


def start_round(
    *, session: Session, catalog: Catalog, actor: Account | None, institution: Institution,
    name: str, slug: str, version: str, opens_at: datetime | None, closes_at: datetime | None,
    remind_days_before_close: int | None = None, now: datetime | None = None,
    network_map: bool = False,
) -> Round:
    """The coordinator's "open a round" (page and CLI): the round, one audit event, one commit.
    The opening moment may lie ahead; no opening moment is now, no closing moment open-ended (the
    page always asks for one). Links are made afterwards, per unit. `remind_days_before_close`
    schedules the reminder to whoever was invited by e-mail and has not answered yet."""
    name = name.strip()
    if not name:
        raise InvalidInput("A round needs a name.", code="name_missing")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"A round name has at most {NAME_MAX} characters.", code="name_too_long",
                           max=NAME_MAX)
    if catalog.get(slug, version) is None:
        raise InvalidInput(f"There is no questionnaire {slug}/{version}.",
                           code="questionnaire_unknown")
    now = now or utcnow()
    opens_at = opens_at or now
    _checked_moments(opens_at, closes_at, now)
    if remind_days_before_close is not None and not (
            1 <= remind_days_before_close <= mailing.MAX_REMIND_DAYS):
        raise InvalidInput(f"Remind between 1 and {mailing.MAX_REMIND_DAYS} days before closing.",
                           code="remind_days", max=mailing.MAX_REMIND_DAYS)
    if remind_days_before_close is not None and closes_at is None:
        raise InvalidInput("A reminder before closing needs a closing moment.",
                           code="remind_without_close")
    round_ = open_round(session=session, catalog=catalog, institution=institution, name=name,
                        slug=slug, version=version, opens_at=opens_at, closes_at=closes_at)
    round_.network_map = network_map
    if remind_days_before_close is not None:
        mailing.schedule_reminder(session, round_=round_, days_before_close=remind_days_before_close)
    closes = f"{closes_at:%Y-%m-%d %H:%M} UTC" if closes_at else "open-ended"
    audit.record(session=session, actor=actor, action="round.opened", institution=institution,
                 detail=f"{round_.name} (round {round_.id}, {slug}/{version}, "
                        f"{opens_at:%Y-%m-%d %H:%M} UTC – {closes}"
                        + (f", reminder {remind_days_before_close} days before closing"
                           if remind_days_before_close else "")
                        + (", netwerkkaart" if network_map else "") + ")")
    session.commit()
    return round_


def extend_round(*, session: Session, actor: Account | None, round_: Round, closes_at: datetime,
                 now: datetime | None = None) -> Round:
    """Move the closing moment of a round that has not closed yet to later.

    A closed round stays closed: its final release has been made, and what waited then was left
    out of every number for good; reopening it would publish those respondents after all."""
    now = now or utcnow()
    if round_.status(now) == "closed":
        raise Conflict(f"Round {round_.id} is closed and cannot be reopened.",
                       code="round_closed_final")
    _checked_moments(round_.opens_at, closes_at, now)
    if round_.closes_at is not None and closes_at <= round_.closes_at:
        raise InvalidInput("Extending means a later closing moment.", code="extend_not_later")
    before = round_.closes_at
    round_.closes_at = closes_at
    session.add(round_)
    audit.record(session=session, actor=actor, action="round.extended",
                 institution=round_.institution_id,
                 detail=f"{round_.name} (round {round_.id}): closes "
                        f"{before:%Y-%m-%d %H:%M} → {closes_at:%Y-%m-%d %H:%M} UTC"
                 if before else f"{round_.name} (round {round_.id}): closes "
                                f"{closes_at:%Y-%m-%d %H:%M} UTC")
    session.commit()
    return round_


def get_round(*, session: Session, round_id: int, institution: Institution | None = None) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None or (institution is not None and round_.institution_id != institution.id):
        raise NotFound(f"No round {round_id}.")
    return round_


def set_network_map(*, session: Session, actor: Account | None, round_: Round, on: bool,
                    now: datetime | None = None) -> Round:
    """Switch the optional network-map step on or off, only before the round opens: once
    someone may answer, every respondent of the round must have been offered the same steps."""
    if round_.status(now or utcnow()) != "not_open":
        raise Conflict(f"Round {round_.id} has opened; its network map can no longer change.",
                       code="network_map_after_open")
    round_.network_map = on
    session.add(round_)
    audit.record(session=session, actor=actor, action="round.network_map",
                 institution=round_.institution_id,
                 detail=f"{round_.name} (round {round_.id}): netwerkkaart {'on' if on else 'off'}")
    session.commit()
    return round_
