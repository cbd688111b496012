"""Predictive Prometheus rules from definitions/predictive.py: the 5-minute signals, their
same-time-of-day baselines over 7 days, daily means and peaks (recording rules), and the
anomaly, drift and capacity alerts (warnings: a forecast is not an outage).

Evaluated every 5 minutes: baselines a week deep need no finer step, and the 7 offset lookups
per signal stay cheap. The method is in the definitions module's docstring and the README.

Like the SLO rules (prometheus_rules.py), rendered for one environment: the signals read only
that service's and environment's series, every recorded series and alert carries `service` and
`environment`, and each alert's `value` is the signal's current measurement (its expression
is `X and <condition>`, so `$value` is X)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.prometheus_rules import value_template
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import (
    ENVIRONMENT_LABEL,
    PROMETHEUS_ENV,
    SERVICE_LABEL,
    SEVERITY_LABEL,
    SIGNAL_LABEL,
    alarm_name,
)
from aurastream_obs.definitions import predictive as p
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.deployment import SERVICE_NAME
from aurastream_obs.definitions.runbooks import runbook_for, runbook_link

RULES_PATH: Final = "deploy/local/rules/aurastream-predictive.rules.yaml"
INTERVAL: Final = "5m"
SEVERITY: Final = "warning"
DAY_S: Final = 86400


def _number(value: float) -> str:
    return f"{round(value, 10):.10g}"


def _offsets(record: str, power: str = "") -> str:
    terms = [f"({record} offset {d}d){power}" for d in range(1, p.BASELINE_DAYS + 1)]
    return f"({' + '.join(terms)}) / {p.BASELINE_DAYS}"


@dataclass(frozen=True)
class Target:
    """The environment the rules are rendered for and its service: the labels of every rule
    and the matchers of every recorded series the rules read."""

    env: str
    service: str

    @property
    def labels(self) -> dict[str, str]:
        return {SERVICE_LABEL: self.service, ENVIRONMENT_LABEL: self.env}

    def of(self, record: str) -> str:
        """A recorded series of this environment (`record{service="...",environment="..."}`)."""
        return record + "{" + ",".join(f'{k}="{v}"' for k, v in self.labels.items()) + "}"


def anomaly_recordings(signal: p.AnomalySignal, to: Target) -> list[dict[str, Any]]:
    x = to.of(signal.record)
    base_name = p.series(signal.name, "baseline_7d")
    spread_name = p.series(signal.name, "spread_7d")
    base, spread = to.of(base_name), to.of(spread_name)
    relative = f"{_number(signal.relative)} * {base}"
    rules: list[dict[str, Any]] = [
        {"record": base_name, "expr": _offsets(x)},
        {"record": spread_name, "expr": f"sqrt(clamp_min({_offsets(x, ' ^ 2')} - {base} ^ 2, 0))"},
        {
            "record": p.series(signal.name, "band"),
            "expr": f"clamp_min((({_number(signal.sigmas)} * {spread}) > {relative}) "
            f"or {relative}, {_number(signal.floor)})",
        },
    ]
    if signal.drift_limit is not None:
        rules.append({"record": p.series(signal.name, "avg1d"), "expr": f"avg_over_time({x}[1d])"})
    return rules


def capacity_recordings(signal: p.CapacitySignal, to: Target) -> list[dict[str, Any]]:
    peak_name = p.series(f"capacity-{signal.name}", "peak1d")
    peak = to.of(peak_name)
    slope = f"deriv({peak}[{p.CAPACITY_FIT}])"
    return [
        {"record": peak_name, "expr": f"max_over_time({to.of(signal.record)}[1d])"},
        {
            "record": p.series(f"capacity-{signal.name}", "days_to_limit"),
            # Only with 4 days of history (1 day for the peak, 3 for the line), growing.
            "expr": f"({_number(signal.limit)} - {peak}) / ({slope} * {DAY_S}) "
            f"and {slope} > 0 and {to.of(signal.record)} offset 4d",
        },
    ]


def _alert(to: Target, thing: str, unit: str, expr: tuple[str, str], text: tuple[str, str],
           *, for_: str = p.FOR) -> dict[str, Any]:  # fmt: skip
    """`expr` is (the measured X, the condition): the rule is `X and <condition>`, so it fires
    on the condition and `$value` (the `value` annotation) is X."""
    runbook = runbook_for(thing)
    if runbook is None:
        raise ValueError(f"alert signal {thing!r} has no runbook (definitions/runbooks.py)")
    measured, condition = expr
    summary, description = text
    annotations = {"summary": summary, "description": description,
                   "value": value_template(unit), "runbook_url": runbook_link(runbook)}  # fmt: skip
    return {
        "alert": alarm_name(to.env, thing, SEVERITY),
        "expr": f"{measured} and {condition}",
        "for": for_,
        "labels": {**to.labels, SEVERITY_LABEL: SEVERITY, SIGNAL_LABEL: thing},
        "annotations": annotations,
    }


def anomaly_alerts(signal: p.AnomalySignal, to: Target) -> list[dict[str, Any]]:
    names = (signal.record, p.series(signal.name, "baseline_7d"), p.series(signal.name, "band"))
    x, base, band = (to.of(n) for n in names)
    deviation = f"abs({x} - {base})" if signal.direction == "both" else f"{x} - {base}"
    side = "outside" if signal.direction == "both" else "above"
    alerts = [
        _alert(to, f"{signal.name}-anomaly", signal.unit, (x, f"{deviation} > {band}"), (
               f"{signal.name} {side} its usual range for this time of day",
               f"{signal.description} Band: max({signal.sigmas:g} standard deviations, "
               f"{signal.relative:.0%} of the baseline, {signal.floor:g} {signal.unit}); "
               f"see {', '.join(names)}; value: {signal.record} now.")),
    ]  # fmt: skip
    if signal.drift_limit is not None:
        avg_name = p.series(signal.name, "avg1d")
        horizon = p.DRIFT_HORIZON_DAYS * DAY_S
        limit = _number(signal.drift_limit)
        condition = (f"predict_linear({to.of(avg_name)}[{p.DRIFT_FIT}], {horizon}) > {limit} "
                     f"and {x} offset 4d")  # fmt: skip
        alerts.append(_alert(
            to, f"{signal.name}-drift", signal.unit, (x, condition), (
            f"{signal.name} drifting towards {limit} {signal.unit} within "
            f"{p.DRIFT_HORIZON_DAYS} days",
            f"The daily mean of {signal.record} ({avg_name}), extrapolated "
            f"{p.DRIFT_HORIZON_DAYS} days ahead from the last {p.DRIFT_FIT}, crosses the SLO "
            f"threshold {limit} {signal.unit}; value: {signal.record} now."),
            for_="1h",
        ))  # fmt: skip
    return alerts


def capacity_alert(signal: p.CapacitySignal, to: Target) -> dict[str, Any]:
    days = p.series(f"capacity-{signal.name}", "days_to_limit")
    return _alert(
        to, f"capacity-{signal.name}", signal.unit,
        (to.of(signal.record), f"{to.of(days)} < {p.CAPACITY_WARN_DAYS}"), (
        f"{signal.name} reaches {signal.limit:,.0f} {signal.unit} within "
        f"{p.CAPACITY_WARN_DAYS} days at the current trend",
        f"{signal.description} Days left: {days}; value: {signal.record} now."), for_="1h",
    )  # fmt: skip


def predictive_rules(
    anomalies: tuple[p.AnomalySignal, ...] = p.ANOMALIES,
    capacity: tuple[p.CapacitySignal, ...] = p.CAPACITY,
    env: str = PROMETHEUS_ENV,
    service: str = SERVICE_NAME,
) -> dict[str, Any]:
    p.check(anomalies, capacity)
    to, scope = Target(env, service), q.Scope(service, env)
    signals: list[dict[str, Any]] = [
        {"record": a.record, "expr": q.scoped(a.expr, scope)} for a in anomalies
    ]
    signals += [{"record": c.record, "expr": q.scoped(c.expr, scope)} for c in capacity if c.expr]
    derived = [r for a in anomalies for r in anomaly_recordings(a, to)]
    derived += [r for c in capacity for r in capacity_recordings(c, to)]
    for rule in (*signals, *derived):  # whose: the environment rendered for
        rule["labels"] = to.labels
    alerts = [a for s in anomalies for a in anomaly_alerts(s, to)]
    alerts += [capacity_alert(c, to) for c in capacity]

    def group(name: str, rules: Iterable[dict[str, Any]]) -> dict[str, Any]:
        return {"name": name, "interval": INTERVAL, "rules": list(rules)}

    return {"groups": [group("aurastream-predictive-signals", signals),
                       group("aurastream-predictive-baselines", derived),
                       group("aurastream-predictive-alerts", alerts)]}  # fmt: skip


def artifacts(env: str = PROMETHEUS_ENV) -> list[Artifact]:
    body = dump_yaml(predictive_rules(env=env))
    source = "aurastream_obs.artifacts.prometheus_predictive"
    return [Artifact.text_file(RULES_PATH, body, source=source)]
