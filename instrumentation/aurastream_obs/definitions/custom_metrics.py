"""How many CloudWatch custom metrics the EMF dimension sets create: one per distinct
combination of dimension values (what the service emits), per declared set. The customer id is
never a dimension, so the count does not grow with customers. Used by the render step's cost
report (artifacts/cost.py) and the analytics' cost per analysis (ops/analytics/costs.py)."""

from __future__ import annotations

from math import prod
from typing import Final

from aurastream_obs.core import conventions as c
from aurastream_obs.definitions.deployment import SECURITY_EVENT_TYPES

# Distinct values per dimension (what the service emits; see service/app.py routes).
VALUES_PER_DIMENSION: Final = {
    "service.name": 1,
    c.HTTP_ROUTE: 3,  # /v1/analyze, /v1/health, unmatched
    c.HTTP_STATUS: 8,  # 200, 400, 401, 404, 405, 413, 429, 500
    c.SENTIMENT: 4,
    c.CACHE_HIT: 2,
    c.ACTIVITY_TYPE: 3,
    "signal": 3,
    "reason": 3,
    c.SECURITY_EVENT: len(SECURITY_EVENT_TYPES),  # the event types the code logs
    c.REQUEST_FAILED: 2,
}


def custom_metrics(customers: int) -> int:
    """Custom metrics the collector's awsemf declarations create for `customers` customers."""
    values = {**VALUES_PER_DIMENSION, c.CUSTOMER_ID: customers}
    return sum(prod(values[d] for d in dims) for sets in c.EMF_DIMENSIONS.values() for dims in sets)


def stack_custom_metrics(customers: int) -> int:
    """Every custom metric of the stack: the EMF sets plus the security log group's metric
    filter (one metric per security event type)."""
    from aurastream_obs.definitions.dashboards import SECURITY_EVENT_TYPES

    return custom_metrics(customers) + len(SECURITY_EVENT_TYPES)
