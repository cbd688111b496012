"""Whole-definition checks. The first problem raises `DefinitionError` naming the definition and
the field, before any renderer runs, so an invalid definition writes nothing."""

from __future__ import annotations

import math
from collections.abc import Iterable

from aurastream_obs.core.conventions import (
    RECORDED_SERIES,
    SEVERITIES,
    is_valid_thing,
    slo_alert_thing,
    window_seconds,
)
from aurastream_obs.core.log_categories import CLOUDWATCH_RETENTION_DAYS
from aurastream_obs.definitions.catalog import PROMETHEUS_SERIES
from aurastream_obs.definitions.deployment import EXTRA_LOG_GROUPS
from aurastream_obs.definitions.metric_check import metric_problem, metrics_of
from aurastream_obs.definitions.spec import (
    SLO,
    Alarm,
    CwExpression,
    CwMetric,
    Dashboard,
    Definitions,
    PromRatio,
    PromSelector,
    PromSignal,
)

# PutMetricAlarm: Period * EvaluationPeriods <= 1 day below a 1 h period, <= 7 days otherwise.
_MAX_EVALUATION_S = 86400
_MAX_EVALUATION_LONG_PERIOD_S = 604800
_MAX_ALARM_METRICS = 10  # metric math in an alarm: at most 10 MetricStat (20 queries in all)


class DefinitionError(ValueError):
    def __init__(self, definition: str, field: str, message: str) -> None:
        super().__init__(f"definition {definition}: field '{field}': {message}")
        self.definition = definition
        self.field = field


def validate(defs: Definitions) -> Definitions:
    """Return `defs` unchanged, or raise `DefinitionError` for the first problem."""
    categories = {g.category for g in defs.log_groups}
    _unique("slo", [s.name for s in defs.slos])
    _unique("alarm", [a.name for a in defs.alarms] + [slo_alert_thing(s.name) for s in defs.slos])
    _unique("dashboard", [d.name for d in defs.dashboards])
    _unique("log group", [g.category for g in defs.log_groups])
    _unique("saved query", [q.name for q in defs.saved_queries])
    _unique("route", [f"{r.team or 'default'}/{r.severity}" for r in defs.routes])
    for slo in defs.slos:
        _check_slo(slo)
    for alarm in defs.alarms:
        _check_alarm(alarm)
    for dashboard in defs.dashboards:
        _check_dashboard(dashboard, categories)
    for group in defs.log_groups:
        if group.retention_days not in CLOUDWATCH_RETENTION_DAYS:
            raise DefinitionError(
                f"log group '{group.category}'", "retention_days",
                f"{group.retention_days} is not a CloudWatch retention value",
            )  # fmt: skip
    for query in defs.saved_queries:
        _check_categories(f"saved query '{query.name}'", query.categories, categories)
        _check_groups(f"saved query '{query.name}'", query.groups)
        if not query.sources:
            raise DefinitionError(f"saved query '{query.name}'", "categories", "no log group")
    if missing := set(SEVERITIES) - {r.severity for r in defs.routes if r.team is None}:
        raise DefinitionError("routes", "severity", f"no route for {sorted(missing)}")
    routed = {(r.team, r.severity) for r in defs.routes}
    for alarm in defs.alarms:
        for severity in alarm.thresholds:
            if alarm.team and (alarm.team, severity) not in routed:
                raise DefinitionError(
                    f"alarm '{alarm.name}'", "team",
                    f"no {severity} route for team {alarm.team!r}",
                )  # fmt: skip
    return defs


def _unique(kind: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DefinitionError(f"{kind} '{name}'", "name", "duplicate name")
        if not is_valid_thing(name) and kind != "route":
            raise DefinitionError(f"{kind} '{name}'", "name", "must be lower-kebab-case")
        seen.add(name)


def _check_slo(slo: SLO) -> None:
    where = f"slo '{slo.name}'"
    if not 0 < slo.objective_percent < 100:
        raise DefinitionError(
            where,
            "objective_percent",
            f"must be above 0 and below 100, got {slo.objective_percent}",
        )
    if slo.period_days <= 0:
        raise DefinitionError(where, "period_days", f"must be positive, got {slo.period_days}")
    period_s = slo.period_days * 86400
    for i, rule in enumerate(slo.burn_rates):
        field = f"burn_rates[{i}]"
        for attr in ("long_window", "short_window"):
            window = getattr(rule, attr)
            try:
                seconds = window_seconds(window)
            except ValueError as exc:
                raise DefinitionError(where, f"{field}.{attr}", str(exc)) from None
            if seconds > period_s:
                raise DefinitionError(
                    where, f"{field}.{attr}",
                    f"window {window} is longer than the SLO period ({slo.period_days}d)",
                )  # fmt: skip
        if window_seconds(rule.short_window) >= window_seconds(rule.long_window):
            raise DefinitionError(where, f"{field}.short_window", "must be shorter than long")
        # An error ratio cannot exceed 1: a burn rate whose threshold is >= 1 never fires.
        if not 0 < rule.burn_rate * slo.error_budget < 1:
            raise DefinitionError(
                where, f"{field}.burn_rate",
                f"threshold {rule.burn_rate} x budget {slo.error_budget:.4g} is out of range "
                "(the error ratio can never reach it)",
            )  # fmt: skip
    _check_prom_ratio(where, "prometheus", slo.prometheus)
    _check_cloudwatch(where, "cloudwatch", slo.cloudwatch)


def _check_alarm(alarm: Alarm) -> None:
    where = f"alarm '{alarm.name}'"
    if alarm.prometheus is None and alarm.cloudwatch is None:
        raise DefinitionError(where, "prometheus", "no backend source (prometheus/cloudwatch)")
    if alarm.period_s % 60 or alarm.period_s <= 0:
        raise DefinitionError(where, "period_s", f"must be a multiple of 60, got {alarm.period_s}")
    if not alarm.missing_reason:
        raise DefinitionError(where, "missing_reason", "say why treat_missing is chosen")
    if not alarm.thresholds:
        raise DefinitionError(where, "thresholds", "at least one severity")
    low, high = alarm.value_range
    for severity, threshold in alarm.thresholds.items():
        field = f"thresholds[{severity}]"
        if not low <= threshold.value <= high or not math.isfinite(threshold.value):
            raise DefinitionError(
                where, f"{field}.value", f"{threshold.value} is out of range [{low}, {high}]"
            )
        if not 1 <= threshold.datapoints_to_alarm <= threshold.periods:
            raise DefinitionError(where, f"{field}.datapoints", "must be within 1..periods")
        limit = _MAX_EVALUATION_S if alarm.period_s < 3600 else _MAX_EVALUATION_LONG_PERIOD_S
        if alarm.period_s * threshold.periods > limit:
            raise DefinitionError(where, f"{field}.periods", f"evaluation range over {limit} s")
    crit, warn = alarm.thresholds.get("critical"), alarm.thresholds.get("warning")
    if (
        crit
        and warn
        and (crit.value <= warn.value if alarm.comparison == ">" else crit.value >= warn.value)
    ):
        raise DefinitionError(
            where, "thresholds[critical].value", "must be more severe than the warning threshold"
        )
    if alarm.prometheus is not None:
        _check_prom_signal(where, alarm.prometheus)
    if alarm.cloudwatch is not None:
        _check_cloudwatch(where, "cloudwatch", alarm.cloudwatch)


def _check_dashboard(dashboard: Dashboard, categories: set[str]) -> None:
    titles: set[str] = set()
    for i, panel in enumerate(dashboard.panels):
        where = f"dashboard '{dashboard.name}'"
        field = f"panels[{i}] ({panel.title!r})"
        if panel.title in titles:
            raise DefinitionError(where, f"{field}.title", "duplicate panel title")
        titles.add(panel.title)
        if not (panel.prometheus or panel.cloudwatch or panel.logs):
            raise DefinitionError(where, field, "panel has no query")
        for j, target in enumerate(panel.prometheus):
            if not target.metrics:
                raise DefinitionError(where, f"{field}.prometheus[{j}].metrics", "empty")
            for metric in target.metrics:
                if metric not in PROMETHEUS_SERIES and metric not in RECORDED_SERIES:
                    raise DefinitionError(
                        where, f"{field}.prometheus[{j}]", f"unknown metric {metric!r}"
                    )
        for j, source in enumerate(panel.cloudwatch):
            _check_cloudwatch(where, f"{field}.cloudwatch[{j}]", source)
        if panel.logs is not None:
            _check_categories(where, panel.logs.categories, categories)
            _check_groups(where, panel.logs.groups)
        if not 1 <= panel.width <= 24:
            raise DefinitionError(where, f"{field}.width", "must be within 1..24")


def _check_categories(where: str, wanted: Iterable[str], known: set[str]) -> None:
    for category in wanted:
        if category not in known:
            raise DefinitionError(where, "categories", f"unknown log category {category!r}")


def _check_groups(where: str, groups: Iterable[str]) -> None:
    for group in groups:
        if group not in EXTRA_LOG_GROUPS:
            raise DefinitionError(where, "groups", f"unknown log group {group!r}")


def _check_selector(where: str, field: str, selector: PromSelector) -> None:
    labels = PROMETHEUS_SERIES.get(selector.metric)
    if labels is None:
        raise DefinitionError(where, field, f"unknown metric {selector.metric!r}")
    for label, _, _ in selector.matchers:
        if label not in labels:
            raise DefinitionError(
                where, field, f"metric {selector.metric!r} has no label {label!r}"
            )


def _check_prom_ratio(where: str, field: str, ratio: PromRatio) -> None:
    if (ratio.bad is None) == (ratio.good is None):
        raise DefinitionError(where, field, "exactly one of bad/good events")
    _check_selector(where, f"{field}.total", ratio.total)
    for name in ("bad", "good"):
        selector = getattr(ratio, name)
        if selector is not None:
            _check_selector(where, f"{field}.{name}", selector)


def _check_prom_signal(where: str, signal: PromSignal) -> None:
    _check_selector(where, "prometheus.numerator", signal.numerator)
    if signal.denominator is not None:
        _check_selector(where, "prometheus.denominator", signal.denominator)
    if signal.kind == "percent" and signal.denominator is None:
        raise DefinitionError(where, "prometheus.denominator", "a percentage needs one")
    if signal.kind == "quantile" and not (signal.quantile and 0 < signal.quantile < 1):
        raise DefinitionError(where, "prometheus.quantile", "must be within (0, 1)")


def _check_cloudwatch(where: str, field: str, source: CwMetric | CwExpression) -> None:
    metrics = metrics_of(source)
    if len(metrics) > _MAX_ALARM_METRICS:
        raise DefinitionError(where, field, f"more than {_MAX_ALARM_METRICS} metrics")
    for metric_id, metric in metrics:
        if not metric_id.isidentifier() or not metric_id[0].islower():
            raise DefinitionError(where, f"{field}.{metric_id}", "id must start lower-case")
        if problem := metric_problem(metric):
            raise DefinitionError(where, f"{field}.{metric_id}", problem)
