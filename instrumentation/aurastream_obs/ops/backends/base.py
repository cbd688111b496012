"""The one small backend interface: KPI-shaped questions with exact types.

Windows are Prometheus durations ("5m", "1h", "30d"). Every method answers None (or an empty
mapping) when the backend has no data for the question, never a made-up zero."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from aurastream_obs.core.conventions import InstrumentSpec
from aurastream_obs.definitions.spec import SLO


@dataclass(frozen=True)
class RequestTotals:
    """Requests answered in a window, how many were 5xx, and the per-second rate."""

    requests: float
    errors_5xx: float
    per_second: float


@runtime_checkable
class MetricsBackend(Protocol):
    @property
    def name(self) -> str:
        """Where the numbers come from (shown in reports)."""
        ...

    def request_totals(self, window: str) -> RequestTotals | None: ...

    def latency_quantile(self, q: float, window: str) -> float | None:
        """The q-quantile of request duration, in seconds."""
        ...

    def cache_hit_ratio(self, window: str) -> float | None: ...

    def sli_error_ratio(self, slo: SLO, window: str) -> float | None:
        """Bad events / all events of an SLO over the window (0..1)."""
        ...

    def counter_by(
        self, spec: InstrumentSpec, attribute: str, window: str, offset: str | None = None
    ) -> Mapping[str, float]:
        """Increase of a counter within the window (ending `offset` before now), grouped by
        one attribute: per-customer usage and revenue."""
        ...
