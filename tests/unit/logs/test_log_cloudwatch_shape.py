"""OTLP log records in the semantic-conventions shape, from the same redacted event as the
stdout JSON line: body = the message, event name = `event_type` (the EventName field and the
`event.name` attribute, which the collector's CloudWatch Logs exporter keeps), attributes under
semconv keys (core/conventions.LOG_ATTRIBUTE_KEYS), scope = the logger, nothing else sent twice
— and within 1.3x the bytes of the stdout line, through both encoders (protobuf and OTLP/JSON).
What the collector writes to CloudWatch from these records, and the queries reading it, are
tested against the real collector in tests/e2e/test_collector_aws.py.
"""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from aurastream_obs.logs import events
from aurastream_obs.ops.backends.logs_insights import EVENT_TYPE
from support.sdk_telemetry import events_exported


def test_otlp_record_is_the_stdout_line_in_semconv_shape_within_1_3x_its_size(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with (
        events_exported("ecs-shape") as wire,
        TracerProvider().get_tracer("t").start_as_current_span("analyze") as span,
    ):
        events.business_event(
            "analysis", customer_id="cust-42", data={"revenue_usd": 0.25, "characters": 120}
        )

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
    assert attributes["event.name"].string_value == EVENT_TYPE  # what CloudWatch Logs keeps
    assert attributes["aurastream.log.category"].string_value == "business"
    assert attributes["aurastream.customer.id"].string_value == "cust-42"
    assert json.loads(attributes["aurastream.event.data"].string_value)["revenue_usd"] == 0.25
    # Nothing else twice: no JSON-line key, no resource or record field among the attributes.
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
        "event.name": "api_request",
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


def test_both_encoders_carry_the_event_name_field_and_attribute() -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    from aurastream_obs.encoding.json_encode import logs_json
    from aurastream_obs.encoding.log_item import LogItem
    from aurastream_obs.encoding.proto import encode_logs
    from aurastream_obs.sdk.logs import AuraLoggerProvider, OtlpLogSink

    items: list[LogItem] = []
    sink = OtlpLogSink(items.append, AuraLoggerProvider(resource=Resource.create({})))
    record = logging.LogRecord("aurastream.events", logging.WARNING, __file__, 1, "x", (), None)
    event = {"message": "failed_authentication", "event_type": "failed_authentication",
             "category": "security", "level": "WARNING"}  # fmt: skip
    sink(event, record, None)
    (proto_record,) = [
        r
        for rl in ExportLogsServiceRequest.FromString(encode_logs(items)).resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    assert proto_record.event_name == "failed_authentication"
    assert {kv.key: kv.value.string_value for kv in proto_record.attributes}["event.name"] == (
        "failed_authentication"
    )
    (json_record,) = json.loads(logs_json(items))["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    assert json_record["eventName"] == "failed_authentication"
    assert {"key": "event.name", "value": {"stringValue": "failed_authentication"}} in (
        json_record["attributes"]
    )
