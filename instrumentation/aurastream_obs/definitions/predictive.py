"""Predictive alerts as definitions: anomaly detection on request rate, error rate and latency,
drift forecasts on error rate and latency, capacity forecasts on request rate and concurrency.
Rendered to Prometheus rules (artifacts/prometheus_predictive.py, with promtool tests) and to
CloudWatch anomaly-detection alarms (artifacts/cloudformation_anomaly.py).

The Prometheus method, per signal X (a 5-minute rate, ratio or quantile, recorded):
- **anomaly** (a step change): X against the same time of day over the previous 7 days.
  baseline = the mean of X 1d, 2d, ... 7d ago; spread = their standard deviation; the band is
  max(`sigmas` x spread, `relative` x baseline, `floor`) (the relative and absolute floors
  keep a perfectly regular history, whose spread is 0, from paging on noise). It fires when X
  leaves the band for 15 minutes: above it, or (request rate) below it too. A daily cycle is
  in the baseline, so it never fires; a new service with under 7 days of history has no
  baseline and stays silent.
- **drift** (slow degradation): the daily mean of X (avg over 1d: a daily cycle averages out)
  extrapolated 7 days ahead with `predict_linear` over the last 3 days; it fires when the
  forecast crosses the SLO's own threshold (1 % errors, 1 s p99).
- **capacity**: the daily peak (max over 1d) of the request rate and of the concurrency
  (Little's law: the rate of the duration sum is the mean number of requests in flight),
  a straight line through the last 3 days (`deriv`), days until the limit: it fires under 14.

On CloudWatch, anomaly detection is CloudWatch's own model (ANOMALY_DETECTION_BAND, trained
on up to two weeks with hourly, daily and weekly seasonality); metric math has no regression,
so the forecasts there come from `aurastream-obs analytics` (ops/analytics/forecast.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from aurastream_obs.core.conventions import is_valid_thing
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import CwExpression, CwMetric, PromRatio

Direction = Literal["above", "both"]
BASELINE_DAYS: Final = 7
FOR: Final = "15m"
DRIFT_FIT: Final = "3d"
DRIFT_HORIZON_DAYS: Final = 7
CAPACITY_FIT: Final = "3d"
CAPACITY_WARN_DAYS: Final = 14
# The operators' guide's throughput KPI (1,000 requests per second) and Lambda's default
# Regional concurrency quota (1,000 concurrent executions, AWS Lambda guide "Lambda quotas").
DESIGN_RPS: Final = 1000.0
CONCURRENCY_LIMIT: Final = 1000.0


def series(signal: str, what: str) -> str:
    """The recorded series of the predictive rules: `aurastream:<signal>:<what>`."""
    return f"aurastream:{signal.replace('-', '_')}:{what}"


@dataclass(frozen=True)
class AnomalySignal:
    name: str  # the <thing> prefix: alerts `<name>-anomaly`, `<name>-drift`
    description: str
    unit: str
    expr: str  # PromQL of X over 5 minutes
    cloudwatch: CwMetric | CwExpression
    direction: Direction = "above"
    sigmas: float = 3.0
    relative: float = 0.5
    floor: float = 0.0
    drift_limit: float | None = None  # the SLO threshold a slow drift must not reach
    band_width: float = 2.0  # CloudWatch ANOMALY_DETECTION_BAND standard deviations
    period_s: int = 300
    periods: int = 3  # CloudWatch: 3 of 3 five-minute periods, as the Prometheus `for`

    @property
    def record(self) -> str:
        return series(self.name, "5m")


@dataclass(frozen=True)
class CapacitySignal:
    name: str  # alert `capacity-<name>`
    description: str
    unit: str
    record: str  # the 5-minute series whose daily peak is forecast
    limit: float
    expr: str | None = None  # recorded here; None: recorded by another rule (an anomaly's)


_ERRORS = PromRatio(total=s.REQUESTS, bad=s.REQUESTS_5XX)

ANOMALIES: Final = (
    AnomalySignal(
        "request-rate", "Requests per second outside their usual range for the time of day "
        "(a surge, or traffic lost upstream).", "requests/second",
        q.sum_rate(s.REQUESTS, "5m"), s.api("Count"), direction="both", floor=0.5,
    ),
    AnomalySignal(
        "error-rate", "Share of requests answered with a 5xx above its usual range for the "
        "time of day.", "ratio", q.error_ratio(_ERRORS, "5m"),
        CwExpression("100 * FILL(errors, 0) / total",
                     (("errors", s.api("5xx")), ("total", s.api("Count")))),
        floor=0.01, drift_limit=0.01,
    ),
    AnomalySignal(
        "latency", "p99 request latency above its usual range for the time of day.",
        "seconds", q.quantile(0.99, s.LATENCY_BUCKETS, "5m"), s.api("Latency", "p99"),
        floor=0.1, drift_limit=1.0,
    ),
)  # fmt: skip

CAPACITY: Final = (
    CapacitySignal(
        "requests", "Days until the daily peak request rate reaches the 1,000 rps the service "
        "was designed for, at the trend of the last 3 days.", "requests/second",
        ANOMALIES[0].record, DESIGN_RPS,
    ),
    CapacitySignal(
        "concurrency", "Days until the daily peak of requests in flight (Little's law: rate of "
        "the duration sum) reaches Lambda's 1,000 concurrent executions.", "executions",
        series("concurrency", "5m"), CONCURRENCY_LIMIT,
        f"sum(rate({q.HTTP_SUM}[5m]))",
    ),
)  # fmt: skip


def check(anomalies: tuple[AnomalySignal, ...], capacity: tuple[CapacitySignal, ...]) -> None:
    """Names are things (kebab case) and unique; bands and limits make sense."""
    names = [a.name for a in anomalies] + [f"capacity-{c.name}" for c in capacity]
    for name in names:
        if not is_valid_thing(name):
            raise ValueError(f"predictive signal {name!r} is not lower-kebab-case")
    if len(set(names)) != len(names):
        raise ValueError(f"predictive signals named twice: {names}")
    for a in anomalies:
        if a.sigmas <= 0 or a.relative < 0 or a.floor < 0 or a.band_width <= 0:
            raise ValueError(f"{a.name}: band parameters must be positive")
    records = {a.record for a in anomalies} | {c.record for c in capacity if c.expr}
    for c in capacity:
        if c.limit <= 0:
            raise ValueError(f"capacity-{c.name}: the limit must be positive")
        if c.record not in records:
            raise ValueError(f"capacity-{c.name}: {c.record} is recorded by no rule")
