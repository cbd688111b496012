"""The CloudWatch queries behind `aurastream-obs kpi --cloudwatch`, written once: the KPI
backend (ops/backends/cloudwatch.py) asks exactly these, and `aurastream-obs validate` checks
them against the metric catalog like the alarms and the widgets."""

from __future__ import annotations

from typing import Final

from aurastream_obs.core import conventions as c
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import CwExpression, CwMetric

# Requests and their 5xx at the edge (the HTTP API), per window.
REQUESTS: Final = s.api("Count")
REQUESTS_5XX: Final = s.api("5xx")


def latency(stat: str) -> CwMetric:
    """API Gateway latency (milliseconds) at a percentile, e.g. `p99`."""
    return s.api("Latency", stat)


# Analytics: billable usage over time (how much of a window has data: honest run-rates) and the
# API function's concurrency (the capacity forecast against the account's Lambda limit).
USAGE: Final = s.app(c.USAGE.name)
CONCURRENCY: Final = s.function("ConcurrentExecutions", "Maximum")
CACHE_HITS: Final = s.CW_CACHE_HITS
CACHE_MISSES: Final = s.CW_CACHE_MISSES
LATENCY_PERCENTILES: Final = ("p50", "p90", "p99")


def kpi_queries() -> dict[str, CwMetric | CwExpression]:
    """Every query the KPI report and the analytics run, by name (the SLOs' expressions
    included)."""
    from aurastream_obs.definitions.aurastream import SLOS

    queries: dict[str, CwMetric | CwExpression] = {
        "requests": REQUESTS,
        "requests-5xx": REQUESTS_5XX,
        "cache-hits": CACHE_HITS,
        "cache-misses": CACHE_MISSES,
        "usage": USAGE,
        "concurrency": CONCURRENCY,
        **{f"latency-{p}": latency(p) for p in LATENCY_PERCENTILES},
    }
    queries |= {f"slo-{slo.name}": slo.cloudwatch for slo in SLOS}
    return queries
