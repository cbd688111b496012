"""OTLP log records in the semantic-conventions shape, from the same redacted event as the
stdout JSON line: body = the message, event name = `event_type`, attributes under semconv keys
(core/conventions.LOG_ATTRIBUTE_KEYS), scope = the logger, nothing sent twice — and within
1.3x the bytes of the stdout line. (The collector maps the attributes back to the JSON line
for CloudWatch Logs; tested against the real collector in tests/e2e.)
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from aurastream_obs.core.batching import DropCounter
from aurastream_obs.core.settings import Settings
from aurastream_obs.logs import events
from aurastream_obs.ops.backends.logs_insights import EVENT_TYPE
from aurastream_obs.sdk.logs import build_logging
from support.sdk_telemetry import RecordingLogExporter


def test_otlp_body_is_the_stdout_json_line_and_cloudwatch_exporters_store_it_raw(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wire = RecordingLogExporter()
    settings = replace(Settings(), mode="otlp", log_stdout=True, service_name="ecs-shape")
    provider, handler, _worker = build_logging(
        settings, Resource.create({"service.name": "ecs-shape"}), wire, drops=DropCounter()
    )
    assert provider is not None
    logger = logging.getLogger("aurastream.events")
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        with TracerProvider().get_tracer("t").start_as_current_span("analyze") as span:
            events.business_event(
                "analysis", customer_id="cust-42", data={"revenue_usd": 0.25, "characters": 120}
            )
        handler.flush()
        assert provider.force_flush(5_000)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        provider.shutdown()

    ((scope, record),) = wire.records()
    line_text = capsys.readouterr().out.rstrip("\n")
    line = json.loads(line_text)
    assert line["event_type"] == EVENT_TYPE == "business_analysis"  # stdout: unchanged
    assert record.body.string_value == line["message"] == EVENT_TYPE  # body: the message
    assert record.event_name == EVENT_TYPE
    assert scope == "aurastream.events"  # the logger, as the SDK's LoggingHandler has it
    assert record.trace_id == span.get_span_context().trace_id.to_bytes(16, "big")
    assert record.severity_text == "INFO" and record.severity_number == 9
    attributes = {kv.key: kv.value for kv in record.attributes}
    assert attributes["aurastream.log.category"].string_value == "business"
    assert attributes["aurastream.customer.id"].string_value == "cust-42"
    assert json.loads(attributes["aurastream.event.data"].string_value)["revenue_usd"] == 0.25
    # Nothing twice: no JSON-line key, no resource or record field among the attributes.
    line_keys = {"message", "event_type", "category", "customer_id", "service", "environment",
                 "trace_id", "span_id", "xray_trace_id", "logger", "level"}  # fmt: skip
    assert not line_keys & set(attributes)
    # The size of one record on the wire against the line it replaces.
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

    wire_bytes = len(LogRecord.SerializeToString(record))
    print(f"OTLP record {wire_bytes} B, stdout line {len(line_text.encode())} B")
    assert wire_bytes <= 1.3 * len(line_text.encode()), (wire_bytes, len(line_text))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_events_use_http_semconv_keys(method: str) -> None:
    from aurastream_obs.sdk.logs import otlp_attributes

    event = {
        "message": "api_request", "event_type": "api_request", "category": "application",
        "request_id": "r1", "method": method, "path": "/v1/analyze", "customer_id": "acme",
        "user_agent": "curl/8", "ip_address": "203.0.113.0/24", "service": "svc",
        "exception": {"type": "ValueError", "message": "bad", "stacktrace": "Traceback..."},
    }  # fmt: skip
    attributes = otlp_attributes(event)
    assert attributes == {
        "aurastream.log.category": "application",
        "aurastream.request.id": "r1",
        "http.request.method": method,
        "url.path": "/v1/analyze",
        "aurastream.customer.id": "acme",
        "user_agent.original": "curl/8",
        "client.address": "203.0.113.0/24",
        "exception.type": "ValueError",
        "exception.message": "bad",
        "exception.stacktrace": "Traceback...",
    }
