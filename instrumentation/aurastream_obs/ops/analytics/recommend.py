"""The seed's CostOptimizer/AutoScaler rules as recommendations: Lambda memory right-sizing,
provisioned concurrency, DynamoDB billing mode. Rules are pure; `gather_*` read AWS and
`apply_recommendation` acts, only when asked (`--apply`) and within hard limits."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

MIN_MEMORY_MB: Final = 128
MAX_MEMORY_MB: Final = 3008  # hard limit for --apply (Lambda allows 10,240; we never go there)
MAX_PROVISIONED: Final = 100  # hard limit for --apply, far below the 1,000 account default
MIN_PROVISIONED: Final = 10  # seed AutoScaler: max(current * 0.8, 10)
MEMORY_HEADROOM: Final = 1.5  # right-size to 1.5x the peak used, in 64 MB steps
CV_ON_DEMAND: Final = 0.5  # seed CostOptimizer: variance > 0.5 -> on-demand

Kind = Literal["lambda_memory", "provisioned_concurrency", "dynamodb_billing"]


@dataclass(frozen=True)
class Recommendation:
    kind: Kind
    target: str
    current: Any
    recommended: Any
    reason: str
    applied: bool = False


def right_size_memory(
    function: str, configured_mb: int, max_used_mb: float
) -> Recommendation | None:
    wanted = max(MIN_MEMORY_MB, 64 * math.ceil(max_used_mb * MEMORY_HEADROOM / 64))
    wanted = min(wanted, MAX_MEMORY_MB)
    if abs(wanted - configured_mb) < 64:
        return None
    reason = (
        f"peak memory used {max_used_mb:.0f} MB of {configured_mb} MB; "
        f"{MEMORY_HEADROOM:g}x headroom is {wanted} MB"
    )
    return Recommendation("lambda_memory", function, configured_mb, wanted, reason)


def provisioned_concurrency(
    function: str, current: int, p99_ms: float | None, error_rate_percent: float | None
) -> Recommendation | None:
    """Seed AutoScaler: p99 over 1000 ms -> x1.5 (cap 1000, here MAX_PROVISIONED); p99 under
    500 ms with errors under 0.5 % -> x0.8 (floor 10)."""
    if p99_ms is None:
        return None
    if p99_ms > 1000:
        wanted = min(max(int(current * 1.5), MIN_PROVISIONED), MAX_PROVISIONED)
        reason = f"p99 {p99_ms:.0f} ms > 1000 ms: more warm instances"
    elif p99_ms < 500 and (error_rate_percent or 0.0) < 0.5 and current > MIN_PROVISIONED:
        wanted = max(int(current * 0.8), MIN_PROVISIONED)
        reason = f"p99 {p99_ms:.0f} ms < 500 ms and errors < 0.5 %: fewer warm instances"
    else:
        return None
    if wanted == current:
        return None
    return Recommendation("provisioned_concurrency", function, current, wanted, reason)


def billing_mode(table: str, current: str, hourly_reads: Sequence[float]) -> Recommendation | None:
    """Seed CostOptimizer: unpredictable use (coefficient of variation > 0.5) -> on-demand,
    steady use -> provisioned with auto scaling."""
    if len(hourly_reads) < 2 or statistics.fmean(hourly_reads) == 0:
        return None
    cv = statistics.pstdev(hourly_reads) / statistics.fmean(hourly_reads)
    wanted = "PAY_PER_REQUEST" if cv > CV_ON_DEMAND else "PROVISIONED"
    if wanted == current:
        return None
    reason = f"hourly read variation {cv:.2f} {'>' if cv > CV_ON_DEMAND else '<='} {CV_ON_DEMAND}"
    return Recommendation("dynamodb_billing", table, current, wanted, reason)


def apply_recommendation(
    rec: Recommendation, clients: Any, qualifier: str = "live"
) -> Recommendation:
    """Act on one recommendation (re-checking the hard limits); returns it marked applied.
    Provisioned PROVISIONED billing is not applied: it needs capacity numbers a human sets."""
    if rec.kind == "lambda_memory":
        memory = int(rec.recommended)
        if not MIN_MEMORY_MB <= memory <= MAX_MEMORY_MB:
            raise ValueError(f"memory {memory} MB outside [{MIN_MEMORY_MB}, {MAX_MEMORY_MB}]")
        clients("lambda").update_function_configuration(FunctionName=rec.target, MemorySize=memory)
    elif rec.kind == "provisioned_concurrency":
        count = int(rec.recommended)
        if not 0 <= count <= MAX_PROVISIONED:
            raise ValueError(f"provisioned concurrency {count} outside [0, {MAX_PROVISIONED}]")
        clients("lambda").put_provisioned_concurrency_config(
            FunctionName=rec.target,
            Qualifier=qualifier,
            ProvisionedConcurrentExecutions=count,
        )
    elif rec.recommended == "PAY_PER_REQUEST":
        clients("dynamodb").update_table(TableName=rec.target, BillingMode="PAY_PER_REQUEST")
    else:
        return rec
    return Recommendation(rec.kind, rec.target, rec.current, rec.recommended, rec.reason, True)
