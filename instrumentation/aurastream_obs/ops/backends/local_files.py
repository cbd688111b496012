"""`LocalFilesBackend`: the KPI interface over a local-mode telemetry directory (metrics.jsonl).

The SLOs' own Prometheus selectors are evaluated by `local_eval`, so one definition serves
both backends. Rates divide by the time the data actually covers inside the window (a 40 s
demo run read with a 1 h window is 40 s of traffic, not 3,600)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import METRICS_FILE, InstrumentSpec, window_seconds
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import SLO
from aurastream_obs.ops.backends.base import RequestTotals
from aurastream_obs.ops.backends.local_eval import PointStore, group_total
from aurastream_obs.telemetry_files.readers import read_metric_points
from aurastream_obs.telemetry_files.stats import histogram_quantile


class LocalFilesBackend:
    def __init__(self, telemetry_dir: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(telemetry_dir)

    @property
    def name(self) -> str:
        return f"local files {self.directory}"

    @cached_property
    def store(self) -> PointStore:
        path = os.path.join(self.directory, METRICS_FILE)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no {METRICS_FILE} in {self.directory}")
        return PointStore(read_metric_points(path))

    def request_totals(self, window: str) -> RequestTotals | None:
        span = self.store.window(window_seconds(window))
        total = self.store.selector_total(s.REQUESTS, span)
        if total is None:
            return None
        errors = self.store.selector_total(s.REQUESTS_5XX, span) or 0.0
        first = self.store.first_start_ns(c.HTTP_SERVER_DURATION) or span.start_ns
        covered_s = (span.end_ns - max(span.start_ns, first)) / 1e9
        return RequestTotals(total, errors, total / covered_s if covered_s > 0 else 0.0)

    def latency_quantile(self, q: float, window: str) -> float | None:
        span = self.store.window(window_seconds(window))
        return histogram_quantile(q, self.store.histogram(c.HTTP_SERVER_DURATION, span))

    def cache_hit_ratio(self, window: str) -> float | None:
        span = self.store.window(window_seconds(window))
        lookups = self.store.selector_total(s.CACHE_LOOKUPS, span)
        hits = self.store.selector_total(s.CACHE_HITS, span)
        return hits / lookups if lookups and hits is not None else None

    def sli_error_ratio(self, slo: SLO, window: str) -> float | None:
        span = self.store.window(window_seconds(window))
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
        offset_s = window_seconds(offset) if offset else 0
        span = self.store.window(window_seconds(window), offset_s)
        return group_total(self.store.increase(spec, span), attribute)
