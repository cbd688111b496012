"""Plain-text rendering of the demo report (ASCII only: any terminal, any log viewer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import LOGS_FILE, METRICS_FILE, TRACES_FILE
from aurastream_obs.demo.summary import (
    REPORT_FILE,
    SERVICE_LOG_FILE,
    SLO_THRESHOLD_S,
    DemoReport,
)
from aurastream_obs.telemetry_files.readers import Span

_RULE: Final = "=" * 78
# Span attributes worth a glance in the trace tree, with their short labels.
_TREE_ATTRIBUTES: Final = (
    (c.HTTP_STATUS, "status"),
    (c.CUSTOMER_ID, "customer"),
    (c.CACHE_HIT, "hit"),
    (c.SENTIMENT, "sentiment"),
    (c.TEXT_LENGTH, "chars"),
)


@dataclass(frozen=True)
class Endpoints:
    """Where things were served: shown in the report's last section."""

    service_url: str
    prometheus_url: str | None
    prometheus_note: str
    still_serving: bool


def format_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1.0:
        return f"{value:.2f} s"
    return f"{value * 1000:.1f} ms"


def format_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def xray_trace_id(trace_id: str) -> str:
    return f"1-{trace_id[:8]}-{trace_id[8:]}" if len(trace_id) == 32 else trace_id


def render_trace(spans: Sequence[Span]) -> list[str]:
    """The spans of one trace as an indented tree: name, duration, offset, key attributes."""
    if not spans:
        return ["(no spans)"]
    ids = {s.span_id for s in spans}
    children: dict[str, list[Span]] = {}
    roots: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start_s):
        if span.parent_id and span.parent_id in ids:
            children.setdefault(span.parent_id, []).append(span)
        else:
            roots.append(span)
    origin = min(s.start_s for s in spans)
    lines: list[str] = []

    def walk(span: Span, lead: str, branch: str) -> None:
        extras = " ".join(
            f"{label}={_attr_text(span.attributes[key])}"
            for key, label in _TREE_ATTRIBUTES
            if key in span.attributes
        )
        offset = f"+{(span.start_s - origin) * 1000:.1f} ms"
        name = f"{lead}{branch}{span.name}"
        lines.append(
            f"{name:<26} {format_seconds(span.duration_s):>9}  start {offset:>10}  {extras}"
        )
        kids = children.get(span.span_id, [])
        child_lead = lead + {"": "", "`- ": "   "}.get(branch, "|  ")
        for i, kid in enumerate(kids):
            walk(kid, child_lead, "`- " if i == len(kids) - 1 else "|- ")

    for root in roots:
        walk(root, "", "")
    return lines


def _attr_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def render_report(report: DemoReport, endpoints: Endpoints) -> str:
    out: list[str] = []
    add = out.append
    tally = report.tally
    add(_RULE)
    add("AuraStream demo report - computed from this run's exported telemetry files")
    add(_RULE)
    add(
        f"Load generator  sent {tally.sent} of {tally.planned} planned requests in "
        f"{tally.elapsed_s:.1f} s; answered {tally.answered}, transport errors "
        f"{tally.transport_errors}"
    )
    if tally.unexpected:
        add(f"                {len(tally.unexpected)} answers with an unexpected status code")
    add("")
    add("Requests        (metrics.jsonl: http.server.request.duration)")
    add(
        f"  requests      {report.requests:>6}   (SERVER spans in traces.jsonl: "
        f"{report.server_spans}; client answered: {tally.answered})"
    )
    requests = report.requests or 1
    add(f"  4xx (client)  {report.errors_4xx:>6}   {report.errors_4xx / requests:6.1%}")
    add(f"  5xx (server)  {report.errors_5xx:>6}   {report.errors_5xx / requests:6.1%}")
    for route, statuses in sorted(report.by_route.items()):
        counts = "  ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        add(f"  {route:<18}  {counts}")
    add("")
    add(f"Latency         {'p50':>10} {'p90':>10} {'p99':>10}")
    add(
        "  "
        + f"{'histogram':<14}"
        + "".join(f"{format_seconds(v):>11}" for v in report.latency_buckets.values())
        + "   estimated from buckets (histogram_quantile)"
    )
    add(
        "  "
        + f"{'server spans':<14}"
        + "".join(f"{format_seconds(v):>11}" for v in report.latency_spans.values())
        + f"   exact (nearest rank) over {report.server_spans} spans"
    )
    p99_bucket = report.latency_bucket_of.get(0.99)
    if p99_bucket is not None:
        add(
            f"  the bucket estimate is only as fine as the buckets: p99 lies in "
            f"({format_seconds(p99_bucket[0])}, {format_seconds(p99_bucket[1])}]"
        )
    add(
        f"  within {SLO_THRESHOLD_S:g} s (the SLO threshold, a bucket bound: exact): "
        f"{format_share(report.within_slo)} of requests; {report.slow_spans} spans took longer"
    )
    add("")
    add(
        f"Cache           hit rate {format_share(report.cache_hit_rate)} "
        f"({report.cache_hits} hits of {report.cache_lookups} lookups, aurastream.cache.lookups)"
    )
    add("")
    add("Sentiments      (aurastream.sentiment.analyses, cache hits included)")
    total = sum(report.sentiments.values()) or 1
    for sentiment, n in report.sentiments.items():
        add(f"  {sentiment:<10} {n:>6}  {'#' * round(30 * n / total)}")
    add("")
    add(f"Customers       {'requests':>10} {'analyses':>10} {'revenue':>10}")
    add(f"  {'(source)':<13} {'spans':>10} {'usage':>10} {'revenue':>10}   (aurastream.* metrics)")
    for row in report.customers:
        revenue = f"${row.revenue_usd:.4f}"
        add(f"  {row.customer_id:<13} {row.requests:>10} {row.analyses:>10} {revenue:>10}")
    add("")
    _render_correlated(report, add)
    add("")
    _render_locations(report, endpoints, add)
    add("")
    add("Checks")
    for check in report.checks:
        add(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    add("")
    add("Result: OK" if report.ok else "Result: FAILED - the telemetry is empty or inconsistent")
    return "\n".join(out)


def _render_correlated(report: DemoReport, add: Callable[[str], None]) -> None:
    correlated = report.correlated
    add("One request end to end: the slowest request's log line and its trace")
    if correlated is None:
        add(f"  (no api_response line with a trace_id in {SERVICE_LOG_FILE})")
        return
    add(f"  log line ({correlated.source}):")
    add(f"  {correlated.log_line}")
    add(
        f"  trace {correlated.trace_id} (X-Ray {xray_trace_id(correlated.trace_id)}), "
        f"{len(correlated.spans)} spans in {TRACES_FILE}:"
    )
    for line in render_trace(correlated.spans):
        add(f"    {line}")


def _render_locations(report: DemoReport, endpoints: Endpoints, add: Callable[[str], None]) -> None:
    lines = report.file_lines
    add("Where the telemetry is")
    add(
        f"  traces      {report.path(TRACES_FILE)}  "
        f"({lines.get(TRACES_FILE, 0)} export requests, {report.spans} spans)"
    )
    add(
        f"  metrics     {report.path(METRICS_FILE)}  ({lines.get(METRICS_FILE, 0)} export requests)"
    )
    add(
        f"  logs        {report.path(LOGS_FILE)}  "
        f"({lines.get(LOGS_FILE, 0)} export requests, {report.log_records} log records)"
    )
    add(
        f"  service log {report.path(SERVICE_LOG_FILE)}  "
        f"({lines.get(SERVICE_LOG_FILE, 0)} JSON log lines; stdout outside the demo)"
    )
    when = "served now" if endpoints.still_serving else "served during the run; --serve keeps it"
    if endpoints.prometheus_url is not None:
        add(f"  Prometheus  {endpoints.prometheus_url}  ({when})")
    else:
        add(f"  Prometheus  {endpoints.prometheus_note}")
    add(f"  service     {endpoints.service_url}  ({when})")
    add(f"  report      {report.path(REPORT_FILE)}  (this report as JSON)")
