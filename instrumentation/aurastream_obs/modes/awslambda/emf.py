"""Metric points → CloudWatch Embedded Metric Format documents (JSON lines on stdout).

Limits from AWS's EMF specification ("Specification: Embedded metric format",
docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
≤ 100 metric definitions per directive, ≤ 30 keys per dimension set, dimension values are
strings ≤ 1024 characters, a metric value is a number or an array of ≤ 100 numbers, units from
the CloudWatch list, StorageResolution 1 or 60. One document carries one value per key, so the
points of a flush are grouped by attribute set (one document each, split further when an
array exceeds 100 values or a directive 100 metrics).

Dimensions come from `core.conventions.EMF_DIMENSIONS`, the same sets the collector's
awsemf exporter declares, so alarms and dashboards work on both paths. Attributes that are not
dimensions (the customer id) stay top-level properties: searchable in Logs Insights, never a
billed custom metric.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TextIO

from aurastream_obs.core.conventions import (
    CUSTOMER_ID,
    EMF_DIMENSIONS,
    EMF_NAMESPACE,
    SERVICE_NAME,
)
from aurastream_obs.logs.invocation import CURRENT
from aurastream_obs.modes.awslambda.metrics import MetricPoint

MAX_METRICS_PER_DIRECTIVE: Final = 100
MAX_DIMENSIONS_PER_SET: Final = 30
MAX_VALUES_PER_METRIC: Final = 100
MAX_DIMENSION_VALUE: Final = 1024
STORAGE_RESOLUTION: Final = 60
_LAYOUT_MEMO_MAX: Final = 1024
# OTel (UCUM) unit → CloudWatch unit. Annotations in braces ({request}) are counts; currency
# and ratios ("1") have no CloudWatch unit.
_UNITS: Final = {
    "s": "Seconds",
    "ms": "Milliseconds",
    "us": "Microseconds",
    "By": "Bytes",
    "KBy": "Kilobytes",
    "MBy": "Megabytes",
    "GBy": "Gigabytes",
    "bit": "Bits",
    "%": "Percent",
    "By/s": "Bytes/Second",
    "1": "None",
    "": "None",
}
PROPERTY_ONLY: Final = frozenset({CUSTOMER_ID})  # never a dimension, whatever the metric


def cloudwatch_unit(unit: str) -> str:
    if unit.startswith("{") and unit.endswith("}"):
        return "Count"
    return _UNITS.get(unit, "None")


def _dimension_value(value: object) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text[:MAX_DIMENSION_VALUE]


def dimension_sets(name: str, keys: frozenset[str]) -> list[list[str]]:
    """The declared sets whose keys are all present; undeclared metrics: every attribute."""
    declared = EMF_DIMENSIONS.get(name)
    if declared is not None:
        sets = [s for s in declared if all(k == SERVICE_NAME or k in keys for k in s)]
        return sets or [[SERVICE_NAME]]
    extra = sorted(k for k in keys if k not in PROPERTY_ONLY)
    return [[SERVICE_NAME, *extra][:MAX_DIMENSIONS_PER_SET]]


def _invocation_properties() -> dict[str, Any]:
    """The current invocation's ids as properties (never dimensions): searchable in Logs
    Insights next to the metric values, as Powertools Metrics' metadata."""
    invocation = CURRENT.get()
    if invocation is None:
        return {}
    properties: dict[str, Any] = {}
    if invocation.request_id:
        properties["function_request_id"] = invocation.request_id
    if invocation.correlation_id:
        properties["correlation_id"] = invocation.correlation_id
    return properties


class EmfEncoder:
    def __init__(
        self,
        service_name: str,
        namespace: str = EMF_NAMESPACE,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        self.service_name = service_name
        self.namespace = namespace
        self.properties = dict(properties or {})
        self._layouts: dict[
            tuple[str, str, frozenset[str]], tuple[list[list[str]], str, dict[str, Any]]
        ] = {}

    def documents(
        self, points: list[MetricPoint], timestamp_ms: int | None = None
    ) -> Iterator[dict[str, Any]]:
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        groups: dict[tuple[tuple[str, Any], ...], list[MetricPoint]] = {}
        for point in points:
            key = tuple(sorted(point.attributes.items(), key=lambda kv: kv[0]))
            groups.setdefault(key, []).append(point)
        for attrs, group in groups.items():
            yield from self._group_documents(dict(attrs), group, stamp)

    def _group_documents(
        self, attrs: dict[str, Any], points: list[MetricPoint], stamp: int
    ) -> Iterator[dict[str, Any]]:
        keys = frozenset(attrs)
        # Chunk k of every metric: histograms with > 100 values span several documents.
        chunks: list[list[tuple[MetricPoint, Any]]] = []
        for point in points:
            if point.kind == "histogram":
                values = list(point.values)
                parts = [
                    values[i : i + MAX_VALUES_PER_METRIC]
                    for i in range(0, len(values), MAX_VALUES_PER_METRIC)
                ]
            else:
                parts = [point.value]  # type: ignore[list-item]  # a number, not a list
            for index, part in enumerate(parts):
                while len(chunks) <= index:
                    chunks.append([])
                chunks[index].append((point, part))
        for chunk in chunks:
            yield from self._chunk_documents(attrs, keys, chunk, stamp)

    def _layout(
        self, point: MetricPoint, keys: frozenset[str]
    ) -> tuple[list[list[str]], str, dict[str, Any]]:
        """Dimension sets, their layout key and the metric definition; memoised (the same few
        metrics flush on every invocation). The parts are shared: serialised, never mutated."""
        memo_key = (point.name, point.unit, keys)
        found = self._layouts.get(memo_key)
        if found is None:
            dims = dimension_sets(point.name, keys)
            metric = {
                "Name": point.name,
                "Unit": cloudwatch_unit(point.unit),
                "StorageResolution": STORAGE_RESOLUTION,
            }
            found = (dims, repr(dims), metric)
            if len(self._layouts) < _LAYOUT_MEMO_MAX:  # attribute keys may vary: bounded
                self._layouts[memo_key] = found
        return found

    def _chunk_documents(
        self,
        attrs: dict[str, Any],
        keys: frozenset[str],
        chunk: list[tuple[MetricPoint, Any]],
        stamp: int,
    ) -> Iterator[dict[str, Any]]:
        # One directive per distinct dimension layout; ≤ 100 metrics each, so split documents.
        for start in range(0, len(chunk), MAX_METRICS_PER_DIRECTIVE):
            part = chunk[start : start + MAX_METRICS_PER_DIRECTIVE]
            directives: dict[str, dict[str, Any]] = {}
            doc: dict[str, Any] = {**self.properties, **_invocation_properties()}
            for point, value in part:
                dims, layout, metric = self._layout(point, keys)
                directive = directives.setdefault(
                    layout, {"Namespace": self.namespace, "Dimensions": dims, "Metrics": []}
                )
                directive["Metrics"].append(metric)
                doc[point.name] = value
            dimension_keys = {k for d in directives.values() for s in d["Dimensions"] for k in s}
            for key, value in attrs.items():
                doc[key] = _dimension_value(value) if key in dimension_keys else value
            doc[SERVICE_NAME] = self.service_name
            doc["_aws"] = {"Timestamp": stamp, "CloudWatchMetrics": list(directives.values())}
            yield doc


class EmfStdoutExporter:
    """Writes one JSON line per document to stdout (looked up at write time, as the log
    handler does, so a runtime that swaps stdout still gets them). Never raises."""

    def __init__(
        self,
        encoder: EmfEncoder,
        stream: TextIO | None = None,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        self.encoder = encoder
        self._stream = stream
        self._on_drop = on_drop

    def export(self, points: list[MetricPoint]) -> bool:
        try:
            lines = [
                json.dumps(doc, separators=(",", ":"), default=str)
                for doc in self.encoder.documents(points)
            ]
            stream = self._stream if self._stream is not None else sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()
            return True
        except Exception:  # noqa: BLE001 - telemetry boundary: count, never raise
            if self._on_drop is not None:
                self._on_drop(len(points))
            return False
