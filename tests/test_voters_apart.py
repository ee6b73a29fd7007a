"""Voters apart from votes: with full access to the database, nothing joins an invitation (or the
address it was sent to) to an answer.

The story: a coordinator invites colleagues with personal links, some of them answer through the
real survey pages, and then someone with a copy of the database tries every join between the
invitation side (invitations, drafts, recipients and their addresses, the outbox) and the
response side (responses, answers, knob scores, open answers, tallies, releases): equal values,
hashes of each other's values, timestamps, and the order of rows. None may work.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel, select

from api.platform.models import Draft, Invitation
from tests.builders import (
    all_answers,
    complete_survey,
    make_institution,
    make_round,
    make_unit,
    personal_link,
)

Q = ("galbraith-star", "1.0")
# The two sides of the data. Every table must be on one of them (checked below), so a new table
# cannot slip in between without someone deciding which side it is on.
INVITATION_SIDE = {"invitation", "draft", "recipient", "outbox", "network_draft"}
RESPONSE_SIDE = {"response", "answer", "knob_score", "open_answer", "response_tally",
                 "knob_tally", "release", "own_result", "rendered", "own_answer",
                 "network_answer",
                 # release pointers and coalesced round counts, never per submission
                 "webhook_delivery", "webhook_attempt", "webhook_participation"}
NEITHER = {"institution", "unit", "round", "published_questionnaire", "account",
           "account_institution", "account_token", "login_attempt", "api_token",
           "api_token_institution", "audit_event", "action", "two_factor", "sign_in_policy",
           "sso_domain",
           "recovery_code", "own_item",
           "workshop_map",  # a team's shared map, filled in together: no respondent's answers
           "webhook_endpoint",
           # the sector benchmark: institutions' consents, and sector numbers over institutions
           # (which institution release went in, never a response)
           "sector_opt_in", "sector_release", "sector_contribution"}
# columns every table of a round shares on purpose: which round, unit or questionnaire
SHARED_BY_DESIGN = {"round_id", "unit_id", "kind", "role", "questionnaire_slug",
                    "questionnaire_version", "questionnaire_hash", "knob", "number", "n"}


def _rows(engine, tables: set[str]) -> dict[str, list[dict]]:
    present = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: [dict(row._mapping) for row in conn.execute(sa.text(f"SELECT * FROM {name}"))]
                for name in sorted(tables & present)}


def _values(rows: dict[str, list[dict]]) -> dict[str, set]:
    """Every value of one side, per column, leaving out columns shared by design and empties."""
    found: dict[str, set] = {}
    for table, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                if column in SHARED_BY_DESIGN or value in (None, "", 0, False, {}, "{}"):
                    continue
                if isinstance(value, dict | list):  # JSON columns come back parsed on PostgreSQL
                    value = json.dumps(value, sort_keys=True)
                found.setdefault(f"{table}.{column}", set()).add(value)
    return found


def _derived(value) -> set[str]:
    """What an attacker would try: the value itself and its common hashes."""
    text = str(value)
    forms = {text}
    for algorithm in ("sha256", "sha1", "md5"):
        digest = hashlib.new(algorithm, text.encode()).hexdigest()
        forms |= {digest, digest[:40], digest[:32], digest[:16]}
    return forms


def _answer_round(client, session, catalog, people: int, answering: int):
    questionnaire = catalog.require(*Q)
    institution = make_institution(session, "Hogeschool Scheiding")
    unit = make_unit(session, institution, "Practoraat Geheim")
    round_ = make_round(session, catalog, institution)
    links = [personal_link(session, round_, unit) for _ in range(people)]
    for index, link in enumerate(links[:answering]):
        client.cookies.clear()
        answers = all_answers(questionnaire, 1 + index % 5)
        assert complete_survey(client, questionnaire, link, answers).status_code == 200
    return round_, links


def test_every_table_is_on_one_side(engine):
    tables = set(SQLModel.metadata.tables)
    assert tables <= INVITATION_SIDE | RESPONSE_SIDE | NEITHER, tables - (
        INVITATION_SIDE | RESPONSE_SIDE | NEITHER)


def test_the_response_side_has_no_column_that_could_point_back(engine):
    """No invitation, token, draft or e-mail column, and no moment finer than a release's
    minute (a release holds at least k responses, so its time names nobody)."""
    for name in RESPONSE_SIDE:
        table = SQLModel.metadata.tables[name]
        for column in table.columns:
            lowered = column.name.lower()
            assert not any(word in lowered for word in (
                "invitation", "token", "draft", "email", "address", "recipient")), column
            if isinstance(column.type, sa.DateTime):
                assert (name, column.name) == ("release", "published_at"), column
        for key in table.foreign_keys:
            assert key.column.table.name not in INVITATION_SIDE, (name, key.target_fullname)


def test_no_value_of_the_invitation_side_appears_on_the_response_side(client, session, catalog,
                                                                      engine):
    _answer_round(client, session, catalog, people=9, answering=6)
    invitation_values = _values(_rows(engine, INVITATION_SIDE))
    response_values = _values(_rows(engine, RESPONSE_SIDE))
    on_response_side = {str(value): where for where, values in response_values.items()
                        for value in values}
    for where, values in invitation_values.items():
        for value in values:
            if isinstance(value, int | float | bool | date | datetime):
                continue  # numbers and dates are compared below, as joins
            for form in _derived(value):
                assert form not in on_response_side, (
                    f"{where} = {str(value)[:20]}… reappears as {on_response_side[form]}")


def test_the_used_day_of_an_invitation_is_a_day_and_the_response_has_no_time(client, session,
                                                                              catalog, engine):
    round_, links = _answer_round(client, session, catalog, people=6, answering=5)
    used = session.exec(select(Invitation.used_on).where(Invitation.round_id == round_.id,
                                                         Invitation.used_on.is_not(None))).all()
    assert len(used) == 5 and all(type(day) is date for day in used)
    response_columns = {c.name for c in SQLModel.metadata.tables["response"].columns}
    assert not {"submitted_at", "created_at", "updated_at", "invitation_id"} & response_columns
    # a submitted draft keeps only its mark: no answers, no role, and its time cut to the day
    session.expire_all()
    drafts = session.exec(select(Draft).join(Invitation, Invitation.id == Draft.invitation_id)
                          .where(Invitation.round_id == round_.id)).all()
    assert len(drafts) == 5
    for draft in drafts:
        assert draft.submitted and draft.answers == {} and draft.open_answers == {}
        assert draft.own_answers == {}
        assert draft.role is None
        assert (draft.updated_at.hour, draft.updated_at.minute, draft.updated_at.second) == (0, 0, 0)


def test_the_order_of_responses_does_not_follow_the_order_of_answering(client, session, catalog,
                                                                      engine):
    """Ids are random: sorted by id, the responses come out in an order unrelated to the order in
    which people answered (8 people: a 1 in 40,320 chance that random ids follow it anyway), and
    no two ids are neighbours, as counted ids would be. (PostgreSQL's heap keeps rows roughly in
    insertion order for whoever reads its pages directly; see the closing note of issue 10.)"""
    questionnaire = catalog.require(*Q)
    institution = make_institution(session, "Hogeschool Volgorde")
    unit = make_unit(session, institution, "Practoraat Volgorde")
    round_ = make_round(session, catalog, institution)
    first, second = questionnaire.items[0].id, questionnaire.items[1].id
    for person in range(8):
        client.cookies.clear()
        answers = {**all_answers(questionnaire, 3), first: 1 + person % 5, second: 1 + person // 5}
        link = personal_link(session, round_, unit)
        assert complete_survey(client, questionnaire, link, answers).status_code == 200
    with engine.connect() as conn:
        pattern = {}
        for rid, item, value in conn.execute(sa.text(
                "SELECT a.response_id, a.item_id, a.value FROM answer a JOIN response r "
                "ON r.id = a.response_id WHERE r.round_id = :round AND a.item_id IN (:f, :s)"),
                {"round": round_.id, "f": first, "s": second}):
            pattern.setdefault(rid, {})[item] = value
    person_of = {rid: (v[first] - 1) + 5 * (v[second] - 1) for rid, v in pattern.items()}
    assert sorted(person_of.values()) == list(range(8))
    by_id = sorted(person_of)
    assert [person_of[rid] for rid in by_id] != list(range(8))
    assert min(b - a for a, b in itertools.pairwise(by_id)) > 1_000
