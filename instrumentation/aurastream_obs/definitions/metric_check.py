"""Does a CloudWatch query read a metric that exists? One rule for the definitions (render
time), the rendered templates (`aurastream-obs validate`) and the KPI queries.

A metric exists when the resource it points at publishes it (the metric catalog), under
exactly the dimension set the query names, and the statistic means something for it. The
answer is one line that says what is wrong and what the resource does publish."""

from __future__ import annotations

from collections.abc import Iterable

from aurastream_obs.definitions.aws_metrics import (
    KIND_NAMES,
    MetricSpec,
    describe_kind,
    lookup,
    publishers,
)
from aurastream_obs.definitions.deployment import RESOURCES, ResourceKind
from aurastream_obs.definitions.spec import CwExpression, CwMetric


def _sets(spec: MetricSpec) -> str:
    return " | ".join(sorted("+".join(sorted(d)) or "(no dimension)" for d in spec.dimension_sets))


def kind_problem(
    kind: ResourceKind, namespace: str, name: str, dims: Iterable[str], stat: str
) -> str | None:
    """Why `namespace/name` by `dims` with `stat` is not a metric of a `kind` resource."""
    spec = lookup(kind, namespace, name)
    dimset = frozenset(dims)
    shown = "+".join(sorted(dimset)) or "(no dimension)"
    if spec is None:
        others = sorted({KIND_NAMES[s.kind] for s in publishers(namespace, name)})
        by = f" ({' and '.join(others)} metric)" if others else ""
        return f"{namespace} {name}{by} is not a metric of {describe_kind(kind)}"
    if dimset not in spec.dimension_sets:
        return f"{namespace} {name} by {shown} does not exist: it is published by {_sets(spec)}"
    if not spec.allows(stat):
        allowed = ", ".join(sorted(spec.statistics))
        allowed += " or a percentile" if spec.percentiles else ""
        return f"{namespace} {name}: statistic {stat} means nothing for it (use {allowed})"
    return None


def metric_problem(metric: CwMetric) -> str | None:
    """Why `metric` is not something its resource publishes (None: it is)."""
    resource = RESOURCES.get(metric.resource)
    if resource is None:
        return f"{metric.namespace} {metric.name}: unknown resource {metric.resource!r}"
    identity = metric.dimensions[: len(resource.dimensions)]
    if identity != resource.dimensions:
        return (
            f"{metric.namespace} {metric.name}: dimensions {dict(identity)} do not name "
            f"{resource.key} ({dict(resource.dimensions)})"
        )
    dims = (k for k, _ in metric.dimensions)
    return kind_problem(resource.kind, metric.namespace, metric.name, dims, metric.stat)


def metrics_of(source: CwMetric | CwExpression) -> tuple[tuple[str, CwMetric], ...]:
    return source.metrics if isinstance(source, CwExpression) else (("m", source),)
