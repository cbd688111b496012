"""CloudWatch anomaly detection from definitions/predictive.py: per signal an
AWS::CloudWatch::AnomalyDetector (the model, trained on up to two weeks with hourly, daily and
weekly seasonality) and an AWS::CloudWatch::Alarm whose threshold is its band:

    Metrics: [the metric (or the math expression over hidden metrics), ReturnData true;
              {Id: band, Expression: ANOMALY_DETECTION_BAND(<id>, <width>), ReturnData true}]
    ThresholdMetricId: band
    ComparisonOperator: GreaterThanUpperThreshold | LessThanLowerOrGreaterThanUpperThreshold

(AWS CloudFormation reference, AWS::CloudWatch::Alarm `Metrics`/`ThresholdMetricId` and
AWS::CloudWatch::AnomalyDetector `SingleMetricAnomalyDetector`/`MetricMathAnomalyDetector`;
CloudWatch user guide, "Create a CloudWatch alarm based on anomaly detection": alarms on
single metrics and on metric math outputs.) The detector declares the same metric, statistic
or expression as the alarm, so the alarm uses the stack's model (the alarm depends on it);
the request rate is `FILL(count, 0)`, so traffic that stops is a zero, not missing data.
Warnings, to the warning topic: a band is a forecast, not an outage."""

from __future__ import annotations

from typing import Any

from aurastream_obs.artifacts.cloudformation_alarms import PARAMETERS, topic
from aurastream_obs.artifacts.cloudwatch_metrics import metric_stat
from aurastream_obs.core.conventions import CLOUDFORMATION_ENV, alarm_name, cloudformation_id
from aurastream_obs.definitions import predictive as p
from aurastream_obs.definitions.spec import CwExpression, CwMetric

SEVERITY = "warning"
_OPERATOR = {"above": "GreaterThanUpperThreshold",
             "both": "LessThanLowerOrGreaterThanUpperThreshold"}  # fmt: skip


def _source(signal: p.AnomalySignal) -> CwMetric | CwExpression:
    if signal.name == "request-rate" and isinstance(signal.cloudwatch, CwMetric):
        return CwExpression("FILL(count, 0)", (("count", signal.cloudwatch),))
    return signal.cloudwatch


def _queries(source: CwMetric | CwExpression, period_s: int) -> tuple[list[dict[str, Any]], str]:
    """The alarm's (and the detector's) queries without the band, and the id they return."""
    if isinstance(source, CwMetric):
        return [{"Id": "m1", "MetricStat": metric_stat(source, period_s), "ReturnData": True}], "m1"
    queries: list[dict[str, Any]] = [
        {"Id": mid, "MetricStat": metric_stat(metric, period_s), "ReturnData": False}
        for mid, metric in source.metrics
    ]
    queries.append({"Id": "e1", "Expression": source.expression, "ReturnData": True})
    return queries, "e1"


def _detector(source: CwMetric | CwExpression, period_s: int) -> dict[str, Any]:
    if isinstance(source, CwMetric):
        stat = metric_stat(source, period_s)
        return {"SingleMetricAnomalyDetector": {**stat["Metric"], "Stat": stat["Stat"]}}
    queries, _ = _queries(source, period_s)
    return {"MetricMathAnomalyDetector": {"MetricDataQueries": queries}}


def anomaly_resources(signal: p.AnomalySignal) -> dict[str, Any]:
    source = _source(signal)
    queries, returned = _queries(source, signal.period_s)
    band = {"Id": "band", "Label": f"expected {signal.name}", "ReturnData": True,
            "Expression": f"ANOMALY_DETECTION_BAND({returned}, {signal.band_width:g})"}  # fmt: skip
    detector = cloudformation_id(signal.name, "anomaly", "detector")
    side = "outside" if signal.direction == "both" else "above"
    return {
        detector: {"Type": "AWS::CloudWatch::AnomalyDetector",
                   "Properties": _detector(source, signal.period_s)},
        cloudformation_id(signal.name, "anomaly", SEVERITY, "alarm"): {
            "Type": "AWS::CloudWatch::Alarm",
            "DependsOn": detector,
            "Properties": {
                "AlarmName": {"Fn::Sub": alarm_name(CLOUDFORMATION_ENV,
                                                    f"{signal.name}-anomaly", SEVERITY)},
                "AlarmDescription": f"{signal.description} Fires {side} the band of "
                f"CloudWatch's model ({signal.band_width:g} standard deviations) in "
                f"{signal.periods} of {signal.periods} periods of {signal.period_s} s. Missing "
                "data is not breaching: no requests is no error or latency anomaly (the request "
                "rate is FILL(count, 0): traffic that stops is seen).",
                "ComparisonOperator": _OPERATOR[signal.direction],
                "EvaluationPeriods": signal.periods,
                "DatapointsToAlarm": signal.periods,
                "TreatMissingData": "notBreaching",
                "Metrics": [*queries, band],
                "ThresholdMetricId": "band",
                "AlarmActions": [topic(SEVERITY)],
                "OKActions": [topic(SEVERITY)],
            },
        },
    }  # fmt: skip


def anomaly_template(anomalies: tuple[p.AnomalySignal, ...] = p.ANOMALIES) -> dict[str, Any]:
    p.check(anomalies, ())
    resources: dict[str, Any] = {}
    for signal in anomalies:
        resources |= anomaly_resources(signal)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AuraStream anomaly-detection alarms (request rate, error rate, latency; "
        "each billed as 3 alarm metrics) notifying the alerting stack's warning topic.",
        "Parameters": PARAMETERS,
        "Resources": resources,
    }
