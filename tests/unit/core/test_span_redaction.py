"""One redaction policy for every signal: what the logs mask, spans mask too — through the
ASGI middleware into the local files, and in lambda mode's X-Ray documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import Status, StatusCode

from aurastream_obs.asgi import TelemetryMiddleware
from aurastream_obs.bootstrap import build_telemetry
from aurastream_obs.core.redaction import SpanRedactor
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.modes.awslambda.tracing import LambdaTracerProvider
from aurastream_obs.modes.awslambda.xray import SegmentEncoder, XRayUdpExporter
from aurastream_obs.telemetry_files.readers import read_spans

UA = "curl/8.0 (contact jane.doe@example.com)"
PATH = "/v1/customers/jane.doe@example.com/usage"


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _request(middleware: TelemetryMiddleware, client: str, path: str = PATH) -> None:
    import asyncio

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": [(b"user-agent", UA.encode())],
        "client": (client, 5000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    asyncio.run(middleware(scope, receive, send))


def _local_spans(tmp_path: Path, redact: bool, clients: list[str]) -> list[Any]:
    env = {
        "AURASTREAM_TELEMETRY_MODE": "local",
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path),
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "OTEL_TRACES_SAMPLER": "always_on",
        "AURASTREAM_LOG_REDACTION": "true" if redact else "false",
    }
    telemetry = build_telemetry(resolve_settings(env=env))
    middleware = TelemetryMiddleware(
        _ok, tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    for client in clients:
        _request(middleware, client)
    telemetry.shutdown(5000)
    return read_spans(tmp_path / "traces.jsonl")


def test_server_spans_are_masked_like_the_logs(tmp_path: Path) -> None:
    spans = _local_spans(tmp_path, True, ["203.0.113.77", "2001:db8:1234:5678::9"])
    addresses = [s.attributes["client.address"] for s in spans]
    assert addresses == ["203.0.113.0/24", "2001:db8:1234::/48"]
    for span in spans:
        assert span.attributes["user_agent.original"] == "curl/8.0 (contact [EMAIL])"
        assert span.attributes["url.path"] == "/v1/customers/[EMAIL]/usage"
        assert "jane.doe" not in json.dumps(span.attributes)


def test_redaction_off_keeps_the_raw_values(tmp_path: Path) -> None:
    (span,) = _local_spans(tmp_path, False, ["203.0.113.77"])
    assert span.attributes["client.address"] == "203.0.113.77"
    assert span.attributes["url.path"] == PATH


def test_secrets_text_events_and_status_are_redacted() -> None:
    captured: list[Any] = []
    provider = LambdaTracerProvider(
        lambda *_: True, lambda spans: captured.extend(spans) or True, redact=SpanRedactor()
    )
    with provider.get_tracer("t").start_as_current_span("work") as span:
        span.set_attribute("http.request.header.authorization", "Bearer abc")
        span.set_attribute("aurastream.text", "I love it, mail me at a@b.io")
        span.set_attribute("tags", ["ok", "x%40example.com"])
        span.add_event("exception", {"exception.message": "no user bob@example.org"})
        span.set_status(Status(StatusCode.ERROR, "lookup failed for bob@example.org"))
    provider.force_flush()
    (ended,) = captured
    assert ended.attributes["http.request.header.authorization"] == "[REDACTED]"
    assert "aurastream.text" not in ended.attributes
    assert ended.attributes["aurastream.text_length"] == 28
    assert ended.attributes["tags"] == ("ok", "[EMAIL]")
    assert ended.events[0].attributes["exception.message"] == "no user [EMAIL]"
    assert ended.status.description == "lookup failed for [EMAIL]"


def test_lambda_mode_xray_documents_carry_no_raw_client_address() -> None:
    captured: list[Any] = []
    provider = LambdaTracerProvider(
        lambda *_: True, lambda spans: captured.extend(spans) or True, redact=SpanRedactor()
    )
    with provider.get_tracer("t").start_as_current_span("GET /v1/x") as span:
        span.set_attribute("client.address", "198.51.100.23")
        span.set_attribute("user_agent.original", UA)
    provider.force_flush()
    exporter = XRayUdpExporter(SegmentEncoder("svc", [], {}), ("127.0.0.1", 9))
    document = b"".join(exporter.datagrams(captured)).decode()
    assert "198.51.100.23" not in document and "jane.doe" not in document
    assert "198.51.100.0/24" in document


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("::ffff:10.1.2.3", "10.1.2.0/24"),
        ("[2001:db8::1]:443", "2001:db8::/48"),
        ("not-an-ip", "[REDACTED]"),
    ],
)
def test_odd_client_addresses_fail_closed(value: str, masked: str) -> None:
    attributes: dict[str, Any] = {"client.address": value}
    SpanRedactor().redact_mapping(attributes)
    assert attributes["client.address"] == masked
