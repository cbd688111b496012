"""Which Prometheus series exist: the series our instruments produce, with their labels.
Validation rejects any definition that reads something else, so a typo fails at render time
instead of producing a silent alarm. The CloudWatch side is `aws_metrics.py` (what each AWS
resource we deploy publishes, from the AWS documentation) checked by `metric_check.py`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from aurastream_obs.core.conventions import (
    ALL_INSTRUMENTS,
    ENVIRONMENT_NAME_LABEL,
    SERVICE_NAME_LABEL,
    prometheus_label,
    prometheus_series,
)

# Labels every series carries besides its attributes: the OTel scope, the Prometheus target and
# the resource's identity (service and environment; core/conventions.py says who adds them).
_COMMON_LABELS: Final = frozenset(
    {"otel_scope_name", "otel_scope_version", "job", "instance", SERVICE_NAME_LABEL,
     ENVIRONMENT_NAME_LABEL}
)  # fmt: skip


def _prometheus_catalog() -> Mapping[str, frozenset[str]]:
    catalog: dict[str, frozenset[str]] = {}
    for spec in ALL_INSTRUMENTS:
        labels = frozenset(prometheus_label(a) for a in spec.attributes) | _COMMON_LABELS
        for series in prometheus_series(spec):
            catalog[series] = labels | ({"le"} if series.endswith("_bucket") else set())
    return MappingProxyType(catalog)


PROMETHEUS_SERIES: Final = _prometheus_catalog()
