"""Backends behind one small interface: `MetricsBackend` (KPI questions) and `TraceSource`
(spans in a common model). Implementations import their clients lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aurastream_obs.ops.backends.base import MetricsBackend, RequestTotals

if TYPE_CHECKING:
    from aurastream_obs.definitions.deployment import DeployedNames


def metrics_backend(
    *,
    prometheus: str | None = None,
    cloudwatch: bool = False,
    telemetry_dir: str | None = None,
    log_group: str | None = None,
    deployment: DeployedNames | None = None,
) -> MetricsBackend:
    """The backend a command line chose (exactly one of the three); CloudWatch reads
    `deployment` (its function, table, API id; per-customer business events in its business
    log group, or `log_group`, with Logs Insights)."""
    if prometheus:
        from aurastream_obs.ops.backends.prometheus import PrometheusBackend

        return PrometheusBackend(prometheus)
    if cloudwatch:
        from aurastream_obs.ops.backends.cloudwatch import CloudWatchBackend

        return CloudWatchBackend(deployment=deployment, log_group=log_group)
    if telemetry_dir:
        from aurastream_obs.ops.backends.local_files import LocalFilesBackend

        return LocalFilesBackend(telemetry_dir)
    raise ValueError("choose a backend: --prometheus URL, --cloudwatch or --telemetry-dir DIR")


__all__ = ["MetricsBackend", "RequestTotals", "metrics_backend"]
