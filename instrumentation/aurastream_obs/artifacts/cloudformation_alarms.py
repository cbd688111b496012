"""AWS::CloudWatch::Alarm / CompositeAlarm from SLOs and threshold alarms, in two stacks (the
threshold alarms, the SLO burn-rate alarms) that notify the alerting stack's topics by import
(`cloudformation_alerting.py`): a severity's topic, or a team's (security) for its alarms.

Each burn-rate window is one metric-math alarm (period = the window, so the alarm sees the
window's ratio in one datapoint) without actions; a composite alarm per SLO and severity
ORs the rows, each row ANDing its long and short window, and notifies the severity's topic."""

from __future__ import annotations

from typing import Any

from aurastream_obs.artifacts.cloudwatch_metrics import PERCENTILE, alarm_metrics, metric_stat
from aurastream_obs.core.conventions import (
    CLOUDFORMATION_ENV,
    alarm_name,
    cloudformation_id,
    slo_alert_thing,
    window_seconds,
)
from aurastream_obs.definitions import Definitions
from aurastream_obs.definitions.deployment import (
    STAGE,
    environment_parameter,
    topic_export,
)
from aurastream_obs.definitions.spec import SLO, Alarm, CwExpression, CwMetric

_OPERATORS = {">": "GreaterThanThreshold", "<": "LessThanThreshold"}


def _name(thing: str, severity: str) -> dict[str, str]:
    return {"Fn::Sub": alarm_name(CLOUDFORMATION_ENV, thing, severity)}


def topic(route: str) -> dict[str, Any]:
    """The ARN of a route's topic, imported from the alerting stack."""
    return {"Fn::ImportValue": {"Fn::Sub": topic_export(route)}}


def _source(source: CwMetric | CwExpression, period_s: int) -> dict[str, Any]:
    if isinstance(source, CwExpression):
        return {"Metrics": alarm_metrics(source, period_s)}
    props: dict[str, Any] = {
        "Namespace": source.namespace,
        "MetricName": source.name,
        "Dimensions": metric_stat(source, period_s)["Metric"]["Dimensions"],
        "Period": period_s,
    }
    if PERCENTILE.match(source.stat):
        props["ExtendedStatistic"] = source.stat
        # Few samples make a p99 noisy: evaluate only with enough data, else ignore.
        props["EvaluateLowSampleCountPercentile"] = "ignore"
    else:
        props["Statistic"] = source.stat
    return props


def threshold_alarms(alarm: Alarm) -> dict[str, Any]:
    assert alarm.cloudwatch is not None
    resources: dict[str, Any] = {}
    for severity, threshold in sorted(alarm.thresholds.items()):
        props = {
            "AlarmName": _name(alarm.name, severity),
            "AlarmDescription": f"{alarm.description} Missing data: {alarm.missing_reason}.",
            "ComparisonOperator": _OPERATORS[alarm.comparison],
            "Threshold": threshold.value,
            "EvaluationPeriods": threshold.periods,
            "DatapointsToAlarm": threshold.datapoints_to_alarm,
            "TreatMissingData": alarm.treat_missing,
            **_source(alarm.cloudwatch, alarm.period_s),
            "AlarmActions": [topic(alarm.team or severity)],
            "OKActions": [topic(alarm.team or severity)],
        }
        resources[cloudformation_id(alarm.name, severity, "alarm")] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": props,
        }
    return resources


def slo_alarms(slo: SLO) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    thing = slo_alert_thing(slo.name)
    for severity in ("critical", "warning"):
        rows = [r for r in slo.burn_rates if r.severity == severity]
        if not rows:
            continue
        terms = []
        for row in rows:
            limit = round(row.burn_rate * slo.error_budget, 10)
            pair = []
            for window in (row.long_window, row.short_window):
                logical = cloudformation_id(slo.name, "burn", window, severity)
                resources[logical] = {
                    "Type": "AWS::CloudWatch::Alarm",
                    "Properties": {
                        "AlarmName": _name(f"{thing}-{window}", severity),
                        "AlarmDescription": f"{slo.name}: error ratio over {window} above "
                        f"{row.burn_rate:g}x budget (input to the composite; no actions).",
                        "ComparisonOperator": "GreaterThanThreshold",
                        "Threshold": limit,
                        "EvaluationPeriods": 1,
                        "DatapointsToAlarm": 1,
                        # No traffic burns no budget.
                        "TreatMissingData": "notBreaching",
                        "Metrics": alarm_metrics(slo.cloudwatch, window_seconds(window)),
                    },
                }
                pair.append(f'ALARM("${{{logical}}}")')
            terms.append(f"({' AND '.join(pair)})")
        resources[cloudformation_id(slo.name, "budget", "burn", severity)] = {
            "Type": "AWS::CloudWatch::CompositeAlarm",
            "Properties": {
                "AlarmName": _name(thing, severity),
                "AlarmDescription": f"{slo.description} Objective {slo.objective_percent:g} % "
                f"over {slo.period_days} days; multiwindow burn-rate ({severity}).",
                "AlarmRule": {"Fn::Sub": " OR ".join(terms)},
                "AlarmActions": [topic(severity)],
                "OKActions": [topic(severity)],
            },
        }
    return resources


def alarms_template(defs: Definitions) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for alarm in defs.alarms:
        if alarm.cloudwatch is not None:
            resources |= threshold_alarms(alarm)
    return _template("AuraStream threshold alarms (notify the alerting stack's topics).", resources)


def slo_alarms_template(defs: Definitions) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for slo in defs.slos:
        resources |= slo_alarms(slo)
    return _template("AuraStream SLO multiwindow burn-rate alarms and their composites.", resources)


def _template(description: str, resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Parameters": PARAMETERS,
        "Resources": resources,
    }


# Every other name derives from the environment (definitions/deployment.py); the HTTP API id
# is imported from the application stack's export.
PARAMETERS: dict[str, Any] = {
    "Environment": environment_parameter(),
    "Stage": {"Type": "String", "Default": STAGE, "Description": "Stage of the HTTP API"},
}
