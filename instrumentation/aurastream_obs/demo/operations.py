"""The demo's closing section: the KPI/SLO report and the top bottlenecks computed by the
operations tools from this run's own telemetry, the waterfall picture beside the files, and
the business view (`aurastream-obs analytics`): customers at risk, the capacity forecast, the
cost per customer, and its HTML page."""

from __future__ import annotations

import csv
import math
import os
from typing import Final

WATERFALL_FILE = "waterfall.html"
ANALYTICS_FILE: Final = "analytics.html"
TICKETS_FILE: Final = "support-tickets.csv"
# The demo has no helpdesk: a small export stands in for one (the ticket source interface,
# ops/analytics/tickets.py). globex complains a lot (6 tickets: -20, still healthy at 80);
# initech, which stops calling the API part-way through the run, opened one.
DEMO_TICKETS: Final = (("globex", 6), ("initech", 1))


def write_demo_tickets(folder: str, opened_at: float) -> str:
    """The demo's support tickets, all opened at `opened_at` (epoch seconds); the path."""
    import datetime as dt

    path = os.path.join(folder, TICKETS_FILE)
    stamp = dt.datetime.fromtimestamp(opened_at, dt.UTC).isoformat()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "customer_id", "opened_at", "subject"])
        number = 0
        for customer, count in DEMO_TICKETS:
            for _ in range(count):
                number += 1
                writer.writerow([f"T-{number:04d}", customer, stamp, "demo ticket"])
    return path


def operations_summary(
    folder: str, *, top: int = 5, halves: tuple[float, float, float] | None = None
) -> str:
    """What `aurastream-obs kpi`, `traces` and `analytics` say about this run."""
    from aurastream_obs.ops.kpi import kpi_report_from_dir, render_kpi_table
    from aurastream_obs.ops.traces import bottlenecks_from_dir
    from aurastream_obs.ops.traces.text import render_text
    from aurastream_obs.ops.traces.waterfall import write_waterfall

    kpi = render_kpi_table(kpi_report_from_dir(folder))
    analysis = bottlenecks_from_dir(folder, top=top)
    waterfall = write_waterfall(folder, os.path.join(folder, WATERFALL_FILE), top=top)
    return "\n".join(
        [
            "KPIs and SLOs (aurastream-obs kpi --telemetry-dir " + folder + ")",
            kpi,
            "",
            "Bottlenecks (aurastream-obs traces --telemetry-dir " + folder + ")",
            render_text(analysis, top),
            "",
            f"Waterfall of the {top} slowest traces: {waterfall}",
            "",
            business_summary(folder, halves),
        ]
    )


def business_summary(folder: str, halves: tuple[float, float, float] | None = None) -> str:
    """The business view of this run. `halves`: when the traffic started, when its second
    half started and when it ended (epoch seconds): "this period" is the second half, the
    previous period the first (a demo has no yesterday), both as long as the longer half.
    Without them, the last half of the data against the half before."""
    from aurastream_obs.ops.analytics.figures import build_analytics
    from aurastream_obs.ops.analytics.html_report import write_html
    from aurastream_obs.ops.analytics.tickets import FileTicketSource
    from aurastream_obs.ops.backends.local_files import LocalFilesBackend

    end: float | None = None
    if halves is not None:
        start, boundary, stop = halves
        seconds = max(1, math.ceil(max(boundary - start, stop - boundary)))
        end = boundary + seconds
    else:
        probe = LocalFilesBackend(folder)
        since = probe.data_since("1d")
        seconds = max(1, math.ceil((probe.end_time() - since) / 2)) if since else 1
    backend = LocalFilesBackend(folder, end=end)
    window = f"{seconds}s"
    tickets_path = os.path.join(folder, TICKETS_FILE)
    tickets = FileTicketSource(tickets_path) if os.path.exists(tickets_path) else None
    report = build_analytics(backend, window, tickets=tickets)
    page = write_html(report, os.path.join(folder, ANALYTICS_FILE))
    command = f"aurastream-obs analytics --telemetry-dir {folder} --window {window}"
    if end is not None:
        command += f" --end {end:.3f}"
    if tickets is not None:
        command += f" --tickets {tickets_path}"
    lines = [f"Business view ({command})"]
    if not report.at_risk:
        lines.append("  at risk: none")
    for row in report.at_risk:
        factors = "; ".join(f.detail for f in row.health.factors)
        lines.append(f"  at risk: {row.customer_id} (score {row.health.score}: {factors})")
    for fc in report.forecasts:
        peak = "-" if fc.current_peak is None else f"{fc.current_peak:,.1f}"
        lines.append(f"  forecast: {fc.metric} peak {peak} of {fc.limit:,.0f}; {fc.status}")
    costs = ", ".join(
        f"{row.customer_id} ${row.cost_usd:.6f} ({row.analyses:,.0f} analyses)"
        for row in report.customers
        if row.cost_usd is not None
    )
    cpa = report.cost_per_analysis
    lines.append(
        f"  cost per customer: {costs or '-'}; per analysis "
        + ("-" if cpa is None else f"${cpa:.8f}")
    )
    lines.append(f"  MRR: {report.revenue.note}")
    lines.append(f"Business report with charts: {page}")
    return "\n".join(lines)
