"""SLO recording rules (Sloth's model) and alert rules for Prometheus, from the definitions.

`slo_rules` records the SLI error ratio per window, the objective, the budget and the budget
remaining; `alert_rules` holds the multiwindow multi-burn-rate alerts and the threshold alerts.
A `Profile` maps the production windows to other windows (short ones for the e2e test).

Rules are rendered for one environment (`env`): every raw selector reads only that service's
and environment's series (promql.scoped), every recorded series and alert carries `service` and
`environment` labels, and alert names are `aurastream-<env>-<thing>-<severity>`. The committed
files are for the local stack (`local`); `aurastream-obs render --environment ENV --out DIR`
writes them for any other. An idle window records no SLI (no NaN): it burns no budget, and a
period without any traffic has its whole budget left."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import (
    ENVIRONMENT_LABEL,
    PROMETHEUS_ENV,
    SERVICE_LABEL,
    SEVERITY_LABEL,
    SIGNAL_LABEL,
    SLI_WINDOWS,
    SLO_BUDGET_REMAINING,
    SLO_ERROR_BUDGET,
    SLO_LABEL,
    SLO_OBJECTIVE,
    TEAM_LABEL,
    alarm_name,
    sli_error_ratio,
    slo_alert_thing,
)
from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.runbooks import runbook_for, runbook_link
from aurastream_obs.definitions.spec import SLO, Alarm

SLO_RULES_PATH = "deploy/local/rules/aurastream-slo.rules.yaml"
ALERT_RULES_PATH = "deploy/local/rules/aurastream-alerts.rules.yaml"
PERIOD_WINDOW = "30d"


@dataclass(frozen=True)
class Profile:
    """Window substitutions and rule evaluation interval; empty = production windows."""

    windows: Mapping[str, str] = field(default_factory=dict)
    interval: str = "1m"
    threshold_for_scale: float = 1.0

    def window(self, window: str) -> str:
        return self.windows.get(window, window)


PRODUCTION = Profile()
# For the e2e test: the same rules with every window shrunk so that a burn shows in seconds
# (Prometheus scraping every 1 s needs >= 2 samples per window).
SHORT_WINDOWS = Profile(
    MappingProxyType(
        {"5m": "10s", "15m": "10s", "30m": "15s", "1h": "20s", "2h": "20s", "6h": "30s",
         "1d": "40s", "3d": "1m", "30d": "2m"}
    ),
    interval="1s",
    threshold_for_scale=0.0,
)  # fmt: skip


def _number(value: float) -> str:
    return f"{round(value, 10):.10g}"


# The measured value in each alert's `value` annotation (Prometheus' template functions):
# burn-rate alerts show the error ratio of their long window, threshold alerts their signal.
RATIO_VALUE = "{{ $value | humanizePercentage }}"
_UNIT_SUFFIX = {"percent": " %", "seconds": " s", "requests/second": " req/s"}


def value_template(unit: str) -> str:
    """`{{ printf "%.4g" $value }}` plus the unit (deterministic, unlike `humanize`'s SI
    prefixes: 0.5 s would read "500m")."""
    return '{{ printf "%.4g" $value }}' + _UNIT_SUFFIX.get(unit, f" {unit}" if unit else "")


def value_text(unit: str | None, value: float) -> str:
    """What Prometheus renders for the `value` annotation (unit None: a burn-rate ratio); Go's
    `%.4g` and `humanizePercentage` (`%.4g%%` of value x 100) format like Python's."""
    if unit is None:
        return f"{value * 100:.4g}%"
    return f"{value:.4g}" + _UNIT_SUFFIX.get(unit, f" {unit}" if unit else "")


def _annotations(signal: str, summary: str, description: str, value: str) -> dict[str, str]:
    """summary, description, the measured value and the runbook page (docs/runbooks.md)."""
    runbook = runbook_for(signal)
    if runbook is None:
        raise ValueError(f"alert signal {signal!r} has no runbook (definitions/runbooks.py)")
    return {"summary": summary, "description": description, "value": value,
            "runbook_url": runbook_link(runbook)}  # fmt: skip


def _labels(defs: Definitions, env: str, **extra: str) -> dict[str, str]:
    return {SERVICE_LABEL: defs.service, ENVIRONMENT_LABEL: env, **extra}


def scope(defs: Definitions, env: str) -> q.Scope:
    """The series the rules for `env` read: this service's, in that environment."""
    return q.Scope(defs.service, env)


def slo_selector(defs: Definitions, env: str, slo: str) -> str:
    """The matchers of one SLO's recorded series in one environment."""
    labels = _labels(defs, env, **{SLO_LABEL: slo})
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _slo_group(defs: Definitions, slo: SLO, env: str, profile: Profile) -> dict[str, Any]:
    labels = _labels(defs, env, **{SLO_LABEL: slo.name})
    sel = slo_selector(defs, env, slo.name)
    rules: list[dict[str, Any]] = [
        {
            "record": sli_error_ratio(w),
            "expr": q.scoped(q.error_ratio(slo.prometheus, profile.window(w)), scope(defs, env)),
            "labels": labels,
        }
        for w in SLI_WINDOWS
    ]
    # The period ratio averages the 5m ratio (as Sloth does) instead of a 30-day range query;
    # idle windows have no 5m ratio, so they neither burn nor dilute the budget. A period with
    # no traffic at all has no ratio: its budget is whole (the `or` below), never NaN.
    rules += [
        {
            "record": sli_error_ratio(PERIOD_WINDOW),
            "expr": f"avg_over_time({sli_error_ratio('5m')}{sel}"
            f"[{profile.window(PERIOD_WINDOW)}])",
            "labels": labels,
        },
        {"record": SLO_OBJECTIVE, "expr": f"vector({_number(slo.objective_percent / 100)})",
         "labels": labels},
        {"record": SLO_ERROR_BUDGET, "expr": f"vector({_number(slo.error_budget)})",
         "labels": labels},
        {
            "record": SLO_BUDGET_REMAINING,
            "expr": f"1 - ({sli_error_ratio(PERIOD_WINDOW)}{sel} or 0 * {SLO_ERROR_BUDGET}{sel})"
            f" / {SLO_ERROR_BUDGET}{sel}",
            "labels": labels,
        },
    ]  # fmt: skip
    return {"name": f"aurastream-slo-{slo.name}", "interval": profile.interval, "rules": rules}


def _burn_alerts(defs: Definitions, slo: SLO, env: str) -> list[dict[str, Any]]:
    alerts = []
    sel = slo_selector(defs, env, slo.name)
    for severity in ("critical", "warning"):
        rows = [r for r in slo.burn_rates if r.severity == severity]
        if not rows:
            continue
        terms = []
        for row in rows:
            limit = _number(row.burn_rate * slo.error_budget)
            terms.append(
                f"({sli_error_ratio(row.long_window)}{sel} > {limit}"
                f" and {sli_error_ratio(row.short_window)}{sel} > {limit})"
            )
        windows = ", ".join(f"{r.burn_rate:g}x over {r.long_window}/{r.short_window}" for r in rows)
        thing = slo_alert_thing(slo.name)
        alerts.append(
            {
                "alert": alarm_name(env, thing, severity),
                "expr": "\n".join(terms[:1] + [f"or {t}" for t in terms[1:]]),
                "labels": _labels(
                    defs,
                    env,
                    **{SEVERITY_LABEL: severity, SIGNAL_LABEL: thing, SLO_LABEL: slo.name},
                ),
                "annotations": _annotations(
                    thing,
                    f"{slo.name} SLO ({slo.objective_percent:g} %) is burning its error budget",
                    f"{slo.description} Burn rate above {windows}; value: the error ratio of "
                    "the long window.",
                    RATIO_VALUE,
                ),
            }
        )
    return alerts


def _threshold_alerts(
    defs: Definitions, alarm: Alarm, env: str, profile: Profile
) -> list[dict[str, Any]]:
    assert alarm.prometheus is not None
    signal = alarm.prometheus
    expr = q.scoped(
        q.signal(replace(signal, window=profile.window(signal.window))), scope(defs, env)
    )
    alerts = []
    for severity, threshold in sorted(alarm.thresholds.items()):
        # CloudWatch's "M breaching periods" becomes a `for` of M periods.
        for_s = int(alarm.period_s * threshold.datapoints_to_alarm * profile.threshold_for_scale)
        rule: dict[str, Any] = {
            "alert": alarm_name(env, alarm.name, severity),
            "expr": f"{expr} {alarm.comparison} {_number(threshold.value)}",
        }
        if for_s:
            rule["for"] = f"{for_s // 60}m" if for_s % 60 == 0 else f"{for_s}s"
        rule["labels"] = _labels(defs, env, **{SEVERITY_LABEL: severity, SIGNAL_LABEL: alarm.name})
        if alarm.team:  # Alertmanager routes a team's alerts to its receiver
            rule["labels"][TEAM_LABEL] = alarm.team
        rule["annotations"] = _annotations(
            alarm.name,
            f"{alarm.name} {alarm.comparison} {_number(threshold.value)} {alarm.unit}",
            alarm.description,
            value_template(alarm.unit),
        )
        alerts.append(rule)
    return alerts


def slo_rules(
    defs: Definitions, env: str = PROMETHEUS_ENV, profile: Profile = PRODUCTION
) -> dict[str, Any]:
    return {"groups": [_slo_group(defs, slo, env, profile) for slo in defs.slos]}


def alert_rules(
    defs: Definitions, env: str = PROMETHEUS_ENV, profile: Profile = PRODUCTION
) -> dict[str, Any]:
    groups: list[dict[str, Any]] = []
    burn = [a for slo in defs.slos for a in _burn_alerts(defs, slo, env)]
    if burn:
        groups.append({"name": "aurastream-slo-burn-rate", "interval": profile.interval,
                       "rules": burn})  # fmt: skip
    thresholds = [
        a
        for alarm in defs.alarms
        if alarm.prometheus
        for a in _threshold_alerts(defs, alarm, env, profile)
    ]
    groups.append({"name": "aurastream-thresholds", "interval": profile.interval,
                   "rules": thresholds})  # fmt: skip
    return {"groups": groups}


def iter_alerts(document: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for group in document["groups"]:
        yield from (r for r in group["rules"] if "alert" in r)


def artifacts(env: str = PROMETHEUS_ENV) -> list[Artifact]:
    defs = load_definitions()
    source = "aurastream_obs.artifacts.prometheus_rules"
    return [
        Artifact.text_file(SLO_RULES_PATH, dump_yaml(slo_rules(defs, env)), source=source),
        Artifact.text_file(ALERT_RULES_PATH, dump_yaml(alert_rules(defs, env)), source=source),
    ]
