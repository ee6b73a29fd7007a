"""Chart benchmark: time to build a radar chart spec and render it to SVG on the server.

The chart is the dashboard's star as a board sees it: five knobs with their English names, the
band thresholds as dashed rings, and three series (the institution, its previous round and one
practoraat). The baseline is the first, cold render in this process (it starts V8); the figure is
the median of `runs` warm calls of `render_svg(radar_spec(...))`.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field


@dataclass
class ChartResult:
    cold_ms: float = 0.0
    median_ms: float = 0.0
    p90_ms: float = 0.0
    max_ms: float = 0.0
    spec_only_median_ms: float = 0.0
    render_only_median_ms: float = 0.0
    cpu_median_ms: float = 0.0
    runs: int = 0
    svg_bytes: int = 0
    samples_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _spec_inputs():
    from api.platform.questionnaires import load_catalog
    from api.platform.settings import ROOT
    from web.charts import Series

    q = load_catalog(ROOT / "questionnaires").require("galbraith-star", "1.0")
    knobs = [(knob.key, knob.name.get("en")) for knob in q.knobs]
    thresholds = [(band.min, band.name.get("en")) for band in q.bands[1:]]
    keys = [key for key, _ in knobs]
    series = [
        Series("Hogeschool Benchmark · Meting najaar 2026", dict(zip(keys, [3.1, 3.6, 2.9, 2.4, 3.8],
                                                                     strict=True))),
        Series("Hogeschool Benchmark · Nulmeting voorjaar 2026",
               dict(zip(keys, [2.8, 3.5, 2.7, 2.2, 3.6], strict=True))),
        Series("Practoraat Zorg en Welzijn", dict(zip(keys, [2.2, 3.0, 3.1, 3.4, 4.3], strict=True))),
    ]
    return series, knobs, thresholds, q.scale.min, q.scale.max


def run_charts(*, runs: int = 50, warmup: int = 5) -> ChartResult:
    from web.charts import radar_spec, render_svg

    series, knobs, thresholds, lo, hi = _spec_inputs()

    def once() -> str:
        return render_svg(radar_spec(series, knobs=knobs, scale_min=lo, scale_max=hi,
                                     thresholds=thresholds))

    result = ChartResult(runs=runs)
    started = time.perf_counter()
    svg = once()
    result.cold_ms = (time.perf_counter() - started) * 1000
    result.svg_bytes = len(svg)
    for _ in range(warmup):
        once()
    cpu = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        once()
        result.samples_ms.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    spec_only, render_only = [], []
    for _ in range(runs):  # the two halves apart, to say which one to speed up
        started = time.perf_counter()
        spec = radar_spec(series, knobs=knobs, scale_min=lo, scale_max=hi, thresholds=thresholds)
        spec_only.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        render_svg(spec)
        render_only.append((time.perf_counter() - started) * 1000)
    ordered = sorted(result.samples_ms)
    result.median_ms = statistics.median(ordered)
    result.p90_ms = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    result.max_ms = ordered[-1]
    result.spec_only_median_ms = statistics.median(spec_only)
    result.render_only_median_ms = statistics.median(render_only)
    result.cpu_median_ms = statistics.median(cpu)
    return result
