"""What-if prototypes for the submit benchmark: the real app with proposed fixes patched in at
start-up, to put numbers on them before anyone changes api/. Never used by the app itself.

`BENCH_WHATIF` (comma-separated) picks the patches:

- `coreinsert`: `record_response` writes its rows with three Core INSERTs (response with
  RETURNING id, then answers and knob scores as executemany) instead of ~36 ORM objects and a
  unit-of-work flush; the app's own tally upserts (`api.responses._add_to_tallies`, when present)
  run unchanged. Proposed home: `api.responses.record_response`.
- `fasttally`: the running-tally upserts (`api.responses._add_to_tallies`) as two statements
  built once (plain `INSERT … ON CONFLICT … DO UPDATE`, the same text on SQLite and PostgreSQL)
  and run with parameters, the five knob rows as one executemany, instead of six SQLAlchemy
  insert constructs built, cache-keyed and compiled per response (`.excluded` alone rebuilds a
  proxy of every column each time). Proposed home: `api.responses._add_to_tallies`.
- `noetag`: the API's ETag middleware (`@app.middleware("http")`, a BaseHTTPMiddleware that wraps
  every request, POSTs included, in a task group and a streamed body) is left out. Proposed fix:
  `api.v1.etag.add_etags` as a pure ASGI middleware that hands non-GET requests straight through.
- `asyncdeps`: the trivial dependencies that only read `app.state` (`get_catalog`,
  `get_settings_dep`) become `async def`, so FastAPI does not send each one to the thread pool.
  Proposed home: `api.deps`.

Serve it like the real app: `uvicorn bench.whatif_app:app --workers 1 ...`.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy import insert
from sqlmodel import Session
from starlette.middleware.base import BaseHTTPMiddleware

import api.survey.imports
import api.survey.responses
from api.main import create_app
from api.platform.deps import get_catalog, get_settings_dep
from api.platform.models import Answer, KnobScore, OpenAnswer, Response, random_id
from api.platform.questionnaires import Catalog
from api.platform.settings import Settings
from api.results import scoring

PATCHES = {p.strip() for p in os.environ.get("BENCH_WHATIF", "").split(",") if p.strip()}


def record_response_core(*, session, round_, unit_id, role, questionnaire, answers, open_answers,
                         submission_key) -> int:
    """The same rows as `api.responses.record_response`, written with Core INSERTs."""
    response_id = random_id()  # the id is random (voters apart from votes), not the database's
    session.execute(insert(Response).values(
        id=response_id, round_id=round_.id, unit_id=unit_id, role=role,
        questionnaire_slug=questionnaire.slug, questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.content_hash, submission_key=submission_key))
    if answers:
        session.execute(insert(Answer.__table__), [
            {"response_id": response_id, "item_id": item_id, "value": value}
            for item_id, value in answers.items()])
    scores = [{"response_id": response_id, "knob": knob, "round_id": round_.id, "unit_id": unit_id,
               "role": role, "score": score}
              for knob, score in scoring.knob_scores(answers, questionnaire).items()
              if score is not None]
    if scores:
        session.execute(insert(KnobScore.__table__), scores)
    if open_answers:
        session.execute(insert(OpenAnswer.__table__), [
            {"response_id": response_id, "question_id": qid, "text": text}
            for qid, text in open_answers.items()])
    # No tally upserts here: since releases (0005) `record_response` writes none, the release
    # adds a batch to the tallies. (The `fasttally` patch used to install `_add_to_tallies`
    # itself, so calling it here counted every response twice: once now, once at release.)
    return response_id


RESPONSE_TALLY_UPSERT = sa.text(
    "INSERT INTO response_tally (round_id, unit_id, role, n) VALUES (:round_id, :unit_id, :role, 1) "
    "ON CONFLICT (round_id, unit_id, role) DO UPDATE SET n = response_tally.n + excluded.n")
KNOB_TALLY_UPSERT = sa.text(
    "INSERT INTO knob_tally (round_id, unit_id, role, knob, n, total, total_sq) "
    "VALUES (:round_id, :unit_id, :role, :knob, 1, :score, :score_sq) "
    "ON CONFLICT (round_id, unit_id, role, knob) DO UPDATE SET n = knob_tally.n + excluded.n, "
    "total = knob_tally.total + excluded.total, total_sq = knob_tally.total_sq + excluded.total_sq")


def add_to_tallies_fast(session: Session, *, round_id: int, unit_id: int, role: str,
                        scores) -> None:
    """`api.responses._add_to_tallies` with statements built once (`fasttally`)."""
    group = {"round_id": round_id, "unit_id": unit_id, "role": role}
    session.execute(RESPONSE_TALLY_UPSERT, group)
    rows = [{**group, "knob": knob, "score": score, "score_sq": score * score}
            for knob, score in scores.items() if score is not None]
    if rows:
        session.execute(KNOB_TALLY_UPSERT, rows)


async def catalog_async(request: Request) -> Catalog:
    return request.app.state.catalog


async def settings_async(request: Request) -> Settings:
    return request.app.state.settings


app = create_app()
if "coreinsert" in PATCHES:
    api.survey.imports.record_response = record_response_core
if "fasttally" in PATCHES:
    api.survey.responses._add_to_tallies = add_to_tallies_fast
if "noetag" in PATCHES:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not BaseHTTPMiddleware]
    app.middleware_stack = None
if "asyncdeps" in PATCHES:
    app.dependency_overrides[get_catalog] = catalog_async
    app.dependency_overrides[get_settings_dep] = settings_async
