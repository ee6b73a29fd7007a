"""The institution's own statements, attacked as the knobs are (`tests/attack.py`).

Colleagues answer one at a time or in imports, each answering some of the own statements and
saying "weet niet" to others, while an attacker reads the own-items API (JSON and CSV) and the
dashboard's block after every batch. No own-item number may let a group of fewer than k be
recovered: not by comparing two moments, not by the institution minus its units, and not by any
combination of everything published. A self-check shows the attack finds the leak of a rule that
counted the own statements' answers no differently from the respondents.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from api.platform.models import OwnAnswer, Response, Round
from api.results import anonymity, releases
from api.setup import institutions
from tests import attack
from tests.builders import (
    empty_tables,
    make_institution,
    make_own_items,
    make_round,
    make_token,
    open_now,
    web_login,
)

ROLES = ["practor", "docent_onderzoeker"]
ITEMS = 2  # own statements per round
EXAMPLES = int(os.environ.get("KENNISSTER_ATTACK_EXAMPLES", "6"))
MODEL_EXAMPLES = int(os.environ.get("KENNISSTER_ATTACK_MODEL_EXAMPLES", "300"))
BOARD_PASSWORD = "een-lang-wachtwoord-voor-de-test"

own_values = st.lists(st.sampled_from([None, "dk", 1, 2, 3, 4, 5]), min_size=ITEMS,
                      max_size=ITEMS)  # None: not answered at all


@st.composite
def streams(draw):
    k = draw(st.integers(3, 6))
    units = draw(st.integers(1, 3))
    arrival = st.tuples(st.integers(0, units - 1), st.sampled_from(ROLES), own_values)
    batch = st.one_of(st.lists(arrival, min_size=1, max_size=1),
                      st.lists(arrival, min_size=2, max_size=2 * k))
    return k, units, draw(st.lists(batch, min_size=2, max_size=k + 3))


def measure(index: int) -> str:
    return f"own{index}"


# --- through the app ------------------------------------------------------------------------


@dataclass
class Scenario:
    slug: str
    round_id: int
    unit_ids: list[int]
    item_ids: list[int]
    headers: dict


def arrange(session, catalog, *, k: int, units: int) -> tuple[Scenario, str]:
    from api.setup.accounts import create_account

    institution = make_institution(session, k=k)
    made = [institutions.create_unit(session=session, institution=institution,
                                     name=f"Practoraat {i}") for i in range(units)]
    round_ = make_round(session, catalog, institution, state="not_open")
    items = make_own_items(session, catalog, round_, [
        ("likert", f"Eigen stelling {i}", "", "") for i in range(ITEMS)])
    open_now(session, session.get(Round, round_.id))
    token = make_token(session, [institution], scopes=("read", "import"))
    email = f"bestuur-{institution.slug}@example.org"
    create_account(session=session, email=email, password=BOARD_PASSWORD, role="bestuur",
                   institutions=[institution])
    session.commit()
    return Scenario(slug=institution.slug, round_id=round_.id, unit_ids=[u.id for u in made],
                    item_ids=[i.id for i in items],
                    headers={"Authorization": f"Bearer {token}"}), email


def observe(client, board, scenario: Scenario, *, step: int,
            released: frozenset[int]) -> attack.Snapshot:
    """The own-items API, its CSV and the dashboard's block, which must agree."""
    snapshot = attack.Snapshot(step=step, released=released)
    index_of = {item_id: i for i, item_id in enumerate(scenario.item_ids)}
    body = client.get(f"/api/v1/rounds/{scenario.round_id}/own-items",
                      headers=scenario.headers).json()
    for statement in body["statements"]:
        for group in statement["groups"]:
            ref = group["group"]
            key = ("institution", None) if ref["type"] == "institution" else ("unit", ref["id"])
            if group["suppressed"]:
                assert group["n"] is None and group["counts"] is None
                continue
            assert sum(group["counts"].values()) == group["n"]
            snapshot.numbers[(key, measure(index_of[statement["id"]]))] = (group["n"],
                                                                            group["mean"])
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/api/v1/rounds/{scenario.round_id}/own-items", params={"format": "csv"},
        headers=scenario.headers).text)))
    for row in rows:
        key = ("institution", None) if row["group_type"] == "institution" else (
            "unit", int(row["group_id"]))
        name = (key, measure(index_of[int(row["item_id"])]))
        if row["suppressed"] == "true":
            assert name not in snapshot.numbers
        else:
            assert (int(row["n"]), float(row["mean"])) == snapshot.numbers[name]
    doc = BeautifulSoup(board.get(f"/dashboard/{scenario.slug}").text, "html.parser")
    for table in doc.select("#own-items table[data-own-item]"):
        for tr in table.select("tr[data-group]"):
            key = ("institution", None) if tr["data-group"] == "institution" else (
                "unit", int(tr["data-key"]))
            name = (key, measure(index_of[int(table["data-own-item"])]))
            cell = tr.select_one('[data-part="n"]')
            if cell is None:
                assert name not in snapshot.numbers
            else:
                mean = float(tr.select_one('[data-part="mean"]').text.replace(",", "."))
                assert (int(cell.text), mean) == snapshot.numbers[name]
    return snapshot


def stream_through_the_app(client, board, session, scenario: Scenario, stream):
    people: dict[int, attack.Respondent] = {}
    snapshots = []
    for step, batch in enumerate(stream):
        before = set(session.exec(select(Response.id)).all())
        session.commit()
        rows = [{"unit": scenario.unit_ids[unit], "role": role, "answers": {},
                 "own": {str(item_id): value for item_id, value
                         in zip(scenario.item_ids, values, strict=True) if value is not None}}
                for unit, role, values in batch]
        response = client.post(f"/api/v1/rounds/{scenario.round_id}/responses",
                               json={"responses": rows}, headers=scenario.headers)
        assert response.status_code == 201, response.text
        session.expire_all()
        for response_id in sorted(set(session.exec(select(Response.id)).all()) - before):
            stored = session.get(Response, response_id)
            answered = {row.item_id: row.value for row in session.exec(
                select(OwnAnswer).where(OwnAnswer.response_id == response_id))}
            scores = {measure(i): float(answered[item_id])
                      for i, item_id in enumerate(scenario.item_ids)
                      if answered.get(item_id) is not None}
            people[response_id] = attack.Respondent(key=response_id, unit_id=stored.unit_id,
                                                    role=stored.role, scores=scores)
        released = frozenset(session.exec(select(Response.id).where(
            Response.round_id == scenario.round_id, Response.release_id.is_not(None))).all())
        session.commit()
        snapshots.append(observe(client, board, scenario, step=step, released=released))
    return snapshots, people


@pytest.fixture
def board(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as board_client:
        yield board_client


MEASURES = [measure(i) for i in range(ITEMS)]


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=streams())
def test_no_sequence_of_own_item_views_recovers_a_group_smaller_than_k(
        case, app, client, board, session, catalog):
    k, units, stream = case
    empty_tables(app.state.engine)
    scenario, email = arrange(session, catalog, k=k, units=units)
    web_login(board, email, BOARD_PASSWORD)
    snapshots, people = stream_through_the_app(client, board, session, scenario, stream)
    findings = attack.all_attacks(snapshots, k, people, MEASURES)
    assert findings == [], (k, findings[:5])


# --- the model of the rule and the gate, without the web: many more streams -------------------


def publish(released: set[int], people: dict[int, attack.Respondent], k: int,
            step: int) -> attack.Snapshot:
    """What `gate.own_items` publishes: nothing while the round's total is under k; then per
    statement the institution and every unit shown (n ≥ k) whose statement has k answers."""
    snapshot = attack.Snapshot(step=step, released=frozenset(released))
    if len(released) < k:
        return snapshot
    groups: dict[attack.Group, list[int]] = {("institution", None): sorted(released)}
    for key in released:
        groups.setdefault(("unit", people[key].unit_id), []).append(key)
    for group, members in groups.items():
        if len(members) < k:
            continue
        for name in MEASURES:
            values = [people[m].scores[name] for m in members if name in people[m].scores]
            if len(values) >= k:
                snapshot.numbers[(group, name)] = (len(values), round(sum(values) / len(values), 2))
    return snapshot


def replay(stream, *, k: int, own_counted: bool = True):
    """The release rule over a stream; `own_counted` False is a rule that ignores the own
    statements' answers (as if they were not measures of their own)."""
    people: dict[int, attack.Respondent] = {}
    released: set[int] = set()
    snapshots = []
    for step, batch in enumerate(stream):
        for unit, role, values in batch:
            key = len(people)
            scores = {measure(i): float(v) for i, v in enumerate(values)
                      if v is not None and v != "dk"}
            people[key] = attack.Respondent(key=key, unit_id=unit, role=role, scores=scores)
        waiting = [anonymity.Arrival(key=key, unit_id=p.unit_id, role=p.role,
                                     knobs=frozenset(p.scores) if own_counted else frozenset())
                   for key, p in people.items() if key not in released]
        released |= anonymity.releasable(waiting, k=k)
        snapshots.append(publish(released, people, k, step))
    return snapshots, people


@settings(max_examples=MODEL_EXAMPLES, deadline=None, database=None)
@given(case=streams())
def test_the_release_rule_keeps_every_own_statement_safe_on_many_streams(case):
    k, _units, stream = case
    snapshots, people = replay(stream, k=k)
    assert attack.all_attacks(snapshots, k, people, MEASURES) == []


def test_own_statements_are_measures_of_their_own_in_the_release_rule():
    """The rule's name for an own statement can never be a knob's key."""
    assert releases.own_measure(7) == "own:7"
    assert ":" not in "".join(["strategie", "structuur", "processen", "beloningen", "mensen"])


def test_without_counting_own_answers_one_answer_is_given_away_between_releases():
    """Five colleagues answer the statement; of the next five only one does (four say "weet
    niet"). A rule that counts respondents only releases all ten, and the two views give the
    one answer away; the rule that counts the statement's answers keeps the five waiting."""
    first = [[(0, "practor", [4, None])] for _ in range(5)]
    second = [[(0, "practor", [1, None])] + [(0, "practor", ["dk", None])] * 4]
    leaky, people = replay(first + second, k=5, own_counted=False)
    assert any("grew by 1" in f for f in attack.grown_by_fewer_than_k(leaky, 5))
    safe, people = replay(first + second, k=5)
    assert attack.all_attacks(safe, 5, people, MEASURES) == []
    assert safe[-1].numbers == safe[-2].numbers  # the five wait for more answers
