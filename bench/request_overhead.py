"""Per-request telemetry overhead, side by side: none, plain OTel SDK, aurastream_obs.

One "request" = 2 spans (one with 5 attributes), 3 metric points, 1 log line, all exported
over OTLP/HTTP (http/protobuf) to a counting receiver in another process. Each side runs with
its defaults (the plain SDK uncompressed, ours gzip: the headline ratio), plus the plain SDK
told to gzip like us (`otel_sdk_gzip`); queues on both sides are large enough that everything
is delivered (the SDK's default 2,048 drops in a tight loop). Every config runs
in its own subprocess (OTel globals are set-once), rounds alternate configs to spread machine
noise, and a figure counts only if the receiver got every span and log record. Beside the wall
time, the CPU time of the worker process (all its threads, exports included) is reported: on a
shared 2-core machine it moves less with other processes' load than wall time does.

    .venv/bin/python bench/request_overhead.py [--requests 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONFIGS = (
    "none",
    "otel_sdk",
    "otel_sdk_gzip",
    "aurastream_otlp",
    "aurastream_otlp_nostdout",
    "aurastream_local",
)
# The headline compares defaults with defaults: the plain SDK sends uncompressed by default,
# we send gzip. `otel_sdk_gzip` (the SDK told to compress like us) is the second anchor.
BASELINE = "otel_sdk"
GZIP_BASELINE = "otel_sdk_gzip"
QUEUE = 131072  # big enough that nothing is dropped: a faster-because-lossy figure is void


def _plain_otel(endpoint: str, gzip: bool) -> tuple[Any, Any, logging.Logger, Any]:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    gz = Compression.Gzip if gzip else Compression.NoCompression  # the SDK's default: none
    resource = Resource.create({"service.name": "bench"})
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", compression=gz),
            max_queue_size=QUEUE,
        )
    )
    mp = MeterProvider(
        [
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", compression=gz),
                export_interval_millis=10000,
            )
        ],
        resource=resource,
    )
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(
        BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", compression=gz),
            max_queue_size=QUEUE,
        )
    )
    logger = logging.getLogger("bench")
    logger.addHandler(LoggingHandler(logger_provider=lp))

    def flush() -> None:
        tp.force_flush()
        lp.force_flush()
        mp.force_flush()

    return tp.get_tracer("bench"), mp.get_meter("bench"), logger, flush


def _aurastream(endpoint: str, mode: str, stdout: bool) -> tuple[Any, Any, logging.Logger, Any]:
    from aurastream_obs.bootstrap import build_telemetry
    from aurastream_obs.core.settings import resolve_settings

    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "AURASTREAM_TELEMETRY_DIR": os.environ["BENCH_TELEMETRY_DIR"],
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "AURASTREAM_LOG_STDOUT": "true" if stdout else "false",
        "AURASTREAM_MAX_QUEUE_SIZE": str(QUEUE),
        "OTEL_SERVICE_NAME": "bench",
        # Same sampling as the plain SDK (everything): a sampled-out span costs less to export.
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
    }
    telemetry = build_telemetry(resolve_settings(mode=mode, env=env))
    logger = logging.getLogger("bench")
    assert telemetry.log_handler is not None
    logger.addHandler(telemetry.log_handler)
    assert telemetry.tracer_provider is not None and telemetry.meter_provider is not None
    return (
        telemetry.tracer_provider.get_tracer("bench"),
        telemetry.meter_provider.get_meter("bench"),
        logger,
        lambda: telemetry.force_flush(60000),
    )


def worker(config: str, endpoint: str, requests: int) -> dict[str, Any]:
    """Run one config in this process and return its timings."""
    logger: logging.Logger
    if config == "none":
        tracer = meter = None
        logger = logging.getLogger("bench")
        flush: Any = lambda: None  # noqa: E731
    elif config in (BASELINE, GZIP_BASELINE):
        tracer, meter, logger, flush = _plain_otel(endpoint, gzip=config == GZIP_BASELINE)
    elif config == "aurastream_local":
        tracer, meter, logger, flush = _aurastream(endpoint, "local", True)
    else:
        tracer, meter, logger, flush = _aurastream(endpoint, "otlp", config == "aurastream_otlp")
    logger.setLevel(logging.INFO)
    logger.propagate = False

    if tracer is None:

        def one(i: int) -> None:
            return None

    else:
        from opentelemetry.trace import SpanKind

        analyses = meter.create_counter("aurastream.sentiment.analyses")
        duration = meter.create_histogram("aurastream.sentiment.duration", unit="s")
        lookups = meter.create_counter("aurastream.cache.lookups")
        positive = {"sentiment": "POSITIVE"}
        hit = {"aurastream.cache.hit": True}
        server = SpanKind.SERVER
        start = tracer.start_as_current_span
        info = logger.info

        def one(i: int) -> None:
            with start("POST /v1/analyze", kind=server) as span:
                span.set_attributes(
                    {
                        "http.request.method": "POST",
                        "http.route": "/v1/analyze",
                        "http.response.status_code": 200,
                        "url.scheme": "http",
                        "aurastream.customer.tier": "pro",
                    }
                )
                with start("sentiment.analyze"):
                    pass
                analyses.add(1, positive)
                duration.record(0.012, positive)
                lookups.add(1, hit)
                info("analysis done", extra={"request_id": i, "cache_hit": True})

    for i in range(200):  # warm-up outside the timing
        one(i)
    flush()
    c0 = time.process_time()  # CPU of every thread of this process: steadier under noise
    t0 = time.perf_counter()
    for i in range(requests):
        one(i)
    t1 = time.perf_counter()
    flush()
    t2 = time.perf_counter()
    c2 = time.process_time()
    return {
        "config": config,
        "loop_us": (t1 - t0) / requests * 1e6,
        "total_us": (t2 - t0) / requests * 1e6,
        "cpu_us": (c2 - c0) / requests * 1e6,
        "expected_spans": 0 if tracer is None else 2 * (requests + 200),
        "expected_logs": 0 if tracer is None else requests + 200,
    }


def _stats(endpoint: str, path: str = "/stats", method: str = "GET") -> dict[str, Any]:
    req = urllib.request.Request(
        endpoint + path, method=method, data=b"" if method == "POST" else None
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body) if body else {}


def _file_counts(folder: str) -> dict[str, int]:
    """Spans and log records written by local mode (one OTLP/JSON request per line)."""
    counts = {"spans": 0, "logs": 0}
    for name, key, outer, inner, items in (
        ("traces.jsonl", "spans", "resourceSpans", "scopeSpans", "spans"),
        ("logs.jsonl", "logs", "resourceLogs", "scopeLogs", "logRecords"),
    ):
        path = Path(folder, name)
        if path.exists():
            for line in path.read_text().splitlines():
                for res in json.loads(line).get(outer, []):
                    for scope in res.get(inner, []):
                        counts[key] += len(scope.get(items, []))
    return counts


def _wait_delivered(endpoint: str, spans: int, logs: int, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    stats = _stats(endpoint)
    while time.monotonic() < deadline and (stats["spans"] < spans or stats["logs"] < logs):
        time.sleep(0.2)
        stats = _stats(endpoint)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print raw results as JSON")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.endpoint, args.requests)))
        return 0

    sink = subprocess.Popen(
        [sys.executable, str(HERE / "otlp_sink.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sink.stdout is not None
        endpoint = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        configs = [c for c in args.configs.split(",") if c]
        results: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
        for rnd in range(args.rounds):
            order = configs if rnd % 2 == 0 else list(reversed(configs))
            for config in order:
                _stats(endpoint, "/reset", "POST")
                folder = tempfile.mkdtemp(prefix="bench-telemetry-")
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        config,
                        "--endpoint",
                        endpoint,
                        "--requests",
                        str(args.requests),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "BENCH_TELEMETRY_DIR": folder},
                )
                run = json.loads(out.stdout.strip().splitlines()[-1])
                if config == "aurastream_local":
                    got = _file_counts(folder)
                else:
                    got = _wait_delivered(endpoint, run["expected_spans"], run["expected_logs"])
                shutil.rmtree(folder, ignore_errors=True)
                run["delivered_spans"], run["delivered_logs"] = got["spans"], got["logs"]
                run["complete"] = (
                    got["spans"] >= run["expected_spans"] and got["logs"] >= run["expected_logs"]
                )
                results[config].append(run)
                print(
                    f"round {rnd + 1} {config:26s} {run['total_us']:8.1f} us/request "
                    f"(spans {got['spans']}/{run['expected_spans']}, "
                    f"logs {got['logs']}/{run['expected_logs']})",
                    file=sys.stderr,
                )
    finally:
        sink.terminate()
        sink.wait(5)
    _report(results, args)
    return 0 if all(r["complete"] for runs in results.values() for r in runs) else 1


def _median(runs: list[dict[str, Any]] | None, key: str) -> float | None:
    return statistics.median(r[key] for r in runs) if runs else None


def _report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(results, indent=2))
        return
    base = _median(results.get(BASELINE), "total_us")
    base_gzip = _median(results.get(GZIP_BASELINE), "total_us")
    base_cpu = _median(results.get(BASELINE), "cpu_us")
    print(
        f"\n{args.requests} requests x {args.rounds} rounds; median per request "
        "(loop + final flush; CPU = all threads of the worker process), everything delivered."
        "\nRatios to the plain SDK with its defaults (uncompressed), and to the plain SDK told "
        "to gzip like us:\n"
    )
    print(
        "| config | µs/request | loop only µs | ratio to plain SDK (defaults) | ratio to plain "
        "SDK (gzip) | CPU µs/request (ratio) | all delivered |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for config, runs in results.items():
        total = statistics.median(r["total_us"] for r in runs)
        loop = statistics.median(r["loop_us"] for r in runs)
        cpu = statistics.median(r["cpu_us"] for r in runs)
        ratio = f"{total / base:.2f}" if base else "-"
        ratio_gzip = f"{total / base_gzip:.2f}" if base_gzip else "-"
        cpu_ratio = f" ({cpu / base_cpu:.2f})" if base_cpu else ""
        complete = "yes" if all(r["complete"] for r in runs) else "NO"
        print(
            f"| {config} | {total:.1f} | {loop:.1f} | {ratio} | {ratio_gzip} | "
            f"{cpu:.1f}{cpu_ratio} | {complete} |"
        )


if __name__ == "__main__":
    sys.exit(main())
