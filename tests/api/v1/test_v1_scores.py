"""Scores of a round per institution, unit and role; the units × knobs comparison; institutions
side by side. Every number is checked against `api.scoring` on the released respondents' answers
(to the two decimals the API publishes), and every group the anonymity rules hide comes without
numbers. Responses that would add fewer than k respondents to some group wait for a release, so
no published number can be subtracted from another to single anyone out."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.platform.db import session_scope
from api.platform.models import Institution, Round, Unit
from api.results import scoring
from api.setup import institutions
from tests.api.v1.support import (
    KNOBS,
    Q_REF,
    assert_csv_matches_group,
    assert_no_numbers,
    assert_problem,
    assert_published,
    assert_stats,
    bearer,
    csv_table,
    expected,
    make_token,
    release,
    respond,
    use_shared_world,
    varied_answers,
)
from tests.builders import make_institution, make_round

client, session, world = use_shared_world()


@dataclass
class Trio:
    """An institution whose three practoraten (5, 6 and 7 published responses) are all shown;
    by role 12 practors and 6 teacher-researchers. Two "anders" of Zeven answered too: as the
    only two of their role they wait, and nothing of them is in any number."""

    institution: Institution
    round: Round
    units: list[Unit]
    rows: list[tuple[Unit, str, dict]]
    token: str

    def answers(self, unit: Unit | None = None, role: str | None = None) -> list[dict]:
        return [a for u, r, a in self.rows
                if (unit is None or u.id == unit.id) and (role is None or r == role)]


@pytest.fixture(scope="module")
def trio(shared_app, shared_world, catalog, questionnaire) -> Trio:
    with session_scope(shared_app.state.engine, write=True) as db:
        institution = make_institution(db, "Hogeschool Driehoek")
        vijf, zes, zeven = [institutions.create_unit(session=db, institution=institution,
                                                     name=f"Practoraat {name}")
                            for name in ("Vijf", "Zes", "Zeven")]
        round_ = make_round(db, catalog, institution)
        plan = ([(vijf, "practor")] * 5 + [(zes, "docent_onderzoeker")] * 6
                + [(zeven, "practor")] * 7)
        rows = []
        for i, (unit, role) in enumerate(plan):
            answers = varied_answers(questionnaire, 300 + 7 * i)
            respond(db, questionnaire, round_, unit, answers, role=role)
            rows.append((unit, role, answers))
        for i in range(2):
            respond(db, questionnaire, round_, zeven, varied_answers(questionnaire, 400 + i),
                    role="anders")
        release(db, round_)
        return Trio(institution, round_, [vijf, zes, zeven], rows, make_token(db, [institution]))


def scores(client, round_id: int, token: str, **params) -> dict:
    response = client.get(f"/api/v1/rounds/{round_id}/scores", params=params,
                          headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def assert_group_numbers(group: dict, answer_sets: list[dict], questionnaire) -> None:
    """A shown group: n, per knob n/mean/sd/CI/band, weakest, strongest and spread, all equal to
    what the scoring module computes from these respondents' answers, to two decimals."""
    assert group["suppressed"] is False
    assert group["n"] == len(answer_sets)
    summaries = expected(questionnaire, answer_sets)
    assert list(group["knobs"]) == list(KNOBS)
    for knob in KNOBS:
        assert_stats(group["knobs"][knob], summaries[knob], questionnaire.bands)
    # weakest and strongest of the means as published; the spread close to the exact one
    published = scoring.alignment({k: group["knobs"][k]["mean"] for k in KNOBS})
    assert group["weakest"] == published.weakest
    assert group["strongest"] == published.strongest
    exact = scoring.alignment({k: s.mean for k, s in summaries.items()})
    assert_published(group["spread"], exact.spread, slack=0.01)


# --- scores -----------------------------------------------------------------------------------


def test_the_whole_institution_has_n_mean_sd_ci_and_band_per_knob(client, world, questionnaire):
    body = scores(client, world.latest.id, world.read_a, group_by="institution")
    assert body["round"]["id"] == world.latest.id and body["round"]["responses"] == 16
    assert body["round"]["status"] == "open"
    release = body["round"]["release"]
    assert (release["number"], release["counted"], release["pending"]) == (1, 16, 2)
    assert (body["questionnaire"], body["k"], body["group_by"]) == (Q_REF, 5, "institution")
    [group] = body["groups"]
    assert group["group"] == {"type": "institution", "id": None, "name": "Hogeschool Alfastad"}
    assert_group_numbers(group, world.answers(), questionnaire)
    # institution is the default grouping
    assert scores(client, world.latest.id, world.read_a) == body


def test_the_earlier_round_has_its_own_numbers(client, world, questionnaire):
    body = scores(client, world.first.id, world.read_a)
    assert body["round"]["status"] == "closed" and body["round"]["responses"] == 5
    # large's 3 still wait, and will never be counted now that the round is closed
    assert (body["round"]["release"]["counted"], body["round"]["release"]["pending"]) == (5, 3)
    assert len(world.first_waiting) == 3
    assert_group_numbers(body["groups"][0], world.answers(first=True), questionnaire)


def test_per_unit_the_unit_of_2_waits_and_the_unit_of_6_beside_it_is_shown_as_nothing_subtracts(
    client, world, questionnaire
):
    """Small's 2 respondents wait for their release: they are in no number. The units shown add
    up to the institution's total (6 + 10 = 16), so the total minus the shown units is 0, and the
    6 beside the 2 needs no hiding."""
    body = scores(client, world.latest.id, world.read_a, group_by="unit")
    groups = {g["group"]["name"]: g for g in body["groups"]}
    assert set(groups) == {"Practoraat Klein", "Practoraat Midden", "Practoraat Groot"}
    large = groups["Practoraat Groot"]
    assert large["group"] == {"type": "unit", "id": world.large.id, "name": "Practoraat Groot"}
    assert_group_numbers(large, world.answers(unit=world.large), questionnaire)
    assert_group_numbers(groups["Practoraat Midden"], world.answers(unit=world.middle),
                         questionnaire)
    small = groups["Practoraat Klein"]
    assert small["group"] == {"type": "unit", "id": world.small.id, "name": "Practoraat Klein"}
    assert_no_numbers(small)
    assert [unit.id for unit, _, _ in world.latest_waiting] == [world.small.id] * 2
    [total] = scores(client, world.latest.id, world.read_a)["groups"]
    assert total["n"] == groups["Practoraat Midden"]["n"] + groups["Practoraat Groot"]["n"] == 16
    assert body["round"]["release"]["pending"] == 2


def test_per_unit_all_units_are_shown_when_each_has_enough_and_nothing_is_recoverable(
    client, trio, questionnaire
):
    body = scores(client, trio.round.id, trio.token, group_by="unit")
    groups = {g["group"]["id"]: g for g in body["groups"]}
    assert set(groups) == {u.id for u in trio.units}
    for unit in trio.units:
        assert_group_numbers(groups[unit.id], trio.answers(unit=unit), questionnaire)


def test_per_role_numbers_equal_the_scoring_module(client, world, questionnaire):
    body = scores(client, world.latest.id, world.read_a, group_by="role")
    groups = {g["group"]["id"]: g for g in body["groups"]}
    assert set(groups) == {"practor", "docent_onderzoeker"}
    assert groups["practor"]["group"]["type"] == "role"
    assert groups["practor"]["group"]["name"] == "Practor"
    for role in groups:
        assert_group_numbers(groups[role], world.answers(role=role), questionnaire)


def test_per_role_a_small_role_waits_and_the_roles_beside_it_add_up_to_the_total(
    client, trio, questionnaire
):
    """The 2 "anders" wait: they are in no role, no unit and not in the total; practors and
    teacher-researchers are both shown and add up to the total, so nothing can be subtracted."""
    body = scores(client, trio.round.id, trio.token, group_by="role")
    groups = {g["group"]["id"]: g for g in body["groups"]}
    assert set(groups) == {"practor", "docent_onderzoeker"}
    assert_group_numbers(groups["practor"], trio.answers(role="practor"), questionnaire)
    assert_group_numbers(groups["docent_onderzoeker"], trio.answers(role="docent_onderzoeker"),
                         questionnaire)
    [total] = scores(client, trio.round.id, trio.token)["groups"]
    assert total["n"] == groups["practor"]["n"] + groups["docent_onderzoeker"]["n"] == 18
    assert_group_numbers(total, trio.answers(), questionnaire)
    zeven = {g["group"]["id"]: g for g in scores(client, trio.round.id, trio.token,
                                                 group_by="unit")["groups"]}[trio.units[2].id]
    assert_group_numbers(zeven, trio.answers(unit=trio.units[2]), questionnaire)
    assert body["round"]["release"]["pending"] == 2


def test_an_institution_with_fewer_than_k_respondents_is_suppressed_in_total(
    client, session, catalog, questionnaire
):
    tiny = make_institution(session, "Hogeschool Kleinburg")
    unit = institutions.create_unit(session=session, institution=tiny, name="Practoraat Enig")
    round_ = make_round(session, catalog, tiny)
    for i in range(4):
        respond(session, questionnaire, round_, unit, varied_answers(questionnaire, i))
    release(session, round_)  # 4 < k: nothing may be released
    token = make_token(session, [tiny])
    body = scores(client, round_.id, token)
    assert body["round"]["responses"] == 0
    assert body["round"]["release"] == {"id": None, "number": 0, "published_at": None,
                                        "counted": 0, "pending": 4}
    [group] = body["groups"]
    assert group["group"]["type"] == "institution"
    assert_no_numbers(group)
    for group in scores(client, round_.id, token, group_by="unit")["groups"]:
        assert_no_numbers(group)
    compared = client.get("/api/v1/compare/institutions", headers=bearer(token)).json()
    assert_no_numbers(compared["institutions"][0]["scores"])


def test_bad_group_by_or_unknown_round_are_problems(client, world):
    headers = bearer(world.read_a)
    assert_problem(client.get(f"/api/v1/rounds/{world.latest.id}/scores",
                              params={"group_by": "person"}, headers=headers), 422)
    assert_problem(client.get(f"/api/v1/rounds/{world.latest.id}/scores",
                              params={"format": "xml"}, headers=headers), 422)
    assert_problem(client.get("/api/v1/rounds/999999/scores", headers=headers), 404)
    assert_problem(client.get("/api/v1/rounds/nul/scores", headers=headers), 422)


# --- compare: units × knobs -----------------------------------------------------------------------


def test_compare_gives_each_unit_its_difference_from_the_institution(client, trio, questionnaire):
    response = client.get(f"/api/v1/rounds/{trio.round.id}/compare", headers=bearer(trio.token))
    assert response.status_code == 200
    body = response.json()
    assert body["round"]["id"] == trio.round.id and body["k"] == 5
    assert body["institution"]["group"]["type"] == "institution"
    assert_group_numbers(body["institution"], trio.answers(), questionnaire)
    total = expected(questionnaire, trio.answers())
    rows = {r["group"]["id"]: r for r in body["units"]}
    assert set(rows) == {u.id for u in trio.units}
    for unit in trio.units:
        row = rows[unit.id]
        assert_group_numbers(row, trio.answers(unit=unit), questionnaire)
        own = expected(questionnaire, trio.answers(unit=unit))
        assert set(row["difference"]) == set(KNOBS)
        for knob in KNOBS:
            # the difference of the published means, itself published with two decimals
            assert_published(row["difference"][knob], own[knob].mean - total[knob].mean,
                             slack=0.01)
            assert row["difference"][knob] == pytest.approx(round(
                row["knobs"][knob]["mean"] - body["institution"]["knobs"][knob]["mean"], 2),
                abs=1e-9)


def test_compare_limited_to_chosen_units(client, trio):
    chosen = [trio.units[0].id, trio.units[2].id]
    response = client.get(f"/api/v1/rounds/{trio.round.id}/compare", params={"unit": chosen},
                          headers=bearer(trio.token))
    assert response.status_code == 200
    assert sorted(r["group"]["id"] for r in response.json()["units"]) == sorted(chosen)
    one = client.get(f"/api/v1/rounds/{trio.round.id}/compare?unit={trio.units[1].id}",
                     headers=bearer(trio.token)).json()
    assert [r["group"]["id"] for r in one["units"]] == [trio.units[1].id]
    # the institution row stays the whole institution
    assert one["institution"]["n"] == 18


def test_compare_keeps_suppressed_units_without_numbers_or_difference(client, world):
    body = client.get(f"/api/v1/rounds/{world.latest.id}/compare",
                      headers=bearer(world.read_a)).json()
    rows = {r["group"]["id"]: r for r in body["units"]}
    assert rows[world.large.id]["difference"] is not None
    assert rows[world.middle.id]["difference"] is not None
    assert_no_numbers(rows[world.small.id])  # invited, but its 2 respondents wait
    limited = client.get(f"/api/v1/rounds/{world.latest.id}/compare",
                         params={"unit": world.small.id}, headers=bearer(world.read_a)).json()
    [row] = limited["units"]
    assert_no_numbers(row)


def test_compare_with_an_unknown_unit_is_404(client, world, trio):
    for unit_id in (999999, world.large.id):  # no such unit; a unit of another institution
        body = assert_problem(client.get(f"/api/v1/rounds/{trio.round.id}/compare",
                                         params={"unit": [trio.units[0].id, unit_id]},
                                         headers=bearer(trio.token)), 404)
        assert str(unit_id) in body["detail"]
    assert_problem(client.get(f"/api/v1/rounds/{trio.round.id}/compare?unit=x",
                              headers=bearer(trio.token)), 422)


# --- institutions side by side ----------------------------------------------------------------


def test_compare_institutions_gives_institution_level_scores_of_each_institution_in_scope(
    client, world, questionnaire
):
    response = client.get("/api/v1/compare/institutions", headers=bearer(world.read_ab))
    assert response.status_code == 200
    body = response.json()
    assert body["questionnaire"] == "galbraith-star"
    entries = {e["institution"]["slug"]: e for e in body["institutions"]}
    assert set(entries) == {world.a.slug, world.b.slug}
    for slug, round_, token in ((world.a.slug, world.latest, world.read_a),
                                (world.b.slug, world.b_round, world.read_b)):
        entry = entries[slug]
        assert set(entry) == {"institution", "round", "scores"}
        assert entry["round"]["id"] == round_.id  # the latest round of each
        assert entry["scores"]["group"]["type"] == "institution"
        assert "difference" not in entry["scores"]
        assert entry["scores"] == scores(client, round_.id, token)["groups"][0]
    assert_group_numbers(entries[world.a.slug]["scores"], world.answers(), questionnaire)
    # institution-level aggregates only: no unit and no role appears
    for name in ("Practoraat", "practor", "docent_onderzoeker"):
        assert name not in response.text


def test_compare_institutions_limited_to_chosen_institutions(client, world):
    headers = bearer(world.read_ab)
    only_b = client.get("/api/v1/compare/institutions", params={"institution": world.b.slug},
                        headers=headers).json()
    assert [e["institution"]["slug"] for e in only_b["institutions"]] == [world.b.slug]
    assert_problem(client.get("/api/v1/compare/institutions", params={"questionnaire": "onbekend"},
                              headers=headers), 404)


def test_compare_institutions_leaves_out_an_institution_without_rounds(client, session, world):
    empty = make_institution(session, "Hogeschool Zonderronde")
    token = make_token(session, [world.a, empty])
    body = client.get("/api/v1/compare/institutions", headers=bearer(token)).json()
    assert [e["institution"]["slug"] for e in body["institutions"]] == [world.a.slug]


def test_a_knob_answered_by_too_few_waits_with_its_respondents(client, session, catalog,
                                                              questionnaire):
    """Two practoraten of 6; in one, 2 people answered every strategie statement with "weet
    niet", so its strategie score would grow by 4 people: that practoraat's 6 wait, and the
    other is published alone, every knob shown."""
    institution = make_institution(session, "Hogeschool Gatenmeer")
    gaps, full = (institutions.create_unit(session=session, institution=institution,
                                           name=f"Practoraat {name}") for name in ("Gat", "Vol"))
    round_ = make_round(session, catalog, institution)
    rows = []
    for i in range(12):
        unit = gaps if i < 6 else full
        answers = varied_answers(questionnaire, 500 + i)
        if i < 2:
            answers.update({item.id: None for item in questionnaire.items_of("strategie")})
        respond(session, questionnaire, round_, unit, answers)
        rows.append((unit, answers))
    release(session, round_)
    token = make_token(session, [institution])
    body = scores(client, round_.id, token)
    assert (body["round"]["release"]["counted"], body["round"]["release"]["pending"]) == (6, 6)
    [total] = body["groups"]
    assert_group_numbers(total, [a for u, a in rows if u.id == full.id], questionnaire)
    units = {g["group"]["id"]: g for g in scores(client, round_.id, token,
                                                 group_by="unit")["groups"]}
    assert set(units) == {gaps.id, full.id}
    assert_no_numbers(units[gaps.id])  # its respondents wait: listed, without any number
    assert_group_numbers(units[full.id], [a for u, a in rows if u.id == full.id], questionnaire)


def test_a_knob_answered_by_too_few_is_hidden_per_cell_while_the_rest_is_shown(
    client, session, catalog, questionnaire
):
    """Two practoraten of 6; in one, 1 person answered every strategie statement with "weet
    niet", so its strategie score rests on 5 people: published under k = 5. Later the institution
    asks for k = 6: that unit's strategie cell is hidden, every other number is still shown; the
    other unit's strategie (6) and the total's (11) stay, as the 5 were published as a whole."""
    institution = make_institution(session, "Hogeschool Gatenveld")
    gaps, full = (institutions.create_unit(session=session, institution=institution,
                                           name=f"Practoraat {name}") for name in ("Gat", "Vol"))
    round_ = make_round(session, catalog, institution)
    rows = []
    for i in range(12):
        unit = gaps if i < 6 else full
        answers = varied_answers(questionnaire, 500 + i)
        if i < 1:
            answers.update({item.id: None for item in questionnaire.items_of("strategie")})
        respond(session, questionnaire, round_, unit, answers)
        rows.append((unit, answers))
    release(session, round_)
    institution.anonymity_k = 6
    session.add(institution)
    session.commit()
    token = make_token(session, [institution])

    body = scores(client, round_.id, token, group_by="unit")
    assert body["k"] == 6 and body["round"]["release"]["pending"] == 0
    units = {g["group"]["id"]: g for g in body["groups"]}
    for unit in (gaps, full):
        group = units[unit.id]
        assert group["suppressed"] is False and group["n"] == 6
        summaries = expected(questionnaire, [a for u, a in rows if u.id == unit.id])
        for knob in KNOBS[1:]:
            assert_stats(group["knobs"][knob], summaries[knob], questionnaire.bands)
    assert units[gaps.id]["knobs"]["strategie"] is None
    assert units[gaps.id]["weakest"] != "strategie" and units[gaps.id]["strongest"] != "strategie"
    assert_stats(units[full.id]["knobs"]["strategie"],
                 expected(questionnaire, [a for u, a in rows if u.id == full.id])["strategie"],
                 questionnaire.bands)
    table = csv_table(client.get(f"/api/v1/rounds/{round_.id}/scores",
                                 params={"group_by": "unit", "format": "csv"},
                                 headers=bearer(token)))
    for row in table:
        assert (row["strategie_mean"] == "") is (int(row["group_id"]) == gaps.id)
        assert row["structuur_mean"] != ""
        assert_csv_matches_group(row, units[int(row["group_id"])])
    [total] = scores(client, round_.id, token)["groups"]
    assert total["n"] == 12 and total["knobs"]["strategie"]["n"] == 11
    compared = client.get(f"/api/v1/rounds/{round_.id}/compare", headers=bearer(token)).json()
    rows_out = {row["group"]["id"]: row for row in compared["units"]}
    assert rows_out[gaps.id]["knobs"]["strategie"] is None
    assert rows_out[gaps.id]["difference"]["strategie"] is None
    assert rows_out[gaps.id]["difference"]["structuur"] is not None
    assert rows_out[full.id]["difference"]["strategie"] is not None


def test_an_institutions_own_threshold_is_applied_and_reported(client, session, catalog,
                                                              questionnaire):
    strict = make_institution(session, "Hogeschool Strikt", k=8)
    unit = institutions.create_unit(session=session, institution=strict, name="Practoraat Zeven")
    round_ = make_round(session, catalog, strict)
    for i in range(7):
        respond(session, questionnaire, round_, unit, varied_answers(questionnaire, 40 + i))
    release(session, round_)  # with the default k of 5 the 7 would be released
    token = make_token(session, [strict])
    body = scores(client, round_.id, token)
    assert body["k"] == 8
    assert (body["round"]["release"]["counted"], body["round"]["release"]["pending"]) == (0, 7)
    assert_no_numbers(body["groups"][0])
    compared = client.get("/api/v1/compare/institutions", headers=bearer(token)).json()
    [entry] = compared["institutions"]
    assert entry["institution"]["anonymity_k"] == 8
    assert_no_numbers(entry["scores"])
