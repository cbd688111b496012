"""Capacity forecast: days until the daily peak reaches a limit at the current trend.

The same method as the Prometheus rules (artifacts/prometheus_predictive.py): a straight line
through the daily peaks (one value per whole day, so a daily cycle does not tilt the line),
extrapolated to the limit. Two limits: the 1,000 requests per second the service was designed
for (the operators' guide's throughput KPI) and the Lambda concurrency limit (1,000 concurrent
executions, the Region's default account quota; shared by every function of the account).
Fewer than `min_days` whole days of history: "insufficient history", not a guess."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

DESIGN_RPS: Final = 1000.0
LAMBDA_CONCURRENCY_LIMIT: Final = 1000.0
MIN_DAYS: Final = 3
DAY_S: Final = 86400


@dataclass(frozen=True)
class CapacityForecast:
    metric: str  # "requests per second", "concurrent executions"
    limit: float
    current_peak: float | None  # the latest day's peak (or the whole series' when short)
    days_of_history: float
    slope_per_day: float | None  # None: insufficient history
    days_until_limit: float | None  # None: not growing, or insufficient history
    min_days: int = MIN_DAYS

    @property
    def status(self) -> str:
        if self.current_peak is None:
            return "no data"
        if self.current_peak >= self.limit:
            return "at or over the limit now"
        if self.slope_per_day is None:
            return (
                f"insufficient history ({self.days_of_history:.2f} days; a forecast needs "
                f"{self.min_days} whole days)"
            )
        if self.days_until_limit is None:
            return "not growing: no date"
        return f"reaches {self.limit:,.0f} in {self.days_until_limit:,.0f} days"

    @property
    def headroom(self) -> float | None:
        return None if self.current_peak is None else 1 - self.current_peak / self.limit

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "limit": self.limit, "current_peak": self.current_peak,
                "days_of_history": self.days_of_history, "slope_per_day": self.slope_per_day,
                "days_until_limit": self.days_until_limit, "status": self.status}  # fmt: skip


def daily_peaks(times: Sequence[float], values: Sequence[float]) -> list[float]:
    """The maximum of each whole day, counting back from the last point (a partial first
    day is dropped: its peak may not have happened yet)."""
    if not times:
        return []
    end = times[-1]
    days = int((end - times[0]) // DAY_S)
    peaks = []
    for day in range(days, 0, -1):
        lo, hi = end - day * DAY_S, end - (day - 1) * DAY_S
        inside = [v for t, v in zip(times, values, strict=True) if lo < t <= hi]
        if inside:
            peaks.append(max(inside))
    return peaks


def linear_fit(values: Sequence[float]) -> tuple[float, float]:
    """Least squares y = a + b x over x = 0..n-1: (a, b)."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    slope = sxy / sxx if sxx else 0.0
    return mean_y - slope * mean_x, slope


def forecast(
    metric: str,
    limit: float,
    times: Sequence[float],
    values: Sequence[float],
    min_days: int = MIN_DAYS,
) -> CapacityForecast:
    if not times:
        return CapacityForecast(metric, limit, None, 0.0, None, None, min_days)
    history = (times[-1] - times[0]) / DAY_S
    peaks = daily_peaks(times, values)
    if len(peaks) < min_days:
        return CapacityForecast(metric, limit, max(values), history, None, None, min_days)
    intercept, slope = linear_fit(peaks)
    today = intercept + slope * (len(peaks) - 1)
    days = (limit - today) / slope if slope > 0 else None
    return CapacityForecast(metric, limit, peaks[-1], history, slope, days, min_days)
