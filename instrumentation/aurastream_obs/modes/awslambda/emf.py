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
from aurastream_obs.core.json_encoding import compact_encoder
from aurastream_obs.logs.invocation import CURRENT
from aurastream_obs.modes.awslambda.emf_plan import (
    MAX_METRICS_PER_DIRECTIVE,
    MAX_VALUES_PER_METRIC,
    Layout,
    MemoKey,
    Planned,
    Unit,
    pack,
)
from aurastream_obs.modes.awslambda.metrics import MetricPoint

MAX_DIMENSIONS_PER_SET: Final = 30
MAX_DIMENSION_VALUE: Final = 1024
STORAGE_RESOLUTION: Final = 60
_LAYOUT_MEMO_MAX: Final = 1024
_PLAN_MEMO_MAX: Final = 256  # shapes of a flush: a function has a handful
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
    """Points → documents (`documents`, dicts) or their JSON lines (`lines`, what the exporter
    writes). The plan of a flush (emf_plan.py) is memoised per shape (names, units, kinds and
    attribute sets of the points), and so is the `_aws` part of each document: per flush only
    the values and the invocation's ids are new."""

    def __init__(
        self,
        service_name: str,
        namespace: str = EMF_NAMESPACE,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        self.service_name = service_name
        self.namespace = namespace
        self.properties = dict(properties or {})
        self._layouts: dict[MemoKey, Layout] = {}
        self._plans: dict[tuple[Any, ...], list[Planned]] = {}

    def documents(
        self, points: list[MetricPoint], timestamp_ms: int | None = None
    ) -> list[dict[str, Any]]:
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        base = {**self.properties, **_invocation_properties()}
        out = []
        for planned in self._plan(points, base):
            members = _members(planned, points, base)
            members["_aws"] = {"Timestamp": stamp, "CloudWatchMetrics": self._directives(planned)}
            out.append(members)
        return out

    def lines(
        self,
        points: list[MetricPoint],
        encode: Callable[[Any], str],
        timestamp_ms: int | None = None,
    ) -> list[str]:
        """The documents as `encode` renders them (compact JSON), byte for byte, faster: the
        attribute members, the metric names and `_aws` are encoded once per shape, only the
        base (the invocation's ids) and the values per flush."""
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        base = {**self.properties, **_invocation_properties()}
        head = encode(base)[:-1] + "," if base else "{"
        out = []
        for planned in self._plan(points, base):
            directives = planned.directives_json
            if directives is None:
                directives = planned.directives_json = encode(self._directives(planned))
            tail = f',"_aws":{{"Timestamp":{stamp},"CloudWatchMetrics":{directives}}}}}'
            template = planned.template
            if template is None:
                template = planned.template = _template(planned, base, encode)
            if not template:  # a member the concatenation would repeat: the plain way
                out.append(encode(_members(planned, points, base))[:-1] + tail)
                continue
            static, prefixes = template
            values = []
            for prefix, (_, index, start) in zip(prefixes, planned.slots, strict=True):
                point = points[index]
                value = point.value  # a finite float (the common case) inline, as json writes it
                if (
                    start < 0
                    and point.kind != "histogram"
                    and value.__class__ is float
                    and (value - value == 0.0)
                ):
                    values.append(prefix + float.__repr__(value))
                else:
                    values.append(prefix + _value_json(point, start, encode))
            out.append(f"{head}{static},{','.join(values)}{tail}")
        return out

    def _plan(self, points: list[MetricPoint], base: dict[str, Any]) -> list[Planned]:
        shapes = [p.shape for p in points]
        if None in shapes:  # points not from a collection: their keys computed here
            keys = [tuple(sorted(p.attributes.items())) if p.key is None else p.key for p in points]
            shapes = [(p.name, p.unit, p.kind, k) for p, k in zip(points, keys, strict=True)]
        else:
            keys = [p.key for p in points]  # type: ignore[misc]  # all set: checked above
        shape = (tuple(base), *shapes)
        try:
            found = self._plans.get(shape)
        except TypeError:  # an unhashable attribute value: not memoised
            found, shape = None, ()
        if found is not None:
            return found
        groups: dict[Any, list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault(key if shape else index, []).append(index)
        units: list[Unit] = []
        chunked = False
        for indices in groups.values():
            attrs = keys[indices[0]]
            if len(indices) <= MAX_METRICS_PER_DIRECTIVE and all(
                len(points[i].values) <= MAX_VALUES_PER_METRIC for i in indices
            ):
                units.append(self._unit(base, attrs, points, [(i, -1) for i in indices]))
            else:
                chunked = True
                units.extend(self._chunked(base, attrs, points, indices))
        plan = pack(units, base)
        # Memoised unless a histogram was cut (the cut depends on how many values came) or an
        # attribute replaces a base member (whose value changes per invocation).
        replaces_base = any(name in base for key in keys for name, _ in key)
        if shape and not chunked and not replaces_base:
            if len(self._plans) >= _PLAN_MEMO_MAX:
                self._plans.clear()  # start again rather than plan a late shape at every flush
            self._plans[shape] = plan
        return plan

    def _chunked(
        self,
        base: dict[str, Any],
        attrs: tuple[tuple[str, Any], ...],
        points: list[MetricPoint],
        indices: list[int],
    ) -> Iterator[Unit]:
        # Chunk k of every metric: histograms with > 100 values span several units.
        chunks: list[list[tuple[int, int]]] = [[]]
        for i in indices:
            point = points[i]
            if point.kind != "histogram":
                chunks[0].append((i, -1))
                continue
            for index, start in enumerate(range(0, len(point.values), MAX_VALUES_PER_METRIC)):
                while len(chunks) <= index:
                    chunks.append([])
                chunks[index].append((i, start))
        size = MAX_METRICS_PER_DIRECTIVE
        for chunk in chunks:
            for start in range(0, len(chunk), size):
                yield self._unit(base, attrs, points, chunk[start : start + size])

    def _unit(
        self,
        base: dict[str, Any],
        attrs: tuple[tuple[str, Any], ...],
        points: list[MetricPoint],
        part: list[tuple[int, int]],
    ) -> Unit:
        keys = frozenset(k for k, _ in attrs)
        slots, layouts = [], []
        dimension_keys: frozenset[str] = frozenset()
        for index, start in part:
            point = points[index]
            layout = self._layout(point, keys)
            layouts.append(layout)
            slots.append((point.name, index, start))
            dimension_keys |= layout[3]
        members = dict(base)
        for key, value in attrs:
            if key != "_aws":  # the metadata member is ours
                members[key] = _dimension_value(value) if key in dimension_keys else value
        members[SERVICE_NAME] = self.service_name
        return Unit(members, slots, layouts)

    def _layout(self, point: MetricPoint, keys: frozenset[str]) -> Layout:
        """Dimension sets, their layout key and the metric definition; memoised (the same few
        metrics flush on every invocation)."""
        memo_key = (point.name, point.unit, keys)
        found = self._layouts.get(memo_key)
        if found is None:
            dims = dimension_sets(point.name, keys)
            metric = {
                "Name": point.name,
                "Unit": cloudwatch_unit(point.unit),
                "StorageResolution": STORAGE_RESOLUTION,
            }
            found = (dims, repr(dims), metric, frozenset(k for s in dims for k in s), memo_key)
            if len(self._layouts) >= _LAYOUT_MEMO_MAX:  # attribute keys may vary: bounded,
                self._layouts.clear()  # and a late key set is memoised too
            self._layouts[memo_key] = found
        return found

    def _directives(self, planned: Planned) -> list[dict[str, Any]]:
        # One directive per distinct dimension layout: in one document the dimension values
        # are the same members for every unit, so equal layouts share a directive. Fresh
        # containers (a caller may change what it gets).
        directives: dict[str, dict[str, Any]] = {}
        for dims, layout, metric, _, _ in planned.layouts:
            directive = directives.get(layout)
            if directive is None:
                directive = directives[layout] = {
                    "Namespace": self.namespace,
                    "Dimensions": [list(s) for s in dims],
                    "Metrics": [],
                }
            directive["Metrics"].append(dict(metric))
        return list(directives.values())


def _template(
    planned: Planned, base: dict[str, Any], encode: Callable[[Any], str]
) -> tuple[str, tuple[str, ...]] | tuple[()]:
    """The parts of a document's members that do not change between flushes of its shape:
    base members first, then the static ones, then the metrics, as `_members` orders them."""
    names = [name for name, _, _ in planned.slots]
    static = planned.static
    if (
        not static
        or len(set(names)) != len(names)
        or any(key in base for key in static)
        or any(name in base or name in static for name in names)
    ):
        return ()
    return encode(static)[1:-1], tuple(encode(name) + ":" for name in names)


def _value_json(point: MetricPoint, start: int, encode: Callable[[Any], str]) -> str:
    """A metric value as the JSON encoder writes it (floats: float.__repr__, as it does)."""
    if start >= 0:
        return encode(point.values[start : start + MAX_VALUES_PER_METRIC])
    if point.kind == "histogram":
        return encode(point.values)
    value = point.value
    if value.__class__ is float and value - value == 0.0:  # finite
        return float.__repr__(value)
    return encode(value)


def _members(planned: Planned, points: list[MetricPoint], base: dict[str, Any]) -> dict[str, Any]:
    """The document's top-level members but `_aws`: the base, the attributes, the values."""
    members = base.copy()
    members.update(planned.static)
    for name, index, start in planned.slots:
        point = points[index]
        if start >= 0:
            members[name] = list(point.values[start : start + MAX_VALUES_PER_METRIC])
        elif point.kind == "histogram":
            members[name] = list(point.values)
        else:
            members[name] = point.value
    return members


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
        self._encode = compact_encoder(str)  # one C encoder, reused (core/json_encoding.py)

    def export(self, points: list[MetricPoint]) -> bool:
        try:
            lines = self.encoder.lines(points, self._encode)
            stream = self._stream if self._stream is not None else sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()
            return True
        except Exception:  # noqa: BLE001 - telemetry boundary: count, never raise
            if self._on_drop is not None:
                self._on_drop(len(points))
            return False
