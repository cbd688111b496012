"""The seed's CostOptimizer/AutoScaler rules as recommendations: Lambda memory right-sizing,
provisioned concurrency, DynamoDB billing mode (S3 storage: storage.py). Rules are pure;
gather.py reads AWS and `apply_recommendation` acts, only when asked (`--apply`) and within
hard limits. An API the endpoint does not implement (moto has no provisioned-concurrency API)
is reported in one line naming it (`missing_capability`), never a traceback."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

MIN_MEMORY_MB: Final = 128
MAX_MEMORY_MB: Final = 3008  # hard limit for --apply (Lambda allows 10,240; we never go there)
MAX_PROVISIONED: Final = 100  # hard limit for --apply, far below the 1,000 account default
MIN_PROVISIONED: Final = 10  # seed AutoScaler: max(current * 0.8, 10)
MEMORY_HEADROOM: Final = 1.5  # right-size to 1.5x the peak used, in 64 MB steps
CV_ON_DEMAND: Final = 0.5  # seed CostOptimizer: variance > 0.5 -> on-demand

Kind = Literal[
    "lambda_memory",
    "provisioned_concurrency",
    "dynamodb_billing",
    "s3_lifecycle",
    "s3_compression",
    "s3_archive",
]
# Error codes meaning "this endpoint does not know the operation" rather than "the resource or
# the request is wrong": AWS's own, and the bare HTTP status moto answers for a route it lacks.
_NOT_IMPLEMENTED: Final = frozenset(
    {"NotImplemented", "NotImplementedException", "UnknownOperationException",
     "InvalidAction", "404", "501"}
)  # fmt: skip


@dataclass(frozen=True)
class Recommendation:
    """`error`: why it could not be evaluated or applied (one line); `saving_usd_month`: the
    estimated monthly saving where the rule can price it."""

    kind: Kind
    target: str
    current: Any
    recommended: Any
    reason: str
    applied: bool = False
    error: str | None = None
    saving_usd_month: float | None = None

    @property
    def state(self) -> str:
        if self.error is not None:
            return "FAILED" if self.recommended is not None else "unavailable"
        return "APPLIED" if self.applied else "recommend"


class CapabilityMissing(RuntimeError):
    """The endpoint answered, but without what the rule needs (moto's Logs Insights returns
    rows without the statistics it was asked for)."""


def missing_capability(error: BaseException, service: str) -> str | None:
    """One line naming the operation when `error` says the endpoint does not implement it
    (e.g. moto's provisioned-concurrency API), else None (a real error: re-raise it)."""
    from botocore.exceptions import ClientError

    if isinstance(error, CapabilityMissing):
        return str(error)
    if not isinstance(error, ClientError):
        return None
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code not in _NOT_IMPLEMENTED:
        return None
    return (
        f"{service}:{error.operation_name} is not available at this endpoint (answered "
        f"{code}: the operation is not implemented there)"
    )


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
    if wanted == "PROVISIONED":
        reason += "; not applied by --apply: set capacity and auto scaling by hand"
    return Recommendation("dynamodb_billing", table, current, wanted, reason)


def apply_recommendation(
    rec: Recommendation, clients: Any, qualifier: str = "live"
) -> Recommendation:
    """Act on one Lambda or DynamoDB recommendation (re-checking the hard limits); returns it
    marked applied. PROVISIONED billing is not applied: it needs capacity numbers a human
    sets (the recommendation says so)."""
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
    elif rec.kind == "dynamodb_billing" and rec.recommended == "PAY_PER_REQUEST":
        clients("dynamodb").update_table(TableName=rec.target, BillingMode="PAY_PER_REQUEST")
    else:
        return rec
    return replace(rec, applied=True)
