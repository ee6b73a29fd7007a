"""The one place a response is written: answers, knob scores and open answers together.

Used by the survey's submit, the demo data and the import, so every stored response is scored by
the same rules. A response is stored unreleased: it counts in no published number until
`api.results.releases` puts it in a release. The caller owns the transaction.

Nothing written here names an invitation or a moment: see `api.platform.models` (voters apart
from votes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from api.platform.errors import RoundClosed, RoundNotOpen
from api.platform.models import (
    Answer,
    KnobScore,
    OpenAnswer,
    OwnAnswer,
    Response,
    Round,
    random_id,
    utcnow,
)
from api.platform.questionnaires import Questionnaire
from api.results import scoring


def check_takes_answers(round_: Round, *, now: datetime | None = None,
                        allow_closed: bool = False) -> None:
    """The one rule of when a round takes answers, for the survey and every import alike: from
    its opening until it closes. A closed round's numbers are final, so only an administrator
    importing late paper forms on the command line passes `allow_closed` (and it is audited);
    a round that has not opened takes nothing, whoever asks."""
    status = round_.status(now or utcnow())
    if status == "not_open":
        raise RoundNotOpen("This round has not opened yet; it takes no answers before it opens.",
                           opens_at=round_.opens_at)
    if status == "closed" and not allow_closed:
        raise RoundClosed("This round is closed and its numbers are final; it takes no more "
                          "answers.", closes_at=round_.closes_at)


# Built once: a statement object is compiled once per engine and then found in SQLAlchemy's cache.
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_ANSWERS = insert(Answer.__table__)
_INSERT_KNOB_SCORES = insert(KnobScore.__table__)
_INSERT_OPEN_ANSWERS = insert(OpenAnswer.__table__)
_INSERT_OWN_ANSWERS = insert(OwnAnswer.__table__)


@dataclass(frozen=True)
class StoredResponse:
    """What `record_response` stored: the new response's (random) id and its group."""

    id: int
    round_id: int
    unit_id: int
    role: str


def record_response(
    *, session: Session, round_: Round, unit_id: int, role: str, questionnaire: Questionnaire,
    answers: Mapping[str, int | None], open_answers: Mapping[str, str], submission_key: str,
    own_answers: Mapping[int, int | str | None] | None = None,
) -> StoredResponse:
    """Store one response with its answers, knob scores and open answers (no flush, no commit).

    The rows go in as Core INSERTs (one, then three executemany), not as ~40 ORM objects through
    the unit of work: the same rows at a fraction of the cost, on the hot path of every submit.
    No `Response` object is made (building a table model costs more than the INSERT): load one
    with `session.get(Response, stored.id)` where needed.

    `own_answers` (own item id -> a scale value, None for weet niet, or an open answer's text)
    go to `own_answer` only: the knob scores are computed from `answers` alone.
    """
    # random, never the database's sequence (voters apart from votes)
    response = StoredResponse(id=random_id(), round_id=round_.id, unit_id=unit_id, role=role)
    session.execute(_INSERT_RESPONSE, {
        "id": response.id, "round_id": round_.id, "unit_id": unit_id, "role": role,
        "questionnaire_slug": questionnaire.slug,
        "questionnaire_version": questionnaire.version,
        "questionnaire_hash": questionnaire.content_hash, "submission_key": submission_key})
    if answers:
        session.execute(_INSERT_ANSWERS, [
            {"response_id": response.id, "item_id": item_id, "value": value}
            for item_id, value in answers.items()])
    scores = [{"response_id": response.id, "knob": knob, "round_id": round_.id,
               "unit_id": unit_id, "role": role, "score": score}
              for knob, score in scoring.knob_scores(answers, questionnaire).items()
              if score is not None]
    if scores:
        session.execute(_INSERT_KNOB_SCORES, scores)
    if open_answers:
        session.execute(_INSERT_OPEN_ANSWERS, [
            {"response_id": response.id, "question_id": qid, "text": text}
            for qid, text in open_answers.items()])
    if own_answers:
        session.execute(_INSERT_OWN_ANSWERS, [
            {"response_id": response.id, "item_id": item_id,
             "value": value if not isinstance(value, str) else None,
             "text": value if isinstance(value, str) else None}
            for item_id, value in sorted(own_answers.items())])
    return response
