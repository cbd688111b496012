"""A collector that is dead, a black hole, failing or slow: 20k requests through the ASGI
middleware, then `force_flush(1000)` and `shutdown(2000)` keep their budget, never raise, and
every item that did not arrive is counted in `aurastream.telemetry.dropped`. Real processes,
real sockets; the receiver counts what arrived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.budgets import MARGIN_S
from support.otlp_receiver import OtlpReceiver
from support.processes import BlackHolePeer, free_port, last_json_line, run_python

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

REQUESTS = 20_000
FLUSH_MS, SHUTDOWN_MS = 1000, 2000

# Each request: one SERVER span, one log event (api_response), one duration point.
DRIVER = f"""
    import asyncio, json, time
    import aurastream_obs
    from aurastream_obs.asgi import TelemetryMiddleware

    async def app(scope, receive, send):
        await send({{"type": "http.response.start", "status": 200, "headers": []}})
        await send({{"type": "http.response.body", "body": b"ok"}})

    telemetry = aurastream_obs.configure("failure-test")
    middleware = TelemetryMiddleware(app, route_resolver=lambda path: path)
    scope = {{"type": "http", "method": "GET", "path": "/v1/health", "headers": [],
              "client": ("203.0.113.9", 5000), "http_version": "1.1", "scheme": "http"}}

    async def receive():
        return {{"type": "http.request", "body": b"", "more_body": False}}

    async def send(message):
        return None

    async def drive():
        for _ in range({REQUESTS}):
            await middleware(scope, receive, send)

    asyncio.run(drive())
    start = time.monotonic()
    flushed = telemetry.force_flush(timeout_millis={FLUSH_MS})
    flush_s = time.monotonic() - start
    start = time.monotonic()
    telemetry.shutdown(timeout_millis={SHUTDOWN_MS})
    shutdown_s = time.monotonic() - start
    start = time.monotonic()
    telemetry.shutdown(timeout_millis={SHUTDOWN_MS})  # a second shutdown is a no-op
    again_s = time.monotonic() - start
    drops = {{}}
    for (signal, reason), n in telemetry.drops.snapshot().items():
        drops.setdefault(signal, {{}})[reason] = n
    print("RESULT", json.dumps({{"flushed": flushed, "flush_s": flush_s,
          "shutdown_s": shutdown_s, "again_s": again_s, "drops": drops}}))
"""


def _run(endpoint: str, tmp_path: Path, **env: str) -> tuple[dict[str, Any], str]:
    result = run_python(
        DRIVER,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_TRACES_SAMPLER": "always_on",
            "AURASTREAM_LOG_STDOUT": "false",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "3000",
            **env,
        },
        cwd=tmp_path,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    print(result.stdout.splitlines()[-1])
    return last_json_line(result.stdout, "RESULT "), result.stderr


def _assert_budgets(result: dict[str, Any]) -> None:
    assert result["flush_s"] <= FLUSH_MS / 1000 + MARGIN_S, result
    assert result["shutdown_s"] <= SHUTDOWN_MS / 1000 + MARGIN_S, result
    assert result["again_s"] < 0.1, result


def _total(drops: dict[str, dict[str, int]], signal: str) -> int:
    return sum(drops.get(signal, {}).values())


def test_black_hole_collector(tmp_path: Path) -> None:
    with BlackHolePeer() as peer:
        result, stderr = _run(peer.url, tmp_path)
        assert peer.connections >= 1  # it did connect: the worst case, not a refused port
    _assert_budgets(result)
    assert result["flushed"] is False
    drops = result["drops"]
    assert _total(drops, "traces") == REQUESTS  # nothing arrived: every span counted
    assert _total(drops, "logs") == REQUESTS
    assert _total(drops, "metrics") > 0
    assert "shutdown: dropped logs 20000 (" in stderr  # export_failed, queue_full: summed


def test_dead_collector(tmp_path: Path) -> None:
    result, stderr = _run(f"http://127.0.0.1:{free_port()}", tmp_path)
    _assert_budgets(result)
    assert "aurastream_obs: dropping" in stderr  # the loss is visible while it happens
    drops = result["drops"]
    assert _total(drops, "traces") == REQUESTS
    assert _total(drops, "logs") == REQUESTS
    assert _total(drops, "metrics") > 0


def test_collector_answering_503(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    otlp_receiver.status = 503
    result, _ = _run(otlp_receiver.base_url, tmp_path)
    _assert_budgets(result)
    assert otlp_receiver.span_count() == 0
    assert _total(result["drops"], "traces") == REQUESTS
    assert _total(result["drops"], "logs") == REQUESTS
    assert len(otlp_receiver.attempts) > 1  # retried within the budget


def test_slow_collector_drops_exactly_what_did_not_arrive(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    otlp_receiver.delay_s = 0.2  # slower than the flush can drain 20k spans in 1 s
    result, _ = _run(otlp_receiver.base_url, tmp_path)
    _assert_budgets(result)
    delivered_spans = otlp_receiver.span_count()
    delivered_logs = len(otlp_receiver.log_records())
    assert 0 < delivered_spans < REQUESTS
    # A batch whose answer came after the deadline is counted and may still have arrived.
    assert delivered_spans + _total(result["drops"], "traces") >= REQUESTS
    assert _total(result["drops"], "traces") <= REQUESTS - delivered_spans + 512
    assert delivered_logs + _total(result["drops"], "logs") >= REQUESTS


def test_small_queue_counts_overflow_and_failures_together(tmp_path: Path) -> None:
    result, _ = _run(f"http://127.0.0.1:{free_port()}", tmp_path, AURASTREAM_MAX_QUEUE_SIZE="1000")
    _assert_budgets(result)
    traces = result["drops"]["traces"]
    assert traces.get("queue_full", 0) > 0
    assert sum(traces.values()) == REQUESTS  # overflow + failed + left at shutdown


def test_healthy_collector_gets_everything_and_nothing_is_counted(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    result, _ = _run(otlp_receiver.base_url, tmp_path)
    assert result["flushed"] is True
    assert otlp_receiver.span_count() == REQUESTS
    assert len(otlp_receiver.log_records()) == REQUESTS
    assert result["drops"] == {}
