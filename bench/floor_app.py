"""A floor for the submit benchmark: the bare endpoint plus the writes, and nothing else.

It parses the body into `ImportIn` like `bench.bare_app`, scores the answers with
`api.scoring.knob_scores`, and stores the same rows the real import stores (1 response, its
answers, its knob scores, and the upserts of the running tallies when the schema has them) with
the sqlite3 driver in one BEGIN IMMEDIATE transaction on a
per-thread connection: no token check, no lookups, no ORM. No implementation of the real endpoint
that stores the response on SQLite can be much faster than this, so its ratio to the bare endpoint
says how far the 0.5× target is reachable at all. Database: KENNISSTER_DATABASE_URL (SQLite).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.platform.questionnaires import load_catalog
from api.platform.settings import ROOT
from api.results.scoring import knob_scores
from api.v1.schemas import ImportIn, ImportResult
from bench.bare_app import raw_body

PATH = os.environ.get("KENNISSTER_DATABASE_URL", "").removeprefix("sqlite:///")
QUESTIONNAIRE = load_catalog(ROOT / "questionnaires").require("galbraith-star", "1.0")
_local = threading.local()

app = FastAPI(title="floor", docs_url=None, redoc_url=None, openapi_url=None)


def _connection() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(PATH, isolation_level=None, timeout=15)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        _local.conn = conn
    return conn


def _has_tallies() -> bool:
    if not PATH:
        return False
    conn = sqlite3.connect(PATH)
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    return {"response_tally", "knob_tally"} <= names


TALLIES = _has_tallies()


@app.post("/api/v1/rounds/{round_id}/responses", status_code=201, response_model=ImportResult)
def parse_and_store(round_id: int, body: Annotated[bytes, Depends(raw_body)]):
    try:
        payload = ImportIn.model_validate_json(body)
    except ValidationError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    q = QUESTIONNAIRE
    conn = _connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for row in payload.responses:
            answers = {k: (None if v is None or isinstance(v, str) else int(v))
                       for k, v in row.answers.items()}
            response_id = secrets.randbelow(2**62) + 1  # random, as `api.platform.models.random_id`
            conn.execute(
                "INSERT INTO response (id, round_id, unit_id, role, questionnaire_slug, "
                "questionnaire_version, questionnaire_hash, submission_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (response_id, round_id, int(row.unit), row.role, q.slug, q.version,
                 q.content_hash, f"imp-{secrets.token_urlsafe(24)}"))
            conn.executemany("INSERT INTO answer (response_id, item_id, value) VALUES (?, ?, ?)",
                             [(response_id, k, v) for k, v in answers.items()])
            scores = [(knob, score) for knob, score in knob_scores(answers, q).items()
                      if score is not None]
            conn.executemany(
                "INSERT INTO knob_score (response_id, knob, round_id, unit_id, role, score) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(response_id, knob, round_id, int(row.unit), row.role, score)
                 for knob, score in scores])
            if TALLIES:
                conn.execute(
                    "INSERT INTO response_tally (round_id, unit_id, role, n) VALUES (?, ?, ?, 1) "
                    "ON CONFLICT (round_id, unit_id, role) DO UPDATE SET n = n + excluded.n",
                    (round_id, int(row.unit), row.role))
                conn.executemany(
                    "INSERT INTO knob_tally (round_id, unit_id, role, knob, n, total, total_sq) "
                    "VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (round_id, unit_id, role, knob) DO "
                    "UPDATE SET n = n + excluded.n, total = total + excluded.total, "
                    "total_sq = total_sq + excluded.total_sq",
                    [(round_id, int(row.unit), row.role, knob, score, score * score)
                     for knob, score in scores])
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    return ImportResult(round_id=round_id, imported=len(payload.responses), replayed=False)
