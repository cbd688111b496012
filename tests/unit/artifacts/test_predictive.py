"""The predictive rules and anomaly alarms as rendered: recorded series and alerts per signal,
the CloudFormation shape of an anomaly-detection alarm (Metrics + ThresholdMetricId on an
ANOMALY_DETECTION_BAND, a detector on the same metric or expression), and the promtool
input series (the `a+bxn` segments expand to the counters they stand for)."""

from __future__ import annotations

import re

import pytest

from aurastream_obs.artifacts.cloudformation_anomaly import anomaly_template
from aurastream_obs.artifacts.prometheus_predictive import predictive_rules
from aurastream_obs.artifacts.prometheus_rules import iter_alerts
from aurastream_obs.artifacts.promtool_predictive import END, Minute, input_series
from aurastream_obs.definitions import predictive as p
from aurastream_obs.definitions.runbooks import runbook_for

NAME = re.compile(r"^aurastream-local-[a-z0-9-]+-warning$")


def test_every_signal_has_its_baseline_band_and_alerts() -> None:
    document = predictive_rules()
    records = {r["record"]: r["expr"] for g in document["groups"] for r in g["rules"]
               if "record" in r}  # fmt: skip
    for signal in p.ANOMALIES:
        for what in ("baseline_7d", "spread_7d", "band"):
            assert p.series(signal.name, what) in records
        assert records[p.series(signal.name, "baseline_7d")].count(" offset ") == 7
    assert "predict_linear" not in " ".join(records.values())  # alerts only, below
    alerts = {a["labels"]["signal"]: a for a in iter_alerts(document)}
    assert set(alerts) == {
        "request-rate-anomaly", "error-rate-anomaly", "latency-anomaly", "error-rate-drift",
        "latency-drift", "capacity-requests", "capacity-concurrency",
    }  # fmt: skip
    for signal, alert in alerts.items():
        assert NAME.match(alert["alert"]) and alert["labels"]["severity"] == "warning"
        assert alert["annotations"]["runbook_url"].endswith(f"#{runbook_for(signal)}")
    # `X and <condition>`: the measured X is the alert's value.
    here = '{service="aurastream-api",environment="local"}'
    measured, _, condition = alerts["request-rate-anomaly"]["expr"].partition(" and ")
    assert measured == f"aurastream:request_rate:5m{here}"
    assert condition.startswith("abs(")  # a drop counts too
    drift = alerts["latency-drift"]["expr"].partition(" and ")[2]
    assert drift.startswith(f"predict_linear(aurastream:latency:avg1d{here}[3d]")
    assert "offset 4d" in drift  # silent without history
    for alert in alerts.values():
        assert "$value" in alert["annotations"]["value"]


def test_anomaly_alarms_use_the_band_as_threshold() -> None:
    resources = anomaly_template()["Resources"]
    alarms = {k: v for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) == len(p.ANOMALIES) == 3
    for logical, alarm in alarms.items():
        props = alarm["Properties"]
        queries = {q["Id"]: q for q in props["Metrics"]}
        band = queries[props["ThresholdMetricId"]]
        returned = re.fullmatch(r"ANOMALY_DETECTION_BAND\((\w+), 2\)", band["Expression"])
        assert returned is not None and band["ReturnData"] is True
        assert queries[returned.group(1)]["ReturnData"] is True
        hidden = [q for q in props["Metrics"] if q["Id"] not in (band["Id"], returned.group(1))]
        assert all(q["ReturnData"] is False for q in hidden), logical
        detector = resources[alarm["DependsOn"]]["Properties"]
        if "MetricMathAnomalyDetector" in detector:  # the same queries, without the band
            assert detector["MetricMathAnomalyDetector"]["MetricDataQueries"] == [
                q for q in props["Metrics"] if q["Id"] != "band"
            ]
        else:
            stat = queries[returned.group(1)]["MetricStat"]
            assert detector["SingleMetricAnomalyDetector"] == {**stat["Metric"],
                                                               "Stat": stat["Stat"]}  # fmt: skip
        assert props["AlarmActions"] == props["OKActions"]
    operators = {k: a["Properties"]["ComparisonOperator"] for k, a in alarms.items()}
    assert operators == {
        "RequestRateAnomalyWarningAlarm": "LessThanLowerOrGreaterThanUpperThreshold",
        "ErrorRateAnomalyWarningAlarm": "GreaterThanUpperThreshold",
        "LatencyAnomalyWarningAlarm": "GreaterThanUpperThreshold",
    }
    request = alarms["RequestRateAnomalyWarningAlarm"]["Properties"]["Metrics"]
    assert [q.get("Expression") for q in request] == [None, "FILL(count, 0)",
                                                      "ANOMALY_DETECTION_BAND(e1, 2)"]  # fmt: skip


def _expand(values: str) -> list[float]:
    out: list[float] = []
    for segment in values.split():
        start, rest = segment.split("+")
        step, count = rest.split("x")
        out += [float(start) + float(step) * i for i in range(int(count) + 1)]
    return out


def test_input_series_expand_to_the_counters() -> None:
    def shape(minute: int) -> Minute:
        return Minute(10 if minute < 60 else 30, errors=0.5)

    series = {s["series"]: _expand(s["values"]) for s in input_series(shape)}
    assert all(len(v) == END for v in series.values())
    ok = next(v for k, v in series.items() if 'status_code="200"' in k)
    assert ok[:3] == [0, 300, 600] and ok[61] - ok[60] == 900  # 30 rps x 60 x half
    assert ok[-1] == pytest.approx(300 * 60 + 900 * (END - 61))
