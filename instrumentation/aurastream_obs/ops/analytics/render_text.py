"""The analytics report as text: the business view first (at-risk customers, revenue with its
period, churn, the capacity forecast), then the cost per analysis and per customer, then the
recommendations (dry run unless --apply)."""

from __future__ import annotations

from collections.abc import Callable

from aurastream_obs.ops.analytics.business import format_days
from aurastream_obs.ops.analytics.costs import SERVICES
from aurastream_obs.ops.analytics.figures import AnalyticsReport, CustomerRow
from aurastream_obs.ops.analytics.health import at_risk_rule
from aurastream_obs.ops.analytics.prices import AS_OF


def _money(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _row(row: CustomerRow) -> str:
    s = row.health.signals
    trend = "-" if s.trend_percent is None else f"{s.trend_percent:+.0f} %"
    errors = (
        "-" if row.health.error_rate_percent is None else f"{row.health.error_rate_percent:.1f} %"
    )
    tickets = "-" if s.tickets is None else str(s.tickets)
    flag = "  AT RISK" if row.at_risk else ""
    return (
        f"  {row.customer_id[:16]:<16} {row.analyses:>9,.0f} {trend:>7} {errors:>7} "
        f"{tickets:>7} {row.health.score:>6} {row.revenue_usd:>10,.4f} "
        f"{_money(row.run_rate.monthly_usd):>9} {_money(row.clv_usd):>9} "
        f"{_money(row.cost_usd, 6):>10}{flag}"
    )


def _business(report: AnalyticsReport, add: Callable[[str], None]) -> None:
    p = report.period
    previous = "compared" if report.previous_period_covered else "no data: no usage trend"
    add(f"Business and cost analytics  source: {report.source}")
    add(f"  period: the last {p.window} (data covers {format_days(p.covered_days)}); previous "
        f"{p.window}: {previous}")  # fmt: skip
    hit = "-" if report.cache_hit_ratio is None else f"{100 * report.cache_hit_ratio:.1f} %"
    add(f"  analyses {report.analyses:,.0f}   revenue ${report.revenue.observed_usd:,.4f} "
        f"observed   cache hit {hit}")  # fmt: skip
    add(f"  MRR: {report.revenue.note}")
    add(f"  CLV: monthly run-rate x {report.lifetime_months:g} months "
        "(--lifetime-months), per customer below")  # fmt: skip
    add("")
    add(f"  {'customer':<16} {'analyses':>9} {'trend':>7} {'errors':>7} {'tickets':>7} "
        f"{'health':>6} {'revenue $':>10} {'MRR $':>9} {'CLV $':>9} {'cost $':>10}")  # fmt: skip
    for row in report.customers:
        add(_row(row))
    t = report.thresholds
    add("")
    add(f"At risk ({at_risk_rule(t)}): {len(report.at_risk)} of "
        f"{len(report.customers)} customers  [thresholds: {t.source}; tickets: "
        f"{report.tickets_source or 'no source (--tickets)'}]")  # fmt: skip
    for row in report.at_risk:
        add(f"  {row.customer_id}  score {row.health.score}: "
            + "; ".join(fct.detail for fct in row.health.factors))  # fmt: skip
    churn = report.churn
    if churn.customers:
        share = "-" if churn.revenue_share is None else f"{100 * churn.revenue_share:.0f} %"
        monthly = _money(churn.monthly_at_risk_usd)
        add(
            f"Churn estimate (every at-risk customer leaves): {churn.at_risk} of "
            f"{churn.customers} customers ({100 * (churn.customer_share or 0):.0f} %), "
            f"${churn.revenue_at_risk_usd:,.4f} of ${churn.revenue_usd:,.4f} revenue over this "
            f"period and the previous one ({share}); per month: "
            + (f"${monthly}" if churn.monthly_at_risk_usd is not None else "insufficient data")
        )


def _capacity(report: AnalyticsReport, add: Callable[[str], None]) -> None:
    add("")
    add("Capacity forecast (a straight line through the daily peaks, extended to the limit)")
    for fc in report.forecasts:
        peak = "-" if fc.current_peak is None else f"{fc.current_peak:,.2f}"
        room = "" if fc.headroom is None else f" ({100 * fc.headroom:.1f} % headroom)"
        add(f"  {fc.metric}: peak {peak} of {fc.limit:,.0f}{room}; {fc.status}")


def _costs(report: AnalyticsReport, add: Callable[[str], None]) -> None:
    add("")
    unit = report.unit_cost
    if unit is None:
        add("Cost per analysis: - (no analyses in the period)")
        return
    add(f"Cost per analysis ${unit.total:.8f}: " + ", ".join(
        f"{name} ${unit.by_service[name]:.8f}" for name in SERVICES))  # fmt: skip
    add("Cost per customer (USD over the period; usage-based allocation)")
    names = [n.replace("cloudwatch_", "cw_") for n in SERVICES]
    add(f"  {'customer':<16} {'total':>10} " + " ".join(f"{n:>11}" for n in names))
    for row in report.customers:
        if row.cost is None:
            continue
        add(f"  {row.customer_id[:16]:<16} {row.cost.total:>10.6f} "
            + " ".join(f"{row.cost.by_service[n]:>11.7f}" for n in SERVICES))  # fmt: skip
    add(f"  prices: {report.prices.source}, us-east-1, as of {AS_OF} (sources in --json and "
        "the README); --prices FILE overrides")  # fmt: skip


def _actions(report: AnalyticsReport, add: Callable[[str], None]) -> None:
    if report.actual_costs_usd is not None:
        total = sum(report.actual_costs_usd.values())
        add(f"Cost Explorer (30 d): ${total:,.2f} " + ", ".join(
            f"{k} ${v:,.2f}" for k, v in sorted(report.actual_costs_usd.items())))  # fmt: skip
    if report.recommendations:
        mode = (
            "applied where possible" if report.apply else "dry run: nothing changed, --apply acts"
        )
        add(f"Recommendations ({mode})")
    for rec in report.recommendations:
        if rec.error is not None and rec.recommended is None:
            add(f"  [unavailable] {rec.kind} {rec.target}: {rec.error}")
            continue
        saving = (
            "" if rec.saving_usd_month is None else f"; saves ~${rec.saving_usd_month:,.2f}/month"
        )
        add(f"  [{rec.state}] {rec.kind} {rec.target}: {rec.current} -> {rec.recommended} "
            f"({rec.reason}{saving})" + (f": {rec.error}" if rec.error else ""))  # fmt: skip


def render_analytics(report: AnalyticsReport) -> str:
    out: list[str] = []
    _business(report, out.append)
    _capacity(report, out.append)
    _costs(report, out.append)
    _actions(report, out.append)
    return "\n".join(out)
