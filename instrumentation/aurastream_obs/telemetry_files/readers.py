"""Read local-mode OTLP/JSON files into small plain records (demo report, ops tools).

Parsing is `aurastream_obs.encoding.otlp_json.iter_json_lines` (the same protobuf messages
the exporters wrote); this module only flattens them: spans, log records, and metric data
points with their attributes as a plain dict.

Cumulative series (the local exporter's temporality) are reduced to their latest point per
series - a series being one metric, one attribute set and one start time, so a file holding
two process runs sums both runs' last points. Delta points are all kept (they add up).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeVar

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import HistogramDataPoint, NumberDataPoint

from aurastream_obs.encoding.otlp_json import Signal, iter_json_lines
from aurastream_obs.telemetry_files.stats import Histogram

AttrValue = str | bool | int | float
Attributes = Mapping[str, AttrValue]

# opentelemetry.proto.trace.v1.Span.SpanKind and Status.StatusCode values.
_KINDS: Final = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS_ERROR: Final = 2
_CUMULATIVE: Final = 2  # AggregationTemporality
_NO_RECORDED_VALUE: Final = 1  # DataPointFlags.FLAG_NO_RECORDED_VALUE_MASK


def any_value(value: AnyValue) -> AttrValue:
    """A scalar for an OTLP AnyValue (arrays and maps become their text form)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bytes_value":
        return value.bytes_value.hex()
    if kind == "array_value":
        return "[" + ", ".join(str(any_value(v)) for v in value.array_value.values) + "]"
    if kind == "kvlist_value":
        return str(attributes_of(value.kvlist_value.values))
    return ""


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, AttrValue]:
    return {pair.key: any_value(pair.value) for pair in pairs}


@dataclass(frozen=True, slots=True)
class Span:
    """One span, whatever its source (local OTLP/JSON files, X-Ray documents): the one span
    model of the demo and the operations tools."""

    trace_id: str  # 32 hex (X-Ray ids are converted)
    span_id: str
    parent_id: str  # "" for a root
    name: str
    service: str
    start_s: float  # epoch seconds
    end_s: float
    error: bool = False
    kind: str = "internal"  # internal, server, client, producer, consumer
    attributes: Attributes = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)

    @property
    def is_server(self) -> bool:
        return self.kind == "server"


@dataclass(frozen=True, slots=True)
class LogRecordView:
    trace_id: str
    span_id: str
    body: str
    severity: str
    time_ns: int
    attributes: Attributes = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The log message: `message` of our JSON-line body, else the body itself.

        Our records' body is the JSON line printed on stdout (logs/pipeline.py); records of
        the OTel logs API (other libraries) carry a plain body.
        """
        body = self.body
        if body.startswith("{"):
            try:
                parsed = json.loads(body)
            except ValueError:
                return body
            message = parsed.get("message") if isinstance(parsed, dict) else None
            if isinstance(message, str):
                return message
        return body


@dataclass(frozen=True, slots=True)
class HistogramPoint:
    metric: str
    attributes: Attributes
    start_ns: int
    time_ns: int
    cumulative: bool
    histogram: Histogram


@dataclass(frozen=True, slots=True)
class SumPoint:
    metric: str
    attributes: Attributes
    start_ns: int
    time_ns: int
    cumulative: bool
    value: float


@dataclass
class MetricPoints:
    """Every histogram and sum data point of a metrics file, in file order, by metric name."""

    histograms: dict[str, list[HistogramPoint]] = field(default_factory=dict)
    sums: dict[str, list[SumPoint]] = field(default_factory=dict)
    export_requests: int = 0


_R = TypeVar("_R", ExportTraceServiceRequest, ExportMetricsServiceRequest, ExportLogsServiceRequest)


def _requests(path: str | os.PathLike[str], kind: type[_R], signal: Signal) -> Iterator[_R]:
    if not os.path.exists(path):
        return
    for request in iter_json_lines(path, signal):
        if isinstance(request, kind):
            yield request


def read_spans(path: str | os.PathLike[str]) -> list[Span]:
    """Every span of a traces.jsonl file (a missing file has none)."""
    spans: list[Span] = []
    for request in _requests(path, ExportTraceServiceRequest, "traces"):
        for resource_spans in request.resource_spans:
            resource = attributes_of(resource_spans.resource.attributes)
            service = str(resource.get("service.name", ""))
            for scope_spans in resource_spans.scope_spans:
                spans.extend(
                    Span(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        name=span.name,
                        service=service,
                        start_s=span.start_time_unix_nano / 1e9,
                        end_s=span.end_time_unix_nano / 1e9,
                        error=span.status.code == _STATUS_ERROR,
                        kind=_KINDS.get(int(span.kind), "internal"),
                        attributes=attributes_of(span.attributes),
                    )
                    for span in scope_spans.spans
                )
    return spans


def read_logs(path: str | os.PathLike[str]) -> list[LogRecordView]:
    """Every log record of a logs.jsonl file (a missing file has none)."""
    return [
        LogRecordView(
            trace_id=record.trace_id.hex(),
            span_id=record.span_id.hex(),
            body=str(any_value(record.body)),
            severity=record.severity_text,
            time_ns=int(record.time_unix_nano),
            attributes=attributes_of(record.attributes),
        )
        for request in _requests(path, ExportLogsServiceRequest, "logs")
        for resource_logs in request.resource_logs
        for scope_logs in resource_logs.scope_logs
        for record in scope_logs.log_records
    ]


class _DataPoint(Protocol):
    """The fields every OTLP metric data point has (`HistogramDataPoint`, `NumberDataPoint`)."""

    @property
    def attributes(self) -> Iterable[KeyValue]: ...

    @property
    def start_time_unix_nano(self) -> int: ...

    @property
    def time_unix_nano(self) -> int: ...

    @property
    def flags(self) -> int: ...


_D = TypeVar("_D", bound=_DataPoint)


def _recorded(points: Iterable[_D]) -> Iterator[_D]:
    return (point for point in points if not point.flags & _NO_RECORDED_VALUE)


def _histogram(point: HistogramDataPoint) -> Histogram:
    counts = tuple(int(c) for c in point.bucket_counts) or (int(point.count),)
    bounds = tuple(float(b) for b in point.explicit_bounds)
    return Histogram(bounds if point.bucket_counts else (), counts)


def _number(point: NumberDataPoint) -> float:
    which = point.WhichOneof("value")
    return float(point.as_int) if which == "as_int" else float(point.as_double)


def read_metric_points(path: str | os.PathLike[str]) -> MetricPoints:
    """Histogram and sum points of a metrics.jsonl file (gauges and others are skipped)."""
    points = MetricPoints()
    for request in _requests(path, ExportMetricsServiceRequest, "metrics"):
        points.export_requests += 1
        metrics = (
            metric
            for resource_metrics in request.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
        )
        for metric in metrics:
            name, kind = metric.name, metric.WhichOneof("data")
            if kind == "histogram":
                cumulative = metric.histogram.aggregation_temporality == _CUMULATIVE
                points.histograms.setdefault(name, []).extend(
                    HistogramPoint(name, *_common(p), cumulative, _histogram(p))
                    for p in _recorded(metric.histogram.data_points)
                )
            elif kind == "sum":
                cumulative = metric.sum.aggregation_temporality == _CUMULATIVE
                points.sums.setdefault(name, []).extend(
                    SumPoint(name, *_common(p), cumulative, _number(p))
                    for p in _recorded(metric.sum.data_points)
                )
    return points


def _common(point: _DataPoint) -> tuple[dict[str, AttrValue], int, int]:
    """(attributes, start_ns, time_ns): the fields every point record starts with."""
    return (
        attributes_of(point.attributes),
        int(point.start_time_unix_nano),
        int(point.time_unix_nano),
    )


class _Point(Protocol):
    @property
    def attributes(self) -> Attributes: ...

    @property
    def start_ns(self) -> int: ...

    @property
    def time_ns(self) -> int: ...

    @property
    def cumulative(self) -> bool: ...


_P = TypeVar("_P", bound=_Point)


def _series_key(point: _Point) -> tuple[tuple[tuple[str, str], ...], int]:
    # repr() keeps True and "True" (or 1 and 1.0) apart in the key.
    attrs = tuple(sorted((k, repr(v)) for k, v in point.attributes.items()))
    return attrs, point.start_ns


def current_points(points: Sequence[_P]) -> list[_P]:
    """The latest point of each cumulative series plus every delta point."""
    latest: dict[tuple[tuple[tuple[str, str], ...], int], _P] = {}
    deltas: list[_P] = []
    for point in points:
        if not point.cumulative:
            deltas.append(point)
            continue
        key = _series_key(point)
        seen = latest.get(key)
        if seen is None or point.time_ns >= seen.time_ns:  # ties: the later line wins
            latest[key] = point
    return [*latest.values(), *deltas]


def sum_by(points: Sequence[SumPoint], attribute: str) -> dict[AttrValue, float]:
    """Current totals of a counter grouped by one attribute (missing attribute: "")."""
    totals: dict[AttrValue, float] = {}
    for point in current_points(points):
        key = point.attributes.get(attribute, "")
        totals[key] = totals.get(key, 0.0) + point.value
    return totals
