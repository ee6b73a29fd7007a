"""Journey benchmark: many respondents at once through the real survey pages, as a browser would.

Each simulated respondent is a fresh browser (its own cookie jar) on one keep-alive connection:

    GET  /s/{token}                 intro (plus the stylesheet and the icon, once per browser)
    POST /s/{token}                 role, CSRF token of the form  → 303 to the first knob
    GET  /s/{token}/k/{knob}        × 5, each followed by
    POST /s/{token}/k/{knob}        its statements (a few "weet niet"), action=next → 303
    GET  /s/{token}/afronden        the review page
    POST /s/{token}/afronden        submit: the answer is the thank-you page with the own star

Redirects are followed, cookies kept, and every POST carries the `csrf_token` of the form it came
from (web/csrf.py). Half the respondents use a personal link (one per respondent), half their
practoraat's shared link (the draft then lives under the browser's cookie).

The server is the real app (`uvicorn api.asgi:app`, what `kennisster serve --workers N` runs, with
the access log off as in bench/submit.py) in its own process group, on SQLite (its default) or on a
scratch PostgreSQL database. Server CPU is read from /proc for every process of the group (the
workers too). Baseline, same run: the floor-based estimate of the issue — the journey's number of
requests × the CPU per request of `bench.bare_app` (parse only) + one store of
`bench.floor_app` (parse, score, store with sqlite3), both measured under load here.

`BENCH_JOURNEY_PYSPY=1` records a py-spy profile of the server during the SQLite journey and
puts its top functions in the result (needs `py-spy` installed; it is not a dependency).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
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
from bench.submit import HOST, Server, _proc_status, complete_body, group_pids

PORT = int(os.environ.get("BENCH_JOURNEY_PORT", "8830"))
PG_DB = os.environ.get("BENCH_JOURNEY_PG_DB", "kennisster_bench_journey")
TARGET = 4.0  # CPU per respondent ≤ 4× the floor-based estimate
UNITS = 8
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEM = re.compile(r'name="(item-[^"]+)" value="1"')
OPEN = re.compile(r'<textarea id="(open-[^"]+)"')
ROLE = re.compile(r'name="role" value="([^"]+)"')
PAGES = ["intro", "assets", "start", "knob GET", "knob POST", "afronden", "submit + bedankt"]


class Failed(Exception):
    pass


class GroupServer(Server):
    """`Server` whose memory is that of its whole process group (its CPU already is)."""

    def rss_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM summed over uvicorn's supervisor and its workers, in kB."""
        statuses = [_proc_status(pid) for pid in group_pids(self.pid)]
        return {name: sum(status.get(name, 0) for status in statuses)
                for name in ("VmRSS", "VmHWM")}


def _form(page: str, what: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise Failed(f"{what}: no csrf_token in the page")
    return match.group(1)


async def _respondent(client, token: str, number: int, times: dict[str, list[float]]) -> None:
    """One respondent's whole journey; raises Failed on any unexpected answer."""
    client.cookies.clear()  # a new browser
    rng = random.Random(number)

    async def call(page: str, method: str, url: str, data=None, expect: str = "") -> str:
        started = time.perf_counter()
        answer = await client.request(method, url, data=data)
        times[page].append(time.perf_counter() - started)
        if answer.status_code != 200 or (expect and expect not in answer.text):
            raise Failed(f"{method} {url}: {answer.status_code} {answer.text[:200]!r}")
        return answer.text

    intro = await call("intro", "GET", f"/s/{token}")
    started = time.perf_counter()
    for asset in ("/static/kennisster.css", "/static/favicon.svg"):
        answer = await client.get(asset)
        if answer.status_code != 200:
            raise Failed(f"GET {asset}: {answer.status_code}")
    times["assets"].append(time.perf_counter() - started)
    roles = ROLE.findall(intro)
    page = await call("start", "POST", f"/s/{token}", expect="<form",
                      data={"csrf_token": _form(intro, "intro"), "role": roles[number % len(roles)]})
    next_url = ""
    for step in range(5):
        if step:  # the first knob page came with the redirect of the start POST
            page = await call("knob GET", "GET", next_url)
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        data = {"csrf_token": _form(page, "knob")}
        for name in ITEM.findall(page):  # random answers: no pattern repeats across respondents
            data[name] = "dk" if rng.random() < 0.08 else str(rng.randint(1, 5))
        for name in OPEN.findall(page):
            data[name] = "Meer tijd voor onderzoek." if number % 4 == 0 else ""
        data["action"] = "next"
        started = time.perf_counter()
        answer = await client.post(action, data=data, follow_redirects=False)
        times["knob POST"].append(time.perf_counter() - started)
        if answer.status_code != 303:
            raise Failed(f"POST {action}: {answer.status_code} {answer.text[:200]!r}")
        next_url = answer.headers["location"]
    finish = await call("afronden", "GET", next_url, expect="afronden")
    await call("submit + bedankt", "POST", f"/s/{token}/afronden", expect="<svg",
               data={"csrf_token": _form(finish, "afronden")})


REQUESTS_PER_JOURNEY = 16  # intro, css, icon, start POST + its redirect, 4 knob GETs, 5 knob POSTs,
# review GET, submit POST (the first knob GET is the start's redirect; the thank-you page is the
# answer to the submit POST, its star inline SVG)


async def _drive(port: int, tokens: list[str], shared: list[str], *, concurrency: int,
                 duration_s: float, warmup_s: float, once: bool = False) -> dict:
    """Closed loop: `concurrency` browsers each run journeys back to back (`once`: one each)."""
    import httpx

    times: dict[str, list[float]] = defaultdict(list)
    done = errors = 0
    first_error = ""
    counting = False
    stop_at = time.monotonic() + warmup_s + duration_s
    number = 0

    async def worker() -> None:
        nonlocal done, errors, first_error, number
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", follow_redirects=True,
                                     timeout=60.0) as client:
            while time.monotonic() < stop_at or once:
                once_done = once
                number += 1
                mine = number
                token = tokens.pop() if (mine % 2 and tokens) else shared[mine % len(shared)]
                local: dict[str, list[float]] = defaultdict(list)
                try:
                    await _respondent(client, token, mine, local)
                    ok = True
                except (Failed, httpx.HTTPError, AttributeError) as exc:
                    ok = False
                    message = f"{type(exc).__name__}: {exc}"[:300]
                if counting:
                    if ok:
                        done += 1
                        for page, values in local.items():
                            times[page].extend(values)
                    else:
                        errors += 1
                        first_error = first_error or message
                if once_done:
                    break

    async def clock() -> None:
        nonlocal counting
        await asyncio.sleep(warmup_s)
        counting = True

    cpu_box: dict[str, float] = {}

    async def mark() -> None:
        await asyncio.sleep(warmup_s)
        cpu_box["start"] = time.monotonic()

    await asyncio.gather(clock(), mark(), *(worker() for _ in range(concurrency)))
    wall = time.monotonic() - cpu_box["start"]
    return {"respondents": done, "errors": errors, "first_error": first_error, "wall_s": wall,
            "times": times}


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if not ordered:
        return 0.0, 0.0
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000)


def _prepare(url: str, *, personal: int) -> tuple[list[str], list[str]]:
    """A seeded institution with an open round, `personal` personal links and every unit's
    shared link, made with the app's own services (one transaction)."""
    from api.platform.db import make_engine, session_scope
    from api.platform.models import Round, Unit
    from api.platform.settings import Settings
    from api.survey import invitations

    seeded = seed_institution(url, units=UNITS)
    engine = make_engine(Settings(database_url=url, secret_key=BENCH_SECRET))
    try:
        with session_scope(engine, write=True) as session:
            round_ = session.get(Round, seeded.round_id)
            units = [session.get(Unit, uid) for uid in seeded.unit_ids]
            tokens = []
            for index, unit in enumerate(units):
                tokens += invitations.create_personal(session=session, round_=round_, unit=unit,
                                                      count=max(1, personal // len(units)))
                del index
            shared = [invitations.ensure_shared(session=session, secret_key=BENCH_SECRET,
                                                round_=round_, unit=unit) for unit in units]
            session.commit()
            return tokens, shared
    finally:
        engine.dispose()


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KENNISSTER_DATABASE_URL": url,
            "KENNISSTER_DATA_DIR": str(data_dir), "KENNISSTER_SECRET_KEY": BENCH_SECRET,
            "KENNISSTER_ENVIRONMENT": "development"}


def _pg_counters(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT deadlocks, xact_rollback, conflicts FROM pg_stat_database "
                "WHERE datname = current_database()").one()
            responses = conn.exec_driver_sql("SELECT count(*) FROM response").scalar()
            return {"deadlocks": row[0], "rollbacks": row[1], "conflicts": row[2],
                    "responses": responses}
    finally:
        engine.dispose()


def _sqlite_responses(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM response").fetchone()[0]
    finally:
        conn.close()


def _journey_run(server: Server, tokens: list[str], shared: list[str], *, concurrency: int,
                 duration_s: float, warmup_s: float, profile: Path | None = None) -> dict:
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    box: dict = {}

    async def main() -> dict:
        async def after_warmup() -> None:  # CPU and the profile count from the end of the warm-up
            await asyncio.sleep(warmup_s)
            box["cpu"], box["client"] = server.cpu_s(), time.process_time()
            if profile is not None and py_spy:
                box["spy"] = subprocess.Popen(
                    [py_spy, "record", "--pid", str(server.pid), "--format", "raw", "--output",
                     str(profile), "--duration", str(max(1, int(duration_s) - 1)), "--rate", "200",
                     "--nonblocking", "--gil"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        # a warm server: one respondent alone first per worker (first use of every template,
        # message file and the chart), so the concurrent load below measures the steady state
        first = await _drive(server.port, tokens, shared, once=True, duration_s=0.0,
                             warmup_s=0.0, concurrency=getattr(server, "workers", 1))
        if first["errors"]:
            raise RuntimeError(f"the first respondent failed: {first['first_error']}")
        task = asyncio.create_task(after_warmup())
        result = await _drive(server.port, tokens, shared, concurrency=concurrency,
                              duration_s=duration_s, warmup_s=warmup_s)
        await task
        return result

    result = asyncio.run(main())
    cpu = server.cpu_s() - box["cpu"]
    client_cpu = time.process_time() - box["client"]
    if "spy" in box:
        with contextlib.suppress(subprocess.TimeoutExpired):
            box["spy"].wait(timeout=30)
    done = result["respondents"]
    pages = {page: dict(zip(("p50_ms", "p99_ms"), _percentiles(result["times"].get(page, [])),
                            strict=True)) for page in PAGES}
    return {"respondents": done, "errors": result["errors"], "first_error": result["first_error"],
            "wall_s": result["wall_s"], "respondents_per_s": done / result["wall_s"],
            "server_cpu_s": cpu, "cpu_per_respondent_ms": cpu / done * 1000 if done else 0.0,
            "server_cpu_pct": 100 * cpu / result["wall_s"],
            "client_cpu_pct": 100 * client_cpu / result["wall_s"], "pages": pages}


def _frame(raw: str) -> str:
    """'f (jinja2/x.py)' from py-spy's 'f (/.../site-packages/jinja2/x.py:12)'."""
    name, _, where = raw.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if where else name


def _top_of_profile(path: Path, limit: int = 30) -> dict[str, list[dict]]:
    """From py-spy's raw (folded) output of the threads holding the GIL: the functions with the
    most samples of their own, and the app's own functions (api/, web/) with all they call."""
    if not path.exists():
        return {}
    inclusive: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";")]
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return {}

    def share(counts: dict[str, int], keep) -> list[dict]:
        return [{"function": name, "inclusive_pct": 100 * inclusive[name] / total,
                 "self_pct": 100 * own[name] / total}
                for name, _ in sorted(counts.items(), key=lambda kv: -kv[1]) if keep(name)][:limit]

    return {"samples": total,
            "self": share(own, lambda name: True),
            "app": share(inclusive, lambda name: "(api/" in name or "(web/" in name)}


def _floor_costs(tmp: Path, template: Path, *, duration_s: float, concurrency: int) -> dict:
    """CPU per request of the bare app (parse only) and of the floor store, under load."""
    from api.platform.questionnaires import load_catalog

    questionnaire = load_catalog(ROOT / "questionnaires").require("galbraith-star", "1.0")
    import sqlite3

    conn = sqlite3.connect(template)
    round_id, unit_id = conn.execute("SELECT round_id, unit_id FROM invitation LIMIT 1").fetchone()
    conn.close()
    body = complete_body(questionnaire, unit_id)
    path = f"/api/v1/rounds/{round_id}/responses"
    out = {}
    for offset, (name, app) in enumerate((("bare", "bench.bare_app:app"),
                                          ("floor", "bench.floor_app:app")), start=1):
        db = tmp / f"{name}.db"
        shutil.copyfile(template, db)
        server = Server(app, PORT + 10 + offset, _env(f"sqlite:///{db}", tmp), tmp / f"{name}.log")
        try:
            server.wait_ready()
            request = build_request("POST", HOST, server.port, path, body,
                                    {"Content-Type": "application/json"})
            before = server.cpu_s()
            load = run_load(host=HOST, port=server.port, request=request, concurrency=concurrency,
                            warmup_s=0.0, duration_s=duration_s, ok_status=frozenset({201}))
            cpu = server.cpu_s() - before
            out[name] = {"rps": load.rps, "errors": load.errors, "requests": load.requests,
                         "cpu_per_request_ms": cpu / load.requests * 1000 if load.requests else 0.0}
        finally:
            server.stop()
    return out


def run_journey(*, backend: str, workers: int, concurrency: int, duration_s: float,
                warmup_s: float, tmp: Path, log, profile: bool = False,
                stack_probe_s: float = 0.0) -> dict:
    """One journey run on a fresh database: SQLite in `tmp`, or the scratch PostgreSQL db."""
    personal = 4000
    if backend == "sqlite":
        db = tmp / f"journey-{workers}.db"
        url = f"sqlite:///{db}"
    else:
        url = create_pg_database(PG_DB)
    migrate(url)
    tokens, shared = _prepare(url, personal=personal)
    server = GroupServer("api.asgi:app", PORT + workers, _env(url, tmp),
                         tmp / f"journey-{backend}-{workers}.log", workers)
    try:
        server.wait_ready()
        time.sleep(2.0 if workers == 1 else 4.0)  # chart warm-up (V8) in each worker
        before = _pg_counters(url) if backend == "postgresql" else {}
        server.start_sampling()
        prof = tmp / "journey.pyspy.txt" if profile else None
        result = _journey_run(server, tokens, shared, concurrency=concurrency,
                              duration_s=duration_s, warmup_s=warmup_s, profile=prof)
        server.stop_sampling()
        result["peak_rss_mb"] = max(server.peak_kb, server.rss_kb()["VmHWM"]) / 1024
        result.update(backend=backend, workers=workers, concurrency=concurrency)
        if backend == "postgresql":
            after = _pg_counters(url)
            result["pg"] = {k: after[k] - before.get(k, 0) for k in after}
            result["stored_responses"] = after["responses"]
        else:
            result["stored_responses"] = _sqlite_responses(db)
        if prof is not None:
            result["profile"] = _top_of_profile(prof)
        if stack_probe_s:  # what a request costs the real app's stack without any page work
            request = build_request("GET", HOST, server.port, "/static/favicon.svg")
            cpu_before = server.cpu_s()
            load = run_load(host=HOST, port=server.port, request=request, concurrency=concurrency,
                            warmup_s=0.5, duration_s=stack_probe_s, ok_status=frozenset({200}))
            result["static_file"] = {
                "rps": load.rps, "errors": load.errors,
                "cpu_per_request_ms": (server.cpu_s() - cpu_before) / load.requests * 1000
                if load.requests else 0.0}
        errors = [line for line in server.log_path.read_text(errors="replace").splitlines()
                  if "Error" in line or "Exception" in line]
        result["server_errors"] = errors[-3:]
        log(f"  journey {backend} workers={workers}: {result['respondents_per_s']:.1f} respondents/s, "
            f"{result['respondents']} done, errors {result['errors']}, "
            f"CPU/respondent {result['cpu_per_respondent_ms']:.1f} ms, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB"
            + (f", first error: {result['first_error']}" if result["first_error"] else "")
            + (f", pg {result['pg']}" if "pg" in result else ""))
        return result
    finally:
        server.stop()
        if backend == "postgresql":
            with contextlib.suppress(Exception):
                drop_pg_database(PG_DB)


def run(args, scratch: Path, log) -> dict:
    quick = args.quick
    duration = args.duration or (3.0 if quick else 10.0)
    journey_s = 8.0 if quick else 20.0
    concurrency = min(args.concurrency, 16)
    tmp = make_tempdir("kennisster-bench-journey-")
    try:
        out: dict = {"concurrency": concurrency, "duration_s": journey_s,
                     "requests_per_journey": REQUESTS_PER_JOURNEY}
        out["sqlite"] = run_journey(backend="sqlite", workers=1, concurrency=concurrency,
                                    duration_s=journey_s, warmup_s=2.0, tmp=tmp, log=log,
                                    profile=os.environ.get("BENCH_JOURNEY_PYSPY") == "1",
                                    stack_probe_s=duration)
        template = tmp / "floor-template.db"
        migrate(f"sqlite:///{template}")
        _prepare(f"sqlite:///{template}", personal=UNITS)
        out["floor"] = _floor_costs(tmp, template, duration_s=duration, concurrency=concurrency)
        bare, floor = out["floor"]["bare"], out["floor"]["floor"]
        out["estimate_ms"] = (REQUESTS_PER_JOURNEY * bare["cpu_per_request_ms"]
                              + floor["cpu_per_request_ms"])
        out["ratio"] = out["sqlite"]["cpu_per_respondent_ms"] / out["estimate_ms"]
        log(f"  estimate {REQUESTS_PER_JOURNEY} × {bare['cpu_per_request_ms']:.2f} ms + "
            f"{floor['cpu_per_request_ms']:.2f} ms = {out['estimate_ms']:.1f} ms; "
            f"ratio {out['ratio']:.1f}×")
        backends = [b.strip() for b in args.backends.split(",")]
        out["postgresql"] = {}
        if "postgresql" in backends and os.environ.get("BENCH_JOURNEY_PG", "1") != "0":
            reason = pg_available()
            if reason:
                out["postgresql"] = {"skipped": reason}
            else:
                for workers in ((1, 2) if quick else (1, 2, 4)):
                    out["postgresql"][str(workers)] = run_journey(
                        backend="postgresql", workers=workers, concurrency=max(concurrency, 8 * workers),
                        duration_s=journey_s * (0.75 if quick else 1.0), warmup_s=2.0, tmp=tmp,
                        log=log)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rows(result: dict, quick: bool) -> list[dict]:
    s = result["sqlite"]
    bare, floor = result["floor"]["bare"], result["floor"]["floor"]
    total = s["respondents"] + s["errors"]
    out = [
        {"benchmark": f"Journey: server CPU per complete web respondent ({result['requests_per_journey']} "
                      f"requests, {result['concurrency']} respondents at once), SQLite",
         "figure": f"{s['cpu_per_respondent_ms']:.1f} ms ({s['respondents_per_s']:.1f} respondents/s)",
         "baseline": f"estimate {result['requests_per_journey']} × bare {bare['cpu_per_request_ms']:.2f} ms "
                     f"+ floor store {floor['cpu_per_request_ms']:.2f} ms = {result['estimate_ms']:.1f} ms",
         "ratio": f"{result['ratio']:.1f}×", "target": f"≤ {TARGET:.0f}×", "ok": result["ratio"] <= TARGET},
        {"benchmark": "Journey: failed respondents, SQLite", "figure": f"{s['errors']} of {total}",
         "baseline": "—", "ratio": "—", "target": "0", "ok": s["errors"] == 0},
        {"benchmark": "Journey: peak memory of the server, SQLite", "figure": f"{s['peak_rss_mb']:.0f} MB",
         "baseline": "—", "ratio": "—", "target": "report", "ok": None},
    ]
    pg = result.get("postgresql") or {}
    if pg.get("skipped"):
        out.append({"benchmark": "Journey on PostgreSQL", "figure": "skipped", "baseline": pg["skipped"],
                    "ratio": "—", "target": "—", "ok": None})
    elif pg:
        one = pg["1"]["respondents_per_s"]
        for workers, r in pg.items():
            out.append({
                "benchmark": f"Journey on PostgreSQL, {workers} worker(s), {r['concurrency']} at once",
                "figure": f"{r['respondents_per_s']:.1f} respondents/s, {r['errors']} errors, "
                          f"{r['pg']['deadlocks']} deadlocks",
                "baseline": f"1 worker {one:.1f}/s", "ratio": f"{r['respondents_per_s'] / one:.2f}×",
                "target": "report; 0 errors", "ok": r["errors"] == 0 and r["pg"]["deadlocks"] == 0})
    return out


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def details(result: dict) -> list[str]:
    s = result["sqlite"]
    runs = [("SQLite, 1 worker", s)] + [(f"PostgreSQL, {w} worker(s)", r)
                                       for w, r in (result.get("postgresql") or {}).items()
                                       if isinstance(r, dict) and "pages" in r]
    out = ["", "## Respondent's journey", "",
           f"{result['concurrency']} respondents at once (closed loop, a fresh cookie jar each, httpx), "
           f"{result['duration_s']:.0f} s after a 2 s warm-up; half on personal links, half on "
           f"shared links. Per respondent {result['requests_per_journey']} requests: "
           + "intro, stylesheet + icon, start POST → first knob, 4 more knob GETs, 5 knob POSTs (303), "
           "review, submit POST whose answer is the thank-you page with the own star inline. "
           "Server CPU from /proc of the server's process group.", "",
           "| Run | respondents/s | CPU/respondent | server CPU | client CPU | errors | stored | peak RSS | "
           + " | ".join(f"{p} p50/p99" for p in PAGES) + " |",
           "|---|---|---|---|---|---|---|---|" + "---|" * len(PAGES)]
    for name, r in runs:
        out.append(f"| {name} | {r['respondents_per_s']:.1f} | {_ms(r['cpu_per_respondent_ms'])} | "
                   f"{r['server_cpu_pct']:.0f} % | {r.get('client_cpu_pct', 0):.0f} % | {r['errors']} | "
                   f"{r['stored_responses']} | "
                   f"{r['peak_rss_mb']:.0f} MB | "
                   + " | ".join(f"{_ms(r['pages'][p]['p50_ms'])} / {_ms(r['pages'][p]['p99_ms'])}"
                                for p in PAGES) + " |")
    bare, floor = result["floor"]["bare"], result["floor"]["floor"]
    out += ["", f"Estimate: {result['requests_per_journey']} × {bare['cpu_per_request_ms']:.2f} ms "
            f"(bench.bare_app, {bare['rps']:.0f} req/s) + {floor['cpu_per_request_ms']:.2f} ms "
            f"(bench.floor_app, {floor['rps']:.0f} req/s) = {result['estimate_ms']:.1f} ms; the "
            f"journey costs {result['ratio']:.1f}× that."]
    static = s.get("static_file")
    if static:
        priced = result["requests_per_journey"] * static["cpu_per_request_ms"] + floor["cpu_per_request_ms"]
        out += ["", f"What-if, same run: a GET of `/static/favicon.svg` through the real app (every "
                f"middleware, no page work) costs {static['cpu_per_request_ms']:.2f} ms CPU "
                f"({static['rps']:.0f} req/s, {static['errors']} errors). A journey whose 16 "
                f"requests each cost no more than that, plus the floor store, would be "
                f"{priced:.1f} ms = {priced / result['estimate_ms']:.1f}× the estimate: the "
                f"app's request stack alone (middleware, routing, uvicorn) takes that share; "
                f"the rest ({s['cpu_per_respondent_ms'] - priced:.0f} ms) is the pages' own work."]
    for name, r in runs:
        if r.get("pg"):
            out.append(f"- {name}: pg_stat_database during the run: {r['pg']}.")
        if r.get("first_error"):
            out.append(f"- {name}: first error: `{r['first_error']}`")
        if r.get("server_errors"):
            out.append(f"- {name}: server log: `{'; '.join(r['server_errors'])[:400]}`")
    profile = s.get("profile") or {}
    for part, title in (("app", "the app's functions, with all they call"),
                        ("self", "the functions with the most samples of their own")):
        if profile.get(part):
            out += ["", f"py-spy (`--gil`, {profile['samples']} samples) of the SQLite server "
                    f"during the journey, {title}:", "",
                    "| inclusive | self | function |", "|---|---|---|"]
            out += [f"| {p['inclusive_pct']:.1f} % | {p['self_pct']:.1f} % | `{p['function']}` |"
                    for p in profile[part]]
    return out


if __name__ == "__main__":  # python -m bench.journey [--quick]: this benchmark alone
    from bench.run import main

    sys.exit(main([*sys.argv[1:], "--only", "journey"]))
