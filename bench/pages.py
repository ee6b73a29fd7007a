"""Pages from the release: the dashboard page, its charts and its PDF report served from the
`rendered` cache, against the same app serving a static file and against itself with the cache
switched off (`KENNISSTER_RENDER_CACHE=false`), in the same run.

Two data sets, each in a fresh migrated SQLite database: the demo (`api.setup.demo`, six
practoraten, two rounds) and a generated round (`bench.generate`, 40 practoraten; 1M responses,
quick 50k) with a board member made for it. For each, two uvicorn servers of
`bench.pages_app` (the real app plus a bench-only static mount) run on the same database: one
with the cache (port BENCH_PAGES_PORT, default 8861) and one without (the next port). Both are
logged in through the real login form (`tests.builders.web_login`).

Each sample starts with a **new release** made in this process (five responses to one unit,
released by `api.results.releases.release_due`, as a submit does), then, interleaved:
- the first view of the dashboard after that release on the cached server (a miss: the stamp,
  `build_dashboard`, three charts, the template, and the write of the new entry) and the same
  page on the uncached server (today's page: all of that but the write) — target ≤ 1.5×;
- warm views on the cached server against GETs of a static file of the same byte size from
  the same server (`/bench-static/page.html`) — target ≤ 2× at p50;
- the star chart (SVG) and, in fewer samples, the PDF report: first after the release and warm.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.submit import Server

WARM_TARGET = 2.0
COLD_TARGET = 1.5
BOARD_EMAIL, BOARD_PASSWORD = "bestuur@benchmark.nl", "een-lang-bench-wachtwoord-42"


@dataclass
class Dataset:
    name: str
    responses: int
    page_bytes: int = 0
    releases: int = 0
    warm_ms: list[float] = field(default_factory=list)
    static_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)  # first view after a release, cached
    uncached_ms: list[float] = field(default_factory=list)  # the same page, cache off
    chart_cold_ms: list[float] = field(default_factory=list)
    chart_warm_ms: list[float] = field(default_factory=list)
    chart_uncached_ms: list[float] = field(default_factory=list)
    pdf_cold_ms: list[float] = field(default_factory=list)
    pdf_warm_ms: list[float] = field(default_factory=list)
    rows_kept: int = 0
    setup_s: float = 0.0

    def summary(self) -> dict:
        p50 = statistics.median
        out = asdict(self)
        for name in ("warm", "static", "first", "uncached", "chart_cold", "chart_warm",
                     "chart_uncached", "pdf_cold", "pdf_warm"):
            samples = getattr(self, f"{name}_ms")
            out[f"{name}_p50"] = p50(samples) if samples else 0.0
        return out


def _timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return elapsed


def _settings(url: str, scratch: Path):
    from api.platform.settings import Settings
    from bench.common import BENCH_SECRET

    return Settings(environment="development", database_url=url, data_dir=scratch,
                    secret_key=BENCH_SECRET, anonymity_k=5, base_url="http://127.0.0.1")


def _demo(url: str, scratch: Path) -> tuple[str, str, str]:
    from api.platform.db import make_engine, session_scope
    from api.platform.questionnaires import load_catalog
    from api.platform.settings import ROOT
    from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_PASSWORD, load_demo
    from bench.common import BENCH_SECRET

    engine = make_engine(_settings(url, scratch))
    try:
        with session_scope(engine, write=True) as session:
            load_demo(session=session, catalog=load_catalog(ROOT / "questionnaires"),
                      secret_key=BENCH_SECRET, default_k=5)
    finally:
        engine.dispose()
    return _slug_of(url, scratch, "ROC Rivierenland (demo)"), DEMO_BOARD_EMAIL, DEMO_PASSWORD


def _generated(url: str, scratch: Path, n: int, log) -> tuple[str, str, str]:
    from api.platform.db import make_engine, session_scope
    from api.platform.models import Institution
    from api.setup.accounts import create_account
    from bench.common import seed_institution
    from bench.generate import generate

    seeded = seed_institution(url, units=40)
    made = generate(url, seeded, n)
    log(f"pages: generated {made.responses:,} responses in {made.seconds:.1f} s")
    engine = make_engine(_settings(url, scratch))
    try:
        with session_scope(engine, write=True) as session:
            create_account(session=session, email=BOARD_EMAIL, password=BOARD_PASSWORD,
                           role="bestuur",
                           institutions=[session.get(Institution, seeded.institution_id)])
            session.commit()
    finally:
        engine.dispose()
    return seeded.institution_slug, BOARD_EMAIL, BOARD_PASSWORD


def _slug_of(url: str, scratch: Path, name: str) -> str:
    from sqlmodel import select

    from api.platform.db import make_engine, session_scope
    from api.platform.models import Institution

    engine = make_engine(_settings(url, scratch))
    try:
        with session_scope(engine) as session:
            return session.exec(select(Institution.slug).where(Institution.name == name)).one()
    finally:
        engine.dispose()


class _Releaser:
    """Makes one release at a time in the dashboard's round: five alike responses to one unit
    (rotating), released as a submit releases them."""

    def __init__(self, url: str, scratch: Path, slug: str):
        from sqlmodel import select

        from api.plans.progress import latest_round
        from api.platform.db import make_engine, session_scope
        from api.platform.models import Institution, Response
        from api.platform.questionnaires import load_catalog
        from api.platform.settings import ROOT

        self.engine = make_engine(_settings(url, scratch))
        self.catalog = load_catalog(ROOT / "questionnaires")
        with session_scope(self.engine) as session:
            institution = session.exec(select(Institution).where(Institution.slug == slug)).one()
            self.round = latest_round(session=session, institution=institution)
            self.units = sorted(set(session.exec(select(Response.unit_id).where(
                Response.round_id == self.round.id).distinct())))
        self.questionnaire = self.catalog.require(self.round.questionnaire_slug,
                                                  self.round.questionnaire_version)
        self.made = 0

    def release(self) -> None:
        from api.platform.db import session_scope
        from api.results import releases
        from api.survey.responses import record_response

        unit_id = self.units[self.made % len(self.units)]
        value = 1 + self.made % 5
        with session_scope(self.engine, write=True) as session:
            for i in range(5):
                answers = {item.id: 1 + (value + i + j) % 5
                           for j, item in enumerate(self.questionnaire.items)}
                record_response(session=session, round_=self.round, unit_id=unit_id,
                                role="practor", questionnaire=self.questionnaire,
                                answers=answers, open_answers={},
                                submission_key=f"bench-pages-{self.made}-{i}-{time.time_ns()}")
            made = releases.release_due(session=session, round_id=self.round.id, default_k=5)
            session.commit()
        assert made is not None, "the benchmark's five responses made no release"
        self.made += 1

    def close(self) -> None:
        self.engine.dispose()


def _rows_kept(url: str) -> int:
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT count(*) FROM rendered").fetchone()[0]


def _measure(name: str, n: int, url: str, scratch: Path, slug: str, email: str, password: str,
             *, samples: int, warm: int, pdf_samples: int, log) -> Dataset:
    import httpx

    from bench.common import BENCH_SECRET
    from tests.builders import web_login

    result = Dataset(name=name, responses=n)
    static = scratch / f"static-{name.split()[0]}"
    static.mkdir(exist_ok=True)
    (static / "page.html").write_bytes(b"")
    port = int(os.environ.get("BENCH_PAGES_PORT", "8861"))
    env = {**os.environ, "KENNISSTER_DATABASE_URL": url, "KENNISSTER_SECRET_KEY": BENCH_SECRET,
           "KENNISSTER_DATA_DIR": str(scratch), "KENNISSTER_ENVIRONMENT": "development",
           "KENNISSTER_MAIL_WORKER": "false", "KENNISSTER_ANONYMITY_K": "5",
           "BENCH_STATIC_DIR": str(static)}
    servers = {"cached": Server("bench.pages_app:app", port, env, scratch / f"{port}.log"),
               "uncached": Server("bench.pages_app:app", port + 1,
                                  {**env, "KENNISSTER_RENDER_CACHE": "false"},
                                  scratch / f"{port + 1}.log")}
    releaser = _Releaser(url, scratch, slug)
    clients = {}
    try:
        for server in servers.values():
            server.wait_ready(timeout=120)
        for key, server in servers.items():
            clients[key] = httpx.Client(base_url=f"http://127.0.0.1:{server.port}",
                                        timeout=120)
            web_login(clients[key], email, password)
        cached, uncached = clients["cached"], clients["uncached"]
        page = f"/dashboard/{slug}"
        base = f"/dashboard/{slug}/rounds/{releaser.round.id}"
        chart, pdf = f"{base}/charts/star.svg", f"{base}/report.pdf"
        body = cached.get(page).content  # warms both processes (V8, templates, caches)
        uncached.get(page)
        cached.get(chart), uncached.get(chart), cached.get(pdf)
        result.page_bytes = len(body)
        (static / "page.html").write_bytes(body)  # same size, same kind of bytes
        for sample in range(samples):
            releaser.release()
            result.releases += 1
            order = [("cached", cached), ("uncached", uncached)]
            for which, client in order if sample % 2 == 0 else order[::-1]:
                ms = _timed_get(client, page)
                (result.first_ms if which == "cached" else result.uncached_ms).append(ms)
            result.chart_cold_ms.append(_timed_get(cached, chart))
            result.chart_uncached_ms.append(_timed_get(uncached, chart))
            if sample < pdf_samples:
                result.pdf_cold_ms.append(_timed_get(cached, pdf))
            for _ in range(warm):
                result.warm_ms.append(_timed_get(cached, page))
                result.static_ms.append(_timed_get(cached, "/bench-static/page.html"))
            # warm after the warm views: the first drawing is stored after its response was
            # sent, so a request right behind it may still draw anew
            result.chart_warm_ms.append(_timed_get(cached, chart))
            if sample < pdf_samples:
                result.pdf_warm_ms.append(_timed_get(cached, pdf))
        result.rows_kept = _rows_kept(url)
        log(f"pages: {name}: warm p50 {statistics.median(result.warm_ms):.1f} ms, static "
            f"{statistics.median(result.static_ms):.1f} ms, first after release "
            f"{statistics.median(result.first_ms):.1f} ms, uncached "
            f"{statistics.median(result.uncached_ms):.1f} ms")
    finally:
        for client in clients.values():
            client.close()
        for server in servers.values():
            server.stop()
        releaser.close()
    return result


def run(args, scratch: Path, log) -> dict:
    """Both data sets; quick: fewer samples and a 50k round instead of 1M."""
    from bench.common import migrate

    n = 50_000 if args.quick else 1_000_000
    samples, warm, pdf_samples = (4, 15, 2) if args.quick else (8, 30, 3)
    found = {}
    for name in ("demo", f"generated {n:,}"):
        started = time.perf_counter()
        url = f"sqlite:///{scratch / ('pages-' + name.split()[0] + '.db')}"
        migrate(url)
        if name == "demo":
            slug, email, password = _demo(url, scratch)
            responses = 0
        else:
            slug, email, password = _generated(url, scratch, n, log)
            responses = n
        setup_s = time.perf_counter() - started
        result = _measure(name, responses, url, scratch, slug, email, password,
                          samples=samples, warm=warm, pdf_samples=pdf_samples, log=log)
        result.setup_s = setup_s
        found[name] = result.summary()
    return {"datasets": found, "samples": samples, "warm_per_sample": warm,
            "pdf_samples": pdf_samples}


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 1000 else f"{value / 1000:,.2f} s"


def rows(result: dict, quick: bool) -> list[dict]:
    out = []
    for name, d in result["datasets"].items():
        warm_ratio = d["warm_p50"] / d["static_p50"] if d["static_p50"] else 0.0
        cold_ratio = d["first_p50"] / d["uncached_p50"] if d["uncached_p50"] else 0.0
        out.append({
            "benchmark": f"Pages: dashboard page, {name}, warm (from the release's cache), p50",
            "figure": _ms(d["warm_p50"]),
            "baseline": f"static file of the same size ({d['page_bytes'] / 1024:,.0f} KiB) "
                        f"from the same app {_ms(d['static_p50'])}",
            "ratio": f"{warm_ratio:.2f}×", "target": f"≤ {WARM_TARGET:.0f}×",
            "ok": warm_ratio <= WARM_TARGET})
        out.append({
            "benchmark": f"Pages: dashboard page, {name}, first view after a release, p50",
            "figure": _ms(d["first_p50"]),
            "baseline": f"the same page with the cache off {_ms(d['uncached_p50'])}",
            "ratio": f"{cold_ratio:.2f}×", "target": f"≤ {COLD_TARGET}×",
            "ok": cold_ratio <= COLD_TARGET})
        out.append({
            "benchmark": f"Pages: star chart SVG, {name}, warm vs first after a release",
            "figure": _ms(d["chart_warm_p50"]),
            "baseline": f"first {_ms(d['chart_cold_p50'])} (cache off "
                        f"{_ms(d['chart_uncached_p50'])})",
            "ratio": f"{d['chart_warm_p50'] / d['chart_cold_p50']:.2f}×"
            if d["chart_cold_p50"] else "—", "target": "report", "ok": None})
        if d["pdf_cold_ms"]:
            out.append({
                "benchmark": f"Pages: PDF report, {name}, warm vs first after a release",
                "figure": _ms(d["pdf_warm_p50"]), "baseline": f"first {_ms(d['pdf_cold_p50'])}",
                "ratio": f"{d['pdf_warm_p50'] / d['pdf_cold_p50']:.3f}×", "target": "report",
                "ok": None})
    return out


def details(result: dict) -> list[str]:
    lines = ["", "## Pages from the release", "",
             f"{result['samples']} releases per data set; after each: the first view on the "
             "cached and the uncached server (interleaved, order alternating), the star chart, "
             f"then {result['warm_per_sample']} warm views interleaved with the static file; the "
             f"PDF in the first {result['pdf_samples']} samples. SQLite, one uvicorn worker each "
             "(`bench.pages_app`), httpx keep-alive client, one request at a time.", "",
             "| Data set | page | warm p50 | static p50 | first after release p50 | cache off p50 "
             "| warm ÷ cache off | chart warm / first / off | PDF warm / first | rows kept |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, d in result["datasets"].items():
        speedup = d["uncached_p50"] / d["warm_p50"] if d["warm_p50"] else 0.0
        lines.append(
            f"| {name} | {d['page_bytes'] / 1024:,.0f} KiB | {_ms(d['warm_p50'])} | "
            f"{_ms(d['static_p50'])} | {_ms(d['first_p50'])} | {_ms(d['uncached_p50'])} | "
            f"{speedup:,.0f}× faster | {_ms(d['chart_warm_p50'])} / {_ms(d['chart_cold_p50'])} / "
            f"{_ms(d['chart_uncached_p50'])} | {_ms(d['pdf_warm_p50'])} / "
            f"{_ms(d['pdf_cold_p50'])} | {d['rows_kept']} |")
    return lines
