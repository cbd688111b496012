"""`build_analytics`: customer health, revenue, costs and the capacity forecast from one
`MetricsBackend` (plus a ticket source, and AWS for actual costs and recommendations).

Periods: "this period" is the report window ending at the backend's end time, "the previous
period" the same length just before it. The usage trend compares the two, but only when the
data reaches back over the previous period (else there is nothing to compare with: no
trend). Revenue, run-rates and fixed costs use the days the window's data actually covers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import window_seconds
from aurastream_obs.ops.analytics import costs as k
from aurastream_obs.ops.analytics import forecast as f
from aurastream_obs.ops.analytics import recommend as r
from aurastream_obs.ops.analytics.business import (
    MIN_RUN_RATE_DAYS,
    Churn,
    Period,
    RunRate,
    churn_estimate,
    run_rate,
)
from aurastream_obs.ops.analytics.health import (
    GUIDE_THRESHOLDS,
    CustomerHealth,
    CustomerSignals,
    HealthThresholds,
    assess_all,
)
from aurastream_obs.ops.analytics.prices import DEFAULT_PRICES, PriceTable
from aurastream_obs.ops.analytics.tickets import TicketSource
from aurastream_obs.ops.backends.base import LoadSeries, MetricsBackend

Clients = Callable[[str], Any]
FORECAST_WINDOW = "14d"


@dataclass(frozen=True)
class CustomerRow:
    health: CustomerHealth
    revenue_usd: float
    run_rate: RunRate
    clv_usd: float | None  # None: no monthly run-rate (insufficient data)
    cost: k.CostBreakdown | None

    @property
    def customer_id(self) -> str:
        return self.health.customer_id

    @property
    def analyses(self) -> float:
        return self.health.signals.usage

    @property
    def at_risk(self) -> bool:
        return self.health.at_risk

    @property
    def cost_usd(self) -> float | None:
        return None if self.cost is None else self.cost.total

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.health.to_dict(),
            "revenue_usd": self.revenue_usd,
            "mrr_usd": self.run_rate.monthly_usd,
            "clv_usd": self.clv_usd,
            "cost_usd": None if self.cost is None else self.cost.to_dict(),
            "margin_usd": None if self.cost is None else self.revenue_usd - self.cost.total,
        }


@dataclass
class AnalyticsReport:
    source: str
    period: Period
    analyses: float
    revenue: RunRate
    cache_hit_ratio: float | None
    median_latency_s: float | None
    requests_per_second: float | None
    unit_cost: k.CostBreakdown | None  # one analysis
    customers: list[CustomerRow]
    churn: Churn
    forecasts: list[f.CapacityForecast]
    lifetime_months: float
    thresholds: HealthThresholds = GUIDE_THRESHOLDS
    prices: PriceTable = DEFAULT_PRICES
    tickets_source: str | None = None
    previous_period_covered: bool = False
    load: LoadSeries | None = None
    actual_costs_usd: dict[str, float] | None = None  # Cost Explorer, last 30 days by service
    recommendations: list[r.Recommendation] = field(default_factory=list)
    apply: bool = False

    @property
    def window(self) -> str:
        return self.period.window

    @property
    def at_risk(self) -> list[CustomerRow]:
        return [row for row in self.customers if row.at_risk]

    @property
    def cost_per_analysis(self) -> float | None:
        return None if self.unit_cost is None else self.unit_cost.total

    @property
    def failed_actions(self) -> list[r.Recommendation]:
        """With --apply: what could not be evaluated or applied (without: nothing failed)."""
        if not self.apply:
            return []
        return [rec for rec in self.recommendations if rec.error is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "period": self.period.to_dict(),
            "previous_period_covered": self.previous_period_covered,
            "analyses": self.analyses,
            "revenue": self.revenue.to_dict(),
            "cache_hit_ratio": self.cache_hit_ratio,
            "cost_per_analysis_usd": None if self.unit_cost is None else self.unit_cost.to_dict(),
            "customers": [row.to_dict() for row in self.customers],
            "at_risk": [row.customer_id for row in self.at_risk],
            "churn": self.churn.to_dict(),
            "forecasts": [fc.to_dict() for fc in self.forecasts],
            "lifetime_months": self.lifetime_months,
            "health_thresholds": self.thresholds.source,
            "tickets": self.tickets_source,
            "prices": [
                {"key": p.key, "usd": p.usd, "unit": p.unit, "source": p.source, "as_of": p.as_of}
                for p in self.prices.rows()
            ],
            "actual_costs_usd": self.actual_costs_usd,
            "dry_run": not self.apply,
            "recommendations": [
                {
                    "kind": x.kind,
                    "target": x.target,
                    "current": x.current,
                    "recommended": x.recommended,
                    "reason": x.reason,
                    "state": x.state,
                    "error": x.error,
                    "saving_usd_month": x.saving_usd_month,
                }
                for x in self.recommendations
            ],
        }


def _signals(
    backend: MetricsBackend,
    window: str,
    period: Period,
    previous_covered: bool,
    tickets: TicketSource | None,
) -> tuple[dict[str, CustomerSignals], Mapping[str, float]]:
    usage = backend.counter_by(c.USAGE, c.CUSTOMER_ID, window)
    before = backend.counter_by(c.USAGE, c.CUSTOMER_ID, window, offset=window)
    revenue = backend.counter_by(c.REVENUE, c.CUSTOMER_ID, window)
    requests = backend.customer_requests(window)
    opened: Mapping[str, int] = {}
    if tickets is not None:
        start, end = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (period.start, period.end))
        opened = tickets.count_by_customer(start, end)
    ids = sorted({*usage, *before, *revenue, *requests, *opened} - {""})
    signals = {
        cid: CustomerSignals(
            cid,
            usage.get(cid, 0.0),
            before.get(cid, 0.0) if previous_covered else None,
            requests.get(cid),
            None if tickets is None else opened.get(cid, 0),
        )
        for cid in ids
    }
    return signals, revenue


def _forecasts(
    backend: MetricsBackend, end: float, forecast_window: str
) -> tuple[list[f.CapacityForecast], LoadSeries | None]:
    since = backend.data_since(forecast_window)
    span = end - since if since is not None else window_seconds(forecast_window)
    step = int(max(1, min(300, span / 30)))  # 5-minute steps, finer for a short history
    load = backend.load_series(forecast_window, step)
    if load is None:
        return [f.forecast("requests per second", f.DESIGN_RPS, (), ())], None
    out = [f.forecast("requests per second", f.DESIGN_RPS, load.times, load.requests_per_second)]
    if load.concurrency is not None:
        out.append(f.forecast("concurrent executions", f.LAMBDA_CONCURRENCY_LIMIT, load.times,
                              load.concurrency))  # fmt: skip
    return out, load


def build_analytics(
    backend: MetricsBackend,
    window: str = "1h",
    *,
    lifetime_months: float = 24.0,
    min_run_rate_days: float = MIN_RUN_RATE_DAYS,
    tickets: TicketSource | None = None,
    thresholds: HealthThresholds = GUIDE_THRESHOLDS,
    prices: PriceTable = DEFAULT_PRICES,
    assumptions: k.Assumptions = k.DEFAULT_ASSUMPTIONS,
    forecast_window: str = FORECAST_WINDOW,
    cost_explorer: bool = False,
    function: str | None = None,
    table: str | None = None,
    bucket: str | None = None,
    apply: bool = False,
    clients: Clients | None = None,
) -> AnalyticsReport:
    seconds = window_seconds(window)
    end = backend.end_time()
    since = backend.data_since(f"{2 * seconds}s")
    period = Period(window, end - seconds, end, since)
    # The previous period counts when about half of it (or more) holds data.
    previous_covered = since is not None and since <= end - 1.49 * seconds
    signals, revenue = _signals(backend, window, period, previous_covered, tickets)
    health = assess_all(signals, thresholds)
    days = period.covered_days
    totals = backend.request_totals(window)
    hit = backend.cache_hit_ratio(window)
    inputs = k.CostInputs(
        sum(s.usage for s in signals.values()),
        days,
        None if hit is None else 1.0 - hit,
        backend.latency_quantile(0.5, window),
        totals.per_second if totals else None,
        max(1, len(signals)),
    )
    unit = k.per_analysis(inputs, prices, assumptions)
    rows = []
    for h in health:
        rate = run_rate(revenue.get(h.customer_id, 0.0), days, min_run_rate_days)
        clv = None if rate.monthly_usd is None else rate.monthly_usd * lifetime_months
        cost = None if unit is None else unit.scaled(h.signals.usage)
        rows.append(CustomerRow(h, revenue.get(h.customer_id, 0.0), rate, clv, cost))
    # A customer who stopped brought its revenue before: churn counts both periods.
    recent = backend.counter_by(c.REVENUE, c.CUSTOMER_ID, f"{2 * seconds}s")
    churn = churn_estimate(
        [(recent.get(row.customer_id, 0.0), row.at_risk) for row in rows],
        (end - max(end - 2 * seconds, since)) / 86400 if since is not None else 0.0,
        min_run_rate_days,
    )
    forecasts, load = _forecasts(backend, end, forecast_window)
    report = AnalyticsReport(
        backend.name, period, inputs.analyses,
        run_rate(sum(revenue.values()), days, min_run_rate_days), hit, inputs.median_latency_s,
        inputs.requests_per_second, unit, rows, churn, forecasts, lifetime_months, thresholds,
        prices, None if tickets is None else tickets.name, previous_covered, load, apply=apply,
    )  # fmt: skip
    if cost_explorer or function or table or bucket:
        from aurastream_obs.ops.analytics.gather import (
            apply_all,
            cost_explorer_costs,
            gather_recommendations,
        )

        if clients is None:
            from aurastream_obs.ops.health_probes import boto3_clients

            clients = boto3_clients(10.0)
        if cost_explorer:
            report.actual_costs_usd = cost_explorer_costs(clients)
        recs = gather_recommendations(
            clients, backend, window, function=function, table=table, bucket=bucket,
            prices=prices,
        )  # fmt: skip
        report.recommendations = apply_all(recs, clients) if apply else recs
    return report
