"""Small builders for test data, going through the same services the app uses.

Each builder is a use case of its own: the services' building blocks only flush, the builder
commits, so what it made is visible to the app under test at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from itertools import count

import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import Session, SQLModel, select

from api.platform.db import session_scope
from api.platform.models import Institution, Outbox, Recipient, Round, Unit, utcnow
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import releases
from api.setup import institutions, rounds, tokens
from api.survey import invitations
from api.survey.responses import record_response

_seq = count(1)
SLUG, VERSION = "galbraith-star", "1.0"


def make_institution(session: Session, name: str | None = None, k: int | None = None) -> (
    Institution
):
    return _committed(session, institutions.create_institution(
        session=session, name=name or f"Instelling {next(_seq)}", anonymity_k=k))


def _committed(session: Session, made):
    session.commit()
    return made


def make_unit(session: Session, institution: Institution, name: str | None = None) -> Unit:
    return _committed(session, institutions.create_unit(
        session=session, institution=institution, name=name or f"Practoraat {next(_seq)}"))


def make_round(session: Session, catalog: Catalog, institution: Institution, *,
               state: str = "open", network_map: bool = False) -> Round:
    now = utcnow()
    opens_at, closes_at = {
        "open": (now - timedelta(days=1), now + timedelta(days=30)),
        "not_open": (now + timedelta(days=3), now + timedelta(days=30)),
        "closed": (now - timedelta(days=30), now - timedelta(days=1)),
    }[state]
    made = rounds.open_round(
        session=session, catalog=catalog, institution=institution, name=f"Meting {next(_seq)}",
        slug=SLUG, version=VERSION, opens_at=opens_at, closes_at=closes_at)
    made.network_map = network_map
    return _committed(session, made)


def personal_link(session: Session, round_: Round, unit: Unit) -> str:
    return _committed(session, invitations.create_personal(
        session=session, round_=round_, unit=unit, count=1))[0]


def all_answers(questionnaire: Questionnaire, value: int = 4) -> dict[str, int | None]:
    return {item.id: value for item in questionnaire.items}


def stored_response(session: Session, questionnaire: Questionnaire, round_: Round, unit: Unit, *,
                    answers: Mapping[str, int | None] | None = None, role: str = "practor",
                    open_answers: Mapping[str, str] | None = None, default_k: int = 5):
    """A response stored directly, as an earlier respondent would have left it, and released
    as far as the release rule allows (as the survey's submit does)."""
    response = record_response(
        session=session, round_=round_, unit_id=unit.id, role=role, questionnaire=questionnaire,
        answers=answers if answers is not None else all_answers(questionnaire),
        open_answers=open_answers or {},
        submission_key=f"test-{next(_seq)}-{utcnow().timestamp()}")
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)
    session.commit()
    return response


def stored_network_response(session: Session, questionnaire: Questionnaire, round_: Round,
                            unit: Unit, marks: Mapping[str, tuple[str, Iterable[str]]] | None, *,
                            role: str = "practor", default_k: int = 5):
    """A response with its network map ({target: (frequency, forms)}; None skipped the map),
    stored and released as far as the rule allows, as the survey's submit does."""
    from api.results.network import Mark
    from api.survey import network_map

    response = record_response(
        session=session, round_=round_, unit_id=unit.id, role=role, questionnaire=questionnaire,
        answers=all_answers(questionnaire), open_answers={},
        submission_key=f"test-{next(_seq)}-{utcnow().timestamp()}")
    if marks:
        network_map.record_marks(session=session, response_id=response.id, marks={
            target: Mark(frequency, frozenset(forms)) for target, (frequency, forms) in marks.items()})
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)
    session.commit()
    return response


def stored_responses(session: Session, questionnaire: Questionnaire, round_: Round, unit: Unit,
                     count: int, **kwargs) -> list:
    """`count` alike responses of one unit, stored one after the other."""
    return [stored_response(session, questionnaire, round_, unit, **kwargs) for _ in range(count)]


def make_token(session: Session, institutions: Iterable[Institution], scopes=("read",),
               name: str | None = None) -> str:
    """A token as `kennisster token create` makes it; returns the plain text shown once."""
    _, plain = tokens.create_token(session=session, name=name or f"Bureau {next(_seq)}",
                                   scopes=list(scopes), institutions=list(institutions))
    return plain


def empty_tables(engine: sa.Engine) -> None:
    """Remove every row, for tests that arrange several worlds in one test function."""
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


# --- through the pages, as a browser would ------------------------------------------------------


def csrf_of(client) -> str:
    """The form token of this browser, read from a page with a form."""
    return BeautifulSoup(client.get("/login").text, "html.parser").select_one(
        'input[name="csrf_token"]')["value"]


def web_login(client, email: str, password: str) -> None:
    """Log in as a person would: with the app's code when asked, and enrolling in two-step
    sign-in when the admin area asks for it (coordinators and administrators)."""
    from tests import two_factor_steps

    response = client.post("/login", data={"csrf_token": csrf_of(client), "email": email,
                                           "password": password, "next": "/dashboard"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    two_factor_steps.after_password(client, email, response)


def complete_survey(client, questionnaire: Questionnaire, token: str,
                    answers: Mapping[str, object], role: str = "practor"):
    """Walk the survey on a link: role, every knob page, submit; returns the submit's answer."""
    def post(url: str, data: dict):
        return client.post(url, data={"csrf_token": csrf_of(client), **data},
                           follow_redirects=False)

    assert post(f"/s/{token}", {"role": role}).status_code == 303
    for knob in questionnaire.knobs:
        values = {f"item-{item.id}": str(answers[item.id])
                  for item in questionnaire.items_of(knob.key) if item.id in answers}
        assert post(f"/s/{token}/k/{knob.key}", {**values, "action": "next"}).status_code == 303
    return post(f"/s/{token}/afronden", {})


# --- e-mail ----------------------------------------------------------------------------------


def invite_by_mail(session: Session, round_: Round, unit: Unit, addresses: list[str], *,
                   secret_key: str, lang: str = "nl") -> int:
    """Invitations by e-mail as the coordinator sends them: created, queued and committed."""
    invited = invitations.create_emailed(session, round_=round_, unit=unit, secret_key=secret_key,
                                         addresses=addresses, lang=lang)
    session.commit()
    return invited


def addresses(count: int, domain: str = "hs-test.nl") -> list[str]:
    """`count` distinct colleagues' addresses."""
    return [f"collega{next(_seq)}@{domain}" for _ in range(count)]


def outbox_rows(engine: sa.Engine) -> list:
    """Every outbox row, read in a transaction of its own (so no test holds SQLite's lock)."""
    with session_scope(engine) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def recipient_rows(engine: sa.Engine) -> list:
    with session_scope(engine) as session:
        return list(session.exec(select(Recipient).order_by(Recipient.id)))


# --- what the database is asked ----------------------------------------------------------------


@contextmanager
def counted_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement sent on `engine` while the block runs, in order: a count of the
    queries a request costs, for tests that a page's query count does not grow with its data."""
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
