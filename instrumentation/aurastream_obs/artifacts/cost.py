"""What the definitions cost in CloudWatch per month (list prices, us-east-1, first tier) and
the proof that the custom-metric count does not grow with the number of customers."""

from __future__ import annotations

from math import prod
from typing import Any, Final

from aurastream_obs.core import conventions as c
from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.definitions.dashboards import SECURITY_EVENT_TYPES

# CloudWatch pricing page: custom metric $0.30/month (first 10k), standard-resolution alarm
# $0.10 per metric it reads, composite alarm $0.50, dashboard $3.00 (first 3 free).
METRIC_USD: Final = 0.30
ALARM_METRIC_USD: Final = 0.10
COMPOSITE_USD: Final = 0.50
DASHBOARD_USD: Final = 3.00
FREE_DASHBOARDS: Final = 3

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
}


def custom_metrics(customers: int) -> int:
    """Custom metrics the collector's awsemf declarations create for `customers` customers."""
    from aurastream_obs.core.conventions import EMF_DIMENSIONS

    values = {**VALUES_PER_DIMENSION, c.CUSTOMER_ID: customers}
    return sum(prod(values[d] for d in dims) for sets in EMF_DIMENSIONS.values() for dims in sets)


def cost_report(defs: Definitions) -> dict[str, Any]:
    from aurastream_obs.artifacts.cloudformation import templates

    rendered = templates(defs)
    resources = [
        r for kind in ("alarms", "slo-alarms") for r in rendered[kind]["Resources"].values()
    ]
    alarm_metrics = composites = alarms = 0
    for resource in resources:
        if resource["Type"] == "AWS::CloudWatch::CompositeAlarm":
            composites += 1
        elif resource["Type"] == "AWS::CloudWatch::Alarm":
            alarms += 1
            metrics = resource["Properties"].get("Metrics")
            alarm_metrics += len([m for m in metrics if "MetricStat" in m]) if metrics else 1
    # The security log group's metric filter: one metric per security event type.
    filtered = len(SECURITY_EVENT_TYPES)
    metrics_10, metrics_10k = custom_metrics(10) + filtered, custom_metrics(10_000) + filtered
    dashboards = len(defs.dashboards)
    monthly = (
        metrics_10k * METRIC_USD + alarm_metrics * ALARM_METRIC_USD + composites * COMPOSITE_USD
        + max(0, dashboards - FREE_DASHBOARDS) * DASHBOARD_USD
    )  # fmt: skip
    return {
        "custom_metrics": metrics_10k,
        "custom_metrics_10_customers": metrics_10,
        "alarms": alarms,
        "alarm_metrics": alarm_metrics,
        "composite_alarms": composites,
        "dashboards": dashboards,
        "monthly_usd": round(monthly, 2),
    }


def format_report(report: dict[str, Any]) -> str:
    grows = report["custom_metrics"] != report["custom_metrics_10_customers"]
    return "\n".join(
        [
            "cost (CloudWatch list prices, per month):",
            f"  custom metrics: {report['custom_metrics']} (10 customers: "
            f"{report['custom_metrics_10_customers']}, 10,000 customers: "
            f"{report['custom_metrics']} — {'GROWS' if grows else 'does not grow'} "
            "with customers)",
            f"  alarms: {report['alarms']} metric alarms reading {report['alarm_metrics']} "
            f"metrics, {report['composite_alarms']} composite",
            f"  dashboards: {report['dashboards']} ({FREE_DASHBOARDS} free)",
            f"  total: ${report['monthly_usd']:.2f}/month",
        ]
    )


def print_cost() -> str:
    return format_report(cost_report(load_definitions()))
