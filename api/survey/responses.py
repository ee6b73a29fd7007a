"""The one place a response is written: answers, knob scores and open answers together.

Used by the survey's submit, the demo data and any later import, so every stored response is
scored by the same rules. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from api.platform.models import (
    Answer,
    KnobScore,
    OpenAnswer,
    Response,
    Round,
    utcnow,
)
from api.platform.questionnaires import Questionnaire
from api.results import scoring


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


# One statement text for SQLite and PostgreSQL alike, prepared once: building SQLAlchemy upserts
# per response cost more than the rest of the write (bench/README.md, "fasttally").
_COUNT_RESPONSE = text(
    "INSERT INTO response_tally (round_id, unit_id, role, n) VALUES (:round_id, :unit_id, :role, 1) "
    "ON CONFLICT (round_id, unit_id, role) DO UPDATE SET n = response_tally.n + 1")
_ADD_KNOB_SCORE = text(
    "INSERT INTO knob_tally (round_id, unit_id, role, knob, n, total, total_sq) "
    "VALUES (:round_id, :unit_id, :role, :knob, 1, :score, :score_sq) "
    "ON CONFLICT (round_id, unit_id, role, knob) DO UPDATE SET n = knob_tally.n + 1, "
    "total = knob_tally.total + excluded.total, total_sq = knob_tally.total_sq + excluded.total_sq")


def _add_to_tallies(session: Session, *, round_id: int, unit_id: int, role: str,
                    scores: Mapping[str, float | None]) -> None:
    """Count the response into the running totals, atomically (an upsert that adds), in the
    same transaction as the response itself."""
    group = {"round_id": round_id, "unit_id": unit_id, "role": role}
    session.execute(_COUNT_RESPONSE, group)
    knob_rows = [{**group, "knob": knob, "score": score, "score_sq": score * score}
                 for knob, score in scores.items() if score is not None]
    if knob_rows:
        session.execute(_ADD_KNOB_SCORE, knob_rows)
