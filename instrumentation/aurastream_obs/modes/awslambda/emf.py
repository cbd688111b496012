"""Metric points → CloudWatch Embedded Metric Format documents (JSON lines on stdout).

Facts from AWS's EMF specification ("Specification: Embedded metric format",
docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
`_aws.CloudWatchMetrics` is an array of metric directives, each with its own `Dimensions`
(dimension sets) and `Metrics`, ≤ 100 metric definitions per directive; ≤ 30 keys per
dimension set; dimension values and metric values are top-level members of the document
(dimension values strings ≤ 1024 characters, a metric value a number or an array of ≤ 100
numbers); units from the CloudWatch list, StorageResolution 1 or 60.

One document per flush (one invocation) when it can hold everything: each attribute set's
metrics get the directives of their own dimension sets, and all of them share the document's
top-level members, so a document holds one value per key. Where two attribute sets disagree
on a key (a hit and a miss, two customers, the same metric twice), the flush is split into as
few documents as needed, and a unit never joins a document that disagrees with it on whether
such a key is present: a property (the customer id) is never attached to metrics recorded
without it when another value of it exists in the same flush. Histograms with > 100 values
and documents with > 100 metrics are split further.

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
# Our bound, not the specification's: ≤ 100 metrics of ≤ 100 values keeps a document far below
# the CloudWatch Logs event size limit (256 KB, now 1 MB) whatever the directives.
MAX_METRICS_PER_DOCUMENT: Final = 100
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


class _Unit:
    """The metrics of one attribute set (one chunk of ≤ 100 values per histogram, ≤ 100
    metrics): the document members it needs and its metric directives."""

    __slots__ = ("layouts", "members", "names")

    def __init__(self, members: dict[str, Any], names: list[str], layouts: list[_Layout]) -> None:
        self.members = members  # every top-level member but `_aws`, the base included
        self.names = names  # its metric names (members too)
        self.layouts = layouts  # one per metric, in order


# (dimension sets, their layout key, the metric definition): shared, serialised, never mutated.
_Layout = tuple[list[list[str]], str, dict[str, Any]]


def _same(a: object, b: object) -> bool:
    """Equal as JSON renders them (True and 1 are not the same member)."""
    return a.__class__ is b.__class__ and a == b


class _Document:
    __slots__ = ("members", "metrics", "units")

    def __init__(self, unit: _Unit) -> None:
        self.members = dict(unit.members)
        self.metrics = len(unit.names)
        self.units = [unit]

    def accepts(self, unit: _Unit, split: frozenset[str]) -> bool:
        if self.metrics + len(unit.names) > MAX_METRICS_PER_DOCUMENT:
            return False
        members = self.members
        for key in split:  # a disputed key: present in both with one value, or in neither
            if (key in members) != (key in unit.members):
                return False
            if key in members and not _same(members[key], unit.members[key]):
                return False
        return True

    def add(self, unit: _Unit) -> None:
        self.members.update(unit.members)
        self.metrics += len(unit.names)
        self.units.append(unit)


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
        self._layouts: dict[tuple[str, str, frozenset[str]], _Layout] = {}

    def documents(
        self, points: list[MetricPoint], timestamp_ms: int | None = None
    ) -> list[dict[str, Any]]:
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        base = {**self.properties, **_invocation_properties()}
        groups: dict[tuple[tuple[str, Any], ...], list[MetricPoint]] = {}
        for point in points:
            key = tuple(sorted(point.attributes.items(), key=_first))
            group = groups.get(key)
            if group is None:
                groups[key] = [point]
            else:
                group.append(point)
        units = [
            unit for attrs, group in groups.items() for unit in self._units(base, attrs, group)
        ]
        return [self._document(doc, stamp) for doc in _pack(units)]

    def _units(
        self, base: dict[str, Any], attrs: tuple[tuple[str, Any], ...], points: list[MetricPoint]
    ) -> Iterator[_Unit]:
        keys = frozenset(k for k, _ in attrs)
        # Chunk k of every metric: histograms with > 100 values span several units.
        chunks: list[list[tuple[MetricPoint, Any]]] = [[]]
        for point in points:
            if point.kind != "histogram":
                chunks[0].append((point, point.value))
                continue
            values = list(point.values)
            for index, start in enumerate(range(0, len(values), MAX_VALUES_PER_METRIC)):
                while len(chunks) <= index:
                    chunks.append([])
                chunks[index].append((point, values[start : start + MAX_VALUES_PER_METRIC]))
        for chunk in chunks:
            for start in range(0, len(chunk), MAX_METRICS_PER_DIRECTIVE):
                yield self._unit(
                    base, attrs, keys, chunk[start : start + MAX_METRICS_PER_DIRECTIVE]
                )

    def _unit(
        self,
        base: dict[str, Any],
        attrs: tuple[tuple[str, Any], ...],
        keys: frozenset[str],
        part: list[tuple[MetricPoint, Any]],
    ) -> _Unit:
        members = dict(base)
        names, layouts = [], []
        dimension_keys: set[str] = set()
        for point, value in part:
            layout = self._layout(point, keys)
            layouts.append(layout)
            names.append(point.name)
            members[point.name] = value
            for dims in layout[0]:
                dimension_keys.update(dims)
        for key, value in attrs:
            members[key] = _dimension_value(value) if key in dimension_keys else value
        members[SERVICE_NAME] = self.service_name
        return _Unit(members, names, layouts)

    def _layout(self, point: MetricPoint, keys: frozenset[str]) -> _Layout:
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

    def _document(self, doc: _Document, stamp: int) -> dict[str, Any]:
        # One directive per distinct dimension layout: in one document the dimension values
        # are the same members for every unit, so equal layouts share a directive.
        directives: dict[str, dict[str, Any]] = {}
        for unit in doc.units:
            for dims, layout, metric in unit.layouts:
                directive = directives.get(layout)
                if directive is None:
                    directive = directives[layout] = {
                        "Namespace": self.namespace,
                        "Dimensions": dims,
                        "Metrics": [],
                    }
                directive["Metrics"].append(metric)
        members = doc.members
        members["_aws"] = {"Timestamp": stamp, "CloudWatchMetrics": list(directives.values())}
        return members


def _first(item: tuple[str, Any]) -> str:
    return item[0]


def _pack(units: list[_Unit]) -> list[_Document]:
    """As few documents as the units allow (first fit, in recording order)."""
    if not units:
        return []
    split = _disputed(units)
    docs: list[_Document] = []
    for unit in units:
        for doc in docs:
            if doc.accepts(unit, split):
                doc.add(unit)
                break
        else:
            docs.append(_Document(unit))
    return docs


def _disputed(units: list[_Unit]) -> frozenset[str]:
    """Keys two units would write differently, and metric names more than one unit holds
    (a document holds one value per key)."""
    seen: dict[str, Any] = {}
    disputed: set[str] = set()
    metric_names: set[str] = set()
    for unit in units:
        for name in unit.names:
            if name in metric_names:
                disputed.add(name)
            metric_names.add(name)
        for key, value in unit.members.items():
            if key in seen:
                if not _same(seen[key], value):
                    disputed.add(key)
            else:
                seen[key] = value
    return frozenset(disputed)


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
        # Built once: json.dumps with options builds a new encoder on every call.
        self._encode = json.JSONEncoder(separators=(",", ":"), default=str).encode

    def export(self, points: list[MetricPoint]) -> bool:
        try:
            encode = self._encode
            lines = [encode(doc) for doc in self.encoder.documents(points)]
            stream = self._stream if self._stream is not None else sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()
            return True
        except Exception:  # noqa: BLE001 - telemetry boundary: count, never raise
            if self._on_drop is not None:
                self._on_drop(len(points))
            return False
