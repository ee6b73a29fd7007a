"""The knowledge-workplace scan's surfaces, attacked like the star's (`tests/attack.py`).

Colleagues answer a scan round one by one (the first on the survey pages, the others through the
import API) while an attacker reads the API's scores, compare and trend, the dashboard and its
CSV, and the thank-you page after every arrival: with the scan's nine success factors no group of
fewer than k respondents may be recovered, as for the star's five knobs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from api.platform.models import KnobScore, Response
from api.setup import institutions
from api.setup.accounts import create_account
from tests import attack
from tests.builders import (
    SCAN,
    complete_survey,
    empty_tables,
    make_institution,
    make_round,
    make_token,
    personal_link,
    web_login,
)
from tests.test_anonymity_attack import board  # noqa: F401  (the attacker's board login)

FACTORS = ["belang", "praktijkvragen", "thema", "gemeenschap", "coordinator", "draagvlak",
           "voorlopers", "tijd", "lange_adem"]
ROLES = ["docent_onderzoeker", "student", "werkveldpartner"]
PASSWORD = "een-lang-wachtwoord-voor-de-test"
EXAMPLES = int(os.environ.get("KENNISSTER_ATTACK_EXAMPLES", "12")) // 3 or 1


def answers_for(questionnaire, values: dict[str, int | None]) -> dict[str, object]:
    return {item.id: ("dk" if values[item.knob] is None else values[item.knob])
            for item in questionnaire.items}


factor_values = st.fixed_dictionaries(
    {factor: st.sampled_from([None, 1, 2, 3, 4, 5]) for factor in FACTORS})


@st.composite
def streams(draw):
    k = draw(st.integers(3, 6))
    units = draw(st.integers(1, 2))
    arrival = st.tuples(st.integers(0, units - 1), st.sampled_from(ROLES), factor_values)
    batch = st.one_of(st.lists(arrival, min_size=1, max_size=1),
                      st.lists(arrival, min_size=2, max_size=2 * k))
    return k, units, draw(st.lists(batch, min_size=2, max_size=k + 2))


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=streams())
def test_no_sequence_of_views_of_a_scan_round_recovers_a_group_smaller_than_k(
        case, app, client, board, session, catalog):  # noqa: F811
    k, units, stream = case
    empty_tables(app.state.engine)
    scan = catalog.require(*SCAN)
    institution = make_institution(session, k=k)
    made = [institutions.create_unit(session=session, institution=institution,
                                     name=f"Werkplaats {i}") for i in range(units)]
    round_ = make_round(session, catalog, institution, questionnaire=SCAN)
    headers = {"Authorization": f"Bearer {make_token(session, [institution], ('read', 'import'))}"}
    email = f"bestuur-{institution.slug}@example.org"
    create_account(session=session, email=email, password=PASSWORD, role="bestuur",
                   institutions=[institution])
    link = personal_link(session, round_, made[0])
    unit_ids = [u.id for u in made]
    slug, round_id = institution.slug, round_.id
    session.commit()
    web_login(board, email, PASSWORD)

    people: dict[int, attack.Respondent] = {}
    snapshots = []
    for step, batch in enumerate(stream):
        before = set(session.exec(select(Response.id)).all())
        session.commit()
        if step == 0:
            [(_, role, values)] = batch[:1]
            assert complete_survey(client, scan, link, answers_for(scan, values),
                                   role=role).status_code == 200
            batch = batch[:1]
        else:
            rows = [{"unit": unit_ids[unit], "role": role, "answers": answers_for(scan, values)}
                    for unit, role, values in batch]
            answer = client.post(f"/api/v1/rounds/{round_id}/responses",
                                 json={"responses": rows}, headers=headers)
            assert answer.status_code == 201, answer.text
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
            Response.round_id == round_id, Response.release_id.is_not(None))).all())
        session.commit()
        snapshots.append(attack.observe(client, step=step, released=released, round_id=round_id,
                                        slug=slug, headers=headers, knobs=FACTORS, board=board,
                                        thanks_url=f"/s/{link}/bedankt"))
    assert attack.all_attacks(snapshots, k, people, FACTORS) == []
    if snapshots[-1].released:
        assert snapshots[-1].group_n[("institution", None)] == len(snapshots[-1].released)
