"""A trend over five rounds asks the database no more than a trend over two.

The trend endpoint once built a whole dashboard per round, so every round added a dozen queries;
its numbers now come from the released tallies in one aggregate per kind of number, whatever the
number of rounds. A statement count, not a time: the same on every machine.
"""

from __future__ import annotations

import pytest

from api.platform.models import Institution, Unit
from api.survey import invitations
from tests.api.v1.support import bearer
from tests.builders import (
    counted_statements,
    make_institution,
    make_round,
    make_token,
    make_unit,
    stored_responses,
)


def institution_with_rounds(session, catalog, questionnaire, rounds: int,
                            ) -> tuple[Institution, Unit, str]:
    """An institution whose practoraat answered in every one of `rounds` rounds: five
    respondents (k) of seven invited, so each round's numbers are published."""
    institution = make_institution(session)
    unit = make_unit(session, institution)
    for _ in range(rounds):
        round_ = make_round(session, catalog, institution, state="closed")
        invitations.create_personal(session=session, round_=round_, unit=unit, count=7)
        stored_responses(session, questionnaire, round_, unit, 5)
    return institution, unit, make_token(session, [institution])


@pytest.fixture
def two_and_five(session, catalog, questionnaire):
    return (institution_with_rounds(session, catalog, questionnaire, 2),
            institution_with_rounds(session, catalog, questionnaire, 5))


def statements_of(client, engine, institution: Institution, token: str, **params) -> int:
    url = f"/api/v1/institutions/{institution.slug}/trend"
    with counted_statements(engine) as statements:
        response = client.get(url, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return len(statements)


@pytest.mark.parametrize("view", ["institution", "unit", "csv"])
def test_a_trend_of_five_rounds_costs_as_many_statements_as_one_of_two(
    client, engine, two_and_five, view
):
    (two, two_unit, two_token), (five, five_unit, five_token) = two_and_five
    for institution, token, rounds in ((two, two_token, 2), (five, five_token, 5)):
        body = client.get(f"/api/v1/institutions/{institution.slug}/trend",
                          headers=bearer(token)).json()  # also warms the app up
        assert [p["scores"]["n"] for p in body["points"]] == [5] * rounds

    def params(unit: Unit) -> dict:
        return {"unit": unit.id} if view == "unit" else {"format": "csv"} if view == "csv" else {}

    for_two = statements_of(client, engine, two, two_token, **params(two_unit))
    for_five = statements_of(client, engine, five, five_token, **params(five_unit))
    print(f"trend ({view}): {for_two} statements for 2 rounds, {for_five} for 5")  # pytest -rP
    assert for_two == for_five, f"{for_two} statements for 2 rounds, {for_five} for 5"
