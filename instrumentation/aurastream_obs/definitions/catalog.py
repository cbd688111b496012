"""Which metrics exist: the Prometheus series our instruments produce (with their labels) and
the CloudWatch metrics we may alarm on. Validation rejects any definition that reads
something else, so a typo fails at render time instead of producing a silent alarm."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from aurastream_obs.core.conventions import (
    ALL_INSTRUMENTS,
    EMF_DIMENSIONS,
    EMF_NAMESPACE,
    prometheus_label,
    prometheus_series,
)

# Labels every scraped series carries besides its attributes (OTel scope, Prometheus target).
_COMMON_LABELS: Final = frozenset({"otel_scope_name", "otel_scope_version", "job", "instance"})


def _prometheus_catalog() -> Mapping[str, frozenset[str]]:
    catalog: dict[str, frozenset[str]] = {}
    for spec in ALL_INSTRUMENTS:
        labels = frozenset(prometheus_label(a) for a in spec.attributes) | _COMMON_LABELS
        for series in prometheus_series(spec):
            catalog[series] = labels | ({"le"} if series.endswith("_bucket") else set())
    return MappingProxyType(catalog)


PROMETHEUS_SERIES: Final = _prometheus_catalog()

# Native AWS metrics (CloudWatch "AWS services that publish metrics") used by infrastructure
# alarms and dashboards, and the OTel names the awsemf exporter publishes in our namespace.
CLOUDWATCH_METRICS: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        *(("AWS/ApiGateway", m) for m in ("Count", "4XXError", "5XXError", "Latency",
                                          "IntegrationLatency")),
        *(("AWS/Lambda", m) for m in ("Invocations", "Errors", "Throttles", "Duration",
                                      "ConcurrentExecutions")),
        *(("AWS/DynamoDB", m) for m in ("ThrottledRequests", "SystemErrors",
                                        "ReadThrottleEvents", "WriteThrottleEvents")),
        *((EMF_NAMESPACE, spec.name) for spec in ALL_INSTRUMENTS),
    }
)  # fmt: skip

# Dimensions the collector's awsemf metric_declarations publish per app metric: the union of
# the metric's dimension sets in the conventions (service.name in every set, a customer id in
# none).
CLOUDWATCH_APP_DIMENSIONS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {name: frozenset(d for dims in sets for d in dims) for name, sets in EMF_DIMENSIONS.items()}
)
