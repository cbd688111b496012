"""AWS::CloudWatch::Alarm / CompositeAlarm and the SNS topics, from SLOs and threshold alarms.

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
from aurastream_obs.definitions.spec import SLO, Alarm, CwExpression, CwMetric

_OPERATORS = {">": "GreaterThanThreshold", "<": "LessThanThreshold"}
TOPICS = {"critical": "CriticalAlertsTopic", "warning": "WarningAlertsTopic"}


def _name(thing: str, severity: str) -> dict[str, str]:
    return {"Fn::Sub": alarm_name(CLOUDFORMATION_ENV, thing, severity)}


def topics() -> dict[str, Any]:
    return {
        logical: {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": f"aurastream-${{Environment}}-{severity}-alerts"},
                "KmsMasterKeyId": "alias/aws/sns",
            },
        }
        for severity, logical in TOPICS.items()
    }


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
            "AlarmActions": [{"Ref": TOPICS[severity]}],
            "OKActions": [{"Ref": TOPICS[severity]}],
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
                "AlarmActions": [{"Ref": TOPICS[severity]}],
                "OKActions": [{"Ref": TOPICS[severity]}],
            },
        }
    return resources


def alarms_template(defs: Definitions) -> dict[str, Any]:
    resources = topics()
    for slo in defs.slos:
        resources |= slo_alarms(slo)
    for alarm in defs.alarms:
        if alarm.cloudwatch is not None:
            resources |= threshold_alarms(alarm)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AuraStream alarms: SLO burn-rate composites, threshold alarms, topics.",
        "Parameters": PARAMETERS,
        "Resources": resources,
        "Outputs": {
            f"{logical}Arn": {
                "Value": {"Ref": logical},
                "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{logical}"}},
            }
            for logical in TOPICS.values()
        },
    }


PARAMETERS: dict[str, Any] = {
    "Environment": {"Type": "String", "Default": "prod", "AllowedPattern": "^[a-z0-9-]+$"},
    "ApiName": {"Type": "String", "Default": "aurastream-api"},
    "FunctionName": {"Type": "String", "Default": "aurastream-sync-handler"},
    "TableName": {"Type": "String", "Default": "AuraStream-SentimentCache"},
    "ServiceName": {"Type": "String", "Default": "aurastream-api"},
}
