"""The one place a response is written: answers, knob scores and open answers together.

Used by the survey's submit, the demo data and any later import, so every stored response is
scored by the same rules. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from api import scoring
from api.db import dialect_insert
from api.models import (
    Answer,
    KnobScore,
    KnobTally,
    OpenAnswer,
    Response,
    ResponseTally,
    Round,
    utcnow,
)
from api.questionnaires import Questionnaire


def record_response(
    *, session: Session, round_: Round, unit_id: int, role: str, questionnaire: Questionnaire,
    answers: Mapping[str, int | None], open_answers: Mapping[str, str], submission_key: str,
    invitation_id: int | None = None, submitted_at: datetime | None = None,
) -> Response:
    response = Response(
        round_id=round_.id, unit_id=unit_id, invitation_id=invitation_id, role=role,
        questionnaire_slug=questionnaire.slug, questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.content_hash, submission_key=submission_key,
        submitted_at=submitted_at or utcnow(),
    )
    session.add(response)
    session.flush()
    scores = scoring.knob_scores(answers, questionnaire)
    session.add_all(Answer(response_id=response.id, item_id=item_id, value=value)
                    for item_id, value in answers.items())
    session.add_all(
        KnobScore(response_id=response.id, knob=knob, round_id=round_.id, unit_id=unit_id,
                  role=role, score=score)
        for knob, score in scores.items()
        if score is not None
    )
    session.add_all(OpenAnswer(response_id=response.id, question_id=qid, text=text)
                    for qid, text in open_answers.items())
    _add_to_tallies(session, round_id=round_.id, unit_id=unit_id, role=role, scores=scores)
    return response


def _add_to_tallies(session: Session, *, round_id: int, unit_id: int, role: str,
                    scores: Mapping[str, float | None]) -> None:
    """Count the response into the running totals, atomically (an upsert that adds), in the
    same transaction as the response itself."""
    insert = dialect_insert(session)
    group = {"round_id": round_id, "unit_id": unit_id, "role": role}
    tally = insert(ResponseTally).values(**group, n=1)
    session.exec(tally.on_conflict_do_update(
        index_elements=["round_id", "unit_id", "role"],
        set_={"n": ResponseTally.n + tally.excluded.n}))
    for knob, score in scores.items():
        if score is None:
            continue
        tally = insert(KnobTally).values(**group, knob=knob, n=1, total=score,
                                         total_sq=score * score)
        session.exec(tally.on_conflict_do_update(
            index_elements=["round_id", "unit_id", "role", "knob"],
            set_={"n": KnobTally.n + tally.excluded.n,
                  "total": KnobTally.total + tally.excluded.total,
                  "total_sq": KnobTally.total_sq + tally.excluded.total_sq}))
