"""Where the submit endpoint's time goes: py-spy samples the real server under the submit load.

    .venv/bin/python -m bench.profile_submit [--seconds 8] [--concurrency 16] [--port 8829]

Starts `uvicorn api.asgi:app` exactly like `bench.submit` (SQLite in a temp dir, a token with the
import scope, one complete response per request), drives it with `bench.loadgen`, and records it
with `py-spy record --format raw` (pip install py-spy; it needs ptrace on the server process, which
it has as its parent's child). Printed: the server's CPU per request, the share and CPU ms per
request of named cost centres (inclusive: every sample with that frame on its stack) and of the
top functions by self time. py-spy runs outside the server, so the app carries no profiling code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import BENCH_SECRET, ROOT, make_tempdir
from bench.loadgen import build_request, run_load
from bench.submit import HOST, Server, prepare_submit

# (label, substring of a frame "function (file:line)") — inclusive cost centres, in stack order
CENTRES = [
    ("uvicorn + asyncio (HTTP parsing, event loop)", ("uvicorn/", "asyncio/")),
    ("middleware stack (Starlette/ASGI)", ("starlette/middleware", "api/platform/headers.py",
                                           "api/platform/body_limits.py", "api/v1/etag.py")),
    ("FastAPI dependency solving + thread hops", ("solve_dependencies", "anyio/")),
    ("token check (grant/authenticate)", ("grant (", "authenticate (")),
    ("session open/close (get_session)", ("get_session (",)),
    ("the route: import_responses", ("import_responses (api/v1/routes.py",)),
    ("  round + institution lookup (_round)", ("_round (api/v1/routes.py",)),
    ("  parse: _json_rows + check_rows", ("_json_rows (", "check_rows (")),
    ("  units query", ("routes.py:412", "units_of (")),
    ("  store: record_response", ("record_response",)),
    ("  release_due", ("release_due (",)),
    ("    _lock_round", ("_lock_round (",)),
    ("    _waiting", ("_waiting (",)),
    ("    anonymity.releasable", ("releasable (",)),
    ("  commit", ("commit (sqlalchemy/orm/session.py", "commit (sqlmodel")),
    ("response serialisation", ("serialize_response",)),
    ("SQLAlchemy (anywhere)", ("sqlalchemy/",)),
    ("sqlite3 driver calls (execute/commit, C)", ("execute (sqlalchemy/engine/default.py",
                                                  "do_execute", "do_commit", "do_executemany")),
    ("pydantic (anywhere)", ("pydantic/", "pydantic_core")),
]


def _frames(stack: str) -> list[str]:
    return stack.split(";")


def summarise(raw: Path, cpu_ms_per_request: float, top: int = 25) -> list[str]:
    """Markdown lines: cost centres and top self-time functions, as % of samples and CPU ms."""
    samples: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[stack] += int(count)
    total = sum(samples.values()) or 1
    out = [f"{total:,} samples; server CPU {cpu_ms_per_request:.2f} ms per request", "",
           "| cost centre (inclusive) | share | CPU ms / request |", "|---|---|---|"]
    for label, needles in CENTRES:
        hit = sum(n for stack, n in samples.items()
                  if any(needle in frame for frame in _frames(stack) for needle in needles))
        out.append(f"| {label} | {100 * hit / total:.1f} % | {cpu_ms_per_request * hit / total:.2f} |")
    self_time: Counter[str] = Counter()
    for stack, n in samples.items():
        self_time[_frames(stack)[-1]] += n
    out += ["", "| function (self time) | share | CPU ms / request |", "|---|---|---|"]
    for frame, n in self_time.most_common(top):
        out.append(f"| `{frame[:110]}` | {100 * n / total:.1f} % | {cpu_ms_per_request * n / total:.3f} |")
    return out


def _cpu_split(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_submit")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PROFILE_PORT", "8829")))
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--app", default="api.asgi:app")
    parser.add_argument("--out", default=None, help="keep the raw py-spy stacks here")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    tmp = make_tempdir("kennisster-profile-submit-")
    server = None
    try:
        prepared = prepare_submit(tmp)
        db = tmp / "real.db"
        shutil.copyfile(prepared.template, db)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "KENNISSTER_DATABASE_URL": f"sqlite:///{db}",
               "KENNISSTER_DATA_DIR": str(tmp), "KENNISSTER_SECRET_KEY": BENCH_SECRET,
               "KENNISSTER_ENVIRONMENT": "development"}
        server = Server(args.app, args.port, env, tmp / "server.log")
        server.wait_ready()
        time.sleep(2.0)  # chart warm-up thread
        request = build_request("POST", HOST, args.port, prepared.path, prepared.body,
                                prepared.headers)
        run_load(host=HOST, port=args.port, request=request, concurrency=args.concurrency,
                 warmup_s=0.0, duration_s=1.5, ok_status=frozenset({201}))  # warm
        raw = Path(args.out) if args.out else tmp / "stacks.txt"
        result: dict = {}

        def load() -> None:
            time.sleep(0.3)  # py-spy attaches
            result["load"] = run_load(host=HOST, port=args.port, request=request,
                                      concurrency=args.concurrency, warmup_s=0.0,
                                      duration_s=args.seconds, ok_status=frozenset({201}))

        times_before = _cpu_split(server.pid)
        cpu_before = server.cpu_s()
        thread = threading.Thread(target=load)
        thread.start()
        subprocess.run([py_spy, "record", "--pid", str(server.pid), "--duration",
                        str(int(args.seconds + 0.5)), "--rate", str(args.rate), "--format", "raw",
                        "--gil", "--nonblocking", "-o", str(raw)], check=True, capture_output=True)
        thread.join()
        cpu = server.cpu_s() - cpu_before
        user, system = (a - b for a, b in zip(_cpu_split(server.pid), times_before, strict=True))
        loaded = result["load"]
        per_request = 1000 * cpu / max(1, loaded.requests)
        print(f"{args.app}: {loaded.rps:,.1f} req/s, {loaded.errors} errors, server CPU "
              f"{cpu:.1f} s (user {user:.1f} s, system {system:.1f} s) over {loaded.requests:,} "
              f"requests = {per_request:.2f} ms per request")
        print("\n".join(summarise(raw, per_request)))
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
