"""Kennisster benchmarks, one command: `.venv/bin/python -m bench.run [--quick]`.

Every figure is set against a baseline measured in the same run on the same machine, so machine
noise cancels out of the ratio as far as it can:

- submit: req/s of importing one complete response through POST /api/v1/rounds/{id}/responses,
  against the floor that parses, scores and stores the same rows with sqlite3 (target ≥ 0.5×)
  and a bare FastAPI endpoint that only parses the body; errors; each server's peak memory;
- submit_scale: the same on PostgreSQL with 1, 2 and 4 uvicorn workers: req/s, errors,
  deadlocks, lock waits;
- dashboard and compare at scale: build_dashboard(details=False) against a hand-written GROUP BY
  at 1k / 100k / 1M responses (quick: 1k / 10k), on SQLite and PostgreSQL (targets: ≤ 1.5× at
  1M, growing ≤ 2× from 1k to 1M);
- charts: median time of render_svg(radar_spec(...)) (target ≤ 50 ms), against the cold render;
- report: median time to download the demo's PDF report, against the dashboard page of the same
  round (target ≤ 2 s absolute; the ratio is reported).

Prints a markdown table at the end and writes it to bench/results.md (quick: results-quick.md),
with everything measured in bench/results.json (quick: results-quick.json).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_DIR = Path(__file__).resolve().parent
SUBMIT_TARGET = 0.5
SCALE_RATIO_TARGET = 1.5
SCALE_GROWTH_TARGET = 2.0
CHART_TARGET_MS = 50.0
REPORT_TARGET_MS = 2000.0

# Benchmarks that are their own module: name -> module. Each module has
#   run(args, scratch: Path, log) -> dict          (what it measured; JSON-serialisable)
#   rows(result: dict, quick: bool) -> list[dict]  (summary rows: benchmark, figure, baseline,
#                                                   ratio, target, ok — True/False/None)
#   details(result: dict) -> list[str]             (markdown lines of its detail section)
PLUGINS: dict[str, str] = {
    "submit_scale": "bench.submit_scale",
    "journey": "bench.journey",
    "own_star": "bench.own_star",
    "pages": "bench.pages",
}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small version: 1k and 10k responses, 3 s of load per server")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both)")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated response counts (default 1000,100000,1000000; "
                             "quick 1000,10000)")
    parser.add_argument("--only", default=",".join(["charts", "report", "submit", "scale",
                                                    *PLUGINS]),
                        help="comma-separated parts to run: charts, report, submit, scale, "
                             + ", ".join(PLUGINS))
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds of load per server and round (default 10, quick 3)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds per server (default 2, quick 1)")
    parser.add_argument("--no-what-if", dest="what_if", action="store_false",
                        help="skip the submit what-ifs (bench.submit.WHAT_IF; the floor always runs)")
    parser.add_argument("--out", default=None,
                        help="output path without extension (default bench/results, quick "
                             "bench/results-quick)")
    return parser.parse_args(argv)


def _fmt_ms(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:,.1f} s"
    if ms >= 100:
        return f"{ms:,.0f} ms"
    return f"{ms:.1f} ms" if ms >= 1 else f"{ms:.2f} ms"


def _size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("**PASS**" if ok else "**FAIL**")


def _environment() -> dict:
    import sqlite3

    env = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "python": platform.python_version(),
        "platform": platform.platform(), "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version,
        "load_average_start": os.getloadavg(),
    }
    try:
        import fastapi
        import sqlalchemy
        import uvicorn

        env.update(fastapi=fastapi.__version__, sqlalchemy=sqlalchemy.__version__,
                   uvicorn=uvicorn.__version__)
    except ImportError:  # pragma: no cover
        pass
    return env


def _pg_version() -> str:
    import sqlalchemy as sa

    from bench.common import pg_admin_url

    engine = sa.create_engine(sa.make_url(pg_admin_url()))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW server_version").scalar()
    finally:
        engine.dispose()


def build_report(results: dict) -> tuple[str, list[dict]]:
    """The summary table (markdown) and its rows, plus the detail sections."""
    rows: list[dict] = []
    quick = results["mode"] == "quick"

    charts = results.get("charts")
    if charts:
        rows.append({
            "benchmark": "Chart: radar spec + SVG render, median of "
                         f"{charts['runs']} warm calls",
            "figure": _fmt_ms(charts["median_ms"]),
            "baseline": f"first (cold) render {_fmt_ms(charts['cold_ms'])}",
            "ratio": f"{charts['median_ms'] / charts['cold_ms']:.2f}×",
            "target": f"≤ {CHART_TARGET_MS:.0f} ms", "ok": charts["median_ms"] <= CHART_TARGET_MS})

    report = results.get("report")
    if report:
        rows.append({
            "benchmark": f"PDF report of the demo's latest round ({report['pages']} pages), "
                         f"GET report.pdf, median of {report['runs']} warm calls",
            "figure": _fmt_ms(report["median_ms"]),
            "baseline": f"dashboard page of the same round {_fmt_ms(report['page_median_ms'])}",
            "ratio": f"{report['ratio']:.1f}×", "target": f"≤ {REPORT_TARGET_MS / 1000:.0f} s",
            "ok": report["median_ms"] <= REPORT_TARGET_MS})

    submit = results.get("submit")
    if submit:
        total = sum(r["requests"] for r in submit["real"] + submit["bare"] + submit["floor"])
        cpu = _submit_cpu_ms(submit)
        rows.append({
            "benchmark": "Submit: one complete response (30 items) via POST "
                         "/api/v1/rounds/{id}/responses, SQLite, 1 worker",
            "figure": f"{submit['real_rps']:,.0f} req/s ({cpu['real']:.2f} ms CPU per request)",
            "baseline": f"floor (parse, score, store the same rows with sqlite3): "
                        f"{submit['floor_rps']:,.0f} req/s ({cpu['floor']:.2f} ms)",
            "ratio": f"{submit['floor_ratio']:.2f}×", "target": f"≥ {SUBMIT_TARGET}×",
            "ok": submit["floor_ratio"] >= SUBMIT_TARGET})
        rows.append({
            "benchmark": "Submit: the same, against the bare web stack (second baseline)",
            "figure": f"{submit['real_rps']:,.0f} req/s",
            "baseline": f"bare FastAPI, parse only: {submit['bare_rps']:,.0f} req/s "
                        f"({cpu['bare']:.2f} ms)",
            "ratio": f"{submit['ratio']:.2f}×", "target": "report", "ok": None})
        rows.append({
            "benchmark": "Submit: failed requests (real, floor and bare)",
            "figure": f"{submit['errors']} of {total:,}", "baseline": "—", "ratio": "—",
            "target": "0", "ok": submit["errors"] == 0})
        peaks = submit.get("peak_rss_mb") or {}
        rows.append({
            "benchmark": "Submit: peak memory (VmHWM) of the real server process",
            "figure": f"{submit['real_peak_rss_mb']:.0f} MB",
            "baseline": f"bare server {submit['bare_peak_rss_mb']:.0f} MB"
                        + (f", floor {peaks['floor']:.0f} MB" if "floor" in peaks else ""),
            "ratio": f"{submit['real_peak_rss_mb'] / submit['bare_peak_rss_mb']:.1f}×",
            "target": "report", "ok": None})
        probe = submit.get("probe") or {}
        if probe.get("real") and probe.get("bare"):
            real, bare = probe["real"], probe["bare"]
            rows.append({
                "benchmark": f"Submit overload probe: {real['concurrency']} connections "
                             "(> the 40 pool threads)",
                "figure": f"{real['rps']:,.1f} req/s, {real['errors']} errors, "
                          f"p50 {_fmt_ms(real['p50_ms'])}",
                "baseline": f"bare {bare['rps']:,.0f} req/s, {bare['errors']} errors",
                "ratio": f"{real['rps'] / bare['rps']:.3f}×" if bare["rps"] else "—",
                "target": "report (no errors expected)", "ok": None})

    for backend, points in (results.get("scale") or {}).items():
        if isinstance(points, dict) and points.get("skipped"):
            rows.append({"benchmark": f"Dashboard + compare, {backend}", "figure": "skipped",
                         "baseline": points["skipped"], "ratio": "—", "target": "—", "ok": None})
            continue
        if not points:
            continue
        largest = points[-1]
        for point in points:
            at_target_size = point is largest
            label = _size_label(point["size"])
            valid = point["check"] == "ok"
            rows.append({
                "benchmark": f"Dashboard + compare, {backend}, {label} responses "
                             f"(build_dashboard, details=False)",
                "figure": _fmt_ms(point["app_ms"]) + ("" if valid else " (app and raw disagree!)"),
                "baseline": f"raw GROUP BY {_fmt_ms(point['raw_ms'])}",
                "ratio": f"{point['ratio']:.2f}×",
                "target": (f"≤ {SCALE_RATIO_TARGET}× (at 1M"
                           + ("; quick checks the largest size)" if quick else ")"))
                if at_target_size else "—",
                "ok": (valid and point["ratio"] <= SCALE_RATIO_TARGET) if at_target_size
                else (False if not valid else None)})
        if len(points) > 1:
            first = points[0]
            growth = largest["app_ms"] / first["app_ms"]
            raw_growth = largest["raw_ms"] / first["raw_ms"]
            span = f"{_size_label(first['size'])}→{_size_label(largest['size'])}"
            rows.append({
                "benchmark": f"Dashboard + compare, {backend}: growth of the app path {span}",
                "figure": f"{growth:,.1f}×", "baseline": f"raw GROUP BY grew {raw_growth:,.1f}×",
                "ratio": f"{growth / raw_growth:.2f}× of raw growth",
                "target": f"≤ {SCALE_GROWTH_TARGET:.0f}× (1k→1M)",
                "ok": growth <= SCALE_GROWTH_TARGET and all(p["check"] == "ok" for p in points)})

    for name, module in PLUGINS.items():
        if results.get(name):
            rows += importlib.import_module(module).rows(results[name], quick)

    lines = [f"# Kennisster benchmarks ({results['mode']})", "",
             f"Run {results['environment']['when']} on {results['environment']['cpus']} CPUs, "
             f"Python {results['environment']['python']}, SQLite {results['environment']['sqlite']}"
             + (f", PostgreSQL {results['environment'].get('postgresql')}"
                if results["environment"].get("postgresql") else "")
             + f"; load average at start {results['environment']['load_average_start'][0]:.1f}, "
               f"at end {results['environment'].get('load_average_end', (0,))[0]:.1f}. "
               f"Command: `{results['command']}`.", "",
             "| Benchmark | Figure | Baseline (same run) | Ratio | Target | Result |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['benchmark']} | {row['figure']} | {row['baseline']} | {row['ratio']} | "
                     f"{row['target']} | {_verdict(row['ok'])} |")
    lines += _detail_sections(results)
    return "\n".join(lines) + "\n", rows


def _submit_cpu_ms(submit: dict) -> dict[str, float]:
    """Server CPU per request of bare, real and floor (ms): the noise-robust cost."""
    out = {}
    for name in ("bare", "real", "floor"):
        runs = submit.get(name) or []
        rps = sum(r["rps"] for r in runs) / len(runs) if runs else 0.0
        cpu = sum(r["server_cpu_pct"] for r in runs) / len(runs) if runs else 0.0
        out[name] = cpu / 100 / rps * 1000 if rps else 0.0
    return out


def _detail_sections(results: dict) -> list[str]:
    out: list[str] = []
    submit = results.get("submit")
    if submit:
        out += ["", "## Submit", "",
                f"Settings: uvicorn `{submit['settings']['uvicorn']}` (fixed port each), "
                f"{submit['settings']['concurrency']} keep-alive connections, "
                f"{submit['settings']['warmup_s']:.0f} s warm-up + {submit['settings']['duration_s']:.0f} s "
                f"per server and round, {submit['settings']['rounds']} interleaved round(s); body "
                f"{submit['body_bytes']} bytes; load generator {submit['settings']['load_generator']}. "
                "Server CPU is the server process's CPU time over the run (100 % = one core); "
                "CPU per request is the noise-robust cost.", "",
                "| Server | req/s | ratio to floor | ratio to bare | p50 | p99 | errors | server CPU | "
                "CPU per request | peak RSS |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        variants = {"bare": submit["bare"], "floor": submit["floor"], "real": submit["real"]}
        variants.update({name: v["runs"] for name, v in submit.get("what_if", {}).items()})
        for name, runs in variants.items():
            rps = sum(r["rps"] for r in runs) / len(runs)
            cpu = sum(r["server_cpu_pct"] for r in runs) / len(runs)
            p50 = sorted(r["p50_ms"] for r in runs)[len(runs) // 2]
            p99 = max(r["p99_ms"] for r in runs)
            errors = sum(r["errors"] for r in runs)
            per_request = cpu / 100 / rps * 1000 if rps else 0.0
            label = name if name in ("bare", "real", "floor") else f"what-if: {name}"
            peak = (submit.get("peak_rss_mb") or {}).get(name)
            out.append(f"| {label} | {rps:,.1f} | {rps / submit['floor_rps']:.3f}× | "
                       f"{rps / submit['bare_rps']:.3f}× | {_fmt_ms(p50)} | "
                       f"{_fmt_ms(p99)} | {errors} | {cpu:.0f} % | {per_request:.2f} ms | "
                       + (f"{peak:.0f} MB |" if peak else "— |"))
        for name, lines in (submit.get("server_errors") or {}).items():
            out += ["", f"Errors logged by `{name}` (last {len(lines)}):", ""]
            out += [f"    {line[:300]}" for line in lines]
        out += ["", "`floor` (`bench.floor_app`) parses, scores and stores the same rows with sqlite3 "
                "in one BEGIN IMMEDIATE transaction and does nothing else (no token, no lookups, no "
                "release): roughly the fastest any storing endpoint can be here, and the target's "
                "baseline. `bare` (`bench.bare_app`) only parses the body: the web stack alone. "
                "Where the real server's time goes: `python -m bench.profile_submit` (py-spy)."]
        imported = submit.get("import_rss") or {}
        if imported:
            out += ["", f"Memory: a process that has only imported the app (`import api.asgi`) holds "
                    f"{imported['rss_mb']:.0f} MB; of the heavy libraries it loaded "
                    f"{', '.join(imported['loaded']) or 'none'}. The chart renderer (V8, started "
                    "by the warm-up thread) adds about 65 MB: compare `real` with the "
                    "`KENNISSTER_WARM_CHARTS=false` row."]
        stored = submit.get("stored", {})
        if stored:
            tallied = all("response_tally" in c for c in stored.values())
            out += ["", "Rows stored per server, response / answer / knob_score"
                    + (" / counted in response_tally / in knob_tally" if tallied else "")
                    + " (each import: 1 response, 30 answers, 5 knob scores): "
                    + "; ".join(f"{name}: " + " / ".join(f"{v:,}" for v in c.values())
                                for name, c in stored.items()) + "."]
    scale = results.get("scale") or {}
    measured = {b: p for b, p in scale.items() if isinstance(p, list) and p}
    if measured:
        out += ["", "## Dashboard and compare at scale", "",
                "App path: `build_dashboard(details=False)` in a fresh session (institution, units "
                "and roles with anonymity applied: what GET /rounds/{id}/scores and /compare "
                "compute). Raw: `SELECT unit_id, knob, count(*), sum(score), sum(score*score) FROM "
                "knob_score WHERE round_id=? GROUP BY unit_id, knob` plus the institution's GROUP BY "
                "knob, through sqlite3/psycopg. Median of the runs shown, interleaved, after a "
                "warm-up. Data: 1 institution, 40 practoraten (uneven sizes), 1 round, N responses "
                "and 5 knob scores each; `answer` rows are not generated (no score query reads "
                "them). PostgreSQL gets VACUUM ANALYZE after loading; SQLite gets no ANALYZE, as "
                "the app never runs it.", "",
                "| Backend | Responses | Knob scores | Generate | DB size | App | Raw | Ratio | Runs | "
                "Check (app = raw) |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for backend, points in measured.items():
            for p in points:
                out.append(
                    f"| {backend} | {p['size']:,} | {p['knob_scores']:,} | {p['generate_s']:.1f} s | "
                    f"{p['db_size_mb']:,.1f} MB | {_fmt_ms(p['app_ms'])} | {_fmt_ms(p['raw_ms'])} | "
                    f"{p['ratio']:.2f}× | {p['runs']} | {p['check']} |")
        tallies = sorted({t for points in measured.values() for p in points for t in p.get("tallies", [])})
        if tallies:
            out += ["", f"The schema keeps running tallies ({', '.join(tallies)}); the generator "
                    "fills them from the generated rows with the GROUP BY of their migration's "
                    "backfill (included in the generate time), which is what record_response "
                    "would have added one response at a time."]
        out += ["", "### Where the app path's time goes (largest size; each statement replayed "
                "alone through the driver, fetch included)", ""]
        for backend, points in measured.items():
            p = points[-1]
            out += [f"{backend}, {p['size']:,} responses — app {_fmt_ms(p['app_ms'])}, of which SQL "
                    f"{_fmt_ms(p['app_sql_ms'])}:", "", "| ms | statement |", "|---|---|"]
            for q in sorted(p["app_queries"], key=lambda q: -q["ms"]):
                out.append(f"| {q['ms']:,.1f} | `{q['sql']}` |")
            out.append("")
    charts = results.get("charts")
    if charts:
        out += ["", "## Charts", "",
                f"Median {_fmt_ms(charts['median_ms'])}, p90 {_fmt_ms(charts['p90_ms'])}, max "
                f"{_fmt_ms(charts['max_ms'])} over {charts['runs']} calls; of the median, building the "
                f"Altair spec alone takes {_fmt_ms(charts['spec_only_median_ms'])} and rendering a "
                f"ready spec {_fmt_ms(charts['render_only_median_ms'])}; CPU time per call "
                f"{_fmt_ms(charts['cpu_median_ms'])}. SVG {charts['svg_bytes']:,} bytes. Cold render "
                f"(V8 start) {_fmt_ms(charts['cold_ms'])}."]
    report = results.get("report")
    if report:
        out += ["", "## PDF report", "",
                f"Demo data (`api.setup.demo`), SQLite, in-process app, the demo board member "
                f"logged in. Report {_fmt_ms(report['median_ms'])} (median of {report['runs']}, "
                f"interleaved with the dashboard page, {_fmt_ms(report['page_median_ms'])}); the "
                f"first report in the process {_fmt_ms(report['cold_ms'])}. Of a report: "
                f"build_dashboard {_fmt_ms(report['dashboard_median_ms'])}, texts, numbers and "
                f"nine charts to SVG {_fmt_ms(report['document_median_ms'])}, the Typst compiler "
                f"{_fmt_ms(report['typst_median_ms'])}. PDF {report['pdf_bytes']:,} bytes, "
                f"{report['pages']} pages."]
    for name, module in PLUGINS.items():
        if results.get(name):
            out += importlib.import_module(module).details(results[name])
    if results.get("notes"):
        out += ["", "## Notes", ""] + [f"- {note}" for note in results["notes"]]
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    from bench.common import isolate_settings, make_tempdir, pg_available

    scratch = make_tempdir("kennisster-bench-")
    isolate_settings(scratch)  # before anything builds Settings()
    mode = "quick" if args.quick else "full"
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else [1_000, 10_000] if args.quick else [1_000, 100_000, 1_000_000])
    duration = args.duration or (3.0 if args.quick else 10.0)
    rounds = args.rounds or (1 if args.quick else 2)
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    out_base = Path(args.out) if args.out else BENCH_DIR / ("results-quick" if args.quick else "results")
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    results: dict = {"mode": mode, "command": command.strip(), "environment": _environment(),
                     "notes": [], "sizes": sizes}
    started = time.perf_counter()

    def log(message: str) -> None:
        print(message, flush=True)

    try:
        if "charts" in parts:
            log("Charts …")
            from bench.chart_bench import run_charts

            results["charts"] = run_charts().as_dict()
            c = results["charts"]
            log(f"  cold {c['cold_ms']:.0f} ms, median {c['median_ms']:.1f} ms "
                f"(spec {c['spec_only_median_ms']:.1f} ms, render {c['render_only_median_ms']:.1f} ms)")
        if "report" in parts:
            log("PDF report …")
            from bench.report_bench import run_report

            report_dir = scratch / "report"
            report_dir.mkdir()
            results["report"] = run_report(report_dir, runs=5 if args.quick else 20).as_dict()
            r = results["report"]
            log(f"  report {r['median_ms']:.0f} ms, dashboard page {r['page_median_ms']:.0f} ms "
                f"(typst {r['typst_median_ms']:.0f} ms)")
        if "submit" in parts:
            log(f"Submit ({duration:.0f} s per server and round, {rounds} round(s), "
                f"{args.concurrency} connections) …")
            from bench.submit import run_submit

            submit = run_submit(duration_s=duration, warmup_s=1.0 if args.quick else 2.0,
                                concurrency=args.concurrency, rounds=rounds, what_if=args.what_if,
                                probe_concurrency=0 if args.quick else 64, log=log)
            results["submit"] = submit.__dict__
        if "scale" in parts:
            from bench.scale import measure_point

            results["scale"] = {}
            for backend in backends:
                if backend == "postgresql":
                    reason = pg_available()
                    if reason:
                        results["scale"][backend] = {"skipped": f"PostgreSQL not reachable ({reason})"}
                        results["notes"].append(
                            "PostgreSQL was skipped: start it with `pg_ctlcluster --skip-systemctl-"
                            "redirect $(ls /etc/postgresql) main start` or set BENCH_PG_URL.")
                        log(f"PostgreSQL skipped: {reason}")
                        continue
                    results["environment"]["postgresql"] = _pg_version()
                log(f"Scale on {backend}: {', '.join(f'{s:,}' for s in sizes)} responses …")
                results["scale"][backend] = [
                    measure_point(backend, size, log=log).as_dict()
                    for size in sizes]
        for name, module in PLUGINS.items():
            if name in parts:
                log(f"{name} …")
                try:  # one benchmark that breaks must not lose what the others measured
                    results[name] = importlib.import_module(module).run(args, scratch, log)
                except Exception as exc:  # noqa: BLE001 (reported in the notes, run goes on)
                    log(f"  {name} failed: {exc!r}")
                    results["notes"].append(f"The `{name}` benchmark failed: {exc!r}.")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    results["environment"]["load_average_end"] = os.getloadavg()
    results["environment"]["seconds"] = round(time.perf_counter() - started, 1)
    results["notes"] += [
        "Ratios compare figures measured in the same run, interleaved where possible; absolute "
        "numbers move with the machine's load (see the load averages above).",
        "The submit floor (bench/floor_app.py) is a baseline, not the app: it stores the same rows "
        "with sqlite3 and checks nothing.",
    ]
    report, rows = build_report(results)
    results["table"] = rows
    out_base.parent.mkdir(parents=True, exist_ok=True)
    out_base.with_suffix(".md").write_text(report)
    out_base.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(report)
    print(f"Written to {out_base.with_suffix('.md')} and {out_base.with_suffix('.json')} "
          f"({results['environment']['seconds']:.0f} s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
