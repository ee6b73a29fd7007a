"""Submit on PostgreSQL with 1, 2 and 4 uvicorn workers: scaling, errors, and the hot rows.

The real app (`uvicorn api.asgi:app --workers N`, as `kennisster serve --workers N` starts it,
without the access log) on a fresh, migrated PostgreSQL scratch database (`BENCH_SUBMIT_PG_DB`,
default `kennisster_bench_submit`), driven like `bench.submit`: one complete response per request
into one round, `--concurrency` keep-alive connections. While the load runs, a sampler reads
`pg_stat_activity` every 20 ms and counts the app's backends that are active, and of those the
ones waiting on a lock (`wait_event_type = 'Lock'`, with the wait event: `tuple` or
`transactionid` is the round row that `api.results.releases._lock_round` takes). Deadlocks and
rollbacks are `pg_stat_database` before and after; a serialization failure or deadlock would
reach the client as a 500 and is counted as an error.

Targets: 0 errors and 0 deadlocks at every N; scaling is reported (on a 2-core machine that also
runs PostgreSQL and the load generator, more workers cannot add cores).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import (
    BENCH_SECRET,
    ROOT,
    create_pg_database,
    drop_pg_database,
    make_tempdir,
    migrate,
    pg_available,
    seed_institution,
)
from bench.loadgen import build_request, run_load

DB_NAME = os.environ.get("BENCH_SUBMIT_PG_DB", "kennisster_bench_submit")
PORT = int(os.environ.get("BENCH_SCALE_PORT", os.environ.get("BENCH_REAL_PORT", "8772"))) + 10
WORKERS = (1, 2, 4)


def _stats(conninfo: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT deadlocks, xact_commit, xact_rollback, conflicts FROM "
                           "pg_stat_database WHERE datname = %s", (DB_NAME,)).fetchone()
    return dict(zip(("deadlocks", "commits", "rollbacks", "conflicts"), row, strict=True))


class LockSampler:
    """Samples the app's backends in pg_stat_activity: active ones, and which wait on a lock."""

    def __init__(self, conninfo: str, every_s: float = 0.02):
        self.conninfo, self.every_s = conninfo, every_s
        self.samples = 0
        self.active = 0
        self.lock_waits: Counter[str] = Counter()
        self.other_waits: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE datname = %s "
                    "AND state = 'active' AND pid <> pg_backend_pid()", (DB_NAME,)).fetchall()
                self.samples += 1
                for kind, event in rows:
                    self.active += 1
                    if kind == "Lock":
                        self.lock_waits[event] += 1
                    elif kind is not None:
                        self.other_waits[f"{kind}:{event}"] += 1
                time.sleep(self.every_s)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def as_dict(self) -> dict:
        return {"samples": self.samples, "active": self.active,
                "lock_waits": dict(self.lock_waits), "lock_wait_total": sum(self.lock_waits.values()),
                "other_waits": dict(self.other_waits.most_common(6))}


def run(args, scratch: Path, log) -> dict:
    from bench.submit import HOST, Server, _make_token, complete_body

    if "postgresql" not in args.backends:
        return {"skipped": "not asked for (--backends)"}
    reason = pg_available()
    if reason:
        return {"skipped": f"PostgreSQL not reachable ({reason})"}
    from api.platform.questionnaires import load_catalog

    duration = args.duration or (3.0 if args.quick else 10.0)
    warmup = 1.0 if args.quick else 2.0
    url = create_pg_database(DB_NAME)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    tmp = make_tempdir("kennisster-bench-submit-scale-")
    result: dict = {"database": DB_NAME, "concurrency": args.concurrency, "duration_s": duration,
                    "points": []}
    try:
        migrate(url)
        seeded = seed_institution(url, units=40)
        token = _make_token(url, seeded.institution_id)
        questionnaire = load_catalog(ROOT / "questionnaires").require("galbraith-star", "1.0")
        body = complete_body(questionnaire, seeded.unit_ids[0])
        path = f"/api/v1/rounds/{seeded.round_id}/responses"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        env = {**os.environ, "PYTHONPATH": str(ROOT), "KENNISSTER_DATABASE_URL": url,
               "KENNISSTER_DATA_DIR": str(tmp), "KENNISSTER_SECRET_KEY": BENCH_SECRET,
               "KENNISSTER_ENVIRONMENT": "development"}
        for workers in WORKERS:
            server = Server("api.asgi:app", PORT, env, tmp / f"workers-{workers}.log",
                            workers=workers)
            try:
                server.wait_ready()
                time.sleep(2.0 + workers)  # every worker binds, warms its charts
                request = build_request("POST", HOST, PORT, path, body, headers)
                run_load(host=HOST, port=PORT, request=request, concurrency=args.concurrency,
                         warmup_s=0.0, duration_s=warmup, ok_status=frozenset({201}))
                before = _stats(conninfo)
                cpu_before, wall_before = server.cpu_s(), time.monotonic()
                with LockSampler(conninfo) as sampler:
                    load = run_load(host=HOST, port=PORT, request=request,
                                    concurrency=args.concurrency, warmup_s=0.0,
                                    duration_s=duration, ok_status=frozenset({201}))
                cpu = server.cpu_s() - cpu_before
                wall = time.monotonic() - wall_before
                after = _stats(conninfo)
                peaks = server.worker_peaks_kb()
            finally:
                server.stop()
            errors_logged = [line for line in server.log_path.read_text(errors="replace")
                             .splitlines() if "Error" in line or "Exception" in line][-3:]
            point = {"workers": workers, "rps": load.rps, "errors": load.errors,
                     "status": load.status, "p50_ms": load.p50_ms, "p99_ms": load.p99_ms,
                     "first_error": load.first_error, "server_cpu_pct": 100 * cpu / wall,
                     "cpu_ms_per_request": 1000 * cpu / max(1, load.requests),
                     "deadlocks": after["deadlocks"] - before["deadlocks"],
                     "rollbacks": after["rollbacks"] - before["rollbacks"],
                     "commits": after["commits"] - before["commits"],
                     "waits": sampler.as_dict(), "peak_rss_mb_per_worker": max(peaks) / 1024,
                     "server_errors": errors_logged}
            result["points"].append(point)
            w = point["waits"]
            log(f"  submit on PostgreSQL, {workers} worker(s): {load.rps:7.1f} req/s, errors "
                f"{load.errors}, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, deadlocks "
                f"{point['deadlocks']}, lock waits {w['lock_wait_total']} of {w['active']} active "
                f"backend samples {w['lock_waits']}, CPU {point['server_cpu_pct']:.0f} %"
                + (f"  first error: {load.first_error[:160]}" if load.first_error else ""))
        with __import__("psycopg").connect(conninfo) as conn:
            result["stored"] = conn.execute(
                "SELECT (SELECT count(*) FROM response), (SELECT count(*) FROM response WHERE "
                "release_id IS NULL), (SELECT coalesce(sum(n), 0) FROM response_tally)").fetchone()
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        drop_pg_database(DB_NAME)


def rows(result: dict, quick: bool) -> list[dict]:
    if result.get("skipped"):
        return [{"benchmark": "Submit on PostgreSQL, 1/2/4 workers", "figure": "skipped",
                 "baseline": result["skipped"], "ratio": "—", "target": "—", "ok": None}]
    out = []
    base = result["points"][0]["rps"] if result["points"] else 0.0
    for p in result["points"]:
        w = p["waits"]
        share = 100 * w["lock_wait_total"] / w["active"] if w["active"] else 0.0
        out.append({
            "benchmark": f"Submit on PostgreSQL, `--workers {p['workers']}`: req/s, errors, "
                         "deadlocks, backends waiting on a lock",
            "figure": f"{p['rps']:,.0f} req/s, {p['errors']} errors, {p['deadlocks']} deadlocks, "
                      f"lock waits {share:.0f} % of active samples",
            "baseline": f"1 worker: {base:,.0f} req/s",
            "ratio": f"{p['rps'] / base:.2f}×" if base else "—",
            "target": "0 errors, 0 deadlocks (scaling: report)",
            "ok": p["errors"] == 0 and p["deadlocks"] == 0})
    return out


def details(result: dict) -> list[str]:
    if result.get("skipped"):
        return []
    out = ["", "## Submit on PostgreSQL with 1, 2, 4 workers", "",
           f"`uvicorn api.asgi:app --workers N --no-access-log` on the scratch database "
           f"`{result['database']}`, {result['concurrency']} connections, "
           f"{result['duration_s']:.0f} s per N after a warm-up; every request imports one "
           "complete response into the same round (the hottest case for the round's row lock). "
           "Lock waits: backends of the app seen waiting on a heavyweight lock in "
           "`pg_stat_activity`, sampled every 20 ms, out of all active backend samples.", "",
           "| workers | req/s | scaling | errors | p50 | p99 | deadlocks | rollbacks | lock-wait samples "
           "(of active) | by lock | other waits | server CPU | CPU per request | peak RSS per worker |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    base = result["points"][0]["rps"] if result["points"] else 0.0
    for p in result["points"]:
        w = p["waits"]
        out.append(
            f"| {p['workers']} | {p['rps']:,.1f} | {p['rps'] / base:.2f}× | {p['errors']} | "
            f"{p['p50_ms']:.1f} ms | {p['p99_ms']:.1f} ms | {p['deadlocks']} | {p['rollbacks']} | "
            f"{w['lock_wait_total']} of {w['active']} | "
            f"{', '.join(f'{k} {v}' for k, v in w['lock_waits'].items()) or '—'} | "
            f"{', '.join(f'{k} {v}' for k, v in w['other_waits'].items()) or '—'} | "
            f"{p['server_cpu_pct']:.0f} % | {p['cpu_ms_per_request']:.2f} ms | "
            f"{p['peak_rss_mb_per_worker']:.0f} MB |")
    stored = result.get("stored")
    if stored:
        out += ["", f"Stored after all runs: {stored[0]:,} responses, {stored[1]} waiting for a "
                f"release, {stored[2]:,} counted in the tallies."]
    return out
