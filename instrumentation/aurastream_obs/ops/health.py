"""Health checks: the seed's HealthCheckService as small probes run
concurrently with a timeout each, folded into healthy / degraded / unhealthy.

Stdlib only: the reference service's `/v1/health` runs its in-process checks through the
same `run_checks`; the AWS and HTTP probes live in `ops.health_probes`.

Folding: a failing *critical* check (API, Lambda, Comprehend: no analysis without them) makes
the whole unhealthy; any other non-healthy check (cache table, bucket, collector, Prometheus:
the service answers without them, less well or less observed) makes it degraded. The seed
marked everything unhealthy on any failure, which pages for a dead dashboard."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aurastream_obs.core.exit_codes import ExitCode

Status = Literal["healthy", "degraded", "unhealthy"]
STATUSES: Final[tuple[Status, ...]] = ("healthy", "degraded", "unhealthy")
EXIT_CODES: Final[Mapping[Status, int]] = {
    "healthy": ExitCode.OK,
    "degraded": ExitCode.DEGRADED,
    "unhealthy": ExitCode.PROBLEM,
}
DEFAULT_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class Probe:
    """What one check found: its status and details worth showing."""

    status: Status
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthCheck:
    name: str
    probe: Callable[[], Probe]
    critical: bool = True


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    critical: bool
    latency_ms: float
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class HealthReport:
    status: Status
    checks: tuple[CheckResult, ...]
    timestamp: str

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "timestamp": self.timestamp,
            "checks": {
                c.name: {
                    "status": c.status,
                    "critical": c.critical,
                    "latency_ms": round(c.latency_ms, 1),
                    **c.detail,
                }
                for c in self.checks
            },
        }


def overall(results: Sequence[CheckResult]) -> Status:
    if any(r.status == "unhealthy" and r.critical for r in results):
        return "unhealthy"
    if any(r.status != "healthy" for r in results):
        return "degraded"
    return "healthy"


def _run_one(check: HealthCheck) -> CheckResult:
    started = time.perf_counter()
    try:
        probe = check.probe()
    except Exception as error:  # noqa: BLE001 - a probe's failure is its result, never a crash
        probe = Probe("unhealthy", {"error": f"{type(error).__name__}: {error}"[:300]})
    elapsed = 1000 * (time.perf_counter() - started)
    return CheckResult(check.name, probe.status, check.critical, elapsed, probe.detail)


def run_checks(
    checks: Sequence[HealthCheck],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    concurrent: bool = True,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> HealthReport:
    """Run every check (in threads unless `concurrent=False`); one that outlives `timeout_s`
    is unhealthy ("timed out") and left to finish in the background."""
    if not concurrent:
        results = [_run_one(check) for check in checks]
    else:
        pool = cf.ThreadPoolExecutor(
            max_workers=max(1, len(checks)), thread_name_prefix="aurastream-health"
        )
        futures = [pool.submit(_run_one, check) for check in checks]
        deadline = time.monotonic() + timeout_s
        results = []
        for check, future in zip(checks, futures, strict=True):
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except cf.TimeoutError:
                detail = {"error": f"timed out after {timeout_s:g} s"}
                results.append(
                    CheckResult(check.name, "unhealthy", check.critical, 1000 * timeout_s, detail)
                )
        pool.shutdown(wait=False, cancel_futures=True)  # never wait for a hung probe
    stamp = clock().isoformat(timespec="seconds")
    return HealthReport(overall(results), tuple(results), stamp)


def render_health(report: HealthReport) -> str:
    marks = {"healthy": "ok  ", "degraded": "WARN", "unhealthy": "FAIL"}
    lines = [f"overall: {report.status}  ({report.timestamp})"]
    for c in report.checks:
        detail = ", ".join(f"{k}={v}" for k, v in c.detail.items())
        crit = "" if c.critical else " (non-critical)"
        lines.append(f"  [{marks[c.status]}] {c.name:<12} {c.latency_ms:7.1f} ms  {detail}{crit}")
    return "\n".join(lines)
