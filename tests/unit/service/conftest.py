"""Fixtures for the service and middleware tests: fresh SDK providers (never the globals)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aurastream_obs.asgi import EventSink

sys.path.insert(0, str(Path(__file__).parent))  # the asgi_testclient helper module


@dataclass
class Telemetry:
    tracer_provider: TracerProvider
    spans_exporter: InMemorySpanExporter
    meter_provider: MeterProvider
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.spans_exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
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


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Telemetry(tracer_provider, exporter, meter_provider, reader)
    tracer_provider.shutdown()
    meter_provider.shutdown()


@dataclass
class RecordingEvents(EventSink):
    """Records every event instead of logging it."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [fields for event, fields in self.calls if event == name]

    def api_request(self, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("api_request", fields))

    def api_response(self, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("api_response", fields))

    def error(self, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("error", fields))

    def business_event(self, event_type: str, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("business_event", {"event_type": event_type, **fields}))

    def security_event(self, event_type: str, **fields: Any) -> None:
        self.calls.append(("security_event", {"event_type": event_type, **fields}))


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()
