"""Small builders for test data, going through the same services the app uses.

Each builder is a use case of its own: the services' building blocks only flush, the builder
commits, so what it made is visible to the app under test at once.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from itertools import count
from pathlib import Path

import sqlalchemy as sa
import yaml
from bs4 import BeautifulSoup
from sqlmodel import Session, SQLModel, select

from api.plans import actions
from api.platform.db import session_scope
from api.platform.models import Action, Institution, Outbox, Recipient, Round, Unit, utcnow
from api.platform.questionnaires import Catalog, Questionnaire
from api.platform.settings import ROOT
from api.results import releases
from api.setup import accounts, institutions, rounds, tokens
from api.survey import invitations
from api.survey.responses import record_response

_seq = count(1)
SLUG, VERSION = "galbraith-star", "1.0"
SCAN = ("kenniswerkplaats-scan", "1.0")  # the knowledge-workplace scan


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
               state: str = "open", questionnaire: tuple[str, str] = (SLUG, VERSION),
               network_map: bool = False) -> Round:
    now = utcnow()
    opens_at, closes_at = {
        "open": (now - timedelta(days=1), now + timedelta(days=30)),
        "not_open": (now + timedelta(days=3), now + timedelta(days=30)),
        "closed": (now - timedelta(days=30), now - timedelta(days=1)),
    }[state]
    made = rounds.open_round(
        session=session, catalog=catalog, institution=institution, name=f"Meting {next(_seq)}",
        slug=questionnaire[0], version=questionnaire[1], opens_at=opens_at, closes_at=closes_at)
    made.network_map = network_map
    return _committed(session, made)


def open_now(session: Session, round_: Round) -> Round:
    """A planned round whose opening moment has come (its own items are fixed from now on)."""
    round_.opens_at = utcnow() - timedelta(minutes=1)
    session.add(round_)
    return _committed(session, round_)


def make_own_items(session: Session, catalog: Catalog, round_: Round,
                   items: Iterable[tuple[str, str, str, str]]) -> list:
    """Own items of a round that has not opened, as the coordinator adds them: (kind, Dutch
    text, English text, knob)."""
    from api.setup import own_items

    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    return [own_items.add_item(session=session, actor=None, round_=round_,
                               questionnaire=questionnaire, kind=kind, statement_nl=nl,
                               statement_en=en, knob=knob) for kind, nl, en, knob in items]


def make_account(session: Session, email: str, role: str, institutions: Iterable[Institution] = (),
                 password: str = "een-lang-wachtwoord-42"):
    """An account as `kennisster account create` makes it (admin, coordinator or bestuur)."""
    return _committed(session, accounts.create_account(
        session=session, email=email, password=password, role=role,
        institutions=list(institutions)))


def questionnaires_with_draft(target: Path, *, status: str = "draft") -> Path:
    """A copy of the questionnaires with a galbraith-star 1.1 in preparation: str1 reworded (nl
    and en), str4 removed, str9 added to strategie, str6 reverse-coded the other way."""
    shutil.copytree(ROOT / "questionnaires", target)
    data = yaml.safe_load((target / SLUG / f"{VERSION}.yaml").read_text(encoding="utf-8"))
    data["version"], data["status"] = "1.1", status
    items = data["items"]
    items[0]["statement"] = {"nl": items[0]["statement"]["nl"] + " (herzien)",
                             "en": items[0]["statement"]["en"] + " (revised)"}
    data["items"] = [i for i in items if i["id"] != "str4"]
    data["items"].insert(1, {"id": "str9", "knob": "strategie", "statement": {
        "nl": "Ons instellingsplan noemt kennisdeling tussen practoraten.",
        "en": "Our institutional plan mentions knowledge sharing between research groups."}})
    six = next(i for i in data["items"] if i["id"] == "str6")
    six["reverse"] = not six.get("reverse", False)
    (target / SLUG / "1.1.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def personal_link(session: Session, round_: Round, unit: Unit) -> str:
    return _committed(session, invitations.create_personal(
        session=session, round_=round_, unit=unit, count=1))[0]


def all_answers(questionnaire: Questionnaire, value: int = 4) -> dict[str, int | None]:
    return {item.id: value for item in questionnaire.items}


def stored_response(session: Session, questionnaire: Questionnaire, round_: Round, unit: Unit, *,
                    answers: Mapping[str, int | None] | None = None, role: str = "practor",
                    open_answers: Mapping[str, str] | None = None, default_k: int = 5,
                    own_answers: Mapping[int, int | str | None] | None = None):
    """A response stored directly, as an earlier respondent would have left it, and released
    as far as the release rule allows (as the survey's submit does)."""
    response = record_response(
        session=session, round_=round_, unit_id=unit.id, role=role, questionnaire=questionnaire,
        answers=answers if answers is not None else all_answers(questionnaire),
        open_answers=open_answers or {}, own_answers=own_answers,
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


def spread_answers(questionnaire: Questionnaire, i: int) -> dict[str, int | None]:
    """Respondent i's fixed answers, different per respondent and item, none "weet niet"."""
    return {item.id: 1 + (i * 7 + j * 3 + i * j) % 5
            for j, item in enumerate(questionnaire.items)}


def released_round(session: Session, catalog: Catalog, institution: Institution, unit: Unit, *,
                   version: str, state: str, respondents: int = 6, seed: int = 0,
                   default_k: int = 5) -> tuple[Round, list[dict[str, int | None]]]:
    """A round on `version` that `respondents` of `unit` answered, all in one release; returns
    the round and the answers, for a test to compute the expected numbers from."""
    round_ = make_round(session, catalog, institution, state=state, questionnaire=(SLUG, version))
    questionnaire = catalog.require(SLUG, version)
    answer_sets = [spread_answers(questionnaire, seed + i) for i in range(respondents)]
    for answers in answer_sets:
        record_response(session=session, round_=round_, unit_id=unit.id, role="practor",
                        questionnaire=questionnaire, answers=answers, open_answers={},
                        submission_key=f"test-{next(_seq)}-{utcnow().timestamp()}")
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)
    session.commit()
    return round_, answer_sets


def planned_action(session: Session, catalog: Catalog, institution: Institution, round_: Round,
                   knob: str, title: str) -> Action:
    """An action on `knob` for the whole institution, made after `round_` by a board member."""
    actor = accounts.create_account(session=session, email=f"bestuur-{next(_seq)}@plan.test",
                           password="een-lang-wachtwoord-42", role="bestuur",
                           institutions=[institution])
    return actions.create_action(session=session, catalog=catalog, actor=actor,
                                 institution=institution,
                                 data=actions.ActionInput(round=round_.id, knob=knob, title=title))


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
                    answers: Mapping[str, object], role: str = "practor",
                    own: Mapping[int, object] | None = None):
    """Walk the survey on a link: role, every knob page, the own items' page when `own` is
    given (own item id -> a value, "dk" or a text), submit; returns the submit's answer."""
    def post(url: str, data: dict):
        return client.post(url, data={"csrf_token": csrf_of(client), **data},
                           follow_redirects=False)

    assert post(f"/s/{token}", {"role": role}).status_code == 303
    for knob in questionnaire.knobs:
        values = {f"item-{item.id}": str(answers[item.id])
                  for item in questionnaire.items_of(knob.key) if item.id in answers}
        assert post(f"/s/{token}/k/{knob.key}", {**values, "action": "next"}).status_code == 303
    if own is not None:
        values = {f"own-{item_id}": str(value) for item_id, value in own.items()}
        assert post(f"/s/{token}/eigen", {**values, "action": "next"}).status_code == 303
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


def imported(client, token: str, round_: Round, rows: list[Mapping[str, object]]) -> None:
    """Responses collected elsewhere, sent in one JSON import through the API (released as far
    as the release rule allows, as the import does). Each row: unit (name or id), role, answers."""
    answer = client.post(f"/api/v1/rounds/{round_.id}/responses", json={"responses": rows},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["imported"] == len(rows)


def scale_answers(questionnaire: Questionnaire, rng: random.Random, n: int) -> list[dict]:
    """n respondents' answers as they would tick them (raw, before mirroring). Per knob the first
    five items follow one latent attitude; the sixth is noise, so it hangs loosely and alpha
    rises without it. About one in six respondents says "weet niet" to one strategie item."""
    rows = []
    for _ in range(n):
        answers: dict[str, int | None] = {}
        for knob in questionnaire.knobs:
            attitude = rng.gauss(0, 1)
            for position, item in enumerate(questionnaire.items_of(knob.key)):
                value = (rng.randint(1, 5) if position == 5
                         else min(5, max(1, round(3 + attitude + rng.gauss(0, 0.9)))))
                answers[item.id] = 6 - value if item.reverse else value
        if rng.random() < 1 / 6:
            answers[rng.choice(questionnaire.items_of("strategie")).id] = None
        rows.append(answers)
    return rows


def importing_round(session: Session, catalog: Catalog, *, k: int = 5) -> tuple[Round, Unit, str]:
    """A new institution with its own k, one unit and an open round, and an import token."""
    institution = make_institution(session, k=k)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    return round_, unit, make_token(session, [institution], scopes=("import",))


def sent_as_import(client, token: str, round_: Round, unit: Unit, rows: list[dict]) -> None:
    """Rows of `scale_answers` imported as practors of one unit; None is sent as "dk"."""
    imported(client, token, round_, [{"unit": unit.id, "role": "practor",
                                      "answers": {k: ("dk" if v is None else v)
                                                  for k, v in answers.items()}}
                                     for answers in rows])


def waiting_responses(session: Session, questionnaire: Questionnaire, round_: Round, unit: Unit,
                      count: int) -> None:
    """`count` responses stored and committed without a release, as imports leave them before
    the round's release (e.g. to be released when the round closes)."""
    for _ in range(count):
        record_response(session=session, round_=round_, unit_id=unit.id, role="practor",
                        questionnaire=questionnaire, answers=all_answers(questionnaire),
                        open_answers={}, submission_key=f"wait-{next(_seq)}-{utcnow().timestamp()}")
    session.commit()
def set_sign_in_policy(session: Session, institution: Institution, *, domains: Iterable[str] = (),
                       sso_role: str = "bestuur", password_off: bool = False) -> None:
    """An institution's sign-in through OpenID Connect, as its administrator saves it."""
    from api.platform.models import Account
    from api.setup import sign_in_policy

    admin = session.exec(select(Account).where(Account.role == "admin")).first()
    sign_in_policy.save_policy(session=session, actor=admin, institution=institution,
                               domains="\n".join(domains), sso_role=sso_role,
                               password_off=password_off)
# --- the sector benchmark ----------------------------------------------------------------------

def sector_choice(session: Session, catalog: Catalog, institution: Institution, *,
                  take_part: bool = True, version: str = VERSION, default_k: int = 5) -> bool:
    """Opt in (or out) of the sector benchmark of a version, as a coordinator does in /beheer."""
    from api.setup import sector_benchmark

    return sector_benchmark.set_opt_in(
        session=session, actor=None, institution=institution, catalog=catalog,
        ref=f"{SLUG}/{version}", take_part=take_part, default_k=default_k, minimum=5)


def benchmarked_institution(session: Session, catalog: Catalog, name: str | None = None, *,
                            seed: int = 0, opt_in: bool = True, respondents: int = 6,
                            ) -> tuple[Institution, Round]:
    """An institution with one unit and a released round on the star 1.0, opted in to the
    sector benchmark unless told otherwise; `seed` varies its answers."""
    institution = make_institution(session, name)
    unit = make_unit(session, institution)
    round_, _ = released_round(session, catalog, institution, unit, version=VERSION,
                               state="open", respondents=respondents, seed=seed)
    if opt_in:
        sector_choice(session, catalog, institution)
    return institution, round_


def tallied_release(session: Session, round_: Round, unit: Unit, *, n: int, score: float,
                    knobs: Iterable[str], default_k: int = 5, commit: bool = True) -> None:
    """A release of `n` respondents who all scored `score` on `knobs`, written into the tallies
    as `api.results.releases` does (without the responses themselves: fast, for properties over
    many releases), followed by what a release sets off: the sector benchmark's turn (flush),
    then the commit."""
    from sqlalchemy import func as sql_func

    from api.platform.models import KnobTally, Release, ResponseTally
    from api.results import sector

    number = session.exec(select(sql_func.coalesce(sql_func.max(Release.number), 0))
                          .where(Release.round_id == round_.id)).one() + 1
    session.add(Release(round_id=round_.id, number=number, responses=n))
    tally = session.get(ResponseTally, (round_.id, unit.id, "practor"))
    if tally is None:
        tally = ResponseTally(round_id=round_.id, unit_id=unit.id, role="practor", n=0)
    tally.n += n
    session.add(tally)
    for knob in knobs:
        cell = session.get(KnobTally, (round_.id, unit.id, "practor", knob))
        if cell is None:
            cell = KnobTally(round_id=round_.id, unit_id=unit.id, role="practor", knob=knob, n=0,
                             total=0.0, total_sq=0.0)
        cell.n += n
        cell.total += n * score
        cell.total_sq += n * score * score
        session.add(cell)
    session.flush()
    sector.after_release(session=session, round_id=round_.id, default_k=default_k, minimum=5)
    if commit:  # else the caller holds the transaction open, as a release still running does
        session.commit()
