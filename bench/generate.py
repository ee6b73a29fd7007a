"""Fast generator of benchmark data: one institution with ~40 practoraten, one round, N responses
and their knob scores, written in bulk (SQLite: executemany in big transactions with durability
off; PostgreSQL: COPY).

The institution, its units and the round are made through the app's own services (so the round's
questionnaire is published exactly as in production); only `response` and `knob_score` rows are
bulk-written, with the columns the app writes, and the app's running tallies (if its schema has
them) are then filled from those rows in one GROUP BY each. Rows of `answer` (the 30 raw item
values per response) are not generated: no score, dashboard or comparison query reads them. Per response:
5 knob scores (multiples of 1/6, as the mean of six 1–5 items gives), a role drawn with the demo's
spread, and a unit drawn with uneven sizes; each unit has its own knob profile and leaders answer a
little brighter, like the demo data.

Usage: python -m bench.generate sqlite:///tmp/x.db 100000   (the database must be migrated)
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.common import Seeded

KNOBS = ["strategie", "structuur", "processen", "beloningen", "mensen"]
ROLES = [("practor", 0.25), ("docent_onderzoeker", 0.45), ("lector_onderzoeksleider", 0.1),
         ("leidinggevende_bestuur", 0.12), ("anders", 0.08)]
ROLE_OPTIMISM = {"leidinggevende_bestuur": 0.5, "lector_onderzoeksleider": 0.2}
CHUNK = 50_000  # responses per batch
# Running tallies the app keeps next to knob_score (migration 0004): filled after the bulk load with
# the same GROUP BY the migration's backfill uses. The generated responses are published as one
# release (migration 0005), so the tallies hold exactly what a release of them would have added and
# the app's start-up finds nothing left to release. Skipped when the schema has no such tables.
TALLIES = {
    "response_tally": "INSERT INTO response_tally (round_id, unit_id, role, n) SELECT round_id, "
                      "unit_id, role, count(*) FROM response GROUP BY round_id, unit_id, role",
    "knob_tally": "INSERT INTO knob_tally (round_id, unit_id, role, knob, n, total, total_sq) "
                  "SELECT round_id, unit_id, role, knob, count(*), sum(score), sum(score * score) "
                  "FROM knob_score GROUP BY round_id, unit_id, role, knob",
}

RELEASE = ("INSERT INTO release (round_id, number, responses, published_at) "
           "VALUES (?, 1, ?, CURRENT_TIMESTAMP)")
RELEASED = ("UPDATE response SET release_id = (SELECT id FROM release WHERE round_id = ? "
            "AND number = 1) WHERE round_id = ?")


@dataclass(frozen=True)
class Generated:
    responses: int
    knob_scores: int
    seconds: float
    tallies: tuple[str, ...] = ()


def _questionnaire_hash() -> str:
    from api.platform.questionnaires import load_catalog
    from api.platform.settings import ROOT

    return load_catalog(ROOT / "questionnaires").require("galbraith-star", "1.0").content_hash


def _response_ids(n: int, seed: int) -> list[int]:
    """n distinct random ids in the app's range (`api.platform.models.random_id`: 1..2**62),
    so the primary-key index holds them as scattered as the app's own; a generator of its own,
    so the scores drawn below do not depend on it."""
    rng = random.Random(seed + 1)
    ids: dict[int, None] = {}
    while len(ids) < n:
        ids[rng.randrange(1, 2**62 + 1)] = None
    return list(ids)


def _batches(seeded: Seeded, n: int, seed: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """(response rows, knob_score rows) per batch; response ids are random, as the app's."""
    rng = random.Random(seed)
    ids = _response_ids(n, seed)
    units = seeded.unit_ids
    # uneven unit sizes (a few big practoraten, many small ones) and a knob profile per unit
    weights = [1.0 / (1 + i % 10) for i in range(len(units))]
    profiles = {u: [rng.uniform(2.0, 4.2) for _ in KNOBS] for u in units}
    roles = [r for r, _ in ROLES]
    role_weights = [w for _, w in ROLES]
    unit_draw = rng.choices(units, weights=weights, k=n)
    role_draw = rng.choices(roles, weights=role_weights, k=n)
    gauss, round_id = rng.gauss, seeded.round_id
    for first in range(0, n, CHUNK):
        responses, scores = [], []
        for index in range(first, min(first + CHUNK, n)):
            unit, role = unit_draw[index], role_draw[index]
            rid = ids[index]
            person = gauss(0.0, 0.35) + ROLE_OPTIMISM.get(role, 0.0)
            # a survey response's key is random (`s-…`) and says nothing about its order
            responses.append((rid, unit, role, f"s-bench-{rid:019d}"))
            for knob, level in zip(KNOBS, profiles[unit], strict=True):
                value = level + person + gauss(0.0, 0.5)
                value = 1.0 if value < 1.0 else 5.0 if value > 5.0 else value
                scores.append((rid, knob, round_id, unit, role, round(value * 6) / 6))
        yield responses, scores


def generate_sqlite(url: str, seeded: Seeded, n: int, *, seed: int = 20261123) -> Generated:
    """executemany in transactions of CHUNK responses, journal and fsync off while loading."""
    import sqlite3

    path = url.removeprefix("sqlite:///")
    qhash = _questionnaire_hash()
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")  # up to 1 GB of page cache while loading
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        total_scores = 0
        for responses, scores in _batches(seeded, n, seed):
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO response (id, round_id, unit_id, role, questionnaire_slug, "
                "questionnaire_version, questionnaire_hash, submission_key) "
                "VALUES (?, ?, ?, ?, 'galbraith-star', '1.0', ?, ?)",
                [(rid, seeded.round_id, unit, role, qhash, key)
                 for rid, unit, role, key in responses])
            conn.executemany(
                "INSERT INTO knob_score (response_id, knob, round_id, unit_id, role, score) "
                "VALUES (?, ?, ?, ?, ?, ?)", scores)
            conn.execute("COMMIT")
            total_scores += len(scores)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        filled = tuple(name for name in TALLIES if name in tables)
        conn.execute("BEGIN")
        if "release" in tables:
            conn.execute(RELEASE, (seeded.round_id, n))
            conn.execute(RELEASED, (seeded.round_id, seeded.round_id))
        for name in filled:
            conn.execute(f"DELETE FROM {name}")
            conn.execute(TALLIES[name])
        conn.execute("COMMIT")
        conn.execute("PRAGMA locking_mode=NORMAL")
        conn.execute("PRAGMA journal_mode=WAL")  # back to the app's mode
    finally:
        conn.close()
    return Generated(responses=n, knob_scores=total_scores,
                     seconds=time.perf_counter() - started, tallies=filled)


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def generate_postgresql(url: str, seeded: Seeded, n: int, *, seed: int = 20261123) -> Generated:
    """COPY FROM STDIN in text format, then VACUUM ANALYZE (what autovacuum would do next).

    Foreign-key triggers are skipped while loading (session_replication_role = replica): the rows
    are consistent by construction and the checks would only slow the load down.
    """
    import psycopg

    qhash = _questionnaire_hash()
    started = time.perf_counter()
    total_scores = 0
    with psycopg.connect(psycopg_url(url)) as conn:
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            for responses, scores in _batches(seeded, n, seed):
                buffer = io.StringIO()
                for rid, unit, role, key in responses:
                    buffer.write(f"{rid}\t{seeded.round_id}\t{unit}\t{role}\tgalbraith-star\t1.0\t"
                                 f"{qhash}\t{key}\n")
                with cur.copy("COPY response (id, round_id, unit_id, role, questionnaire_slug, "
                              "questionnaire_version, questionnaire_hash, submission_key) "
                              "FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
                buffer = io.StringIO()
                for rid, knob, round_id, unit, role, score in scores:
                    buffer.write(f"{rid}\t{knob}\t{round_id}\t{unit}\t{role}\t{score!r}\n")
                with cur.copy("COPY knob_score (response_id, knob, round_id, unit_id, role, score) "
                              "FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
                total_scores += len(scores)
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = current_schema()")
            tables = {row[0] for row in cur.fetchall()}
            filled = tuple(name for name in TALLIES if name in tables)
            if "release" in tables:
                cur.execute(RELEASE.replace("?", "%s"), (seeded.round_id, n))
                cur.execute(RELEASED.replace("?", "%s"), (seeded.round_id, seeded.round_id))
            for name in filled:
                cur.execute(f"DELETE FROM {name}")
                cur.execute(TALLIES[name])
            cur.execute("SET session_replication_role = DEFAULT")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE response")
        conn.execute("VACUUM ANALYZE knob_score")
        for name in filled:
            conn.execute(f"VACUUM ANALYZE {name}")
    return Generated(responses=n, knob_scores=total_scores,
                     seconds=time.perf_counter() - started, tallies=filled)


def generate(url: str, seeded: Seeded, n: int, *, seed: int = 20261123) -> Generated:
    if url.startswith("sqlite"):
        return generate_sqlite(url, seeded, n, seed=seed)
    return generate_postgresql(url, seeded, n, seed=seed)


if __name__ == "__main__":
    from bench.common import isolate_settings, make_tempdir, seed_institution

    isolate_settings(make_tempdir("kennisster-bench-gen-"))
    target, count = sys.argv[1], int(sys.argv[2])
    made = generate(target, seed_institution(target), count)
    print(f"{made.responses} responses, {made.knob_scores} knob scores in {made.seconds:.1f} s")
