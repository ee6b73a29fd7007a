"""The network map, attacked: no map number lets a group of fewer than k be recovered.

Colleagues of three units answer one at a time, each filling in the network map or skipping it,
while an attacker reads the round's map from the API after every single response. The attacker
knows everyone's unit and role and who is counted (as in `tests/attack.py`). Every published
share is a count over a set of respondents ("these people's marks for Zorg, weekly, add up to
c"). A group of fewer than k is recovered when its sum follows from all those equations,
within one view, between a unit and the institution, or across releases; the rank test below
finds every such group. The self-check shows the same test catches a map whose shares were taken
over those who filled it in, instead of over the whole released group.
"""

from __future__ import annotations

import os
from fractions import Fraction
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from api.platform.models import NetworkAnswer, Response
from api.results.network import FORMS, FREQUENCIES
from api.setup import institutions
from tests import attack
from tests.builders import (
    empty_tables,
    make_institution,
    make_round,
    make_token,
    stored_network_response,
)

EXAMPLES = int(os.environ.get("KENNISSTER_ATTACK_EXAMPLES", "12"))
ROLES = ["practor", "docent_onderzoeker"]
TARGETS = ["own", "other", "werkveld"]  # "other": the next unit of the institution

Equation = frozenset[int]  # the respondents (response ids) one published count adds up


def recovered(equations: set[Equation], k: int, *, budget: int = 50_000) -> list[list[int]]:
    """Every union of fewer than k indistinguishable respondents whose sum follows from the
    published sums (its indicator lies in the span of the equations)."""
    if not equations:
        return []
    rows_of = sorted(equations, key=sorted)
    unknowns = sorted(set().union(*rows_of))
    atoms: dict[frozenset, list[int]] = {}
    for key in unknowns:
        atoms.setdefault(frozenset(i for i, eq in enumerate(rows_of) if key in eq), []).append(key)
    atom_list = sorted(atoms.values(), key=len)
    rows = [[Fraction(int(atom[0] in eq)) for atom in atom_list] for eq in rows_of]
    rank = attack._rank(rows)
    small = [i for i, atom in enumerate(atom_list) if len(atom) < k]
    found, tried = [], 0
    for size in range(1, len(small) + 1):
        for combo in combinations(small, size):
            if sum(len(atom_list[i]) for i in combo) >= k:
                continue
            tried += 1
            assert tried <= budget, "the attack ran out of budget; make the case smaller"
            target = [Fraction(int(i in combo)) for i in range(len(atom_list))]
            if attack._rank(rows + [target]) == rank:
                found.append(sorted(key for i in combo for key in atom_list[i]))
    return found


@st.composite
def streams(draw):
    k = draw(st.integers(3, 5))
    people = draw(st.lists(st.tuples(
        st.integers(0, 2), st.sampled_from(ROLES),
        st.one_of(st.none(), st.dictionaries(
            st.sampled_from(TARGETS),
            st.tuples(st.sampled_from(FREQUENCIES), st.sets(st.sampled_from(FORMS), max_size=2)),
            min_size=1))),
        min_size=1, max_size=13))
    return k, people


def _marks(raw, unit_ids: list[int], index: int):
    if raw is None:
        return None
    marks = {}
    for target, (frequency, forms) in raw.items():
        key = f"u{unit_ids[(index + 1) % len(unit_ids)]}" if target == "other" else target
        marks[key] = (frequency, sorted(forms) if frequency != "never" else [])
    return marks


def read_map(client, headers: dict, round_id: int) -> dict:
    answer = client.get(f"/api/v1/rounds/{round_id}/network-map", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=streams())
def test_no_map_number_recovers_a_group_smaller_than_k(case, app, client, session, catalog):
    k, people = case
    empty_tables(app.state.engine)
    session.expunge_all()
    session.expire_on_commit = False
    questionnaire = catalog.require("galbraith-star", "1.0")
    institution = make_institution(session, k=k)
    units = [institutions.create_unit(session=session, institution=institution,
                                      name=f"Practoraat {i}") for i in range(3)]
    round_ = make_round(session, catalog, institution, network_map=True)
    headers = {"Authorization": f"Bearer {make_token(session, [institution])}"}
    unit_ids = [u.id for u in units]
    unit_of: dict[int, int] = {}
    equations: set[Equation] = set()

    for unit_index, role, raw in people:
        marks = _marks(raw, unit_ids, unit_index)
        stored = stored_network_response(session, questionnaire, round_, units[unit_index], marks,
                                         role=role, default_k=k)
        unit_of[stored.id] = unit_ids[unit_index]
        released = set(session.exec(select(Response.id).where(
            Response.round_id == round_.id, Response.release_id.is_not(None))))
        truth = {(row.response_id, row.target): (row.frequency,
                                                  {f for f in FORMS if getattr(row, f)})
                 for row in session.exec(select(NetworkAnswer))}
        session.commit()
        body = read_map(client, headers, round_.id)
        for group in body["groups"]:
            members = frozenset(r for r in released
                                if group["unit_id"] is None or unit_of[r] == group["unit_id"])
            if not group["shown"]:
                assert group["n"] == 0 and group["targets"] == []
                continue
            assert group["n"] == len(members) >= k, (group["unit_id"], group["n"], k)
            equations.add(members)
            for target in group["targets"]:
                for frequency, share in target["frequency"].items():
                    count = sum(1 for r in members
                                if truth.get((r, target["target"]), ("",))[0] == frequency)
                    assert round(share * len(members)) == count  # the attacker's exact counts
                for form, share in target["forms"].items():
                    count = sum(1 for r in members
                                if form in truth.get((r, target["target"]), ("", set()))[1])
                    assert round(share * len(members)) == count
                assert all(round(v, 2) == v for v in target["frequency"].values())
    # every count is a sum over one of these sets, whatever the target, frequency or form
    assert recovered(equations, k) == [], (k, people)


def test_the_attack_finds_a_map_counted_over_those_who_filled_it_in():
    """Self-check: five of a unit in the first release, all with a map; five more in the second,
    four with a map. Shares over map-fillers publish sums over 5 and then 9 people: the four
    newcomers' marks follow by subtraction. Over the whole released group (5, then 10) nothing
    smaller than k does."""
    first, second = frozenset(range(5)), frozenset(range(5, 10))
    fillers_later = frozenset(range(5, 9))
    assert recovered({first, first | fillers_later}, 5) == [[5, 6, 7, 8]]
    assert recovered({first, first | second}, 5) == []


def test_the_attack_finds_a_small_unit_beside_the_institution():
    """Self-check: were a unit of seven shown beside an institution of nine (two of another unit
    below k), the institution minus the unit would give the two away."""
    unit, rest = frozenset(range(7)), frozenset({7, 8})
    assert recovered({unit, unit | rest}, 5) == [[7, 8]]
