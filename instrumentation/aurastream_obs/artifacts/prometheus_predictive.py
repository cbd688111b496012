"""Predictive Prometheus rules from definitions/predictive.py: the 5-minute signals, their
same-time-of-day baselines over 7 days, daily means and peaks (recording rules), and the
anomaly, drift and capacity alerts (warnings: a forecast is not an outage).

Evaluated every 5 minutes: baselines a week deep need no finer step, and the 7 offset lookups
per signal stay cheap. The method is in the definitions module's docstring and the README."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import (
    PROMETHEUS_ENV,
    SEVERITY_LABEL,
    SIGNAL_LABEL,
    alarm_name,
)
from aurastream_obs.definitions import predictive as p
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


def anomaly_recordings(signal: p.AnomalySignal) -> list[dict[str, str]]:
    x = signal.record
    base, spread = p.series(signal.name, "baseline_7d"), p.series(signal.name, "spread_7d")
    relative = f"{_number(signal.relative)} * {base}"
    rules = [
        {"record": base, "expr": _offsets(x)},
        {"record": spread, "expr": f"sqrt(clamp_min({_offsets(x, ' ^ 2')} - {base} ^ 2, 0))"},
        {
            "record": p.series(signal.name, "band"),
            "expr": f"clamp_min((({_number(signal.sigmas)} * {spread}) > {relative}) "
            f"or {relative}, {_number(signal.floor)})",
        },
    ]
    if signal.drift_limit is not None:
        rules.append({"record": p.series(signal.name, "avg1d"), "expr": f"avg_over_time({x}[1d])"})
    return rules


def capacity_recordings(signal: p.CapacitySignal) -> list[dict[str, str]]:
    peak = p.series(f"capacity-{signal.name}", "peak1d")
    slope = f"deriv({peak}[{p.CAPACITY_FIT}])"
    return [
        {"record": peak, "expr": f"max_over_time({signal.record}[1d])"},
        {
            "record": p.series(f"capacity-{signal.name}", "days_to_limit"),
            # Only with 4 days of history (1 day for the peak, 3 for the line), growing.
            "expr": f"({_number(signal.limit)} - {peak}) / ({slope} * {DAY_S}) "
            f"and {slope} > 0 and {signal.record} offset 4d",
        },
    ]


def _annotations(signal: str, summary: str, description: str) -> dict[str, str]:
    runbook = runbook_for(signal)
    if runbook is None:
        raise ValueError(f"alert signal {signal!r} has no runbook (definitions/runbooks.py)")
    return {"summary": summary, "description": description,
            "runbook_url": runbook_link(runbook)}  # fmt: skip


def _alert(env: str, thing: str, expr: str, summary: str, description: str, *,
           for_: str = p.FOR) -> dict[str, Any]:  # fmt: skip
    return {
        "alert": alarm_name(env, thing, SEVERITY),
        "expr": expr,
        "for": for_,
        "labels": {SEVERITY_LABEL: SEVERITY, SIGNAL_LABEL: thing},
        "annotations": _annotations(thing, summary, description),
    }


def anomaly_alerts(signal: p.AnomalySignal, env: str) -> list[dict[str, Any]]:
    x, base = signal.record, p.series(signal.name, "baseline_7d")
    band = p.series(signal.name, "band")
    deviation = f"abs({x} - {base})" if signal.direction == "both" else f"{x} - {base}"
    side = "outside" if signal.direction == "both" else "above"
    alerts = [
        _alert(env, f"{signal.name}-anomaly", f"{deviation} > {band}",
               f"{signal.name} {side} its usual range for this time of day",
               f"{signal.description} Band: max({signal.sigmas:g} standard deviations, "
               f"{signal.relative:.0%} of the baseline, {signal.floor:g} {signal.unit}); "
               f"see {x}, {base}, {band}."),
    ]  # fmt: skip
    if signal.drift_limit is not None:
        avg = p.series(signal.name, "avg1d")
        horizon = p.DRIFT_HORIZON_DAYS * DAY_S
        limit = _number(signal.drift_limit)
        alerts.append(_alert(
            env, f"{signal.name}-drift",
            f"predict_linear({avg}[{p.DRIFT_FIT}], {horizon}) > {limit} and {x} offset 4d",
            f"{signal.name} drifting towards {limit} {signal.unit} within "
            f"{p.DRIFT_HORIZON_DAYS} days",
            f"The daily mean of {x} ({avg}), extrapolated {p.DRIFT_HORIZON_DAYS} days ahead "
            f"from the last {p.DRIFT_FIT}, crosses the SLO threshold {limit} {signal.unit}.",
            for_="1h",
        ))  # fmt: skip
    return alerts


def capacity_alert(signal: p.CapacitySignal, env: str) -> dict[str, Any]:
    days = p.series(f"capacity-{signal.name}", "days_to_limit")
    return _alert(
        env, f"capacity-{signal.name}", f"{days} < {p.CAPACITY_WARN_DAYS}",
        f"{signal.name} reaches {signal.limit:,.0f} {signal.unit} within "
        f"{p.CAPACITY_WARN_DAYS} days at the current trend",
        f"{signal.description} Days left: {days}.", for_="1h",
    )  # fmt: skip


def predictive_rules(
    anomalies: tuple[p.AnomalySignal, ...] = p.ANOMALIES,
    capacity: tuple[p.CapacitySignal, ...] = p.CAPACITY,
    env: str = PROMETHEUS_ENV,
) -> dict[str, Any]:
    p.check(anomalies, capacity)
    signals = [{"record": a.record, "expr": a.expr} for a in anomalies]
    signals += [{"record": c.record, "expr": c.expr} for c in capacity if c.expr]
    derived = [r for a in anomalies for r in anomaly_recordings(a)]
    derived += [r for c in capacity for r in capacity_recordings(c)]
    alerts = [a for s in anomalies for a in anomaly_alerts(s, env)]
    alerts += [capacity_alert(c, env) for c in capacity]

    def group(name: str, rules: Iterable[dict[str, Any]]) -> dict[str, Any]:
        return {"name": name, "interval": INTERVAL, "rules": list(rules)}

    return {"groups": [group("aurastream-predictive-signals", signals),
                       group("aurastream-predictive-baselines", derived),
                       group("aurastream-predictive-alerts", alerts)]}  # fmt: skip


def artifacts() -> list[Artifact]:
    body = dump_yaml(predictive_rules())
    source = "aurastream_obs.artifacts.prometheus_predictive"
    return [Artifact.text_file(RULES_PATH, body, source=source)]
