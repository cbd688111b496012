"""The analytics report as one self-contained HTML page (inline CSS and SVG, no scripts, no
external assets), like the trace waterfall: headline figures, the customers at risk and why,
health scores against the at-risk line, usage this period against the previous one, cost per
customer by service against its revenue, and the load over time against capacity."""

from __future__ import annotations

import datetime as dt
import os
from typing import Final

from aurastream_obs.ops.analytics.business import format_days
from aurastream_obs.ops.analytics.costs import SERVICES
from aurastream_obs.ops.analytics.figures import AnalyticsReport
from aurastream_obs.ops.analytics.health import at_risk_rule
from aurastream_obs.ops.analytics.svg_charts import (
    PALETTE,
    Bar,
    Line,
    StackedRow,
    bars,
    esc,
    line_chart,
    stacked_bars,
)
from aurastream_obs.ops.html_page import PAGE_CSS

RISK: Final = "#ef4444"
OK: Final = "#22c55e"
_CSS: Final = (
    PAGE_CSS
    + """
main{padding:20px 28px;display:flex;flex-direction:column;gap:18px;max-width:920px}
section h2{font-size:15px;margin:0 0 6px;font-weight:600}
.meta{font-size:12px;color:#6b7280;margin:0 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:12px 16px;
min-width:150px;flex:1}
.card b{display:block;font-size:22px;margin-top:4px}.card.risk b{color:#ef4444}
.card span{font-size:12px;color:#6b7280}
table{border-collapse:collapse;font-size:13px;width:100%}
td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;vertical-align:top}
"""
)


def _card(title: str, value: str, note: str = "", risk: bool = False) -> str:
    return (f'<div class="card{" risk" if risk else ""}"><span>{esc(title)}</span>'
            f"<b>{esc(value)}</b><span>{esc(note)}</span></div>")  # fmt: skip


def _cards(report: AnalyticsReport) -> str:
    mrr = report.revenue.monthly_usd
    cpa = report.cost_per_analysis
    return '<div class="cards">' + "".join([
        _card("customers at risk", f"{len(report.at_risk)} of {len(report.customers)}",
              f"${report.churn.revenue_at_risk_usd:,.4f} of recent revenue at risk",
              risk=bool(report.at_risk)),
        _card("revenue in the period", f"${report.revenue.observed_usd:,.4f}",
              f"over {format_days(report.period.covered_days)} of data"),
        _card("MRR (run-rate)", "insufficient data" if mrr is None else f"${mrr:,.2f}",
              f"needs {report.revenue.min_days:g} days of data"),
        _card("cost per analysis", "-" if cpa is None else f"${cpa:.7f}",
              f"{report.analyses:,.0f} analyses"),
    ]) + "</div>"  # fmt: skip


def _at_risk(report: AnalyticsReport) -> str:
    if not report.at_risk:
        return '<p class="meta">No customer is at risk.</p>'
    rows = "".join(
        f"<tr><td><b>{esc(row.customer_id)}</b></td><td>{row.health.score}</td><td>"
        + "<br>".join(esc(f.detail) for f in row.health.factors)
        + "</td></tr>"
        for row in report.at_risk
    )
    return f"<table><tr><th>customer</th><th>score</th><th>risk factors</th></tr>{rows}</table>"


def _health(report: AnalyticsReport) -> str:
    rows = [
        Bar(row.customer_id, row.health.score, RISK if row.at_risk else OK,
            "; ".join(f.detail for f in row.health.factors) or "no deduction")
        for row in report.customers
    ]  # fmt: skip
    below = report.thresholds.at_risk_below
    return bars(rows, vmax=100, marker=below, marker_label=f"at risk under {below}")


def _usage(report: AnalyticsReport) -> str:
    rows = []
    for row in report.customers:
        s = row.health.signals
        rows.append(Bar(f"{row.customer_id} now", s.usage, PALETTE[0]))
        if s.usage_before is not None:
            rows.append(Bar("previous", s.usage_before, "#cbd5e1"))
    return bars(rows, fmt=",.0f")


def _costs(report: AnalyticsReport) -> str:
    rows = [
        StackedRow(row.customer_id, [(n, row.cost.by_service[n]) for n in SERVICES],
                   row.revenue_usd, f"revenue ${row.revenue_usd:,.4f}")
        for row in report.customers if row.cost is not None
    ]  # fmt: skip
    if not rows:
        return '<p class="meta">No analyses: nothing to cost.</p>'
    return stacked_bars(rows)


def _load(report: AnalyticsReport) -> str:
    load = report.load
    if load is None or not load.times:
        return '<p class="meta">No request data for the load chart.</p>'
    lines = [Line("requests per second", list(zip(load.times, load.requests_per_second,
                                                  strict=True)))]  # fmt: skip
    if load.concurrency is not None:
        lines.append(Line("concurrent executions", list(zip(load.times, load.concurrency,
                                                            strict=True)), PALETTE[1]))  # fmt: skip
    first, last = load.times[0], load.times[-1]
    ticks = [(first + (last - first) * i / 4,
              dt.datetime.fromtimestamp(first + (last - first) * i / 4, dt.UTC)
              .strftime("%m-%d %H:%M:%S")) for i in range(5)]  # fmt: skip
    return line_chart(lines, x_label="UTC", x_ticks=ticks)


def render_html(report: AnalyticsReport) -> str:
    forecasts = "".join(
        f"<li>{esc(fc.metric)}: peak "
        + ("-" if fc.current_peak is None else f"{fc.current_peak:,.2f}")
        + f" of {fc.limit:,.0f}; {esc(fc.status)}</li>"
        for fc in report.forecasts
    )
    when = dt.datetime.fromtimestamp(report.period.end, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    previous = "compared" if report.previous_period_covered else "no data (no usage trend)"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AuraStream business view</title>
<style>{_CSS}</style></head><body>
<header><h1>AuraStream business view</h1><p>{esc(report.source)} · the last {esc(report.window)}
to {when} · previous period: {previous}</p></header>
<main>
{_cards(report)}
<section><h2>Customers at risk</h2><p class="meta">{esc(at_risk_rule(report.thresholds))}
(thresholds: {esc(report.thresholds.source)}; tickets: {esc(report.tickets_source or "no source")})
</p>{_at_risk(report)}</section>
<section><h2>Health score</h2>{_health(report)}</section>
<section><h2>Usage: this period and the previous one</h2>{_usage(report)}</section>
<section><h2>Cost per customer by service, and revenue (◆)</h2><p class="meta">USD over the
period; list prices with their sources in the README</p>{_costs(report)}</section>
<section><h2>Load and capacity</h2><ul class="meta">{forecasts}</ul>{_load(report)}</section>
</main></body></html>
"""


def write_html(report: AnalyticsReport, path: str | os.PathLike[str]) -> str:
    """Write the page; returns its absolute path."""
    target = os.path.abspath(path)
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(render_html(report))
    return target
