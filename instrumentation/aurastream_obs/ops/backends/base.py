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


@dataclass(frozen=True)
class CustomerRequests:
    """One customer's authenticated requests in a window and how many failed (5xx or 429)."""

    requests: float
    failed: float

    @property
    def error_rate_percent(self) -> float | None:
        return 100 * self.failed / self.requests if self.requests else None


@dataclass(frozen=True)
class LoadSeries:
    """Load over time, one point per step (epoch seconds at each step's end): requests per
    second, and concurrent executions where the backend measures or derives them (Lambda's
    ConcurrentExecutions; Little's law, rate x mean duration, from the duration histogram)."""

    times: tuple[float, ...]
    requests_per_second: tuple[float, ...]
    concurrency: tuple[float, ...] | None = None


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

    def end_time(self) -> float:
        """Epoch seconds at which every window ends: now, the time a Prometheus backend was
        asked to evaluate at, or the newest point of local files."""
        ...

    def customer_requests(
        self, window: str, offset: str | None = None
    ) -> Mapping[str, CustomerRequests]:
        """Per customer: requests and failed requests within the window (ending `offset`
        before now); the customer's own error rate."""
        ...

    def data_since(self, window: str) -> float | None:
        """Epoch seconds of the first usage data inside the window (None: no usage data):
        how much of the window the figures actually cover."""
        ...

    def load_series(self, window: str, step_s: int) -> LoadSeries | None:
        """Request rate (and concurrency where known) per `step_s` over the window."""
        ...
