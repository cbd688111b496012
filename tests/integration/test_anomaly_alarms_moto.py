"""The rendered anomaly-detection alarms go through the CloudWatch API: each alarm created on
a moto server with PutMetricAlarm, its properties unchanged (Metrics, ThresholdMetricId on the
ANOMALY_DETECTION_BAND), and each detector's properties accepted by botocore's validation of
PutAnomalyDetector (moto has no anomaly detectors; the parameter model is AWS's own)."""

from __future__ import annotations

import pytest

from aurastream_obs.artifacts.cloudformation_anomaly import anomaly_template
from support.cloudwatch_alarms import Resolver, alarm_resources, create_metric_alarms
from support.moto import Clients

pytestmark = pytest.mark.integration
ENV = "anomalytest"


def _resolver(clients: Clients) -> Resolver:
    topic = clients("sns").create_topic(Name=f"aurastream-{ENV}-warning-alerts")["TopicArn"]
    return Resolver(
        parameters={"Environment": ENV, "Stage": "$default"},
        exports={f"aurastream-{ENV}-api-id": "anom123", f"aurastream-{ENV}-warning-alerts-topic":
                 topic},
    )  # fmt: skip


def test_every_anomaly_alarm_is_created_with_its_band(clients: Clients) -> None:
    cw = clients("cloudwatch")
    template = anomaly_template()
    created = create_metric_alarms(cw, template, _resolver(clients))
    assert created == [f"aurastream-{ENV}-{s}-anomaly-warning"
                       for s in ("request-rate", "error-rate", "latency")]  # fmt: skip
    alarms = cw.describe_alarms(AlarmNames=created)["MetricAlarms"]
    for alarm in alarms:
        assert alarm["ThresholdMetricId"] == "band"
        band = next(m for m in alarm["Metrics"] if m["Id"] == "band")
        assert band["Expression"].startswith("ANOMALY_DETECTION_BAND(")
        assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 3


def test_every_detector_is_a_valid_put_anomaly_detector_request(clients: Clients) -> None:
    from botocore.stub import Stubber

    resolve = _resolver(clients)
    detectors = alarm_resources(anomaly_template(), "AWS::CloudWatch::AnomalyDetector")
    assert len(detectors) == 3
    cw = clients("cloudwatch")
    with Stubber(cw) as stub:  # the request is validated against the API model first
        for props in detectors.values():
            stub.add_response("put_anomaly_detector", {})
            cw.put_anomaly_detector(**resolve(props))
        stub.assert_no_pending_responses()
