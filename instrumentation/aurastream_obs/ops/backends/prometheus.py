"""`PrometheusBackend`: the KPI interface over the Prometheus HTTP API (`/api/v1/query`).

Every expression comes from `definitions.promql` and `definitions.sources`, the same text the
recording rules, alerts and dashboards use, so the report cannot disagree with the alerts.
Plain urllib: the operations tools must not pull in an HTTP library."""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from aurastream_obs.core.conventions import InstrumentSpec, prometheus_label, prometheus_series
from aurastream_obs.definitions import promql
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import SLO, PromSelector
from aurastream_obs.ops.backends.base import RequestTotals


class PrometheusError(RuntimeError):
    """The server refused a query or could not be reached."""


class PrometheusBackend:
    """`at`: evaluate every query at this Unix time (seconds) instead of now, so a report over
    a past incident, or a test, reads exactly the window it names."""

    def __init__(self, url: str, *, timeout_s: float = 10.0, at: float | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.at = at

    @property
    def name(self) -> str:
        return f"prometheus {self.url}"

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query: (labels, value) per result sample; NaN samples are dropped."""
        params = {"query": expr} if self.at is None else {"query": expr, "time": f"{self.at:.3f}"}
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                body: dict[str, Any] = json.load(response)
        except urllib.error.HTTPError as error:  # 400/422 carry Prometheus' own message
            detail = error.read().decode("utf-8", "replace")[:300]
            raise PrometheusError(f"{error.code} for {expr!r}: {detail}") from error
        except (OSError, ValueError) as error:
            raise PrometheusError(f"{self.url}: {error}") from error
        data = body.get("data", {})
        if body.get("status") != "success":
            raise PrometheusError(f"{expr!r}: {body.get('error', body)}")
        if data.get("resultType") == "scalar":
            samples: list[tuple[dict[str, str], Any]] = [({}, data["result"][1])]
        else:
            samples = [(r.get("metric", {}), r["value"][1]) for r in data.get("result", [])]
        out = [(labels, float(value)) for labels, value in samples]
        return [(labels, value) for labels, value in out if not math.isnan(value)]

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


def _sum_increase(selector: PromSelector, window: str) -> str:
    return f"sum(increase({selector.render(window)}))"
