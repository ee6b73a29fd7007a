"""Anonymity over time, attacked.

Colleagues answer one at a time while an attacker holds a read token, a board login and a used
personal link, and reads every surface after every single response (`tests/attack.py`). Whatever
the unit tree, the roles, k (3 … 10) and the order of arrival, no group of fewer than k
respondents may be recovered: not by comparing two moments, not by subtracting parts from a
total, and not by any combination of all published sums. The self-checks show that the same
attacks do find the leaks of a build without the release rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from api.platform.models import KnobScore, Response, UnitKind
from api.results import anonymity
from api.setup import institutions
from tests import attack
from tests.builders import (
    complete_survey,
    empty_tables,
    make_institution,
    make_round,
    make_token,
    personal_link,
    web_login,
)

KNOBS = ["strategie", "structuur", "processen", "beloningen", "mensen"]
ROLES = ["practor", "docent_onderzoeker", "anders"]
EXAMPLES = int(os.environ.get("KENNISSTER_ATTACK_EXAMPLES", "12"))
BOARD_PASSWORD = "een-lang-wachtwoord-voor-de-test"


@dataclass
class Scenario:
    slug: str
    round_id: int
    unit_ids: list[int]  # plain ids: a session object would reload, and lock, when read
    headers: dict
    thanks_url: str


def arrange(session, catalog, *, k: int, units: int, nested: bool) -> tuple[Scenario, str]:
    """An institution with its own k, `units` practoraten (under one afdeling when `nested`),
    one open round, a read token and a board account; returns the first respondent's link."""
    from api.setup.accounts import create_account

    institution = make_institution(session, k=k)
    parent = (institutions.create_unit(session=session, institution=institution,
                                       name="Kenniscentrum", kind=UnitKind.afdeling)
              if nested else None)
    made = [institutions.create_unit(session=session, institution=institution,
                                     name=f"Practoraat {i}", parent=parent) for i in range(units)]
    round_ = make_round(session, catalog, institution)
    token = make_token(session, [institution], scopes=("read", "import"))
    email = f"bestuur-{institution.slug}@example.org"
    create_account(session=session, email=email, password=BOARD_PASSWORD, role="bestuur",
                   institutions=[institution])
    link = personal_link(session, round_, made[0])
    session.commit()
    scenario = Scenario(slug=institution.slug, round_id=round_.id, unit_ids=[u.id for u in made],
                        headers={"Authorization": f"Bearer {token}"},
                        thanks_url=f"/s/{link}/bedankt")
    return scenario, email


def answers_for(questionnaire, knob_values: dict[str, int | None]) -> dict[str, object]:
    """Every item of a knob gets the knob's value (mirrored items included), or "dk"."""
    return {item.id: ("dk" if knob_values[item.knob] is None else knob_values[item.knob])
            for item in questionnaire.items}


def stream_through_the_app(client, board, session, questionnaire, scenario: Scenario,
                           stream, *, k: int) -> tuple[list[attack.Snapshot], dict]:
    """Let the responses in batch by batch (the very first through the survey on its personal
    link, the others through the import API, a batch in one upload) and read every surface
    after each batch."""
    people: dict[int, attack.Respondent] = {}
    snapshots = []
    for step, batch in enumerate(stream):
        before = set(session.exec(select(Response.id)).all())
        session.commit()  # end the read: the app needs the write lock next
        if step == 0:
            [(_, role, knob_values)] = batch[:1]
            token = scenario.thanks_url.split("/")[2]
            assert complete_survey(client, questionnaire, token,
                                   answers_for(questionnaire, knob_values),
                                   role=role).status_code == 200  # the thank-you page
            batch = [(0, role, knob_values)]
        else:
            rows = [{"unit": scenario.unit_ids[unit], "role": role,
                     "answers": answers_for(questionnaire, values)}
                    for unit, role, values in batch]
            response = client.post(f"/api/v1/rounds/{scenario.round_id}/responses",
                                   json={"responses": rows}, headers=scenario.headers)
            assert response.status_code == 201, response.text
        session.expire_all()
        new = sorted(set(session.exec(select(Response.id)).all()) - before)
        assert len(new) == len(batch)
        for response_id in new:
            stored = session.get(Response, response_id)
            scores = {row.knob: row.score for row in session.exec(
                select(KnobScore).where(KnobScore.response_id == response_id))}
            people[response_id] = attack.Respondent(key=response_id, unit_id=stored.unit_id,
                                                    role=stored.role, scores=scores)
        released = frozenset(session.exec(select(Response.id).where(
            Response.round_id == scenario.round_id, Response.release_id.is_not(None))).all())
        session.commit()
        snapshots.append(attack.observe(
            client, step=step, released=released, round_id=scenario.round_id,
            slug=scenario.slug, headers=scenario.headers, knobs=KNOBS, board=board,
            thanks_url=scenario.thanks_url))
    return snapshots, people


knob_values = st.fixed_dictionaries(
    {knob: st.sampled_from([None, 1, 2, 3, 3, 4, 4, 5]) for knob in KNOBS})


@st.composite
def streams(draw):
    k = draw(st.integers(3, 10))
    units = draw(st.integers(1, 3))
    roles = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))
    arrival = st.tuples(st.integers(0, units - 1), st.sampled_from(roles), knob_values)
    # mostly one response at a time, sometimes an import of several at once
    batch = st.one_of(st.lists(arrival, min_size=1, max_size=1),
                      st.lists(arrival, min_size=2, max_size=2 * k))
    stream = draw(st.lists(batch, min_size=2, max_size=k + 4))
    return k, units, draw(st.booleans()), stream


@pytest.fixture
def board(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as board_client:
        yield board_client


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=streams())
def test_no_sequence_of_views_recovers_a_group_smaller_than_k(
        case, app, client, board, session, catalog):
    k, units, nested, stream = case
    empty_tables(app.state.engine)
    questionnaire = catalog.require("galbraith-star", "1.0")
    scenario, email = arrange(session, catalog, k=k, units=units, nested=nested)
    web_login(board, email, BOARD_PASSWORD)
    snapshots, people = stream_through_the_app(client, board, session, questionnaire, scenario,
                                               stream, k=k)
    findings = attack.all_attacks(snapshots, k, people, KNOBS)
    assert findings == [], (k, findings[:5])
    # the numbers are not merely absent: what is released is published, by the scoring rules
    last = snapshots[-1]
    if last.released:
        assert last.group_n[("institution", None)] == len(last.released)


# --- the model of the rule, attacked without the web: many more streams per run ----------------


def publish(released: set[int], people: dict[int, attack.Respondent], k: int, step: int,
            ) -> attack.Snapshot:
    """What the gate publishes for a released set: every group from k on, means at 2 decimals."""
    snapshot = attack.Snapshot(step=step, released=frozenset(released))
    groups: dict[attack.Group, list[int]] = {("institution", None): sorted(released)}
    for key in released:
        groups.setdefault(("unit", people[key].unit_id), []).append(key)
        groups.setdefault(("role", people[key].role), []).append(key)
    for group, members in groups.items():
        if len(members) < k:
            continue
        snapshot.group_n[group] = len(members)
        for knob in KNOBS:
            scores = [people[m].scores[knob] for m in members if knob in people[m].scores]
            if len(scores) >= k:
                snapshot.numbers[(group, knob)] = (len(scores), round(sum(scores) / len(scores), 2))
    return snapshot


def replay(stream, *, k: int, rule=None) -> tuple[list, dict]:
    """The rule over a stream of batches, and what the gate would publish after each batch."""
    rule = rule or anonymity.releasable
    people: dict[int, attack.Respondent] = {}
    released: set[int] = set()
    snapshots = []
    for step, batch in enumerate(stream):
        for unit, role, values in batch:
            key = len(people)
            scores = {knob: float(v) for knob, v in values.items() if v is not None}
            people[key] = attack.Respondent(key=key, unit_id=unit, role=role, scores=scores)
        waiting = [anonymity.Arrival(key=key, unit_id=p.unit_id, role=p.role,
                                     knobs=frozenset(p.scores))
                   for key, p in people.items() if key not in released]
        released |= rule(waiting, k=k)
        snapshots.append(publish(released, people, k, step))
    return snapshots, people


@settings(max_examples=int(os.environ.get("KENNISSTER_ATTACK_MODEL_EXAMPLES", "300")),
          deadline=None, database=None)
@given(case=streams())
def test_the_release_rule_withstands_every_attack_on_many_streams(case):
    k, _units, _nested, stream = case
    snapshots, people = replay(stream, k=k)
    assert attack.all_attacks(snapshots, k, people, KNOBS) == []


# --- self-checks: the attacks find the leaks of a build without the rule -----------------------


def everything_at_once(arrivals, *, k, ancestors=None):
    return {a.key for a in arrivals}


ALL_FOURS = dict.fromkeys(KNOBS, 4)
LOW = {"strategie": 1, "structuur": 5, "processen": 2, "beloningen": 1, "mensen": 5}


def five_then_a_newcomer(client, board, session, catalog) -> tuple[list, dict]:
    """Five colleagues of one practoraat answer alike, then a sixth answers differently."""
    questionnaire = catalog.require("galbraith-star", "1.0")
    scenario, email = arrange(session, catalog, k=5, units=1, nested=False)
    web_login(board, email, BOARD_PASSWORD)
    stream = [[(0, "practor", ALL_FOURS)]] * 5 + [[(0, "practor", LOW)]]
    return stream_through_the_app(client, board, session, questionnaire, scenario, stream, k=5)


def test_without_releases_one_newcomer_is_given_away_by_two_views(
        app, client, board, session, catalog, monkeypatch):
    """The issue's own attack on the old build: five colleagues, then one more; the attacker
    subtracts the two views and reads the newcomer's knob scores."""
    monkeypatch.setattr(anonymity, "releasable", everything_at_once)
    monkeypatch.setattr(anonymity, "may_release_any", lambda waiting, k: waiting > 0)
    snapshots, people = five_then_a_newcomer(client, board, session, catalog)
    assert any("grew by 1" in f for f in attack.grown_by_fewer_than_k(snapshots, 5))
    assert attack.pinned_down(snapshots, 5, people, KNOBS)
    newcomer = list(people)[-1]  # the last to arrive (ids are random, people is in arrival order)
    for knob in KNOBS:
        assert attack.recovered_newcomer(snapshots, knob) == pytest.approx(
            people[newcomer].scores[knob], abs=0.05)


def test_with_releases_the_same_newcomer_waits_and_nothing_is_given_away(
        app, client, board, session, catalog):
    snapshots, people = five_then_a_newcomer(client, board, session, catalog)
    assert attack.all_attacks(snapshots, 5, people, KNOBS) == []
    assert snapshots[-1].numbers == snapshots[-2].numbers  # the sixth waits
    assert attack.recovered_newcomer(snapshots, "strategie") is None


def test_without_releases_a_small_unit_beside_a_large_one_is_a_total_minus_a_part():
    stream = [[(0, "practor", ALL_FOURS)]] * 10 + [[(1, "practor", LOW)]] * 3
    snapshots, people = replay(stream, k=5, rule=everything_at_once)
    assert any("leaves 3" in f for s in snapshots for f in attack.total_minus_parts(s, 5, KNOBS))
    assert replay(stream, k=5)[0][-1].group_n == {("institution", None): 10, ("unit", 0): 10,
                                                  ("role", "practor"): 10}


def test_a_group_hidden_earlier_is_not_worked_out_once_it_becomes_visible():
    """The hidden unit becomes visible: without releases its earlier numbers follow from the
    earlier total minus its unchanged neighbour."""
    stream = ([[(0, "practor", ALL_FOURS)]] * 10 + [[(1, "practor", LOW)]] * 3
              + [[(1, "practor", ALL_FOURS)]] * 2)
    leaky, people = replay(stream, k=5, rule=everything_at_once)
    assert attack.pinned_down(leaky, 5, people, KNOBS)
    safe, people = replay(stream, k=5)
    assert attack.all_attacks(safe, 5, people, KNOBS) == []
    assert safe[-1].group_n[("unit", 1)] == 5


def test_without_the_overlap_check_a_unit_minus_a_role_pins_down_two_colleagues(monkeypatch):
    """Group sizes alone are not enough: unit 0 has five practors and two others, unit 1 five
    others; every group grows by at least five, yet unit 0 − practors are the two others."""
    stream = [[(0, "practor", ALL_FOURS)] * 5 + [(0, "anders", LOW)] * 2
              + [(1, "anders", ALL_FOURS)] * 5]  # one import of twelve rows
    monkeypatch.setattr(anonymity, "small_determined", lambda *args, **kwargs: set())
    leaky, people = replay(stream, k=5)
    assert any("[5, 6]" in f for f in attack.pinned_down(leaky, 5, people, KNOBS))
    monkeypatch.undo()
    safe, people = replay(stream, k=5)
    assert attack.all_attacks(safe, 5, people, KNOBS) == []


@settings(max_examples=int(os.environ.get("KENNISSTER_ATTACK_MODEL_EXAMPLES", "300")),
          deadline=None, database=None)
@given(k=st.integers(3, 6), batch=st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(ROLES + ["lector_onderzoeksleider"]),
              knob_values), min_size=3, max_size=30))
def test_the_overlap_check_finds_exactly_what_linear_algebra_finds(k, batch):
    """`anonymity.small_determined` tries unit-minus-role pieces only; the attack solves the
    whole linear system. On one release that passes the group rule they agree: the check finds
    a piece exactly when some group under k is pinned down."""
    people = {i: attack.Respondent(key=i, unit_id=unit, role=role,
                                   scores={kn: float(v) for kn, v in values.items() if v})
              for i, (unit, role, values) in enumerate(batch)}
    arrivals = [anonymity.Arrival(key=p.key, unit_id=p.unit_id, role=p.role,
                                  knobs=frozenset(p.scores)) for p in people.values()]
    grown = anonymity._grown_by_k(arrivals, k=k, ancestors={})
    release = [a for a in arrivals if a.key in grown]
    snapshot = publish(grown, people, k, 0)
    pinned = attack.pinned_down([snapshot], k, people, KNOBS)
    assert bool(anonymity.small_determined(release, k=k)) == bool(pinned), pinned
