"""`LocalFilesBackend`: the KPI interface over a local-mode telemetry directory (metrics.jsonl,
and logs.jsonl for the per-customer figures).

The SLOs' own Prometheus selectors are evaluated by `local_eval`, so one definition serves
both backends. Rates divide by the time the data actually covers inside the window (a 40 s
demo run read with a 1 h window is 40 s of traffic, not 3,600). Windows end at the newest
metric point, or at `end` (epoch seconds) when given.

Per customer, usage, revenue and requests come from the log records (`local_logs`), as Logs
Insights gives them on CloudWatch: exact timestamps, no cardinality cap. Without business
events in the logs, usage and revenue fall back to the per-customer counters."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import METRICS_FILE, InstrumentSpec, window_seconds
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import SLO
from aurastream_obs.ops.backends.base import CustomerRequests, LoadSeries, RequestTotals
from aurastream_obs.ops.backends.local_eval import PointStore, Window, group_total
from aurastream_obs.ops.backends.local_logs import CustomerLogs
from aurastream_obs.telemetry_files.readers import read_metric_points
from aurastream_obs.telemetry_files.stats import histogram_quantile


class LocalFilesBackend:
    def __init__(self, telemetry_dir: str | os.PathLike[str], *, end: float | None = None) -> None:
        self.directory = os.fspath(telemetry_dir)
        self.end = end
        self.logs = CustomerLogs(self.directory)

    @property
    def name(self) -> str:
        return f"local files {self.directory}"

    @cached_property
    def store(self) -> PointStore:
        path = os.path.join(self.directory, METRICS_FILE)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"no {METRICS_FILE} in {self.directory}: give --telemetry-dir the folder a "
                "service in local mode writes (AURASTREAM_TELEMETRY_DIR; `aurastream-obs demo` "
                "fills .telemetry)"
            )
        return PointStore(read_metric_points(path))

    def _window(self, window: str, offset: str | None = None) -> Window:
        end = self.store.now_ns if self.end is None else int(self.end * 1e9)
        end -= int(window_seconds(offset) * 1e9) if offset else 0
        return Window(end - int(window_seconds(window) * 1e9), end)

    def request_totals(self, window: str) -> RequestTotals | None:
        span = self._window(window)
        total = self.store.selector_total(s.REQUESTS, span)
        if total is None:
            return None
        errors = self.store.selector_total(s.REQUESTS_5XX, span) or 0.0
        first = self.store.first_start_ns(c.HTTP_SERVER_DURATION) or span.start_ns
        covered_s = (span.end_ns - max(span.start_ns, first)) / 1e9
        return RequestTotals(total, errors, total / covered_s if covered_s > 0 else 0.0)

    def latency_quantile(self, q: float, window: str) -> float | None:
        span = self._window(window)
        return histogram_quantile(q, self.store.histogram(c.HTTP_SERVER_DURATION, span))

    def cache_hit_ratio(self, window: str) -> float | None:
        span = self._window(window)
        lookups = self.store.selector_total(s.CACHE_LOOKUPS, span)
        hits = self.store.selector_total(s.CACHE_HITS, span)
        return hits / lookups if lookups and hits is not None else None

    def sli_error_ratio(self, slo: SLO, window: str) -> float | None:
        span = self._window(window)
        ratio = slo.prometheus
        total = self.store.selector_total(ratio.total, span)
        if not total:
            return None
        if ratio.bad is not None:
            return (self.store.selector_total(ratio.bad, span) or 0.0) / total
        assert ratio.good is not None  # validation: exactly one of bad/good
        return 1.0 - (self.store.selector_total(ratio.good, span) or 0.0) / total

    def counter_by(
        self, spec: InstrumentSpec, attribute: str, window: str, offset: str | None = None
    ) -> Mapping[str, float]:
        span = self._window(window, offset)
        by_customer = attribute == c.CUSTOMER_ID and spec.name in (c.USAGE.name, c.REVENUE.name)
        if by_customer and self.logs.has_analyses:
            analyses, revenue = self.logs.analyses(span)
            return analyses if spec.name == c.USAGE.name else revenue
        return group_total(self.store.increase(spec, span), attribute)

    def end_time(self) -> float:
        return self.store.now_ns / 1e9 if self.end is None else self.end

    def customer_requests(
        self, window: str, offset: str | None = None
    ) -> Mapping[str, CustomerRequests]:
        """From the `api_response` log lines (as Logs Insights does on CloudWatch)."""
        return self.logs.requests(self._window(window, offset))

    def data_since(self, window: str) -> float | None:
        """The first analysis in the logs, else the first export holding usage."""
        first = self.logs.first_analysis_ns() or self.store.first_data_ns(c.USAGE)
        if first is None:
            return None
        return max(first, self._window(window).start_ns) / 1e9

    def load_series(self, window: str, step_s: int) -> LoadSeries | None:
        """Request rate per step from the cumulative request counts; steps before the first
        data point are left out (no data is not zero load). Concurrency: not derived here
        (the point reader keeps no histogram sums)."""
        span = self._window(window)
        first = self.store.first_start_ns(c.HTTP_SERVER_DURATION)
        if first is None:
            return None
        step_ns = step_s * 10**9
        times: list[float] = []
        rates: list[float] = []
        end = span.end_ns
        while end - step_ns // 2 > max(span.start_ns, first):
            total = self.store.selector_total(s.REQUESTS, Window(end - step_ns, end)) or 0.0
            times.append(end / 1e9)
            rates.append(total / step_s)
            end -= step_ns
        if not times:
            return None
        return LoadSeries(tuple(reversed(times)), tuple(reversed(rates)))
