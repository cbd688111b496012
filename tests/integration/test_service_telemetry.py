"""The reference service's telemetry over the wire: OTLP/HTTP to a real receiver, local files,
the Prometheus endpoint linted by promtool, and a slow or dead collector that never hurts a
request.
"""

from __future__ import annotations

import logging
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.bootstrap import Telemetry, build_telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.encoding.otlp_json import iter_json_lines
from aurastream_obs.service import create_app
from aurastream_obs.service.customers import CustomerDirectory
from aurastream_obs.service.server import run_in_thread
from support.budgets import assert_within_budget
from support.otlp_receiver import OtlpReceiver
from support.processes import free_port
from support.service_client import analyze
from support.tools import require_tool

PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{PARENT_TRACE}-b7ad6b7169203331-01"
SHUTDOWN_MS = 2000  # shorter than the slow collector's delay: shutdown must not wait for it


@contextmanager
def serving(telemetry: Telemetry) -> Iterator[str]:
    """The reference service wired to `telemetry` (no globals), with its JSON log handler
    attached to the service's loggers for the duration."""
    app = create_app(
        customers=CustomerDirectory.demo(),
        metrics=telemetry.metrics,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )
    handler = telemetry.log_handler
    assert handler is not None
    events_logger = logging.getLogger("aurastream.events")
    events_logger.addHandler(handler)
    old_level = events_logger.level
    events_logger.setLevel(logging.INFO)
    try:
        with run_in_thread(app) as server:
            yield server.url
    finally:
        events_logger.removeHandler(handler)
        events_logger.setLevel(old_level)


def _settings(mode: str, env: dict[str, str], **overrides: Any) -> Any:
    return resolve_settings(
        "aurastream-api", mode, env={"OTEL_TRACES_SAMPLER": "always_on", **env}, **overrides
    )


@pytest.fixture
def always_on() -> None:
    """Every test here samples everything (`_settings` sets OTEL_TRACES_SAMPLER)."""


def test_service_exports_all_three_signals_over_otlp(
    otlp_receiver: OtlpReceiver, always_on: None
) -> None:
    telemetry = build_telemetry(
        _settings("otlp", {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url})
    )
    try:
        with serving(telemetry) as url:
            reply = analyze(url, "I love this product", headers={"traceparent": TRACEPARENT})
            assert reply.status == 200 and reply.json()["sentiment"] == "POSITIVE"
            assert PARENT_TRACE[:8] in reply.headers["x-amzn-trace-id"]
            assert analyze(url, "").status == 400
        assert telemetry.force_flush(10000)
    finally:
        telemetry.shutdown(5000)

    spans = otlp_receiver.spans()
    server = [s for s in spans if s.name == "POST /v1/analyze"]
    assert len(server) == 2
    continued = next(s for s in server if s.trace_id.hex() == PARENT_TRACE)
    assert continued.parent_span_id.hex() == "b7ad6b7169203331"
    children = {s.name for s in spans if s.parent_span_id == continued.span_id}
    assert {"cache.lookup", "sentiment.analyze"} <= children

    names = otlp_receiver.metric_names()
    assert {
        "http.server.request.duration",
        "aurastream.sentiment.analyses",
        "aurastream.cache.lookups",
        "aurastream.usage",
    } <= names
    routes = {
        (a.key, a.value.string_value or a.value.int_value)
        for p in otlp_receiver.data_points("http.server.request.duration")
        for a in p.attributes
    }
    assert ("http.route", "/v1/analyze") in routes
    assert ("http.response.status_code", 400) in routes

    records = otlp_receiver.log_records()
    assert "api_response" in {r.body.string_value for r in records}  # one per request
    assert "api_response" in {r.event_name for r in records}
    correlated = [r for r in records if r.trace_id.hex() == PARENT_TRACE]
    assert correlated, "log records inside the request carry its trace id"
    assert all(r.span_id == continued.span_id for r in correlated)


def test_local_mode_files_and_prometheus_endpoint(tmp_path: Path, always_on: None) -> None:
    promtool = require_tool("promtool")
    telemetry = build_telemetry(
        _settings("local", {"AURASTREAM_TELEMETRY_DIR": str(tmp_path)}, prometheus_port=free_port())
    )
    try:
        with serving(telemetry) as url:
            for text in ("great", "great", "terrible service", "meh"):
                assert analyze(url, text).status == 200
        port = telemetry.prometheus_port
        assert port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            exposition = resp.read()
        telemetry.force_flush(10000)
    finally:
        telemetry.shutdown(5000)

    text = exposition.decode()
    assert "http_server_request_duration_seconds_bucket{" in text
    assert 'http_route="/v1/analyze"' in text
    assert 'aurastream_cache_lookups_total{aurastream_cache_hit="true"' in text
    lint = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()

    spans = [
        s
        for req in iter_json_lines(tmp_path / "traces.jsonl", "traces")
        for rs in req.resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
    ]
    assert sum(s.name == "POST /v1/analyze" for s in spans) == 4
    cache_points = [
        p
        for req in iter_json_lines(tmp_path / "metrics.jsonl", "metrics")
        for rm in req.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "aurastream.cache.lookups"
        for p in m.sum.data_points
    ]
    hits = max(p.as_int for p in cache_points if any(a.value.bool_value for a in p.attributes))
    assert hits == 1  # "great" twice: one miss, then one hit
    names = [
        r.event_name
        for req in iter_json_lines(tmp_path / "logs.jsonl", "logs")
        for rl in req.resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    assert names.count("api_response") == 4


@pytest.mark.parametrize("failure", ["slow", "dead"])
def test_collector_trouble_never_slows_or_fails_a_request(
    otlp_receiver: OtlpReceiver, always_on: None, failure: str
) -> None:
    delay = 3.0
    if failure == "slow":
        otlp_receiver.delay_s = delay
    else:
        otlp_receiver.status = 503
    telemetry = build_telemetry(
        _settings(
            "otlp",
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
                "OTEL_BSP_SCHEDULE_DELAY": "50",
                "OTEL_EXPORTER_OTLP_TIMEOUT": "1000",
            },
        )
    )
    try:
        with serving(telemetry) as url:
            analyze(url, "warm up")
            # An export has reached the collector (and hangs there, or got its 503).
            assert otlp_receiver.wait_for(lambda: len(otlp_receiver.attempts) > 0)
            started = time.monotonic()
            statuses = [analyze(url, f"request {i}").status for i in range(20)]
            elapsed = time.monotonic() - started
        assert statuses == [200] * 20
        # Bounded by the collector's own delay: an export blocking requests would take
        # at least `delay` seconds for these 20 requests.
        assert elapsed < delay, elapsed
        started = time.monotonic()
        telemetry.shutdown(SHUTDOWN_MS)
        assert_within_budget(time.monotonic() - started, SHUTDOWN_MS / 1000, "shutdown")
    finally:
        telemetry.shutdown(1000)
