"""The reference service under uvicorn, stopped with SIGTERM right after its last requests
(every deploy and scale-in on ECS/EKS): every server span, log record and the request metric
arrive. uvicorn re-raises the signal after its graceful shutdown, so the process dies by it
and `atexit` never runs; the lifespan shutdown is where the middleware flushes."""

from __future__ import annotations

import http.client
import json
import re
import signal
from pathlib import Path

import pytest

from aurastream_obs.telemetry_files.readers import read_spans
from support.otlp_receiver import OtlpReceiver
from support.processes import free_port
from support.service_process import STOP_TIMEOUT_S, ServiceProcess, start_service

pytestmark = pytest.mark.integration

REQUESTS = 31
KEY = "sigterm-key"


# Long intervals: nothing leaves on a timer, only the stop flush can send it.
SERVICE_ENV = {
    "OTEL_TRACES_SAMPLER": "always_on",
    "AURASTREAM_API_KEYS": f"{KEY}=acme",
    "OTEL_BSP_SCHEDULE_DELAY": "60000",
    "OTEL_METRIC_EXPORT_INTERVAL": "60000",
}


def _drive(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in range(REQUESTS):
        body = json.dumps({"text": f"request {i} was great"})
        conn.request("POST", "/v1/analyze", body, {"x-api-key": KEY})
        response = conn.getresponse()
        response.read()
        assert response.status == 200


def _stop(service: ServiceProcess) -> tuple[int, str]:
    """SIGTERM, as ECS/EKS stop a task; (exit status, what the service printed)."""
    service.process.send_signal(signal.SIGTERM)
    status = service.process.wait(timeout=STOP_TIMEOUT_S)
    return status, service.log.read_text()


def _port(service: ServiceProcess) -> int:
    return int(service.url.rsplit(":", 1)[1])


def test_sigterm_after_the_last_requests_delivers_every_span_otlp(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    env = {**SERVICE_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url}
    with start_service(env, tmp_path) as service:
        _drive(_port(service))
        status, stderr = _stop(service)
    assert status in (0, -signal.SIGTERM), stderr
    server_spans = [s for s in otlp_receiver.spans() if s.name == "POST /v1/analyze"]
    health = [s for s in otlp_receiver.spans() if s.name == "GET /v1/health"]
    assert len(server_spans) == REQUESTS and health
    events = [r.event_name for r in otlp_receiver.log_records()]
    assert events.count("api_response") == REQUESTS + len(health)
    points = otlp_receiver.data_points("http.server.request.duration")
    assert sum(p.count for p in points if _route(p) == "/v1/analyze") == REQUESTS


def test_sigterm_after_the_last_requests_writes_every_span_local(tmp_path: Path) -> None:
    with start_service(SERVICE_ENV, tmp_path) as service:
        _drive(_port(service))
        status, stderr = _stop(service)
    assert status in (0, -signal.SIGTERM), stderr
    spans = read_spans(tmp_path / ".telemetry" / "traces.jsonl")
    assert sum(s.name == "POST /v1/analyze" for s in spans) == REQUESTS


def test_sigterm_with_a_dead_collector_says_what_was_dropped(tmp_path: Path) -> None:
    """The process dies by the re-raised signal (no atexit): the stop flush sums up the drops
    on stderr, every server span of the requests counted among them."""
    dead = f"http://127.0.0.1:{free_port()}"
    with start_service({**SERVICE_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": dead}, tmp_path) as service:
        _drive(_port(service))
        status, stderr = _stop(service)
    assert status in (0, -signal.SIGTERM), stderr
    (summary,) = [line for line in stderr.splitlines() if "server stop: dropped" in line]
    dropped, _, queued = summary.partition("; still queued ")
    counts = {kind: int(n) for kind, n in re.findall(r"(traces|logs|metrics) (\d+) \(", dropped)}
    for kind, n in re.findall(r"(traces|logs) (\d+)", queued):  # lost when the process dies
        counts[kind] = counts.get(kind, 0) + int(n)
    assert counts["traces"] >= REQUESTS  # every server span, at least
    assert counts["logs"] >= REQUESTS  # every api_response record, at least


def _route(point: object) -> object:
    for pair in getattr(point, "attributes", ()):
        if pair.key == "http.route":
            return pair.value.string_value
    return None
