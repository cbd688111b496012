"""`PrometheusBackend`: the KPI interface over the Prometheus HTTP API (`/api/v1/query`).

Every expression comes from `definitions.promql` and `definitions.sources`, the same text the
recording rules, alerts and dashboards use, so the report cannot disagree with the alerts.
Plain urllib: the operations tools must not pull in an HTTP library."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import (
    InstrumentSpec,
    prometheus_label,
    prometheus_series,
    window_seconds,
)
from aurastream_obs.definitions import promql
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import SLO, PromSelector
from aurastream_obs.ops.backends.base import CustomerRequests, LoadSeries, RequestTotals


class PrometheusError(RuntimeError):
    """The server refused a query or could not be reached."""


class PrometheusBackend:
    """`at`: evaluate every query at this Unix time (seconds) instead of now, so a report over
    a past incident, or a test, reads exactly the window it names. `scope`: read only one
    service's and environment's series (one Prometheus can hold several; promql.scoped)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        at: float | None = None,
        scope: promql.Scope | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.at = at
        self.scope = scope

    @property
    def name(self) -> str:
        return f"prometheus {self.url}"

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query: (labels, value) per result sample; NaN samples are dropped."""
        params = {"query": expr} if self.at is None else {"query": expr, "time": f"{self.at:.3f}"}
        data = self._get("query", params, expr)
        if data.get("resultType") == "scalar":
            samples: list[tuple[dict[str, str], Any]] = [({}, data["result"][1])]
        else:
            samples = [(r.get("metric", {}), r["value"][1]) for r in data.get("result", [])]
        out = [(labels, float(value)) for labels, value in samples]
        return [(labels, value) for labels, value in out if not math.isnan(value)]

    def query_range(self, expr: str, window: str, step_s: int) -> dict[float, float]:
        """A range query over the window ending now (or `at`) of an expression with one
        series: {timestamp: value}, NaN dropped."""
        end = self.end_time()
        params = {"query": expr, "start": f"{end - window_seconds(window):.3f}",
                  "end": f"{end:.3f}", "step": str(step_s)}  # fmt: skip
        data = self._get("query_range", params, expr)
        points: dict[float, float] = {}
        for result in data.get("result", []):
            for stamp, value in result.get("values", []):
                if not math.isnan(float(value)):
                    points[float(stamp)] = points.get(float(stamp), 0.0) + float(value)
        return points

    def _get(self, api: str, params: Mapping[str, str], expr: str) -> dict[str, Any]:
        if self.scope is not None:
            expr = promql.scoped(expr, self.scope)
            params = {**params, "query": expr}
        url = f"{self.url}/api/v1/{api}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                body: dict[str, Any] = json.load(response)
        except urllib.error.HTTPError as error:  # 400/422 carry Prometheus' own message
            detail = error.read().decode("utf-8", "replace")[:300]
            raise PrometheusError(f"{error.code} for {expr!r}: {detail}") from error
        except (OSError, ValueError) as error:  # refused, timed out, not JSON
            reason = getattr(error, "reason", None) or error
            raise PrometheusError(
                f"cannot query Prometheus at {self.url} ({reason}): check the --prometheus URL "
                "and that the server is up"
            ) from error
        if body.get("status") != "success":
            raise PrometheusError(f"{expr!r}: {body.get('error', body)}")
        data: dict[str, Any] = body.get("data", {})
        return data

    def scalar(self, expr: str) -> float | None:
        """The single value of an aggregated expression (None: no data)."""
        results = self.query(expr)
        return results[0][1] if results else None

    def request_totals(self, window: str) -> RequestTotals | None:
        total = self.scalar(_sum_increase(s.REQUESTS, window))
        if total is None:
            return None
        errors = self.scalar(_sum_increase(s.REQUESTS_5XX, window)) or 0.0
        rate = self.scalar(promql.sum_rate(s.REQUESTS, window)) or 0.0
        return RequestTotals(total, errors, rate)

    def latency_quantile(self, q: float, window: str) -> float | None:
        return self.scalar(promql.quantile(q, s.LATENCY_BUCKETS, window))

    def cache_hit_ratio(self, window: str) -> float | None:
        hits = f"({promql.sum_rate(s.CACHE_HITS, window)} or vector(0))"
        return self.scalar(f"{hits} / {promql.sum_rate(s.CACHE_LOOKUPS, window)}")

    def sli_error_ratio(self, slo: SLO, window: str) -> float | None:
        return self.scalar(promql.error_ratio(slo.prometheus, window))

    def counter_by(
        self, spec: InstrumentSpec, attribute: str, window: str, offset: str | None = None
    ) -> Mapping[str, float]:
        (series,) = (n for n in prometheus_series(spec) if n.endswith("_total"))
        label = prometheus_label(attribute)
        shift = f" offset {offset}" if offset else ""
        expr = f"sum by ({label}) (increase({series}[{window}]{shift}))"
        return {labels.get(label, ""): value for labels, value in self.query(expr)}

    def end_time(self) -> float:
        return self.at if self.at is not None else time.time()

    def customer_requests(
        self, window: str, offset: str | None = None
    ) -> Mapping[str, CustomerRequests]:
        (series,) = prometheus_series(c.CUSTOMER_REQUESTS)
        customer, failed = prometheus_label(c.CUSTOMER_ID), prometheus_label(c.REQUEST_FAILED)
        shift = f" offset {offset}" if offset else ""
        rows = self.query(f"sum by ({customer}, {failed}) (increase({series}[{window}]{shift}))")
        totals: dict[str, list[float]] = {}
        for labels, value in rows:
            counts = totals.setdefault(labels.get(customer, ""), [0.0, 0.0])
            counts[0] += value
            if labels.get(failed) == "true":
                counts[1] += value
        return {k: CustomerRequests(n, bad) for k, (n, bad) in totals.items() if k}

    def data_since(self, window: str) -> float | None:
        """The first subquery step (at most 720 over the window) with any usage series."""
        (usage,) = prometheus_series(c.USAGE)
        step = max(60, window_seconds(window) // 720)
        return self.scalar(f"min_over_time(timestamp(sum({usage}))[{window}:{step}s])")

    def load_series(self, window: str, step_s: int) -> LoadSeries | None:
        """Request rate, and concurrency by Little's law: the rate of the duration sum is
        the mean number of requests in flight."""
        count, total = promql.HTTP_COUNT, promql.HTTP_SUM
        rate_window = f"{max(step_s, 60)}s"
        rps = self.query_range(f"sum(rate({count}[{rate_window}]))", window, step_s)
        if not rps:
            return None
        busy = self.query_range(f"sum(rate({total}[{rate_window}]))", window, step_s)
        times = tuple(sorted(rps))
        concurrency = tuple(busy.get(t, 0.0) for t in times) if busy else None
        return LoadSeries(times, tuple(rps[t] for t in times), concurrency)


def _sum_increase(selector: PromSelector, window: str) -> str:
    return f"sum(increase({selector.render(window)}))"
