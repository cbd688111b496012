"""Real SDK telemetry (no globals set) for the exporter unit tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

RESOURCE = Resource.create({"service.name": "aurastream-test", "deployment.environment": "test"})


@dataclass
class Telemetry:
    spans: list[ReadableSpan]
    metrics: MetricsData
    logs: list[ReadableLogRecord]


@pytest.fixture
def telemetry() -> Telemetry:
    """Two spans (server parent + client child with a link), metrics recorded inside the
    child (so exemplars carry its ids), and a log record emitted inside the child."""
    span_exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=RESOURCE)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    tracer = tracer_provider.get_tracer("aurastream.tests", "1.2.3")

    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], resource=RESOURCE)
    meter = meter_provider.get_meter("aurastream.tests", "1.2.3")
    analyses = meter.create_counter("aurastream.sentiment.analyses", unit="{analysis}")
    duration = meter.create_histogram("http.server.request.duration", unit="s")

    log_exporter = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=RESOURCE)
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
    result = Telemetry(
        spans=list(span_exporter.get_finished_spans()),
        metrics=metrics,
        logs=list(log_exporter.get_finished_logs()),
    )
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()
    return result
