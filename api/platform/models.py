"""Tables of Kennisster. The schema is created and changed only through Alembic migrations.

Voters apart from votes (as in EvaP): the invitation side (invitations, their recipients'
addresses, drafts) and the response side (responses, answers, knob scores, open answers, tallies)
share no column. A response knows its round, unit, role, questionnaire version and release, not
which invitation it came from nor when it was given, and its id is random, so neither an id, a
hash, a time nor the order of rows joins an address to an answer.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns refuse naive times and read back in UTC."""
    return datetime.now(UTC)


class UnitKind(StrEnum):
    practoraat = "practoraat"
    afdeling = "afdeling"
    team = "team"


def today() -> date:
    return utcnow().date()


def random_id() -> int:
    """A response id that says nothing about when it was stored (63 bits, never 0)."""
    return secrets.randbelow(2**62) + 1


# PostgreSQL needs BIGINT for 63-bit ids; SQLite's INTEGER PRIMARY KEY is already 64 bits
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class InvitationKind(StrEnum):
    personal = "personal"
    shared = "shared"


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable,
                     index=True)


class Institution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    slug: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    anonymity_k: int | None = Field(
        default=None, description="Own threshold (≥ 3); None uses the configured default."
    )
    default_language: str = Field(default="nl", max_length=2,
                                  description="Language of mails and pages when none is chosen.")
    created_at: datetime = Field(default_factory=utcnow)


class Unit(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("institution_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(sa_column=_fk("institution.id"))
    parent_id: int | None = Field(
        default=None, sa_column=_fk("unit.id", nullable=True, ondelete="SET NULL")
    )
    name: str = Field(max_length=200)
    kind: str = Field(default=UnitKind.practoraat, max_length=20)
    archived_at: datetime | None = Field(
        default=None, description="Archived units take no new invitations; their numbers stay.")


class PublishedQuestionnaire(SQLModel, table=True):
    """A questionnaire version frozen by use: its content hash the moment a round first used it
    or an administrator published or archived it, and whether it is archived.

    The status transitions an administrator makes in the browser live here, forward only
    (draft → published → archived, `api.setup.questionnaire_versions`); a version without a row
    has the status its file says.
    """

    __tablename__ = "published_questionnaire"

    slug: str = Field(primary_key=True, max_length=40)
    version: str = Field(primary_key=True, max_length=20)
    content_hash: str = Field(max_length=64)
    published_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = Field(
        default=None, description="Archived versions stay viewable and are never fillable.")


class Round(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(sa_column=_fk("institution.id"))
    name: str = Field(max_length=200)
    questionnaire_slug: str = Field(max_length=40)
    questionnaire_version: str = Field(max_length=20)
    opens_at: datetime
    closes_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    remind_days_before_close: int | None = Field(
        default=None, description="The scheduled reminder: this many days before the round closes.")
    network_map: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()},
        description="The optional network map step (netwerkkaart); set before the round opens.")

    def status(self, now: datetime) -> str:
        if now < self.opens_at:
            return "not_open"
        if self.closes_at is not None and now >= self.closes_at:
            return "closed"
        return "open"


class Invitation(SQLModel, table=True):
    """A personal single-use token or a unit's shared link; only the token's hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=_fk("round.id"))
    unit_id: int = Field(sa_column=_fk("unit.id"))
    kind: str = Field(max_length=10)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow)
    used_on: date | None = Field(default=None, description="The day it was used: no finer.")


class Draft(SQLModel, table=True):
    """Answers saved on the way, so a respondent can stop and come back to the link."""

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(sa_column=_fk("invitation.id"))
    key: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    role: str | None = Field(default=None, max_length=40)
    answers: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    open_answers: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    own_answers: dict = Field(default_factory=dict, sa_column=sa.Column(
        sa.JSON, nullable=False, server_default="{}"), description=(
        "Answers to the round's own items (`OwnItem`), by item id: kept apart from `answers` "
        "so nothing can score them as the instrument's items."))
    updated_at: datetime = Field(default_factory=utcnow)
    submitted: bool = Field(default=False, description=(
        "A submitted draft keeps only this mark (answers and role emptied), so a second click "
        "finds the survey done; it names no response."))


class Release(SQLModel, table=True):
    """A batch of responses published together (a tussenstand).

    Every aggregate is computed from released responses only, and each release adds to every
    group a surface can show either no respondents or at least k (`api.results.anonymity`), so
    no two views of a round can be subtracted to single anyone out. `published_at` is kept to
    the minute: it says when numbers changed, never when somebody answered.
    """

    __table_args__ = (sa.UniqueConstraint("round_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=_fk("round.id"))
    number: int = Field(description="1, 2, 3 … within the round.")
    responses: int = Field(description="Responses this release added.")
    published_at: datetime = Field(default_factory=lambda: utcnow().replace(second=0,
                                                                           microsecond=0))


class Rendered(SQLModel, table=True):
    """A page fragment, chart, download or report as rendered from one release, so it is
    computed once per release, language and option set and read back by every app server.

    `key` is a hash of everything the bytes depend on (`web.rendered`); `stamp` is the part of
    it that a new release or an edit changes, so stale rows of a round can be pruned. Only
    published numbers and names are rendered into it, never an account's own bits, and
    `created_on` is a day: it says when a page was drawn, never who answered.
    """

    key: str = Field(primary_key=True, max_length=64)
    round_id: int = Field(sa_column=_fk("round.id"))
    release_id: int | None = Field(default=None, sa_column=_fk("release.id", nullable=True))
    kind: str = Field(max_length=20, description="page, chart, table or report.")
    lang: str = Field(max_length=2)
    stamp: str = Field(max_length=64)
    media_type: str = Field(max_length=100)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_on: date = Field(default_factory=today, description="The day only: it orders "
                             "what is pruned first, and says nothing of when anyone answered.")


class Response(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_response_round_unit", "round_id", "unit_id"),
                      sa.Index("ix_response_round_release", "round_id", "release_id"))

    id: int = Field(default_factory=random_id, sa_column=sa.Column(BigId, primary_key=True,
                                                                    autoincrement=False))
    round_id: int = Field(sa_column=sa.Column(sa.ForeignKey("round.id", ondelete="CASCADE"),
                                              nullable=False))
    unit_id: int = Field(sa_column=_fk("unit.id"))
    role: str = Field(max_length=40)
    questionnaire_slug: str = Field(max_length=40)
    questionnaire_version: str = Field(max_length=20)
    questionnaire_hash: str = Field(max_length=64)
    submission_key: str = Field(
        max_length=64, sa_column_kwargs={"unique": True},
        description="Random for survey responses; derived from the Idempotency-Key for imports, "
                    "so a retried upload finds its first rows.",
    )
    release_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.ForeignKey("release.id", ondelete="SET NULL"),
                                          nullable=True),
        description="None while the response waits for its groups to reach k.")


class Answer(SQLModel, table=True):
    """One item's raw answer; `value` None is "weet niet / n.v.t."."""

    response_id: int = Field(sa_column=sa.Column(
        BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True))
    item_id: str = Field(primary_key=True, max_length=40)
    value: int | None = None


class KnobScore(SQLModel, table=True):
    """A response's score per knob, computed once at submit time by `api.scoring`.

    Round, unit and role are copied from the response so the aggregates are one GROUP BY over
    one table, without a join, at any number of responses.
    """

    __tablename__ = "knob_score"
    __table_args__ = (sa.Index("ix_knob_score_round_unit_knob", "round_id", "unit_id", "knob"),)

    response_id: int = Field(sa_column=sa.Column(
        BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True))
    knob: str = Field(primary_key=True, max_length=40)
    round_id: int
    unit_id: int
    role: str = Field(max_length=40)
    score: float


class OpenAnswer(SQLModel, table=True):
    __tablename__ = "open_answer"

    response_id: int = Field(sa_column=sa.Column(
        BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True))
    question_id: str = Field(primary_key=True, max_length=40)
    text: str = Field(max_length=4000)


class OwnItemKind(StrEnum):
    likert = "likert"
    open = "open"


class OwnItem(SQLModel, table=True):
    """A statement or open question the institution adds to one round (before it opens).

    Reported as a block of its own, never in the knob scores of the published instrument, so
    those stay comparable between institutions; `knob` only groups it in the report.
    """

    __tablename__ = "own_item"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=_fk("round.id"))
    position: int = Field(description="1, 2, 3 … within the round, Likert and open together.")
    kind: str = Field(max_length=10)
    statement_nl: str = Field(max_length=300)
    statement_en: str = Field(default="", max_length=300, description="Empty: Dutch is shown.")
    knob: str | None = Field(default=None, max_length=40)


class OwnAnswer(SQLModel, table=True):
    """A response's answer to an own item: `value` for a statement (None is "weet niet"),
    `text` for an open question. Keyed by the (random) response id, with no time, like `Answer`."""

    __tablename__ = "own_answer"

    response_id: int = Field(sa_column=sa.Column(
        BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True))
    item_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("own_item.id", ondelete="CASCADE"), primary_key=True,
        index=True))
    value: int | None = None
    text: str | None = Field(default=None, max_length=4000)


class OwnResult(SQLModel, table=True):
    """A respondent's own knob scores behind a private results link.

    The link's secret is made at submit and shown once; only its hash is kept. Nothing here
    names the invitation, the draft, the response or a time: the row can be reached by its
    secret alone, and the invitation link can never reach it.
    """

    __tablename__ = "own_result"

    id: int = Field(default_factory=random_id, sa_column=sa.Column(BigId, primary_key=True,
                                                                    autoincrement=False))
    secret_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    round_id: int = Field(sa_column=sa.Column(sa.ForeignKey("round.id", ondelete="CASCADE"),
                                              nullable=False))
    unit_id: int = Field(sa_column=_fk("unit.id"))
    scores: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class AccountRole(StrEnum):
    bestuur = "bestuur"  # reads the dashboards of the institutions it is granted
    coordinator = "coordinator"  # sets up and runs rounds of the institutions it is granted
    admin = "admin"  # everything


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200, description="Empty until an invited account "
                                                            "sets its password.")
    session_version: int = Field(default=1, description="Raised to sign out every session.")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class AccountToken(SQLModel, table=True):
    """A one-time link to set a password (an invitation to an account, or a reset).

    Only its hash is kept; the link in the mail is derived from the secret key and `nonce` when
    the mail is sent, so the database alone can never rebuild it.
    """

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=_fk("account.id"))
    purpose: str = Field(max_length=10, description="invite or reset")
    nonce: str = Field(max_length=40)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who did which administrative action when; never what anyone answered."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    account_id: int | None = Field(
        default=None, sa_column=_fk("account.id", nullable=True, ondelete="SET NULL"))
    actor: str = Field(max_length=254, description="The account's address, or 'cli'.")
    institution_id: int | None = Field(
        default=None, sa_column=_fk("institution.id", nullable=True, ondelete="CASCADE"))
    action: str = Field(max_length=60)
    detail: str = Field(default="", max_length=500)


class AccountInstitution(SQLModel, table=True):
    """Which institutions a board account may see."""

    __tablename__ = "account_institution"

    account_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True))
    institution_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True))


class LoginAttempt(SQLModel, table=True):
    """Failed logins per account name and per client address, shared by all app servers."""

    __tablename__ = "login_attempt"

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    first_failure_at: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None


class TokenScope(StrEnum):
    read = "read"
    import_ = "import"
    webhooks = "webhooks"


class ApiToken(SQLModel, table=True):
    """A consultant's bearer token for /api/v1; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    scopes: str = Field(max_length=40, description="Space-separated: read, import.")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class ApiTokenInstitution(SQLModel, table=True):
    __tablename__ = "api_token_institution"

    token_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True))
    institution_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True))


class ResponseTally(SQLModel, table=True):
    """Released respondents per round, unit and role, added to by every release, so the
    dashboard's counts cost the same at a thousand responses as at a million."""

    __tablename__ = "response_tally"

    round_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True))
    unit_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True))
    role: str = Field(primary_key=True, max_length=40)
    n: int = 0


class KnobTally(SQLModel, table=True):
    """Count, sum and sum of squares of released knob scores per round, unit, role and knob: the
    running form of the GROUP BY the aggregates need (see `api.results._aggregation`)."""

    __tablename__ = "knob_tally"

    round_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True))
    unit_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True))
    role: str = Field(primary_key=True, max_length=40)
    knob: str = Field(primary_key=True, max_length=40)
    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a worker until lease_until
    sent = "sent"
    failed = "failed"  # gave up: too many attempts, a permanent refusal, or the round closed


class Outbox(SQLModel, table=True):
    """One e-mail to send, written in the transaction that decided to send it.

    `key` makes sending idempotent (`invite:{invitation_id}`, `remind:{invitation_id}:{date}`);
    no secret is stored: the worker derives the link from `link_kind` and `link_ref` at send
    time (`api.mail.links`).
    """

    __table_args__ = (sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    template: str = Field(max_length=40)
    to_address: str = Field(max_length=254, description="Emptied when the round closes.")
    lang: str = Field(max_length=2)
    params: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    link_kind: str | None = Field(default=None, max_length=20)
    link_ref: int | None = None
    round_id: int | None = Field(default=None, sa_column=_fk("round.id", nullable=True))
    status: str = Field(default=OutboxStatus.pending, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Recipient(SQLModel, table=True):
    """The address a personal invitation was e-mailed to, kept only while its round is open."""

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("invitation.id", ondelete="CASCADE"), nullable=False, unique=True))
    email: str = Field(max_length=254)
    lang: str = Field(max_length=2)
    last_reminded_on: date | None = None


class ActionStatus(StrEnum):
    gepland = "gepland"
    bezig = "bezig"
    klaar = "klaar"
    gestopt = "gestopt"


class Action(SQLModel, table=True):
    """One step of an institution's action plan, made after a round (its baseline).

    Admin data, never answers: it names a knob and a unit or the whole institution, and the
    change it meets in a later round is read from published numbers only (`api.plans.progress`).
    """

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(sa_column=_fk("institution.id"))
    round_id: int = Field(sa_column=_fk("round.id"), description="The round it was made after.")
    unit_id: int | None = Field(
        default=None, sa_column=_fk("unit.id", nullable=True),
        description="None is the whole institution.")
    knob: str = Field(max_length=40)
    title: str = Field(max_length=200)
    suggestion_id: str | None = Field(default=None, max_length=40,
                                      description="The questionnaire suggestion it came from.")
    owner: str = Field(default="", max_length=120)
    due_on: date | None = None
    status: str = Field(default=ActionStatus.gepland, max_length=10)
    notes: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(
        default=None, sa_column=_fk("account.id", nullable=True, ondelete="SET NULL"))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(
        default=None, sa_column=_fk("account.id", nullable=True, ondelete="SET NULL"))


class TwoFactor(SQLModel, table=True):
    """An account's authenticator app (TOTP). The secret is kept encrypted with a key derived
    from the app's secret key, so a copy of the database alone cannot make codes; it is shown
    only while enrolment is not yet confirmed (`enrolled_at` None)."""

    __tablename__ = "two_factor"

    account_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True))
    secret_sealed: str = Field(max_length=200)
    enrolled_at: datetime | None = None
    last_step: int = Field(default=0, sa_type=sa.BigInteger,
                           description="The newest time step used: a code is never taken twice.")
    failures: int = 0
    first_failure_at: datetime | None = None
    locked_until: datetime | None = None


class RecoveryCode(SQLModel, table=True):
    """A single-use code for when the authenticator app is lost; only its sha256 is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=_fk("account.id"))
    code_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    used_at: datetime | None = None


class NetworkAnswer(SQLModel, table=True):
    """One respondent's mark on the network map for one target (a unit of the institution or an
    outside category): how often they consult it and for which forms of knowledge.

    Kept apart from the knob answers, keyed by the response's random id, with no time: it is
    counted only through `api.results.gate` and only once its response is released.
    """

    __tablename__ = "network_answer"

    response_id: int = Field(sa_column=sa.Column(
        BigId, sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True))
    target: str = Field(primary_key=True, max_length=40,
                        description="'u<unit id>' or an outside category (werkveld, ...).")
    frequency: str = Field(max_length=10, description="weekly, monthly, less or never.")
    wetenschappelijk: bool = False
    professioneel: bool = False
    ervaring: bool = False


class NetworkDraft(SQLModel, table=True):
    """The network map of a draft, so a respondent can resume it; emptied at submit."""

    __tablename__ = "network_draft"

    draft_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("draft.id", ondelete="CASCADE"), primary_key=True))
    marks: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    skipped: bool = False


class WorkshopMap(SQLModel, table=True):
    """A team's shared network map, filled in together in a workshop: a team artefact with the
    team's own marks, not anonymous answers, so it is shown as it was saved."""

    __tablename__ = "workshop_map"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(sa_column=_fk("institution.id"))
    unit_id: int = Field(sa_column=_fk("unit.id"))
    title: str = Field(max_length=200)
    held_on: date
    marks: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    notes: str = Field(default="", max_length=4000)
    created_by: int | None = Field(
        default=None, sa_column=_fk("account.id", nullable=True, ondelete="SET NULL"))
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookEndpoint(SQLModel, table=True):
    """An HTTPS address of an institution that receives signed events (Standard Webhooks).

    The `whsec_` secret is sealed like a two-factor secret (`api.setup.two_factor.seal`): the
    worker must be able to sign with it, and a copy of the database alone cannot. It is shown
    once, when made or rotated. An endpoint that keeps failing is switched off (`disabled_at`).
    """

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(sa_column=_fk("institution.id"))
    url: str = Field(max_length=500)
    events: str = Field(max_length=200, description="Space-separated event types.")
    description: str = Field(default="", max_length=200)
    secret_sealed: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    disabled_at: datetime | None = None
    disabled_reason: str = Field(default="", max_length=300)
    failures: int = Field(default=0, description="Failed deliveries in a row.")
    failing_since: datetime | None = None


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the webhooks' outbox, beside the mail's `outbox` and claimed
    the same way (`api.mail.outbox.claimable`). `message_id` is the `webhook-id`, the same on
    every attempt; `key` makes enqueueing idempotent per endpoint."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "key", name="uq_webhook_delivery_endpoint_id_key"),
        sa.Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(sa_column=_fk("webhook_endpoint.id"))
    key: str = Field(max_length=200)
    message_id: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    event: str = Field(max_length=40)
    payload: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    status: str = Field(default=OutboxStatus.pending, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per attempt, its answer or error; never the signature."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(sa_column=_fk("webhook_delivery.id"))
    endpoint_id: int = Field(sa_column=_fk("webhook_endpoint.id"))
    at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    error: str = Field(default="", max_length=500)
    duration_ms: int = 0


class WebhookParticipation(SQLModel, table=True):
    """The round-level count last sent to an endpoint as `response.submitted`, and when: the
    events are coalesced (at most one per round per interval), so none marks one submission."""

    __tablename__ = "webhook_participation"

    endpoint_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), primary_key=True))
    round_id: int = Field(sa_column=sa.Column(
        sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True))
    count: int = 0
    sent_at: datetime = Field(default_factory=utcnow)
class SignInPolicy(SQLModel, table=True):
    """How an institution's people sign in: the role an account made on its first sign-in
    through OpenID Connect gets, and whether the password form is switched off for accounts
    tied only to this institution. No row: password sign-in on, new accounts board members."""

    __tablename__ = "sign_in_policy"

    institution_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True))
    sso_role: str = Field(default="bestuur", max_length=20,
                          description="bestuur or coordinator; never admin.")
    password_off: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class SsoDomain(SQLModel, table=True):
    """An institution claim value (a domain such as 'hs-rivierenland.nl') whose users may get an
    account of this institution on their first sign-in; a domain belongs to one institution."""

    __tablename__ = "sso_domain"

    domain: str = Field(primary_key=True, max_length=253)
    institution_id: int = Field(sa_column=_fk("institution.id"))
class SectorOptIn(SQLModel, table=True):
    """An institution's consent to add its institution-level numbers of one questionnaire
    version to the sector benchmark (`api.results.sector`); deleted on opting out."""

    __tablename__ = "sector_opt_in"

    institution_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True))
    questionnaire_slug: str = Field(primary_key=True, max_length=40)
    questionnaire_version: str = Field(primary_key=True, max_length=20)
    opted_in_at: datetime = Field(default_factory=utcnow)


class SectorRelease(SQLModel, table=True):
    """Frozen sector numbers of one (questionnaire version, study year): per knob the mean, Q1
    and Q3 over the contributing institutions, never which ones. A new one is made only when
    its contributions differ from every earlier one of the key by at least k institutions;
    `withdrawn_at` is set when an institution in it opted out, so nothing shows until then."""

    __tablename__ = "sector_release"
    __table_args__ = (sa.UniqueConstraint("questionnaire_slug", "questionnaire_version",
                                          "period", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_slug: str = Field(max_length=40)
    questionnaire_version: str = Field(max_length=20)
    period: str = Field(max_length=9, description="Study year, 1 Aug – 31 Jul: '2026-2027'.")
    number: int = Field(description="1, 2, 3 … within the key.")
    institutions: int = Field(description="Contributing institutions; at least 5.")
    numbers: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False),
                          description="knob -> {mean, q1, q3}, two decimals.")
    published_at: datetime = Field(default_factory=lambda: utcnow().replace(second=0,
                                                                           microsecond=0))
    withdrawn_at: datetime | None = None


class SectorContribution(SQLModel, table=True):
    """Which institution release went into a sector release: internal, never published; the
    differencing rule compares these sets."""

    __tablename__ = "sector_contribution"

    sector_release_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("sector_release.id", ondelete="CASCADE"), primary_key=True))
    institution_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True))
    release_id: int = Field(sa_column=_fk("release.id"))
