"""The practor's survey: open an invitation, save and resume a draft, submit a scored response.

Form parsing is a pure function (`parse_step`) so every bad input can be named back to the
respondent with the other answers kept; writing happens in `save_draft` and `submit`, one
transaction each.

Voters apart from votes: the draft belongs to the invitation, the response does not. At submit
the response gets a fresh random key, and the draft keeps only the mark that it was submitted, so
after submitting nothing leads from the link (or its holder) to the answers.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlmodel import Session, select

from api.platform import own_items as own_item_data
from api.platform import questionnaire_status
from api.platform.errors import InvalidInput, InvitationUnknown, InvitationUsed
from api.platform.models import (
    Draft,
    Institution,
    Invitation,
    InvitationKind,
    OwnItem,
    PublishedQuestionnaire,
    Response,
    Round,
    Unit,
    today,
    utcnow,
)
from api.platform.parsing import plain_int
from api.platform.questionnaires import Catalog, Questionnaire
from api.platform.text import bad_character
from api.results import releases, scoring
from api.survey import network_map, own_items, own_results
from api.survey.invitations import TOKEN_PATTERN, hash_token
from api.survey.responses import check_takes_answers, record_response

DONT_KNOW = "dk"
OPEN_ANSWER_MAX = 2000
FORM_CONTROL_FIELDS = frozenset({"action", "csrf_token"})
DRAFT_KEY_PATTERN = TOKEN_PATTERN


@dataclass(frozen=True)
class SurveyContext:
    invitation: Invitation
    round: Round
    unit: Unit
    institution: Institution
    questionnaire: Questionnaire
    own_items: tuple[OwnItem, ...] = ()  # the institution's own items, for a page of their own

    @property
    def personal(self) -> bool:
        return self.invitation.kind == InvitationKind.personal


# one query for the link and what it belongs to: every survey page opens the link first, so the
# statement is built once
_OPEN_LINK = (
    select(Invitation, Round, Unit, Institution, PublishedQuestionnaire)
    .join(Round, Round.id == Invitation.round_id)
    .join(Unit, Unit.id == Invitation.unit_id)
    .join(Institution, Institution.id == Round.institution_id)
    .outerjoin(PublishedQuestionnaire, sa.and_(
        PublishedQuestionnaire.slug == Round.questionnaire_slug,
        PublishedQuestionnaire.version == Round.questionnaire_version))
    .where(Invitation.token_hash == bindparam("token_hash"))
)


def open_survey(
    *, session: Session, catalog: Catalog, token: str, now: datetime | None = None,
    allow_used: bool = False,
) -> SurveyContext:
    """The invitation behind a token, refused when unknown, not yet open, closed or used."""
    if not TOKEN_PATTERN.match(token):
        raise InvitationUnknown("This survey link does not exist.")
    found = session.execute(_OPEN_LINK, {"token_hash": hash_token(token)}).first()
    if found is None:
        raise InvitationUnknown("This survey link does not exist.")
    invitation, round_, unit, institution, version_record = found
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    # an archived version says so first: its round has closed, but "archived" is the reason
    questionnaire_status.check_fillable(questionnaire, version_record)
    check_takes_answers(round_, now=now)
    if invitation.used_on is not None and not allow_used:
        raise InvitationUsed("This personal link has already been used to submit answers.")
    return SurveyContext(
        invitation=invitation,
        round=round_,
        unit=unit,
        institution=institution,
        questionnaire=questionnaire,
        own_items=tuple(own_item_data.of_round(session=session, round_id=round_.id)),
    )


def draft_key(*, session: Session, ctx: SurveyContext, token: str, cookie_key: str | None,
              ) -> tuple[str, bool]:
    """The key of this respondent's draft, and whether it is new.

    A personal link is one respondent, so its key follows from the token. A shared link is used
    by many people, so each browser gets its own random key (kept in a cookie); a key that is
    malformed or belongs to another link's draft or response is replaced by a new one.
    """
    if ctx.personal:
        return hash_token(token), False
    if cookie_key and DRAFT_KEY_PATTERN.match(cookie_key):
        draft = session.exec(select(Draft).where(Draft.key == cookie_key)).first()
        if draft is None or draft.invitation_id == ctx.invitation.id:
            return cookie_key, False
    return secrets.token_urlsafe(24), True


def get_draft(*, session: Session, ctx: SurveyContext, key: str, lock: bool = False,
              ) -> Draft | None:
    """The draft being answered under this key; a submitted one is no longer a draft."""
    query = select(Draft).where(Draft.key == key)
    draft = session.exec(query.with_for_update() if lock else query).first()
    if draft is None or draft.invitation_id != ctx.invitation.id or draft.submitted:
        return None
    return draft


def was_submitted(*, session: Session, ctx: SurveyContext, key: str) -> bool:
    """Whether this link (personal) or this browser's key (shared) has submitted its answers."""
    if ctx.personal and ctx.invitation.used_on is not None:
        return True
    draft = session.exec(select(Draft).where(Draft.key == key)).first()
    return draft is not None and draft.invitation_id == ctx.invitation.id and draft.submitted


@dataclass
class StepInput:
    """What one page of the survey form said, and what is wrong with it.

    `errors` maps a form field (or "form") to a message code and its parameters; the page shows
    each next to its question, in the respondent's language.
    """

    role: str | None = None
    answers: dict[str, int | None] = field(default_factory=dict)
    open_answers: dict[str, str] = field(default_factory=dict)
    errors: dict[str, tuple[str, dict]] = field(default_factory=dict)


def parse_step(
    questionnaire: Questionnaire, form: Sequence[tuple[str, str]], *, knob: str | None,
    expect_role: bool,
) -> StepInput:
    """Read one page: the role (on the first page) or one knob's statements and open question.

    Anything the page did not ask for — an unknown item, another knob's item, a repeated field —
    is a tampered form and named as such; an unanswered statement is simply not answered.
    """
    result = StepInput()
    items = {item.id for item in questionnaire.items_of(knob)} if knob else set()
    questions = {q.id for q in questionnaire.open_questions_of(knob)} if knob else set()
    seen: set[str] = set()
    for name, raw in form:
        if name in seen:
            result.errors[name] = ("field_repeated", {"field": name[:60]})
            continue
        seen.add(name)
        if name in FORM_CONTROL_FIELDS:
            continue
        if name == "role" and expect_role:
            if raw not in questionnaire.role_keys:
                result.errors["role"] = ("role_unknown", {})
            else:
                result.role = raw
        elif name.startswith("item-") and name[5:] in items:
            item_id = name[5:]
            if raw == DONT_KNOW:
                result.answers[item_id] = None
            elif (value := plain_int(raw)) is not None and (
                    questionnaire.scale.min <= value <= questionnaire.scale.max):
                result.answers[item_id] = value
            else:
                result.errors[name] = ("value_off_scale", {
                    "min": questionnaire.scale.min, "max": questionnaire.scale.max})
        elif name.startswith("open-") and name[5:] in questions:
            text, problem = clean_text(raw, limit=OPEN_ANSWER_MAX)
            if problem:
                result.errors[name] = (problem, {"limit": OPEN_ANSWER_MAX})
            elif text:
                result.open_answers[name[5:]] = text
        else:
            result.errors["form"] = ("unknown_field", {"field": name[:60]})
    if expect_role and result.role is None and "role" not in result.errors:
        result.errors["role"] = ("role_missing", {})
    return result


def clean_text(raw: str, *, limit: int) -> tuple[str, str | None]:
    """Trimmed text, or a problem code: PostgreSQL refuses NUL bytes that SQLite keeps, so
    control characters are refused everywhere and the same input gets the same answer."""
    text = raw.strip()
    if bad_character(text) is not None:  # the one text rule (api.platform.text)
        return "", "text_control_characters"
    if len(text) > limit:
        return "", "text_too_long"
    return text, None


def save_draft(
    *, session: Session, ctx: SurveyContext, key: str, step: StepInput,
    knob: str | None = None,
) -> Draft:
    """Merge one page into the draft: this knob's answers replace the earlier ones for it."""
    draft = get_draft(session=session, ctx=ctx, key=key)
    if draft is None:
        if was_submitted(session=session, ctx=ctx, key=key):
            raise InvitationUsed("These answers were already submitted.")
        draft = Draft(invitation_id=ctx.invitation.id, key=key)
    answers = dict(draft.answers)
    open_answers = dict(draft.open_answers)
    if knob is not None:
        for item in ctx.questionnaire.items_of(knob):
            answers.pop(item.id, None)
        for question in ctx.questionnaire.open_questions_of(knob):
            open_answers.pop(question.id, None)
    answers.update(step.answers)
    open_answers.update(step.open_answers)
    draft.answers = answers
    draft.open_answers = open_answers
    if step.role is not None:
        draft.role = step.role
    draft.updated_at = utcnow()
    session.add(draft)
    session.commit()
    return draft


@dataclass(frozen=True)
class Submitted:
    """What the respondent sees right after submitting; kept nowhere that the link can reach."""

    own: dict[str, float]
    counted: bool  # already in a release
    first: bool  # False when this was a second click on an already submitted survey
    results_secret: str | None = None  # the private results link's secret, shown this once


def submit(*, session: Session, ctx: SurveyContext, key: str, default_k: int) -> Submitted:
    """Store the draft as a response with its answers and knob scores, all or nothing, and
    release whatever the release rule now allows in the same transaction.

    Submitting the same draft twice (a double click, a retry) stores nothing the second time.
    The draft row is locked, so a second request waits for the first and then finds it done.
    """
    draft = get_draft(session=session, ctx=ctx, key=key, lock=True)
    if draft is None:
        if was_submitted(session=session, ctx=ctx, key=key):
            return Submitted(own={}, counted=False, first=False)
        raise InvalidInput("There are no saved answers to submit.", code="draft_missing")
    if ctx.personal and ctx.invitation.used_on is not None:
        raise InvitationUsed("This personal link has already been used to submit answers.")
    questionnaire = ctx.questionnaire
    answers, open_answers = _checked_draft(questionnaire, draft)
    if draft.role not in questionnaire.role_keys:
        raise InvalidInput("Choose your role before submitting.", code="role_missing")
    response = record_response(
        session=session, round_=ctx.round, unit_id=ctx.unit.id, role=draft.role,
        questionnaire=questionnaire, answers=answers, open_answers=open_answers,
        submission_key=f"s-{secrets.token_urlsafe(24)}",
        own_answers=own_items.checked_own(questionnaire, ctx.own_items, draft),
    )
    network_map.store_at_submit(session=session, round_=ctx.round, draft=draft,
                                response_id=response.id, institution_id=ctx.institution.id,
                                unit_id=ctx.unit.id)
    if ctx.personal:
        ctx.invitation.used_on = today()
        session.add(ctx.invitation)
    draft.answers, draft.open_answers, draft.role, draft.submitted = {}, {}, None, True
    draft.own_answers = {}
    draft.updated_at = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    session.add(draft)
    releases.release_due(session=session, round_id=ctx.round.id, default_k=default_k)
    counted = session.exec(select(Response.release_id).where(Response.id == response.id)).one() \
        is not None
    own = {knob: score for knob, score in scoring.knob_scores(answers, questionnaire).items()
           if score is not None}
    secret = own_results.keep(session=session, round_=ctx.round, unit_id=ctx.unit.id,
                              own=own) if own else None
    session.commit()
    return Submitted(own=own, counted=counted, first=True, results_secret=secret)


def _checked_draft(
    questionnaire: Questionnaire, draft: Draft
) -> tuple[dict[str, int | None], dict[str, str]]:
    """A draft is re-checked at submit time: it may be older than a deploy."""
    answers: dict[str, int | None] = {}
    for item_id, value in draft.answers.items():
        if item_id not in questionnaire.item_by_id:
            continue
        if value is not None and not (
            isinstance(value, int) and questionnaire.scale.min <= value <= questionnaire.scale.max
        ):
            raise InvalidInput("A saved answer is outside the scale.", code="value_off_scale")
        answers[item_id] = value
    question_ids = {q.id for q in questionnaire.open_questions}
    open_answers = {qid: text for qid, text in draft.open_answers.items() if qid in question_ids}
    return answers, open_answers


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    unscored_knobs: tuple[str, ...]  # knobs that would get no score with these answers


def progress(questionnaire: Questionnaire, answers: Mapping[str, int | None]) -> Progress:
    """How far the respondent is, and which knobs still lack half their answers."""
    scores = scoring.knob_scores(answers, questionnaire)
    answered = sum(1 for item in questionnaire.items if item.id in answers)
    return Progress(answered=answered, total=len(questionnaire.items),
                    unscored_knobs=tuple(k for k, v in scores.items() if v is None))


