"""Rich SDK spans and log records (every field the encoders write) for the exporter tests."""

from __future__ import annotations

from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry._logs import SeverityNumber
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

ALL_TYPES: dict[str, Any] = {
    "str": "héllo ✓",
    "empty": "",
    "true": True,
    "false": False,
    "zero": 0,
    "int": 42,
    "negative": -7,
    "int64.max": 2**63 - 1,
    "int64.min": -(2**63),
    "float": 0.93,
    "float.zero": 0.0,
    "float.negative": -1.5e-300,
    "strs": ["a", "", "ü"],
    "ints": [1, -2, 2**40],
    "floats": [0.5, -0.25],
    "bools": [True, False],
    "empty.list": [],
}


def build_spans(resource: Resource, *, limits: SpanLimits | None = None) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource, span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("scope.a", "1.0.0", schema_url="https://opentelemetry.io/s/1")
    other = provider.get_tracer("scope.b", attributes={"scope.attr": "x"})
    remote = SpanContext(
        0x0123456789ABCDEF0123456789ABCDEF,
        0x1122334455667788,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "value"), ("xray", "1-abc")]),
    )
    parent_ctx = trace_api.set_span_in_context(trace_api.NonRecordingSpan(remote))
    token = context_api.attach(parent_ctx)
    try:
        with tracer.start_as_current_span("server", kind=SpanKind.SERVER) as server:
            server.set_attributes(ALL_TYPES)
            server.set_status(Status(StatusCode.OK))
            link = Link(remote, {"link.reason": "batch", "n": 3})
            with tracer.start_as_current_span(
                "client ✓", kind=SpanKind.CLIENT, links=[link]
            ) as client:
                client.add_event("cache.miss", {"key": "abc", "n": [1, 2]})
                client.add_event("no.attributes")
                client.set_status(Status(StatusCode.ERROR, "throttled"))
                client.record_exception(ValueError("boom"))
            with other.start_as_current_span("producer", kind=SpanKind.PRODUCER):
                pass
            with tracer.start_as_current_span("consumer", kind=SpanKind.CONSUMER) as consumer:
                consumer.set_attribute("k", "v")
            with tracer.start_as_current_span(""):  # empty name
                pass
    finally:
        context_api.detach(token)
    provider.shutdown()
    return list(exporter.get_finished_spans())


def decode_spans(data: bytes) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest.FromString(data)


def as_sdk_writes_it(request: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    """Our message minus link trace_state, the one field we add over the SDK encoder."""
    copy = ExportTraceServiceRequest()
    copy.CopyFrom(request)
    for rs in copy.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                for link in span.links:
                    link.ClearField("trace_state")
    return copy


def build_sdk_logs(resource: Resource) -> list[ReadableLogRecord]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("aurastream.tests", "1.2.3", schema_url="https://s/1")
    tracer = TracerProvider(resource=resource).get_tracer("t")
    with tracer.start_as_current_span("work"):
        logger.emit(
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            body="inside ✓",
            attributes={"category": "analysis", **ALL_TYPES},
            event_name="aurastream.analysis",
        )
    logger.emit(body={"structured": [1, "x"], "nested": {"a": True}})  # no span, no severity
    logger.emit(severity_number=SeverityNumber.ERROR, body=None, timestamp=1_700_000_000_000)
    provider.shutdown()
    return list(exporter.get_finished_logs())
