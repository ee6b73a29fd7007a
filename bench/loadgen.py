"""A small closed-loop HTTP/1.1 load generator on asyncio streams, for loopback benchmarks.

`concurrency` keep-alive connections each send the same pre-encoded request, wait for the whole
answer, and send the next one. A warm-up phase runs first and is not counted. Both endpoints of a
comparison are driven by this same code with the same settings, so its own cost cancels out of
the ratio. It needs nothing beyond the standard library (no wrk, no extra packages).
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import time
from dataclasses import asdict, dataclass, field


@dataclass
class LoadResult:
    url: str
    concurrency: int
    duration_s: float
    requests: int
    errors: int
    status: dict[str, int] = field(default_factory=dict)
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    client_cpu_pct: float = 0.0
    first_error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def build_request(method: str, host: str, port: int, path: str, body: bytes = b"",
                  headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive",
             "Accept: */*"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, rest = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body.extend(chunk[:-2])
        return status, bytes(body)
    return status, await reader.readexactly(length or 0)


async def _run(host: str, port: int, request: bytes, concurrency: int, warmup_s: float,
               duration_s: float, ok_status: frozenset[int]) -> LoadResult:
    latencies: list[float] = []
    status_counts: dict[str, int] = {}
    errors = 0
    first_error = ""
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s

    async def worker() -> None:
        nonlocal errors, first_error
        reader = writer = None
        while True:
            now = loop.time()
            if now >= stop_at:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                sent = time.perf_counter()
                writer.write(request)
                status, body = await _read_response(reader)
                elapsed = time.perf_counter() - sent
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                if loop.time() >= measure_from:
                    errors += 1
                    first_error = first_error or f"{type(exc).__name__}: {exc}"
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
                continue
            if now < measure_from:
                continue
            latencies.append(elapsed)
            key = str(status)
            status_counts[key] = status_counts.get(key, 0) + 1
            if status not in ok_status:
                errors += 1
                first_error = first_error or f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}"
        if writer is not None:
            writer.close()

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # requests that started inside the window count; the window is the configured duration
    done = len(latencies)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    wall = loop.time() - start
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    ok = sum(v for k, v in status_counts.items() if int(k) in ok_status)
    return LoadResult(
        url=f"http://{host}:{port}", concurrency=concurrency, duration_s=duration_s,
        requests=done, errors=errors, status=status_counts, rps=ok / duration_s,
        p50_ms=quantiles[49] * 1000, p90_ms=quantiles[89] * 1000, p99_ms=quantiles[98] * 1000,
        client_cpu_pct=100 * cpu / wall if wall else 0.0, first_error=first_error)


def run_load(*, host: str, port: int, request: bytes, concurrency: int = 16, warmup_s: float = 2.0,
             duration_s: float = 10.0, ok_status: frozenset[int] = frozenset({200, 201})) -> LoadResult:
    """Drive `request` at host:port for warm-up + duration seconds; counts only the duration."""
    return asyncio.run(_run(host, port, request, concurrency, warmup_s, duration_s, ok_status))


if __name__ == "__main__":  # a quick manual check: python -m bench.loadgen 127.0.0.1 8000 /
    import sys

    target_host, target_port, target_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    result = run_load(host=target_host, port=target_port,
                      request=build_request("GET", target_host, target_port, target_path),
                      duration_s=3, warmup_s=1)
    print(json.dumps(result.as_dict(), indent=2))
