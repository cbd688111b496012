"""The demo report, computed from the exported telemetry files (never from client timings).

`build_report(telemetry_dir, tally)` reads traces.jsonl, metrics.jsonl, logs.jsonl and the
service's stdout log, and returns a `DemoReport`: request and error counts, latency quantiles
(estimated from histogram buckets and exact from server spans), cache hit rate, sentiments,
customers, one slow request's log line with its trace, and consistency checks. Rendering is
in `render.py`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import LOGS_FILE, METRICS_FILE, TRACES_FILE
from aurastream_obs.demo.client import ClientTally
from aurastream_obs.telemetry_files.readers import (
    LogRecordView,
    MetricPoints,
    Span,
    current_points,
    read_logs,
    read_metric_points,
    read_spans,
    sum_by,
)
from aurastream_obs.telemetry_files.stats import (
    Histogram,
    fraction_at_or_below,
    histogram_quantile,
    merge_histograms,
    percentile,
    quantile_bucket,
)

SERVICE_LOG_FILE: Final = "service.log"
REPORT_FILE: Final = "demo-report.json"
QUANTILES: Final = (0.5, 0.9, 0.99)
SLO_THRESHOLD_S: Final = 1.0
API_RESPONSE: Final = "api_response"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class CustomerRow:
    customer_id: str
    requests: int
    analyses: int
    revenue_usd: float


@dataclass(frozen=True)
class CorrelatedRequest:
    """One log line (raw JSON as written) and the spans of its trace."""

    log_line: str
    source: str
    trace_id: str
    spans: tuple[Span, ...]
    in_otlp_logs: bool


@dataclass
class DemoReport:
    telemetry_dir: str
    tally: ClientTally
    file_lines: dict[str, int] = field(default_factory=dict)
    requests: int = 0  # http.server.request.duration count
    server_spans: int = 0
    spans: int = 0
    orphan_spans: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    by_route: dict[str, dict[int, int]] = field(default_factory=dict)
    latency_buckets: dict[float, float | None] = field(default_factory=dict)
    latency_spans: dict[float, float | None] = field(default_factory=dict)
    latency_bucket_of: dict[float, tuple[float, float] | None] = field(default_factory=dict)
    within_slo: float | None = None
    slow_spans: int = 0
    cache_hits: int = 0
    cache_lookups: int = 0
    sentiments: dict[str, int] = field(default_factory=dict)
    customers: list[CustomerRow] = field(default_factory=list)
    log_records: int = 0
    api_response_logs: int = 0
    correlated: CorrelatedRequest | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def errors_4xx(self) -> int:
        return sum(n for status, n in self.by_status.items() if 400 <= status < 500)

    @property
    def errors_5xx(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)

    @property
    def cache_hit_rate(self) -> float | None:
        return cache_hit_rate(self.cache_hits, self.cache_lookups)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def path(self, name: str) -> str:
        return os.path.join(self.telemetry_dir, name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (quantile keys as "p50", ...)."""
        return {
            "telemetry_dir": self.telemetry_dir,
            "client": {
                "planned": self.tally.planned,
                "sent": self.tally.sent,
                "answered": self.tally.answered,
                "transport_errors": self.tally.transport_errors,
                "elapsed_s": round(self.tally.elapsed_s, 3),
            },
            "requests": self.requests,
            "server_spans": self.server_spans,
            "errors_4xx": self.errors_4xx,
            "errors_5xx": self.errors_5xx,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "latency_s": {
                "histogram_estimate": {_qname(q): v for q, v in self.latency_buckets.items()},
                "exact_from_spans": {_qname(q): v for q, v in self.latency_spans.items()},
                "within_1s": self.within_slo,
            },
            "cache": {"hits": self.cache_hits, "lookups": self.cache_lookups},
            "sentiments": self.sentiments,
            "customers": [vars(row) for row in self.customers],
            "correlated_trace_id": self.correlated.trace_id if self.correlated else None,
            "checks": {check.name: check.ok for check in self.checks},
            "ok": self.ok,
        }


def _qname(q: float) -> str:
    return f"p{q * 100:g}"


def cache_hit_rate(hits: int, lookups: int) -> float | None:
    """hits / lookups, None without lookups."""
    return hits / lookups if lookups else None


def cache_counts(points: MetricPoints) -> tuple[int, int]:
    """(hits, lookups) from `aurastream.cache.lookups` by `aurastream.cache.hit`."""
    totals = sum_by(points.sums.get(c.CACHE_LOOKUPS.name, []), c.CACHE_HIT)
    hits = sum(v for k, v in totals.items() if k is True or k == "true")
    return int(hits), int(sum(totals.values()))


def request_histogram(points: MetricPoints) -> tuple[Histogram | None, dict[tuple[str, int], int]]:
    """All attribute sets of `http.server.request.duration` merged, and counts by
    (method + route, status)."""
    current = current_points(points.histograms.get(c.HTTP_SERVER_DURATION.name, []))
    counts: Counter[tuple[str, int]] = Counter()
    for point in current:
        attrs = point.attributes
        route = f"{attrs.get(c.HTTP_METHOD, '?')} {attrs.get(c.HTTP_ROUTE, '-')}"
        status = attrs.get(c.HTTP_STATUS, 0)
        code = int(status) if isinstance(status, int | float) else 0
        counts[(route, code)] += point.histogram.total
    return merge_histograms(p.histogram for p in current), dict(counts)


def build_report(telemetry_dir: str, tally: ClientTally) -> DemoReport:
    """Read the four files of a demo run and compute the report (ValueError: corrupt file)."""
    report = DemoReport(telemetry_dir=telemetry_dir, tally=tally)
    spans = read_spans(report.path(TRACES_FILE))
    points = read_metric_points(report.path(METRICS_FILE))
    logs = read_logs(report.path(LOGS_FILE))
    report.file_lines = {
        name: _count_lines(report.path(name))
        for name in (TRACES_FILE, METRICS_FILE, LOGS_FILE, SERVICE_LOG_FILE)
    }
    _requests_and_latency(report, spans, points)
    report.cache_hits, report.cache_lookups = cache_counts(points)
    sentiments = sum_by(points.sums.get(c.SENTIMENT_ANALYSES.name, []), c.SENTIMENT)
    report.sentiments = {str(k): int(v) for k, v in sorted(sentiments.items(), key=_by_value)}
    report.customers = _customers(spans, points)
    report.log_records = len(logs)
    report.api_response_logs = sum(1 for r in logs if r.message == API_RESPONSE)
    report.correlated = find_correlated(report.path(SERVICE_LOG_FILE), spans, logs)
    report.checks = _checks(report)
    return report


def _by_value(item: tuple[object, float]) -> tuple[float, str]:
    return -item[1], str(item[0])


def _requests_and_latency(report: DemoReport, spans: Sequence[Span], points: MetricPoints) -> None:
    histogram, counts = request_histogram(points)
    report.requests = histogram.total if histogram is not None else 0
    for (route, status), n in sorted(counts.items()):
        report.by_status[status] = report.by_status.get(status, 0) + n
        report.by_route.setdefault(route, {})[status] = n
    server = [s for s in spans if s.is_server]
    durations = [s.duration_s for s in server]
    report.spans = len(spans)
    report.server_spans = len(server)
    ids = {s.span_id for s in spans}
    report.orphan_spans = sum(1 for s in spans if s.parent_id and s.parent_id not in ids)
    report.latency_buckets = {q: histogram_quantile(q, histogram) for q in QUANTILES}
    report.latency_spans = {q: percentile(durations, q) for q in QUANTILES}
    report.latency_bucket_of = {q: quantile_bucket(q, histogram) for q in QUANTILES}
    if histogram is not None and SLO_THRESHOLD_S in histogram.bounds:
        report.within_slo = fraction_at_or_below(histogram, SLO_THRESHOLD_S)
    report.slow_spans = sum(1 for d in durations if d > SLO_THRESHOLD_S)


def _customers(spans: Sequence[Span], points: MetricPoints) -> list[CustomerRow]:
    requests = Counter(
        str(s.attributes[c.CUSTOMER_ID])
        for s in spans
        if s.is_server and c.CUSTOMER_ID in s.attributes
    )
    usage = sum_by(points.sums.get(c.USAGE.name, []), c.CUSTOMER_ID)
    revenue = sum_by(points.sums.get(c.REVENUE.name, []), c.CUSTOMER_ID)
    names = sorted({*requests, *(str(k) for k in usage), *(str(k) for k in revenue)})
    rows = [
        CustomerRow(
            customer_id=name,
            requests=requests.get(name, 0),
            analyses=int(usage.get(name, 0)),
            # Rounded below a micro-dollar: float sums of prices differ in the last bit with
            # the order the points were added (a collector pipeline batches differently).
            revenue_usd=round(float(revenue.get(name, 0.0)), 9),
        )
        for name in names
    ]
    return sorted(rows, key=lambda row: (-row.requests, row.customer_id))


def find_correlated(
    service_log: str, spans: Sequence[Span], logs: Sequence[LogRecordView]
) -> CorrelatedRequest | None:
    """The slowest request's `api_response` line from the service log, with its trace."""
    best: tuple[float, str, str] | None = None  # (response time, raw line, trace id)
    for line, event in _json_lines(service_log):
        trace_id = event.get("trace_id")
        response_time = event.get("response_time")
        if (
            event.get("message") != API_RESPONSE
            or not isinstance(trace_id, str)
            or not isinstance(response_time, int | float)
        ):
            continue
        if best is None or response_time > best[0]:
            best = (float(response_time), line, trace_id)
    if best is None:
        return None
    _, line, trace_id = best
    trace = tuple(sorted((s for s in spans if s.trace_id == trace_id), key=lambda s: s.start_s))
    in_otlp = any(r.trace_id == trace_id and r.message == API_RESPONSE for r in logs)
    return CorrelatedRequest(line, service_log, trace_id, trace, in_otlp)


def _json_lines(path: str) -> list[tuple[str, Mapping[str, Any]]]:
    lines: list[tuple[str, Mapping[str, Any]]] = []
    if not os.path.exists(path):
        return lines
    with open(path, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            try:
                event = json.loads(line)
            except ValueError:  # a non-JSON line (e.g. a library printing) is not ours
                continue
            if isinstance(event, dict):
                lines.append((line, event))
    return lines


def _count_lines(path: str) -> int:
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def _checks(report: DemoReport) -> list[Check]:
    tally = report.tally
    otlp_files = (TRACES_FILE, METRICS_FILE, LOGS_FILE)
    lines = {name: report.file_lines.get(name, 0) for name in otlp_files}
    analyses = sum(report.sentiments.values())
    correlated = report.correlated
    return [
        Check(
            "telemetry files written",
            all(n > 0 for n in lines.values()),
            ", ".join(f"{name}: {n} lines" for name, n in lines.items()),
        ),
        Check(
            "every request traced",
            report.requests > 0 and report.server_spans == report.requests,
            f"{report.server_spans} server spans, {report.requests} requests in the histogram",
        ),
        Check(
            "client and server agree",
            tally.answered == report.requests and tally.transport_errors == 0,
            f"client answered {tally.answered} (transport errors {tally.transport_errors}), "
            f"server counted {report.requests}",
        ),
        Check(
            "answers as planned",
            not tally.unexpected and tally.answered == tally.planned,
            f"{tally.answered} of {tally.planned} planned requests answered, "
            f"{len(tally.unexpected)} with another status than planned",
        ),
        Check(
            "no orphan spans",
            report.orphan_spans == 0,
            f"{report.orphan_spans} of {report.spans} spans lack their parent",
        ),
        Check(
            "one api_response log per request",
            report.api_response_logs == report.requests,
            f"{report.api_response_logs} api_response records in {LOGS_FILE}",
        ),
        Check(
            "one cache lookup per analysis",
            report.cache_lookups > 0 and analyses == report.cache_lookups,
            f"{analyses} analyses, {report.cache_lookups} cache lookups",
        ),
        Check(
            "log line correlates with its trace",
            correlated is not None and bool(correlated.spans) and correlated.in_otlp_logs,
            "no api_response line with a trace_id"
            if correlated is None
            else f"trace {correlated.trace_id}: {len(correlated.spans)} spans; "
            f"record in {LOGS_FILE}: {'yes' if correlated.in_otlp_logs else 'no'}",
        ),
    ]
