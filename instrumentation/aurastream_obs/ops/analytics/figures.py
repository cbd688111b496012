"""`build_analytics`: customer, revenue and cost figures from a `MetricsBackend`, actual costs
from Cost Explorer when asked, and recommendations from AWS (boto3 lazily, injectable)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import window_seconds
from aurastream_obs.ops.analytics import recommend as r
from aurastream_obs.ops.analytics.business import (
    CostBreakdown,
    CustomerRow,
    customer_rows,
    modeled_cost,
)
from aurastream_obs.ops.backends.base import MetricsBackend

Clients = Callable[[str], Any]


@dataclass
class AnalyticsReport:
    source: str
    window: str
    analyses: float
    revenue_usd: float
    mrr_usd: float
    cache_hit_ratio: float | None
    modeled_cost: CostBreakdown
    customers: list[CustomerRow]
    actual_costs_usd: dict[str, float] | None = None  # Cost Explorer, last 30 days by service
    recommendations: list[r.Recommendation] = field(default_factory=list)

    @property
    def cost_per_analysis(self) -> float | None:
        return self.modeled_cost.total / self.analyses if self.analyses else None

    @property
    def at_risk(self) -> list[CustomerRow]:
        return [row for row in self.customers if row.at_risk]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "window": self.window,
            "analyses": self.analyses,
            "revenue_usd": self.revenue_usd,
            "mrr_usd": self.mrr_usd,
            "cache_hit_ratio": self.cache_hit_ratio,
            "modeled_cost_usd": self.modeled_cost.to_dict(),
            "cost_per_analysis_usd": self.cost_per_analysis,
            "customers": [
                {**asdict(row), "at_risk": row.at_risk, "margin_usd": row.margin_usd}
                for row in self.customers
            ],
            "at_risk": [row.customer_id for row in self.at_risk],
            "actual_costs_usd": self.actual_costs_usd,
            "recommendations": [asdict(rec) for rec in self.recommendations],
        }


def cost_explorer_costs(clients: Clients, days: int = 30) -> dict[str, float]:
    """Seed CostMonitor.track_service_costs: BlendedCost by SERVICE over the last days."""
    end = dt.datetime.now(dt.UTC).date()
    kwargs: dict[str, Any] = {
        "TimePeriod": {"Start": str(end - dt.timedelta(days=days)), "End": str(end)},
        "Granularity": "DAILY",
        "Metrics": ["BlendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    costs: dict[str, float] = {}
    while True:
        page = clients("ce").get_cost_and_usage(**kwargs)
        for result in page.get("ResultsByTime", []):
            for group in result.get("Groups", []):
                amount = float(group["Metrics"]["BlendedCost"]["Amount"])
                costs[group["Keys"][0]] = costs.get(group["Keys"][0], 0.0) + amount
        if not page.get("NextPageToken"):
            return costs
        kwargs["NextPageToken"] = page["NextPageToken"]


def max_memory_used_mb(
    clients: Clients, function: str, hours: int = 24, poll_s: float = 0.5
) -> float | None:
    """Peak `@maxMemoryUsed` of the function's REPORT lines (Logs Insights)."""
    logs = clients("logs")
    now = int(time.time())
    query = logs.start_query(
        logGroupName=f"/aws/lambda/{function}",
        startTime=now - 3600 * hours,
        endTime=now,
        queryString='filter @type = "REPORT" | stats max(@maxMemoryUsed / 1000 / 1000) as mb',
    )["queryId"]
    for _ in range(30):
        answer = logs.get_query_results(queryId=query)
        if answer["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
            for row in answer.get("results", []):
                for cell in row:
                    if cell.get("field") == "mb" and cell.get("value"):
                        return float(cell["value"])
            return None
        time.sleep(poll_s)
    return None


def gather_recommendations(
    clients: Clients,
    backend: MetricsBackend,
    window: str,
    *,
    function: str | None,
    table: str | None,
    qualifier: str = "live",
) -> list[r.Recommendation]:
    recs: list[r.Recommendation | None] = []
    if function:
        config = clients("lambda").get_function_configuration(FunctionName=function)
        used = max_memory_used_mb(clients, function)
        if used is not None:
            recs.append(r.right_size_memory(function, int(config["MemorySize"]), used))
        lambda_client = clients("lambda")
        try:
            current = lambda_client.get_provisioned_concurrency_config(
                FunctionName=function, Qualifier=qualifier
            )["RequestedProvisionedConcurrentExecutions"]
        except lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
            current = 0  # none configured; any other error (access, throttling) is raised
        p99 = backend.latency_quantile(0.99, window)
        totals = backend.request_totals(window)
        errors = 100 * totals.errors_5xx / totals.requests if totals and totals.requests else None
        recs.append(
            r.provisioned_concurrency(
                function, int(current), None if p99 is None else 1000 * p99, errors
            )
        )
    if table:
        described = clients("dynamodb").describe_table(TableName=table)["Table"]
        mode = described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        end = dt.datetime.now(dt.UTC)
        points = clients("cloudwatch").get_metric_statistics(
            Namespace="AWS/DynamoDB",
            MetricName="ConsumedReadCapacityUnits",
            Dimensions=[{"Name": "TableName", "Value": table}],
            StartTime=end - dt.timedelta(days=1),
            EndTime=end,
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        hourly = [p["Sum"] for p in sorted(points, key=lambda p: p["Timestamp"])]
        recs.append(r.billing_mode(table, mode, hourly))
    return [rec for rec in recs if rec is not None]


def build_analytics(
    backend: MetricsBackend,
    window: str = "1h",
    *,
    lifetime_months: float = 24.0,
    cost_explorer: bool = False,
    function: str | None = None,
    table: str | None = None,
    apply: bool = False,
    clients: Clients | None = None,
) -> AnalyticsReport:
    seconds = window_seconds(window)
    half = f"{max(1, seconds // 2)}s"
    usage = backend.counter_by(c.USAGE, c.CUSTOMER_ID, window)
    revenue = backend.counter_by(c.REVENUE, c.CUSTOMER_ID, window)
    recent = backend.counter_by(c.USAGE, c.CUSTOMER_ID, half)
    earlier = backend.counter_by(c.USAGE, c.CUSTOMER_ID, half, offset=half)
    hit = backend.cache_hit_ratio(window)
    miss = 1.0 - hit if hit is not None else 1.0  # no cache data: assume every call misses
    days = seconds / 86400
    rows = customer_rows(
        usage,
        revenue,
        recent,
        earlier,
        window_days=days,
        miss_ratio=miss,
        lifetime_months=lifetime_months,
    )
    analyses, total_revenue = sum(usage.values()), sum(revenue.values())
    report = AnalyticsReport(
        backend.name,
        window,
        analyses,
        total_revenue,
        total_revenue * 30 / days,
        hit,
        modeled_cost(analyses, miss),
        rows,
    )
    if cost_explorer or function or table:
        if clients is None:
            from aurastream_obs.ops.health_probes import boto3_clients

            clients = boto3_clients(10.0)
        if cost_explorer:
            report.actual_costs_usd = cost_explorer_costs(clients)
        recs = gather_recommendations(clients, backend, window, function=function, table=table)
        report.recommendations = [r.apply_recommendation(x, clients) if apply else x for x in recs]
    return report


def render_analytics(report: AnalyticsReport) -> str:
    cpa = report.cost_per_analysis
    out = [
        f"Business and cost analytics  source: {report.source}  window: {report.window}",
        f"  analyses {report.analyses:,.0f}   revenue ${report.revenue_usd:,.4f}   "
        f"MRR (run-rate) ${report.mrr_usd:,.2f}   cache hit "
        + ("-" if report.cache_hit_ratio is None else f"{100 * report.cache_hit_ratio:.1f} %"),
        f"  modeled cost ${report.modeled_cost.total:,.6f}  per analysis "
        + ("-" if cpa is None else f"${cpa:.7f}")
        + "  ("
        + ", ".join(
            f"{k} ${v:.6f}" for k, v in report.modeled_cost.to_dict().items() if k != "total"
        )
        + ")",
        "",
        f"  {'customer':<16} {'analyses':>9} {'trend':>8} {'revenue $':>10} {'MRR $':>10} "
        f"{'CLV $':>10} {'cost $':>10} {'health':>6}",
    ]
    for row in report.customers:
        trend = "-" if row.trend_percent is None else f"{row.trend_percent:+.0f} %"
        flag = "  AT RISK" if row.at_risk else ""
        out.append(
            f"  {row.customer_id[:16]:<16} {row.analyses:>9,.0f} {trend:>8} "
            f"{row.revenue_usd:>10,.4f} {row.mrr_usd:>10,.2f} {row.clv_usd:>10,.2f} "
            f"{row.cost_usd:>10.6f} {row.health_score:>6}{flag}"
        )
    out.append(
        f"\n  at risk (< 70): {', '.join(r_.customer_id for r_ in report.at_risk) or 'none'}"
    )
    if report.actual_costs_usd is not None:
        total = sum(report.actual_costs_usd.values())
        out.append(
            f"  Cost Explorer (30 d): ${total:,.2f} "
            + ", ".join(f"{k} ${v:,.2f}" for k, v in sorted(report.actual_costs_usd.items()))
        )
    for rec in report.recommendations:
        state = "APPLIED" if rec.applied else "recommend"
        out.append(
            f"  [{state}] {rec.kind} {rec.target}: {rec.current} -> {rec.recommended} "
            f"({rec.reason})"
        )
    return "\n".join(out)
