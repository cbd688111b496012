"""The same metric recordings through the lean path and the SDK's own path, side by side.

- `MetricPaths.build(...)`: two meter providers from `build_meter_provider` (one lean, one
  `sdk_path="stock"`), each with its own in-memory readers, the same views, filter and limit;
  `record(fn)` runs `fn(meter)` on both (same random draws); `collect(i)` collects reader `i`
  of both; `assert_same(i)` compares them.
- `normalized(metrics_data)`: an export as plain data without timestamps, in a canonical order
  (scopes, metrics, points, exemplars sorted), every number tagged with its type (an int sum
  and a float sum are not the same export), so two exports compare with `==`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, MetricsData
from opentelemetry.sdk.resources import Resource

from aurastream_obs.core.records import replace
from aurastream_obs.core.settings import Settings
from aurastream_obs.sdk.metrics import build_meter_provider

PATHS = ("lean", "stock")


def _tag(value: Any) -> Any:
    if isinstance(value, dict):
        return ("mapping", tuple(sorted((str(k), _tag(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("sequence", tuple(_tag(v) for v in value))
    return (type(value).__name__, value)


def _exemplar(exemplar: Any) -> tuple[Any, ...]:
    return (
        _tag(exemplar.value),
        _tag(exemplar.filtered_attributes),
        _tag(exemplar.span_id),
        _tag(exemplar.trace_id),
    )


def _point(point: Any) -> tuple[Any, ...]:
    exemplars = tuple(sorted(_exemplar(e) for e in point.exemplars))
    attributes = _tag(dict(point.attributes or {}))
    if hasattr(point, "bucket_counts"):
        numbers = (
            _tag(point.count),
            _tag(point.sum),
            tuple(point.bucket_counts),
            tuple(point.explicit_bounds),
            _tag(point.min),
            _tag(point.max),
        )
    else:
        numbers = (_tag(point.value),)
    return (attributes, numbers, exemplars)


def _metric(metric: Any) -> tuple[Any, ...]:
    data = metric.data
    return (
        metric.name,
        metric.description,
        metric.unit,
        type(data).__name__,
        int(getattr(data, "aggregation_temporality", 0)),
        getattr(data, "is_monotonic", None),
        tuple(sorted(_point(p) for p in data.data_points)),
    )


def normalized(data: MetricsData | None) -> list[Any]:
    if data is None:
        return []
    out = []
    for rm in data.resource_metrics:
        scopes = sorted(
            (
                (sm.scope.name, sm.scope.version or "", sm.schema_url),
                tuple(sorted(_metric(m) for m in sm.metrics)),
            )
            for sm in rm.scope_metrics
        )
        out.append((_tag(dict(rm.resource.attributes)), rm.schema_url, scopes))
    return out


def point_count(data: MetricsData | None) -> int:
    if data is None:
        return 0
    return sum(
        len(m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )


@dataclass
class MetricPaths:
    providers: dict[str, MeterProvider]
    readers: dict[str, list[MetricReader]]

    @classmethod
    def build(
        cls,
        *,
        readers: int = 1,
        reader_factory: Callable[[], MetricReader] = InMemoryMetricReader,
        settings: Settings | None = None,
        **setting_overrides: Any,
    ) -> MetricPaths:
        base = replace(settings or Settings(), **setting_overrides)
        resource = Resource.create({"service.name": "paths"})
        providers, all_readers = {}, {}
        for path in PATHS:
            made = [reader_factory() for _ in range(readers)]
            providers[path] = build_meter_provider(
                resource, made, settings=replace(base, sdk_path=path)
            )
            all_readers[path] = made
        return cls(providers, all_readers)

    def meters(self, name: str = "paths.app", version: str = "1.0") -> dict[str, Meter]:
        return {path: p.get_meter(name, version) for path, p in self.providers.items()}

    def record(self, fn: Callable[[Meter], None], scope: str = "paths.app") -> None:
        """`fn(meter)` on both paths, each from the same random state: the exemplar
        reservoirs draw the same numbers on both, so their samples compare too."""
        state = random.getstate()
        for meter in self.meters(scope).values():
            random.setstate(state)
            fn(meter)

    def collect(self, index: int = 0) -> dict[str, MetricsData | None]:
        out = {}
        for path, readers in self.readers.items():
            reader = readers[index]
            assert isinstance(reader, InMemoryMetricReader)
            out[path] = reader.get_metrics_data()
        return out

    def assert_same(self, index: int = 0) -> list[Any]:
        """Collect reader `index` on both paths; the exports are equal; the lean one."""
        got = self.collect(index)
        lean, stock = normalized(got["lean"]), normalized(got["stock"])
        assert lean == stock
        return lean

    def shutdown(self) -> None:
        for provider in self.providers.values():
            provider.shutdown()


def names(data: Sequence[Any]) -> set[str]:
    """Metric names in a `normalized` export."""
    return {metric[0] for _, _, scopes in data for _, metrics in scopes for metric in metrics}
