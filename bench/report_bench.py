"""PDF report benchmark: time to download the demo's report, against the dashboard page.

The demo institution (`api.setup.demo`, six practoraten, two rounds, ~150 responses) is loaded
into a fresh, migrated SQLite database; the demo board member logs in through the real login
form of an in-process app. Each run asks, interleaved, for the dashboard page of the latest
round (the baseline: the same `build_dashboard`, three charts and a template) and for its
report (`GET /dashboard/{slug}/rounds/{id}/report.pdf`: `build_dashboard`, nine charts and the
Typst compiler). The report's time is also split into its parts, to say which one to speed up.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class ReportResult:
    runs: int = 0
    pages: int = 0
    pdf_bytes: int = 0
    cold_ms: float = 0.0  # the first report in the process (V8 and chart templates start)
    median_ms: float = 0.0  # GET report.pdf, warm
    page_median_ms: float = 0.0  # GET the dashboard page, warm (the baseline)
    dashboard_median_ms: float = 0.0  # build_dashboard alone
    document_median_ms: float = 0.0  # report_document: texts, numbers, nine charts to SVG
    typst_median_ms: float = 0.0  # the Typst compiler alone
    samples_ms: list[float] = field(default_factory=list)
    page_samples_ms: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.median_ms / self.page_median_ms if self.page_median_ms else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


def run_report(scratch: Path, *, runs: int = 10) -> ReportResult:
    import io
    import json

    import typst
    from fastapi.testclient import TestClient
    from pypdf import PdfReader
    from sqlmodel import select

    from api.main import create_app
    from api.platform.db import session_scope
    from api.platform.models import Institution
    from api.platform.questionnaires import load_catalog
    from api.platform.settings import ROOT, Settings
    from api.results.dashboard import build_dashboard
    from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_INSTITUTION, DEMO_PASSWORD, load_demo
    from bench.common import BENCH_SECRET, migrate
    from tests.builders import web_login
    from web.report import pdf

    url = f"sqlite:///{scratch / 'report-bench.db'}"
    migrate(url)
    # the drawing itself, every time: bench/pages.py measures the release's cache
    settings = Settings(environment="development", database_url=url, data_dir=scratch,
                        secret_key=BENCH_SECRET, anonymity_k=5, base_url="http://testserver",
                        render_cache=False)
    app = create_app(settings, warm_charts=False)
    catalog = load_catalog(ROOT / "questionnaires")
    engine = app.state.engine
    with session_scope(engine, write=True) as session:
        load_demo(session=session, catalog=catalog, secret_key=BENCH_SECRET, default_k=5)
    with session_scope(engine) as session:
        institution = session.exec(select(Institution).where(
            Institution.name == DEMO_INSTITUTION)).one()

    def dashboard():
        with session_scope(engine) as session:
            return build_dashboard(session=session, catalog=catalog, institution=institution,
                                   round_id=None, default_k=5, lang="nl")

    result = ReportResult(runs=runs)
    try:
        with TestClient(app) as client:
            web_login(client, DEMO_BOARD_EMAIL, DEMO_PASSWORD)
            round_id = dashboard().round.id
            page_url = f"/dashboard/{institution.slug}?round={round_id}"
            report_url = f"/dashboard/{institution.slug}/rounds/{round_id}/report.pdf"
            result.cold_ms, response = _timed(lambda: client.get(report_url))
            assert response.status_code == 200, response.text
            result.pdf_bytes = len(response.content)
            result.pages = len(PdfReader(io.BytesIO(response.content)).pages)
            client.get(page_url)
            for _ in range(runs):  # interleaved, so machine load falls on both alike
                ms, response = _timed(lambda: client.get(page_url))
                assert response.status_code == 200
                result.page_samples_ms.append(ms)
                ms, response = _timed(lambda: client.get(report_url))
                assert response.status_code == 200
                result.samples_ms.append(ms)
        parts = {"dashboard": [], "document": [], "typst": []}
        for _ in range(runs):
            ms, dash = _timed(dashboard)
            parts["dashboard"].append(ms)
            ms, document = _timed(lambda dash=dash: pdf.report_document(dash, "nl"))
            parts["document"].append(ms)
            data = json.dumps(document, ensure_ascii=False)
            ms, _ = _timed(lambda data=data: typst.compile(
                str(pdf.TEMPLATE), format="pdf", root=str(pdf.TEMPLATE.parent),
                sys_inputs={"data": data}, ignore_system_fonts=True))
            parts["typst"].append(ms)
    finally:
        engine.dispose()
    result.median_ms = statistics.median(result.samples_ms)
    result.page_median_ms = statistics.median(result.page_samples_ms)
    result.dashboard_median_ms = statistics.median(parts["dashboard"])
    result.document_median_ms = statistics.median(parts["document"])
    result.typst_median_ms = statistics.median(parts["typst"])
    return result
