"""Submit benchmark: requests per second of importing one complete response through the real
endpoint, against the floor (`bench.floor_app`: parse, score and store the same rows with
sqlite3, nothing else; the target's baseline) and a bare FastAPI endpoint that only parses the
same body (a second baseline: what the web stack alone costs).

All servers run as `uvicorn <app> --workers 1 --host 127.0.0.1 --port <fixed> --no-access-log
--log-level warning` in their own process, and both are driven by `bench.loadgen` with the same
concurrency, warm-up and duration. The real app runs on a migrated SQLite database in a temp dir
(its default deployment), reached with a token that has the `import` scope. The server's peak
memory is read from /proc/<pid>/status (VmHWM, the kernel's high-water mark of its RSS).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import BENCH_SECRET, ROOT, make_tempdir, migrate, seed_institution
from bench.loadgen import LoadResult, build_request, run_load

HOST = "127.0.0.1"
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT", "8771"))
REAL_PORT = int(os.environ.get("BENCH_REAL_PORT", "8772"))
UVICORN_FLAGS = ["--host", HOST, "--no-access-log", "--log-level", "warning"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class SubmitResult:
    bare: list[dict] = field(default_factory=list)
    real: list[dict] = field(default_factory=list)
    bare_rps: float = 0.0
    floor: list[dict] = field(default_factory=list)
    floor_rps: float = 0.0
    floor_ratio: float = 0.0  # real / floor: the target
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    real_rps: float = 0.0
    ratio: float = 0.0  # real / bare
    errors: int = 0
    real_peak_rss_mb: float = 0.0
    real_start_rss_mb: float = 0.0
    bare_peak_rss_mb: float = 0.0
    bare_start_rss_mb: float = 0.0
    stored_responses: int = 0
    accepted_201: int = 0
    body_bytes: int = 0
    settings: dict = field(default_factory=dict)
    what_if: dict[str, dict] = field(default_factory=dict)
    stored: dict[str, dict[str, int]] = field(default_factory=dict)
    probe: dict[str, dict] = field(default_factory=dict)
    server_errors: dict[str, list[str]] = field(default_factory=dict)
    import_rss: dict = field(default_factory=dict)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def _proc_status(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])  # kB
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


def _proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def group_pids(pgid: int) -> list[int]:
    """Every process of a process group: uvicorn's supervisor and its workers."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            if int(fields[2]) == pgid:  # field 5 of stat: the process group
                pids.append(int(entry.name))
    return pids


class Server:
    """One uvicorn server (with `workers` > 1 a supervisor and its worker processes); killed
    with its process group by stop()."""

    def __init__(self, app: str, port: int, env: dict[str, str], log: Path, workers: int = 1):
        if not _port_free(port):
            raise RuntimeError(f"port {port} on {HOST} is already in use; set BENCH_*_PORT")
        self.app, self.port, self.log_path = app, port, log
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", self.app, "--port", str(port), "--workers",
             str(workers), *UVICORN_FLAGS],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.peak_kb = 0
        self._sampling = False
        self._sampler: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.app} exited with {self.proc.returncode}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            if not _port_free(self.port):  # uvicorn binds only after the lifespan startup
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.app} did not start within {timeout} s")

    def rss_kb(self) -> dict[str, int]:
        return _proc_status(self.pid)

    def cpu_s(self) -> float:
        """CPU seconds of the whole process group (the workers, when there are several)."""
        return sum(_proc_cpu_s(pid) for pid in group_pids(self.pid))

    def worker_peaks_kb(self) -> list[int]:
        """VmHWM of each process of the group but the supervisor (of the one process, if alone)."""
        pids = [pid for pid in group_pids(self.pid) if pid != self.pid] or [self.pid]
        return [_proc_status(pid).get("VmHWM", 0) for pid in pids]

    def start_sampling(self, every_s: float = 0.05) -> None:
        self._sampling = True

        def sample() -> None:
            while self._sampling:
                self.peak_kb = max(self.peak_kb, self.rss_kb().get("VmRSS", 0))
                time.sleep(every_s)

        self._sampler = threading.Thread(target=sample, daemon=True)
        self._sampler.start()

    def stop_sampling(self) -> None:
        self._sampling = False
        if self._sampler is not None:
            self._sampler.join()

    def stop(self) -> None:
        self.stop_sampling()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def complete_body(questionnaire, unit_id: int) -> bytes:
    """One complete response: every item of the star questionnaire, a role and a unit."""
    answers = {item.id: 1 + (i * 7) % 5 for i, item in enumerate(questionnaire.items)}
    answers[questionnaire.items[3].id] = "dk"
    return json.dumps({"responses": [{"unit": unit_id, "role": "docent_onderzoeker",
                                      "answers": answers, "open_answers": {}}]}).encode()


def _make_token(url: str, institution_id: int) -> str:
    from api.platform.db import make_engine, session_scope
    from api.platform.models import Institution
    from api.platform.settings import Settings
    from api.setup import tokens

    engine = make_engine(Settings(database_url=url, secret_key=BENCH_SECRET))
    try:
        with session_scope(engine, write=True) as session:
            inst = session.get(Institution, institution_id)
            _, plain = tokens.create_token(session=session, name="Benchmark importer",
                                           scopes=["import", "read"], institutions=[inst])
            return plain
    finally:
        engine.dispose()


def _db_counts(path: Path) -> dict[str, int]:
    """Rows stored by a server: every 201 must have left 1 response, its answers and knob scores."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("response", "answer", "knob_score")}
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "response_tally" in tables:  # the running tallies must have counted every response
            counts["response_tally"] = conn.execute(
                "SELECT coalesce(sum(n), 0) FROM response_tally").fetchone()[0]
            counts["knob_tally"] = conn.execute(
                "SELECT coalesce(sum(n), 0) FROM knob_tally").fetchone()[0]
        return counts
    finally:
        conn.close()


@dataclass(frozen=True)
class Prepared:
    """A migrated, seeded SQLite database to copy per server, and the request to send."""

    template: Path
    round_id: int
    token: str
    body: bytes
    path: str
    headers: dict[str, str]
    items: int


def prepare_submit(tmp: Path) -> Prepared:
    """Migrate and seed a template database in `tmp`; the import request for its round."""
    from api.platform.questionnaires import load_catalog

    template = tmp / "template.db"
    template_url = f"sqlite:///{template}"
    migrate(template_url)
    seeded = seed_institution(template_url, units=40)
    token = _make_token(template_url, seeded.institution_id)
    questionnaire = load_catalog(ROOT / "questionnaires").require("galbraith-star", "1.0")
    return Prepared(template=template, round_id=seeded.round_id, token=token,
                    body=complete_body(questionnaire, seeded.unit_ids[0]),
                    path=f"/api/v1/rounds/{seeded.round_id}/responses",
                    headers={"Content-Type": "application/json",
                             "Authorization": f"Bearer {token}"},
                    items=len(questionnaire.items))


# Extra servers beside bare, real and floor, to price a proposed change: (name, app, env).
# The earlier what-ifs (Core inserts, a pure ASGI ETag middleware, async app.state dependencies,
# tally upserts built once) became the app or were made moot by releases, and were removed.
WHAT_IF: list[tuple[str, str, dict[str, str]]] = [
    # the real app as a process that serves only the API: no chart renderer (V8) started
    ("real, KENNISSTER_WARM_CHARTS=false", "api.asgi:app", {"KENNISSTER_WARM_CHARTS": "false"}),
    # prices the release rule's bookkeeping per import (bench/whatif_app.py; never the app)
    ("real without releases", "bench.whatif_app:norelease", {}),
]

HEAVY_MODULES = ("altair", "vl_convert", "jsonschema", "openpyxl", "typst", "pandas", "numpy",
                 "jinja2", "sqlmodel", "fastapi")
_IMPORT_RSS = """
import sys
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
import api.asgi
print(rss())
print(' '.join(m for m in sys.argv[1:] if m in sys.modules))
"""


def import_rss(tmp: Path) -> dict:
    """RSS of a process that has only imported the app (`api.asgi`: the app built, nothing
    served, no chart drawn), and which of the heavy libraries that loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KENNISSTER_DATABASE_URL":
           f"sqlite:///{tmp / 'import.db'}", "KENNISSTER_DATA_DIR": str(tmp),
           "KENNISSTER_SECRET_KEY": BENCH_SECRET, "KENNISSTER_ENVIRONMENT": "development"}
    out = subprocess.run([sys.executable, "-c", _IMPORT_RSS, *HEAVY_MODULES], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return {"rss_mb": float(out[0]), "loaded": out[1].split() if len(out) > 1 else []}


def run_submit(*, duration_s: float, warmup_s: float, concurrency: int, rounds: int,
               what_if: bool = True, probe_concurrency: int = 0, probe_s: float = 20.0,
               log=print) -> SubmitResult:
    """The submit benchmark; with `probe_concurrency`, afterwards an overload probe drives bare and
    real with that many connections (more than the thread pool's 40) and records what happens."""
    tmp = make_tempdir("kennisster-bench-submit-")
    servers: dict[str, Server] = {}
    try:
        prepared = prepare_submit(tmp)
        template, body, path, headers = (prepared.template, prepared.body, prepared.path,
                                         prepared.headers)

        def start(name: str, app: str, port: int, extra: dict[str, str] | None = None) -> Server:
            db = tmp / f"{name}.db"
            shutil.copyfile(template, db)  # each server writes its own copy of the same database
            env = {**os.environ, "PYTHONPATH": str(ROOT), "KENNISSTER_DATABASE_URL": f"sqlite:///{db}",
                   "KENNISSTER_DATA_DIR": str(tmp), "KENNISSTER_SECRET_KEY": BENCH_SECRET,
                   "KENNISSTER_ENVIRONMENT": "development", **(extra or {})}
            servers[name] = Server(app, port, env, tmp / f"{name}.log")
            return servers[name]

        start("bare", "bench.bare_app:app", BARE_PORT)
        start("real", "api.asgi:app", REAL_PORT)
        start("floor", "bench.floor_app:app", REAL_PORT + 1)
        if what_if:
            for offset, (name, app, extra) in enumerate(WHAT_IF, start=2):
                start(name, app, REAL_PORT + offset, extra)
        for server in servers.values():
            server.wait_ready()
        time.sleep(2.0)  # let the real apps' chart warm-up thread (V8 start) finish
        result = SubmitResult(body_bytes=len(body), settings={
            "uvicorn": "--workers 1 " + " ".join(UVICORN_FLAGS), "concurrency": concurrency,
            "warmup_s": warmup_s,
            "duration_s": duration_s, "rounds": rounds, "database": "SQLite (WAL) in a temp dir",
            "endpoint": f"POST {path} (JSON, 1 response, {prepared.items} items)",
            "load_generator": "bench.loadgen (asyncio, keep-alive, closed loop)"})
        result.bare_start_rss_mb = servers["bare"].rss_kb().get("VmRSS", 0) / 1024
        result.real_start_rss_mb = servers["real"].rss_kb().get("VmRSS", 0) / 1024
        for server in servers.values():
            server.start_sampling()
        runs: dict[str, list[dict]] = {name: [] for name in servers}
        for index in range(rounds):
            for name, server in servers.items():  # interleaved: bare, real, what-ifs, bare, ...
                request = build_request("POST", HOST, server.port, path, body, headers)
                cpu_before, wall_before = server.cpu_s(), time.monotonic()
                load: LoadResult = run_load(host=HOST, port=server.port, request=request,
                                            concurrency=concurrency, warmup_s=warmup_s,
                                            duration_s=duration_s, ok_status=frozenset({201}))
                cpu = server.cpu_s() - cpu_before
                row = load.as_dict() | {
                    "round": index + 1,
                    "server_cpu_pct": 100 * cpu / (time.monotonic() - wall_before)}
                runs[name].append(row)
                log(f"  submit {name:26s} round {index + 1}: {load.rps:8.1f} req/s, "
                    f"p50 {load.p50_ms:6.1f} ms, p99 {load.p99_ms:7.1f} ms, errors {load.errors}, "
                    f"server CPU {row['server_cpu_pct']:3.0f} %, client CPU {load.client_cpu_pct:3.0f} %"
                    + (f"  first error: {load.first_error}" if load.first_error else ""))
                time.sleep(1.0)
        for server in servers.values():
            server.stop_sampling()
        peak = {name: max(s.rss_kb().get("VmHWM", 0), s.peak_kb) / 1024 for name, s in servers.items()}
        if probe_concurrency:
            for name in ("bare", "real"):
                server = servers[name]
                request = build_request("POST", HOST, server.port, path, body, headers)
                load = run_load(host=HOST, port=server.port, request=request,
                                concurrency=probe_concurrency, warmup_s=0.0, duration_s=probe_s,
                                ok_status=frozenset({201}))
                result.probe[name] = load.as_dict()
                log(f"  overload probe {name:4s} ({probe_concurrency} connections, {probe_s:.0f} s): "
                    f"{load.rps:8.1f} req/s, p50 {load.p50_ms:8.1f} ms, p99 {load.p99_ms:8.1f} ms, "
                    f"errors {load.errors}, status {load.status}"
                    + (f"  first error: {load.first_error[:160]}" if load.first_error else ""))
        result.bare, result.real, result.floor = runs["bare"], runs["real"], runs["floor"]
        result.peak_rss_mb = peak
        result.real_peak_rss_mb, result.bare_peak_rss_mb = peak["real"], peak["bare"]
        result.bare_rps = sum(r["rps"] for r in result.bare) / len(result.bare)
        result.real_rps = sum(r["rps"] for r in result.real) / len(result.real)
        result.ratio = result.real_rps / result.bare_rps if result.bare_rps else 0.0
        result.floor_rps = sum(r["rps"] for r in result.floor) / len(result.floor)
        result.floor_ratio = result.real_rps / result.floor_rps if result.floor_rps else 0.0
        result.errors = sum(r["errors"] for r in result.bare + result.real + result.floor)
        for name in servers:
            if name not in ("bare", "real", "floor"):
                rps = sum(r["rps"] for r in runs[name]) / len(runs[name])
                result.what_if[name] = {
                    "rps": rps, "ratio": rps / result.bare_rps if result.bare_rps else 0.0,
                    "errors": sum(r["errors"] for r in runs[name]), "peak_rss_mb": peak[name],
                    "p50_ms": statistics.median(r["p50_ms"] for r in runs[name]),
                    "p99_ms": max(r["p99_ms"] for r in runs[name]), "runs": runs[name]}
        for server in servers.values():
            server.stop()
        for name, server in servers.items():  # what the servers logged about failures, if anything
            errors = [line for line in server.log_path.read_text(errors="replace").splitlines()
                      if "Error" in line or "Exception" in line]
            if errors:
                result.server_errors[name] = errors[-3:]
        result.stored = {name: _db_counts(tmp / f"{name}.db") for name in servers if name != "bare"}
        result.import_rss = import_rss(tmp)
        result.stored_responses = result.stored["real"]["response"]
        result.accepted_201 = sum(r["status"].get("201", 0) for r in result.real)
        return result
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
