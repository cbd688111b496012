"""What the definitions cost in CloudWatch per month (list prices, us-east-1, first tier) and
the proof that the custom-metric count does not grow with the number of customers."""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.definitions.custom_metrics import stack_custom_metrics

# CloudWatch pricing page: custom metric $0.30/month (first 10k), standard-resolution alarm
# $0.10 per metric it reads, composite alarm $0.50, dashboard $3.00 (first 3 free).
METRIC_USD: Final = 0.30
ALARM_METRIC_USD: Final = 0.10
COMPOSITE_USD: Final = 0.50
DASHBOARD_USD: Final = 3.00
FREE_DASHBOARDS: Final = 3
# An anomaly-detection alarm is billed as 3 alarm metrics: the metric and the band's upper and
# lower bound (same pricing page).
ANOMALY_ALARM_METRICS: Final = 3


def cost_report(defs: Definitions) -> dict[str, Any]:
    from aurastream_obs.artifacts.cloudformation import templates

    rendered = templates(defs)
    resources = [
        r
        for kind in ("alarms", "slo-alarms", "anomaly-alarms")
        for r in rendered[kind]["Resources"].values()
    ]
    alarm_metrics = composites = alarms = 0
    for resource in resources:
        if resource["Type"] == "AWS::CloudWatch::CompositeAlarm":
            composites += 1
        elif resource["Type"] == "AWS::CloudWatch::Alarm":
            alarms += 1
            if "ThresholdMetricId" in resource["Properties"]:
                alarm_metrics += ANOMALY_ALARM_METRICS
                continue
            metrics = resource["Properties"].get("Metrics")
            alarm_metrics += len([m for m in metrics if "MetricStat" in m]) if metrics else 1
    metrics_10, metrics_10k = stack_custom_metrics(10), stack_custom_metrics(10_000)
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
