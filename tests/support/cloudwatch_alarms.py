"""CloudWatch's part of the alert path on a moto server, from the rendered templates.

moto's CloudFormation creates none of our alarms, moto has no PutCompositeAlarm, and moto's
CloudWatch changes an alarm's state without notifying anyone. So:
- `Resolver` resolves a template's intrinsic functions (parameters, resources created here,
  the stacks' exports), and `create_metric_alarms` creates every `AWS::CloudWatch::Alarm`
  of a template with boto3's PutMetricAlarm, its properties unchanged;
- `composite_rule_problems` checks each composite alarm's rule text (the grammar AWS documents:
  ALARM/OK/INSUFFICIENT_DATA("name"), TRUE, FALSE, AND, OR, NOT, parentheses) and that every
  alarm it names was created;
- `evaluate` decides a single-metric alarm's state from its metric data (M of N datapoints),
  and `transition` plays CloudWatch's alarm action: SetAlarmState, then the notification JSON
  CloudWatch publishes to the alarm's actions for the new state (`notification_message`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_VAR = re.compile(r"\$\{([\w:.]+)\}")
_ALARM_PROPERTIES = (
    "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
    "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
    "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
    "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics",
    "ThresholdMetricId",
)  # fmt: skip


@dataclass
class Resolver:
    """Values of a template's intrinsic functions in one deployment."""

    parameters: dict[str, str]
    exports: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> Ref value
    attributes: dict[str, str] = field(default_factory=dict)  # "Logical.Attr" -> value

    def __call__(self, value: Any, variables: Mapping[str, Any] | None = None) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {k: self(v) for k, v in value.items()}
        (fn, arg), = value.items()  # fmt: skip
        if fn == "Ref":
            return self._name(arg)
        if fn == "Fn::GetAtt":
            return self.attributes[".".join(arg)]
        if fn == "Fn::ImportValue":
            return self.exports[self(arg)]
        if fn == "Fn::Join":
            return arg[0].join(self(v) for v in arg[1])
        if fn == "Fn::Sub":
            body, subs = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            values = {k: self(v) for k, v in subs.items()}
            return _VAR.sub(lambda m: values.get(m[1]) or self._name(m[1]), body)
        raise ValueError(f"unsupported intrinsic {fn}")

    def _name(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        return self.refs[name]


def alarm_resources(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


def create_metric_alarms(cw: Any, template: Mapping[str, Any], resolve: Resolver) -> list[str]:
    """PutMetricAlarm for every AWS::CloudWatch::Alarm; their names (also as `resolve.refs`,
    since a Ref to an alarm is its name)."""
    names = []
    for logical, props in alarm_resources(template, "AWS::CloudWatch::Alarm").items():
        kwargs = {k: resolve(props[k]) for k in _ALARM_PROPERTIES if k in props}
        cw.put_metric_alarm(**kwargs)
        resolve.refs[logical] = kwargs["AlarmName"]
        names.append(kwargs["AlarmName"])
    return names


_TOKEN = re.compile(
    r'\s*(?:(?P<fn>ALARM|OK|INSUFFICIENT_DATA)\("(?P<name>[^"]+)"\)|(?P<word>TRUE|FALSE|AND|OR|NOT)'
    r"|(?P<paren>[()]))"
)


def composite_rule_problems(rule: str, known: set[str]) -> list[str]:
    """Problems of one AlarmRule: a grammar error or an alarm that was not created."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(rule.rstrip()):
        match = _TOKEN.match(rule, pos)
        if match is None:
            return [f"cannot parse at {rule[pos : pos + 30]!r}"]
        kind = "alarm" if match["fn"] else match["word"] or match["paren"]
        tokens.append((kind, match["name"] or ""))
        pos = match.end()
    problems = [f"alarm {name!r} does not exist" for kind, name in tokens
                if kind == "alarm" and name not in known]  # fmt: skip
    rest = _expression(tokens)
    if rest is None or rest:
        problems.append(f"not a rule expression: {rule!r}")
    return problems


def _expression(tokens: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    rest = _term(tokens)
    while rest and rest[0][0] == "OR":
        rest = _term(rest[1:])
        if rest is None:
            return None
    return rest


def _term(tokens: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    rest = _factor(tokens)
    while rest and rest[0][0] == "AND":
        rest = _factor(rest[1:])
        if rest is None:
            return None
    return rest


def _factor(tokens: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    if not tokens:
        return None
    kind = tokens[0][0]
    if kind == "NOT":
        return _factor(tokens[1:])
    if kind in ("alarm", "TRUE", "FALSE"):
        return tokens[1:]
    if kind == "(":
        rest = _expression(tokens[1:])
        return rest[1:] if rest and rest[0][0] == ")" else None
    return None


_COMPARE: Mapping[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def evaluate(cw: Any, alarm: Mapping[str, Any], now: dt.datetime) -> str:
    """A single-metric alarm's state from its datapoints: ALARM when at least
    DatapointsToAlarm of the last EvaluationPeriods periods breach (missing data per
    TreatMissingData: breaching counts, anything else does not)."""
    period, n = int(alarm["Period"]), int(alarm["EvaluationPeriods"])
    stat = alarm.get("Statistic", "Sum")
    answer = cw.get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions", []), StartTime=now - dt.timedelta(seconds=period * n),
        EndTime=now, Period=period, Statistics=[stat],
    )  # fmt: skip
    values = [p[stat] for p in answer["Datapoints"]]
    compare = _COMPARE[alarm["ComparisonOperator"]]
    breaching = sum(compare(v, float(alarm["Threshold"])) for v in values)
    if alarm.get("TreatMissingData") == "breaching":
        breaching += n - len(values)
    return "ALARM" if breaching >= int(alarm.get("DatapointsToAlarm") or n) else "OK"


def transition(cw: Any, sns: Any, name: str, state: str, reason: str) -> list[str]:
    """SetAlarmState, then what CloudWatch publishes to the alarm's actions for `state`:
    the alarm notification JSON. No Subject: moto signs a notification without its Subject
    (SNS signs it), so a Subject would fail any verifier. Returns the topics notified."""
    (alarm,) = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)
    topics = alarm.get({"ALARM": "AlarmActions", "OK": "OKActions"}.get(state, ""), [])
    message = notification_message(alarm, state, reason)
    if alarm.get("ActionsEnabled", True):
        for topic in topics:
            sns.publish(TopicArn=topic, Message=json.dumps(message))
    return list(topics) if alarm.get("ActionsEnabled", True) else []


def notification_message(alarm: Mapping[str, Any], state: str, reason: str) -> dict[str, Any]:
    """The JSON CloudWatch publishes when `alarm` (a DescribeAlarms entry, before the change)
    goes to `state`."""
    name, old = alarm["AlarmName"], alarm["StateValue"]
    return {
        "AlarmName": name, "AlarmDescription": alarm.get("AlarmDescription", ""),
        "AWSAccountId": alarm["AlarmArn"].split(":")[4], "NewStateValue": state,
        "NewStateReason": reason, "OldStateValue": old, "AlarmArn": alarm["AlarmArn"],
        "StateChangeTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Region": "US East (N. Virginia)",
        "Trigger": {"MetricName": alarm.get("MetricName"), "Namespace": alarm.get("Namespace"),
                    "ComparisonOperator": alarm["ComparisonOperator"],
                    "Threshold": alarm["Threshold"], "Period": alarm.get("Period"),
                    "EvaluationPeriods": alarm["EvaluationPeriods"]},
    }  # fmt: skip


def moto_sns_certificates(moto_url: str) -> Callable[[str], bytes]:
    """The SNS verifier's certificate fetcher for notifications moto's SNS signed: the same
    path from the moto server. moto routes a request to SNS by its signature's credential
    scope, not by the Host header, so the request names the SNS scope of the URL's region."""

    def fetch(url: str) -> bytes:
        host, _, path = url.removeprefix("https://").partition("/")
        region = host.split(".")[1]
        scope = f"AWS4-HMAC-SHA256 Credential=test/20260101/{region}/sns/aws4_request"
        request = urllib.request.Request(f"{moto_url}/{path}", headers={"Authorization": scope})
        with urllib.request.urlopen(request, timeout=5) as response:
            return bytes(response.read(64 * 1024))

    return fetch
