"""The typed spec model: SLOs, alarms, dashboards, log groups, saved queries, alert routes.

Plain frozen dataclasses, no behaviour beyond small derived values: `validation.py` checks a
whole `Definitions` and the renderers (`aurastream_obs.artifacts.*`) turn it into documents. Each
signal is written once with one source per backend (a Prometheus series for Grafana/Alertmanager,
a CloudWatch metric for alarms) because the two backends do not always measure at the same
place — e.g. availability on CloudWatch comes from API Gateway, the edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from aurastream_obs.core.conventions import Severity
from aurastream_obs.core.sampling_rules import SamplingRule

Comparison = Literal[">", "<"]
TreatMissing = Literal["breaching", "notBreaching", "ignore", "missing"]
MatchOp = Literal["=", "!=", "=~", "!~"]


# --- sources ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PromSelector:
    """One Prometheus series (`metric`) with label matchers `(label, op, value)`."""

    metric: str
    matchers: tuple[tuple[str, MatchOp, str], ...] = ()

    def render(self, window: str | None = None) -> str:
        inner = ",".join(f'{label}{op}"{value}"' for label, op, value in self.matchers)
        text = f"{self.metric}{{{inner}}}" if inner else self.metric
        return f"{text}[{window}]" if window else text


@dataclass(frozen=True)
class PromRatio:
    """Error ratio source: `bad / total`, or `1 - good / total` when good events are counted."""

    total: PromSelector
    bad: PromSelector | None = None
    good: PromSelector | None = None


@dataclass(frozen=True)
class CwMetric:
    """A CloudWatch metric and statistic of one deployed resource (`resource`, a key of
    `deployment.RESOURCES`). `dimensions` are all of them: the resource's identity dimensions
    first (values are name patterns over `${Environment}` or `${ApiId}`, resolved by each
    renderer and by the CLI), then the metric's own (e.g. DynamoDB's `Operation`)."""

    namespace: str
    name: str
    stat: str = "Sum"
    dimensions: tuple[tuple[str, str], ...] = ()
    label: str = ""
    resource: str = ""


@dataclass(frozen=True)
class CwExpression:
    """Metric math over named metrics (ids are lower-case identifiers)."""

    expression: str
    metrics: tuple[tuple[str, CwMetric], ...]
    label: str = "value"  # the line's name on a dashboard


@dataclass(frozen=True)
class PromSignal:
    """An instant value for a threshold alert: a percentage of two counters, a histogram
    quantile, a per-second rate, or the increase of a counter (events per `window`, what a
    CloudWatch `Sum` over the same period counts); computed over `window`."""

    kind: Literal["percent", "quantile", "rate", "increase"]
    numerator: PromSelector
    denominator: PromSelector | None = None
    quantile: float | None = None
    window: str = "5m"
    complement: bool = False  # 100 - percentage (availability from the error share)


# --- SLOs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BurnRateRule:
    """One multiwindow row: fires when both windows burn faster than `burn_rate`."""

    severity: Severity
    long_window: str
    short_window: str
    burn_rate: float


# Source: Google SRE workbook, "Alerting on SLOs", table 5-8 (99.9 % over 30 days):
# page 14.4x over 1h/5m (2 % budget), 6x over 6h/30m (5 %); ticket 3x over 1d/2h, 1x over 3d/6h.
SRE_WORKBOOK_RULES: tuple[BurnRateRule, ...] = (
    BurnRateRule("critical", "1h", "5m", 14.4),
    BurnRateRule("critical", "6h", "30m", 6.0),
    BurnRateRule("warning", "1d", "2h", 3.0),
    BurnRateRule("warning", "3d", "6h", 1.0),
)


@dataclass(frozen=True)
class SLO:
    name: str
    description: str
    objective_percent: float
    prometheus: PromRatio
    cloudwatch: CwExpression  # evaluates to the error ratio (0..1) per period
    period_days: int = 30
    burn_rates: tuple[BurnRateRule, ...] = SRE_WORKBOOK_RULES

    @property
    def error_budget(self) -> float:
        return 1 - self.objective_percent / 100


# --- threshold alarms ------------------------------------------------------------------------
@dataclass(frozen=True)
class Threshold:
    """One severity's threshold; M of N: `datapoints` breaching periods out of `periods`."""

    value: float
    periods: int = 1
    datapoints: int | None = None

    @property
    def datapoints_to_alarm(self) -> int:
        return self.periods if self.datapoints is None else self.datapoints


@dataclass(frozen=True)
class Alarm:
    """A threshold alarm with warning/critical thresholds (cdk-monitoring-constructs style).

    `treat_missing` is chosen per alarm and `missing_reason` says why (no blanket
    "breaching"). `value_range` is the signal's possible range; a threshold outside it can
    never fire. Either backend may be absent (e.g. Lambda throttles exist only in CloudWatch)."""

    name: str
    description: str
    comparison: Comparison
    thresholds: Mapping[Severity, Threshold]
    treat_missing: TreatMissing
    missing_reason: str
    period_s: int = 300
    value_range: tuple[float, float] = (0.0, float("inf"))
    prometheus: PromSignal | None = None
    cloudwatch: CwMetric | CwExpression | None = None
    unit: str = ""
    # The team that owns it: its alerts carry a `team` label (Alertmanager routes on it) and,
    # on CloudWatch, notify that team's topic instead of the severity's.
    team: str | None = None


# --- dashboards ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PromTarget:
    expr: str
    legend: str = ""
    metrics: tuple[str, ...] = ()  # series the expression reads, checked against the catalog


class _QueryOverGroups:
    """What a Logs Insights query reads (`sources`) and its text as shipped (`text`), for the
    dataclasses below that have `query`, `categories` and `groups`."""

    query: str
    categories: tuple[str, ...]
    groups: tuple[str, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return (*self.categories, *self.groups)

    @property
    def text(self) -> str:
        return shipped_text(self.query, self.categories)


@dataclass(frozen=True)
class LogsQuery(_QueryOverGroups):
    """A CloudWatch Logs Insights query over log categories (a CloudWatch `log` widget) and
    other deployed log groups (`groups`: keys of `deployment.EXTRA_LOG_GROUPS`). `query` uses
    the stdout JSON line's field names; `text` is what ships (see `shipped_text`)."""

    query: str
    categories: tuple[str, ...]
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str = "short"
    kind: Literal["timeseries", "stat"] = "timeseries"
    prometheus: tuple[PromTarget, ...] = ()
    cloudwatch: tuple[CwMetric | CwExpression, ...] = ()
    logs: LogsQuery | None = None
    width: int = 12  # of 24 columns (both CloudWatch and Grafana use a 24-column grid)


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    panels: tuple[Panel, ...]
    period_s: int = 300


# --- logs, routing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LogGroup:
    category: str
    retention_days: int
    sensitive: bool  # sensitive categories get a customer-managed KMS key


def shipped_text(query: str, categories: tuple[str, ...]) -> str:
    """A query as deployed: over category groups, which hold the stdout JSON line and the
    sidecar collector's record, it reads both shapes (log_fields.both_shapes); over other
    groups only (the Lambda function's: lines and Lambda's own) as written."""
    from aurastream_obs.definitions.log_fields import both_shapes

    return both_shapes(query) if categories else query


@dataclass(frozen=True)
class SavedQuery(_QueryOverGroups):
    """A saved Logs Insights query (`AWS::Logs::QueryDefinition`), as `LogsQuery`."""

    name: str
    query: str
    categories: tuple[str, ...]
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertRoute:
    """Where alerts of one severity go; secrets are file paths, never values."""

    severity: Severity
    pagerduty: bool
    slack_channel: str | None
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"
    team: str | None = None  # None: every team's default for this severity


@dataclass(frozen=True)
class Definitions:
    service: str
    slos: tuple[SLO, ...]
    alarms: tuple[Alarm, ...]
    dashboards: tuple[Dashboard, ...]
    log_groups: tuple[LogGroup, ...]
    saved_queries: tuple[SavedQuery, ...]
    sampling_rules: tuple[SamplingRule, ...]
    routes: tuple[AlertRoute, ...]
