"""Metric recording cost, side by side: the SDK's measurement path and the lean one.

Two parts, each alternating the paths round by round (machine noise spreads over both):

1. **Per point** — one declared instrument call, as the service makes it, on a meter provider
   built by `build_meter_provider` exactly as `configure()` builds it (our views, exemplar
   filter, cardinality limits) with local mode's readers: the OTLP/JSON file reader
   (`--readers 1`, what the service has with the Prometheus endpoint off) or that and the
   Prometheus reader (`--readers 2`). Cases: a counter add with one attribute; the HTTP
   duration histogram with its six attributes; both again inside a sampled span (trace-based
   exemplars); and a reference-service request's nine points inside a sampled span
   (`AuraStreamMetrics` + the HTTP server recorder's two instruments).
2. **Per request** (`--requests N`, 0 to skip) — the reference service's ASGI app driven in
   process (`POST /v1/analyze`, 200 distinct texts, 3 customers, every request sampled, local
   mode: spans and JSON lines as configured), its meter provider being the plain SDK's, the
   lean one, or a no-op one (metrics off): what a request costs with each.

Times are the recording thread's CPU time (`time.thread_time`), which the other processes of a
shared 2-core machine disturb less than wall time; the export threads are idle (a 60 s
interval), as they are between two exports. Figures are medians over the rounds, and the
ratio is lean / SDK of the same round's medians.

    .venv/bin/python bench/metric_points.py [--rounds 7] [--calls 20000] [--readers 1]
        [--requests 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PATHS = ("stock", "lean")
HTTP = {
    "http.request.method": "POST",
    "url.scheme": "http",
    "network.protocol.version": "1.1",
    "http.route": "/v1/analyze",
    "http.response.status_code": 200,
}
HIT = {"aurastream.cache.hit": True}


def _provider(path: str, readers: int, folder: str) -> Any:
    from opentelemetry.sdk.resources import Resource

    from aurastream_obs.core.drops import DropCounter
    from aurastream_obs.core.settings import Settings
    from aurastream_obs.modes.local.files import build_local_exporters
    from aurastream_obs.modes.local.prometheus import start_prometheus_endpoint
    from aurastream_obs.sdk.metric_reader import PeriodicMetricReader
    from aurastream_obs.sdk.metrics import build_meter_provider

    exporter = build_local_exporters(Path(folder, path))[1]
    made: list[Any] = [PeriodicMetricReader(exporter, interval_s=60.0, drops=DropCounter())]
    if readers > 1:
        made.append(start_prometheus_endpoint("127.0.0.1", 0)[0])
    settings = replace(Settings(), sdk_path=path)  # type: ignore[arg-type]
    return build_meter_provider(Resource.create({"service.name": "bench"}), made, settings=settings)


def _cases(provider: Any) -> dict[str, tuple[Callable[[], None], int]]:
    """name -> (one call, points it records)."""
    from opentelemetry.sdk.trace import TracerProvider

    from aurastream_obs.core import conventions as c
    from aurastream_obs.http_server import HttpServerRecorder
    from aurastream_obs.signals import AuraStreamMetrics

    meter = provider.get_meter("aurastream_obs", "bench")
    counter = meter.create_counter(c.CACHE_LOOKUPS.name, unit=c.CACHE_LOOKUPS.unit)
    recorder = HttpServerRecorder(meter_provider=provider)
    duration = recorder._duration
    customers = recorder._customer_requests
    metrics = AuraStreamMetrics(meter)
    span = TracerProvider().get_tracer("bench").start_span("request")

    def request() -> None:
        metrics.record_cache_lookup(False)
        metrics.record_sentiment_analysis("POSITIVE", 0.93, 0.012, "vader")
        metrics.record_customer_activity("acme-corp", "analysis")
        metrics.record_revenue("acme-corp", 0.001, 1)
        duration.record(0.0123, HTTP)
        customers.add(
            1, {"aurastream.customer.id": "acme-corp", "aurastream.request.failed": False}
        )

    def in_span(fn: Callable[[], None]) -> Callable[[], None]:
        from opentelemetry import context, trace

        ctx = trace.set_span_in_context(span)

        def call() -> None:
            token = context.attach(ctx)
            try:
                fn()
            finally:
                context.detach(token)

        return call

    return {
        "counter.add (1 attribute)": (lambda: counter.add(1, HIT), 1),
        "histogram.record (6 attributes)": (lambda: duration.record(0.0123, HTTP), 1),
        "counter.add, sampled span": (in_span(lambda: counter.add(1, HIT)), 1),
        "histogram.record, sampled span": (in_span(lambda: duration.record(0.0123, HTTP)), 1),
        "a request's 9 points, sampled span": (in_span(request), 9),
        "(span attach/detach alone)": (in_span(lambda: None), 1),
    }


def _time(fn: Callable[[], None], calls: int) -> float:
    """Thread CPU µs per call, `calls` calls (after a warm-up)."""
    for _ in range(min(calls, 2000)):
        fn()
    start = time.thread_time()
    for _ in range(calls):
        fn()
    return (time.thread_time() - start) / calls * 1e6


def per_point(rounds: int, calls: int, readers: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        providers = {path: _provider(path, readers, folder) for path in PATHS}
        cases = {path: _cases(p) for path, p in providers.items()}
        for index in range(rounds):
            for path in PATHS if index % 2 == 0 else reversed(PATHS):
                for name, (fn, points) in cases[path].items():
                    per_call = _time(fn, calls)
                    results.setdefault(name, {}).setdefault(path, []).append(per_call / points)
        for provider in providers.values():
            provider.shutdown()
    span_cost = results.pop("(span attach/detach alone)")
    for name, by_path in results.items():  # the span's attach/detach is not a metric cost
        if "sampled span" in name:
            points = 9 if "9 points" in name else 1
            for path, values in by_path.items():
                values[:] = [v - s / points for v, s in zip(values, span_cost[path], strict=True)]
    return results


# --- per request: the reference service in process -------------------------------------------


def _child(requests: int, rounds: int, out: str) -> None:
    """Runs with stdout on /dev/null (the service's JSON lines)."""
    os.environ.update(
        AURASTREAM_TELEMETRY_MODE="local",
        AURASTREAM_TELEMETRY_DIR=tempfile.mkdtemp(),
        AURASTREAM_PROMETHEUS_PORT="0",
        OTEL_TRACES_SAMPLER="always_on",
        AURASTREAM_API_KEYS="k-acme=acme-corp,k-globex=globex,k-initech=initech",
    )
    os.environ.pop("AURASTREAM_API_KEYS_FILE", None)
    from opentelemetry.metrics import NoOpMeterProvider

    import aurastream_obs
    from aurastream_obs.service.app import create_app

    telemetry = aurastream_obs.configure("aurastream-api")
    folder = os.environ["AURASTREAM_TELEMETRY_DIR"]
    apps = {
        "off": create_app(meter_provider=NoOpMeterProvider()),  # type: ignore[arg-type]
        **{path: create_app(meter_provider=_provider(path, 1, folder)) for path in PATHS},
    }
    bodies = [
        json.dumps({"text": f"review {i}: the product is great and support was helpful"}).encode()
        for i in range(200)
    ]
    keys = [b"k-acme", b"k-globex", b"k-initech"]

    async def drive(app: Any, n: int) -> None:
        for i in range(n):
            body = bodies[i % len(bodies)]
            scope = {
                "type": "http", "http_version": "1.1", "method": "POST", "scheme": "http",
                "path": "/v1/analyze", "raw_path": b"/v1/analyze", "query_string": b"",
                "headers": [(b"content-type", b"application/json"),
                            (b"x-api-key", keys[i % 3]), (b"user-agent", b"bench")],
                "client": ("203.0.113.7", 40000), "server": ("127.0.0.1", 8000),
            }  # fmt: skip
            pending = [{"type": "http.request", "body": body, "more_body": False}]

            async def receive(pending: list[Any] = pending) -> Any:
                return pending.pop() if pending else {"type": "http.disconnect"}

            async def send(message: Any) -> None:
                return None

            await app(scope, receive, send)

    results: dict[str, list[float]] = {}
    for app in apps.values():  # warm-up: caches filled, code paths hot
        asyncio.run(drive(app, 600))
    for index in range(rounds):
        order = list(apps) if index % 2 == 0 else list(reversed(apps))
        for name in order:
            start = time.thread_time()
            asyncio.run(drive(apps[name], requests))
            results.setdefault(name, []).append((time.thread_time() - start) / requests * 1e6)
            telemetry.force_flush(10_000)  # the queues drained between rounds
    telemetry.shutdown(10_000)
    Path(out).write_text(json.dumps(results))


def per_request(requests: int, rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder, "result.json"))
        subprocess.run(
            [sys.executable, __file__, "--child", out, "--requests", str(requests),
             "--rounds", str(rounds)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        result: dict[str, list[float]] = json.loads(Path(out).read_text())
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--readers", type=int, default=1, choices=(1, 2))
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.requests, args.rounds, args.child)
        return 0
    points = per_point(args.rounds, args.calls, args.readers)
    print(f"Per point ({args.readers} reader(s), {args.rounds} rounds x {args.calls} calls, "
          "thread CPU µs, median):\n")  # fmt: skip
    print("| call | SDK path µs | lean µs | lean / SDK |")
    print("|---|---:|---:|---:|")
    for name, by_path in points.items():
        stock, lean = (statistics.median(by_path[p]) for p in PATHS)
        print(f"| {name} | {stock:.2f} | {lean:.2f} | {lean / stock:.2f} |")
    if args.requests:
        req = per_request(args.requests, args.rounds)
        off = statistics.median(req["off"])
        print(f"\nPer request, reference service in process ({args.rounds} rounds x "
              f"{args.requests} requests, thread CPU µs, median):\n")  # fmt: skip
        print("| metrics | µs/request | metrics' share µs |")
        print("|---|---:|---:|")
        for name, label in (("off", "off (no-op provider)"), ("stock", "SDK path"),
                            ("lean", "lean path")):  # fmt: skip
            value = statistics.median(req[name])
            print(f"| {label} | {value:.1f} | {value - off:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
