"""Counts of released network-map marks, computed by the database with GROUP BY.

Private to `api.results.gate` (a test enforces it): per respondent unit and target, how many
released respondents marked each frequency and each form of knowledge, and how many released
respondents each unit has (from the running tally). No mark is loaded into Python one by one.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Integer, cast, func
from sqlmodel import Session, select

from api.platform.models import NetworkAnswer, Response, ResponseTally

Counts = dict[int, dict[str, dict[str, int]]]  # unit id -> target -> frequency or form -> count


def released_per_unit(*, session: Session, round_id: int) -> dict[int, int]:
    """Released respondents per unit of the round (everyone, with or without a map)."""
    rows = session.exec(select(ResponseTally.unit_id, func.sum(ResponseTally.n))
                        .where(ResponseTally.round_id == round_id)
                        .group_by(ResponseTally.unit_id))
    return {unit_id: int(n) for unit_id, n in rows}


def marks_per_unit(*, session: Session, round_id: int) -> tuple[Counts, Counts]:
    """(frequency counts, form counts) per respondent unit and target, released responses only."""
    rows = session.exec(
        select(Response.unit_id, NetworkAnswer.target, NetworkAnswer.frequency, func.count(),
               func.sum(cast(NetworkAnswer.wetenschappelijk, Integer)),
               func.sum(cast(NetworkAnswer.professioneel, Integer)),
               func.sum(cast(NetworkAnswer.ervaring, Integer)))
        .join(Response, Response.id == NetworkAnswer.response_id)
        .where(Response.round_id == round_id, Response.release_id.is_not(None))
        .group_by(Response.unit_id, NetworkAnswer.target, NetworkAnswer.frequency))
    frequencies: Counts = defaultdict(lambda: defaultdict(dict))
    forms: Counts = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for unit_id, target, frequency, n, wet, prof, erv in rows:
        frequencies[unit_id][target][frequency] = int(n)
        for form, count in (("wetenschappelijk", wet), ("professioneel", prof),
                            ("ervaring", erv)):
            if count:
                forms[unit_id][target][form] += int(count)
    return frequencies, forms
