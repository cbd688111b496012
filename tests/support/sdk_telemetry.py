"""Real OpenTelemetry SDK telemetry in memory, never the global providers.

- `InMemoryTelemetry`: started tracer and meter providers with in-memory exporter and reader,
  for code that takes providers (the ASGI middleware, the service); `span(name)`, `points(name)`.
- `record_sample_telemetry()`: a small recorded scenario (server span, client child with a link,
  metrics and a log record inside the child) as `SampleTelemetry` spans/metrics/logs.
- `RecordingLogExporter`: keeps each exported batch as the OTLP protobuf request a collector
  would receive (`records()` decodes them); `fail = True` makes exports fail.
- `build_spans()`/`build_sdk_logs()`: rich spans and log records (every field the encoders
  write, `ALL_TYPES` of attribute values) for the encoding tests.
- `events_exported(service)`: the `aurastream.events` logger wired as otlp mode wires it (JSON
  lines on stdout, OTLP records into a `RecordingLogExporter`) for the block, then restored.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry._logs import SeverityNumber
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.records import replace
from aurastream_obs.core.settings import Settings
from aurastream_obs.encoding.proto import encode_logs

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


@dataclass
class InMemoryTelemetry:
    """SDK tracer and meter providers recording in memory; `shutdown()` when done."""

    tracer_provider: TracerProvider
    spans_exporter: InMemorySpanExporter
    meter_provider: MeterProvider
    reader: InMemoryMetricReader

    @classmethod
    def start(cls) -> InMemoryTelemetry:
        exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        reader = InMemoryMetricReader()
        return cls(tracer_provider, exporter, MeterProvider(metric_readers=[reader]), reader)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()

    def spans(self) -> list[ReadableSpan]:
        return list(self.spans_exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        """The one finished span called `name` (fails when there are none or several)."""
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def points(self, metric_name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        points: list[Any] = []
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == metric_name:
                        points.extend(metric.data.data_points)
        return points


SAMPLE_RESOURCE = Resource.create(
    {"service.name": "aurastream-test", "deployment.environment": "test"}
)


@dataclass
class SampleTelemetry:
    spans: list[ReadableSpan]
    metrics: MetricsData
    logs: list[ReadableLogRecord]


def record_sample_telemetry() -> SampleTelemetry:
    """Two spans (server parent + client child with a link), metrics recorded inside the
    child (so exemplars carry its ids), and a log record emitted inside the child."""
    span_exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=SAMPLE_RESOURCE)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    tracer = tracer_provider.get_tracer("aurastream.tests", "1.2.3")

    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], resource=SAMPLE_RESOURCE)
    meter = meter_provider.get_meter("aurastream.tests", "1.2.3")
    analyses = meter.create_counter("aurastream.sentiment.analyses", unit="{analysis}")
    duration = meter.create_histogram("http.server.request.duration", unit="s")

    log_exporter = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=SAMPLE_RESOURCE)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    logger = logger_provider.get_logger("aurastream.tests")

    with tracer.start_as_current_span("POST /analyze", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("http.response.status_code", 200)
        link = Link(parent.get_span_context(), {"link.reason": "batch"})
        with tracer.start_as_current_span(
            "comprehend.detect_sentiment", kind=SpanKind.CLIENT, links=[link]
        ) as child:
            child.set_attributes(
                {
                    "sentiment": "POSITIVE",
                    "confidence": 0.93,
                    "cached": False,
                    "aurastream.tokens": [1, 2, 3],
                    "big": 2**53 + 1,
                }
            )
            child.add_event("cache.miss", {"key": "abc"})
            child.set_status(Status(StatusCode.ERROR, "throttled"))
            analyses.add(3, {"sentiment": "POSITIVE"})
            analyses.add(1, {"sentiment": "NEGATIVE"})
            duration.record(0.25, {"http.response.status_code": 200})
            logger.emit(
                severity_number=SeverityNumber.INFO,
                severity_text="INFO",
                body="sentiment analysed",
                attributes={"category": "analysis", "customer.id": "c-1"},
            )

    metrics = reader.get_metrics_data()
    assert metrics is not None
    result = SampleTelemetry(
        spans=list(span_exporter.get_finished_spans()),
        metrics=metrics,
        logs=list(log_exporter.get_finished_logs()),
    )
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()
    return result


class RecordingLogExporter(LogRecordExporter):
    """Keeps every batch as the OTLP protobuf request body a collector's receiver would get."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.fail = False

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        if self.fail:
            return LogRecordExportResult.FAILURE
        self.bodies.append(encode_logs(batch))
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def records(self) -> list[Any]:
        """(scope name, LogRecord) of every record, decoded, in export order."""
        return [
            (scope_logs.scope.name, record)
            for body in self.bodies
            for rl in ExportLogsServiceRequest.FromString(body).resource_logs
            for scope_logs in rl.scope_logs
            for record in scope_logs.log_records
        ]


@contextlib.contextmanager
def events_exported(service: str) -> Iterator[RecordingLogExporter]:
    """The `aurastream.events` logger (logs/events.py) with the handler otlp mode builds: each
    event a JSON line on stdout and an OTLP record, flushed into the exporter when the block
    ends. The logger's level, propagation and handlers are restored."""
    from aurastream_obs.sdk.logs import build_logging

    wire = RecordingLogExporter()
    settings = replace(Settings(), mode="otlp", log_stdout=True, service_name=service)
    provider, handler, _worker = build_logging(
        settings, Resource.create({"service.name": service}), wire, drops=DropCounter()
    )
    assert provider is not None
    logger = logging.getLogger("aurastream.events")
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield wire
        handler.flush()
        assert provider.force_flush(5_000)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        provider.shutdown()
