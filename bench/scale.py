"""Dashboard and compare at scale: the app's score tables against a hand-written GROUP BY.

For each backend and size: a fresh scratch database, migrated with Alembic, filled by
`bench.generate`. Then, interleaved (app, raw, app, raw, ...) after a warm-up, and the median kept:

- app: `api.dashboard.build_dashboard(..., details=False)` in a fresh session, the code path behind
  GET /api/v1/rounds/{id}/scores (institution, unit, role) and /compare: institution scores and
  the units × knobs table, with anonymity applied;
- raw: the same two aggregates written by hand and run with the DB driver directly (sqlite3 /
  psycopg): count, sum and sum of squares per unit and knob, and per knob for the institution.

One extra instrumented app run records every SQL statement it sends and its time, so a slow
path can be traced to its query.
"""

from __future__ import annotations

import re
import shutil
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.common import (
    BENCH_SECRET,
    create_pg_database,
    drop_pg_database,
    make_tempdir,
    migrate,
    seed_institution,
)
from bench.generate import generate, psycopg_url

RAW_UNITS = ("SELECT unit_id, knob, count(*), sum(score), sum(score * score) FROM knob_score "
             "WHERE round_id = {p} GROUP BY unit_id, knob")
RAW_TOTAL = ("SELECT knob, count(*), sum(score), sum(score * score) FROM knob_score "
             "WHERE round_id = {p} GROUP BY knob")


@dataclass
class ScalePoint:
    backend: str
    size: int
    knob_scores: int = 0
    generate_s: float = 0.0
    db_size_mb: float = 0.0
    runs: int = 0
    app_ms: float = 0.0
    raw_ms: float = 0.0
    ratio: float = 0.0
    app_samples_ms: list[float] = field(default_factory=list)
    raw_samples_ms: list[float] = field(default_factory=list)
    app_queries: list[dict] = field(default_factory=list)
    app_sql_ms: float = 0.0
    check: str = ""
    tallies: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _runs_for(size: int) -> int:
    if size <= 1_000:
        return 21
    if size <= 10_000:
        return 11
    if size <= 100_000:
        return 7
    return 5


class RawRunner:
    """The hand-written GROUP BYs, through the driver, on one open connection."""

    def __init__(self, url: str, round_id: int):
        self.round_id = round_id
        if url.startswith("sqlite"):
            import sqlite3

            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
            placeholder = "?"
            self.params = (round_id,)
        else:
            import psycopg

            self.conn = psycopg.connect(psycopg_url(url), autocommit=True)
            placeholder = "%s"
            self.params = (round_id,)
        self.units_sql = RAW_UNITS.format(p=placeholder)
        self.total_sql = RAW_TOTAL.format(p=placeholder)

    def __call__(self) -> tuple[list, list]:
        cur = self.conn.cursor()
        try:
            cur.execute(self.total_sql, self.params)
            total = cur.fetchall()
            cur.execute(self.units_sql, self.params)
            units = cur.fetchall()
        finally:
            cur.close()
        return total, units

    def close(self) -> None:
        self.conn.close()


class AppRunner:
    """build_dashboard(details=False) in a fresh session per call, as one API request does."""

    def __init__(self, url: str, institution_id: int, round_id: int):
        from api.platform.db import make_engine
        from api.platform.questionnaires import load_catalog
        from api.platform.settings import ROOT, Settings

        self.settings = Settings(database_url=url, secret_key=BENCH_SECRET, anonymity_k=5)
        self.engine = make_engine(self.settings)
        self.catalog = load_catalog(ROOT / "questionnaires")
        self.institution_id, self.round_id = institution_id, round_id
        self.trace: list[tuple[str, object]] | None = None
        import sqlalchemy as sa

        @sa.event.listens_for(self.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            if self.trace is not None and statement.lstrip().upper().startswith("SELECT"):
                self.trace.append((statement, parameters))

    def __call__(self):
        from api.platform.db import session_scope
        from api.platform.models import Institution
        from api.results.dashboard import build_dashboard

        with session_scope(self.engine) as session:
            institution = session.get(Institution, self.institution_id)
            return build_dashboard(session=session, catalog=self.catalog, institution=institution,
                                   round_id=self.round_id, default_k=self.settings.anonymity_k,
                                   lang="en", details=False)

    def traced(self) -> list[dict]:
        """Every statement one app run sends, each replayed alone through the driver and timed
        with its fetch (the cursor events alone would miss rows fetched lazily)."""
        self.trace = []
        self()
        statements, self.trace = self.trace, None
        rows = []
        raw = self.engine.raw_connection()
        try:
            for sql, parameters in statements:
                cursor = raw.cursor()
                started = time.perf_counter()
                cursor.execute(sql, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                rows.append({"sql": _short_sql(sql),
                             "ms": round((time.perf_counter() - started) * 1000, 3)})
                cursor.close()
            raw.rollback()
        finally:
            raw.close()
        return rows

    def close(self) -> None:
        self.engine.dispose()


def _short_sql(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql).strip()
    sql = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql, count=1) if len(sql) > 160 else sql
    return sql[:220]


def _check(dash, raw_total: list, raw_units: list) -> str:
    """The app and the raw query must agree on the institution's means and the units' counts."""
    problems = []
    for knob, count, total, _ in raw_total:
        cell = dash.total.cells.get(knob)
        # the gate publishes means at two decimals (`api.results.gate.DIGITS`)
        if cell is None or cell.summary is None \
                or abs(cell.summary.mean - total / count) > 0.005 + 1e-9 or cell.summary.n != count:
            problems.append(f"institution {knob}")
    raw_n = {}
    for unit_id, knob, count, _total, _sq in raw_units:
        raw_n[(unit_id, knob)] = count
    for view in dash.units:
        for knob, cell in view.cells.items():
            if cell.summary is not None and cell.summary.n != raw_n.get((view.key, knob)):
                problems.append(f"unit {view.key} {knob}")
    shown = sum(1 for v in dash.units if v.shown)
    if not shown:
        problems.append("no unit shown")
    return "ok" if not problems else "MISMATCH: " + ", ".join(problems[:5]) + f" ({shown} units shown)"


def _db_size_mb(url: str) -> float:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20


def measure_point(backend: str, size: int, *, log=print) -> ScalePoint:
    tmp = make_tempdir("kennisster-bench-scale-")
    url = f"sqlite:///{tmp / 'kennisster.db'}" if backend == "sqlite" else create_pg_database()
    app = raw = None
    try:
        migrate(url)
        seeded = seed_institution(url, units=40)
        made = generate(url, seeded, size)
        point = ScalePoint(backend=backend, size=size, knob_scores=made.knob_scores,
                           generate_s=made.seconds, db_size_mb=_db_size_mb(url),
                           tallies=list(made.tallies))
        log(f"  {backend} {size:>9,}: generated {made.responses:,} responses + "
            f"{made.knob_scores:,} knob scores in {made.seconds:.1f} s"
            + (f" (and filled {', '.join(made.tallies)})" if made.tallies else "")
            + f", DB {point.db_size_mb:.1f} MB")
        app = AppRunner(url, seeded.institution_id, seeded.round_id)
        raw = RawRunner(url, seeded.round_id)
        # warm-up (caches, connection pool, statement caches, OS page cache) and the check
        raw_total, raw_units = raw()
        for _ in range(1 if size >= 1_000_000 else 2):
            dash = app()
            raw()
        point.check = _check(dash, raw_total, raw_units)
        runs = _runs_for(size)
        for _ in range(runs):  # interleaved, so a noisy moment hits both alike
            started = time.perf_counter()
            app()
            point.app_samples_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            raw()
            point.raw_samples_ms.append((time.perf_counter() - started) * 1000)
        point.runs = runs
        point.app_ms = statistics.median(point.app_samples_ms)
        point.raw_ms = statistics.median(point.raw_samples_ms)
        point.ratio = point.app_ms / point.raw_ms
        point.app_queries = app.traced()
        point.app_sql_ms = sum(q["ms"] for q in point.app_queries)
        log(f"  {backend} {size:>9,}: app {point.app_ms:9.1f} ms, raw {point.raw_ms:9.1f} ms, "
            f"ratio {point.ratio:5.2f} (median of {runs}; check {point.check})")
        return point
    finally:
        if app is not None:
            app.close()
        if raw is not None:
            raw.close()
        if backend == "postgresql":
            drop_pg_database()
        shutil.rmtree(tmp, ignore_errors=True)
