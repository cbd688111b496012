"""Reserved concurrency that cannot throttle: read the peak first, never go below it.

Reserved concurrency is a guarantee *and a ceiling*: reserving 100 on a function that had none
(so could scale to the account's unreserved pool) and peaks at 150 throttles a third of its
calls during the incident it was meant to help. So the runbook reads the function's peak
usage — CloudWatch `AWS/Lambda` `ConcurrentExecutions` (Maximum) over the last
`Limits.peak_window_s` — and reserves at least that peak plus `Limits.peak_headroom`. It only
ever raises a reservation; when the safe value is over the hard limit, or the peak cannot be
read, it refuses and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Decision = Literal["set", "unchanged", "refuse"]


@dataclass(frozen=True)
class ConcurrencyPlan:
    decision: Decision
    value: int | None
    detail: str


def peak_concurrency(cloudwatch: Any, function: str, window_s: int, now: datetime) -> int:
    """The highest `ConcurrentExecutions` of `function` over the last `window_s` (0 when it
    ran nothing: CloudWatch publishes no datapoint for an idle minute)."""
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="ConcurrentExecutions",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=now - timedelta(seconds=window_s),
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )
    points = [float(p["Maximum"]) for p in response.get("Datapoints", []) if "Maximum" in p]
    return math.ceil(max(points)) if points else 0


def plan_concurrency(
    requested: int, current: int | None, peak: int, *, limit: int, headroom: float, window_s: int
) -> ConcurrencyPlan:
    """What to reserve: `requested`, raised to peak x (1 + headroom); never lower than now."""
    floor = math.ceil(peak * (1 + headroom))
    target = max(requested, floor)
    seen = f"peak {peak} over the last {_span(window_s)}"
    if current is not None and current >= target:
        return ConcurrencyPlan("unchanged", current, f"reserved concurrency already {current} "
                               f"({seen})")  # fmt: skip
    if target > limit:
        return ConcurrencyPlan(
            "refuse",
            None,
            f"{seen} needs at least {target} reserved, over the limit of {limit}: not reserving "
            "(reserved concurrency is also a ceiling)",
        )
    before = "unreserved" if current is None else str(current)
    why = f"requested {requested}" + (f", raised above {seen}" if target > requested else "")
    return ConcurrencyPlan("set", target, f"reserved concurrency {before} -> {target} ({why})")


def now_utc() -> datetime:
    return datetime.now(UTC)


def _span(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds // 60} min"
