"""Backends behind one small interface: `MetricsBackend` (KPI questions) and `TraceSource`
(spans in a common model). Implementations import their clients lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aurastream_obs.ops.backends.base import (
    CustomerRequests,
    LoadSeries,
    MetricsBackend,
    RequestTotals,
)

if TYPE_CHECKING:
    from aurastream_obs.definitions.deployment import DeployedNames
    from aurastream_obs.definitions.promql import Scope


def metrics_backend(
    *,
    prometheus: str | None = None,
    cloudwatch: bool = False,
    telemetry_dir: str | None = None,
    log_group: str | None = None,
    deployment: DeployedNames | None = None,
    requests_log_group: str | None = None,
    end: float | None = None,
    scope: Scope | None = None,
) -> MetricsBackend:
    """The backend a command line chose (exactly one of the three); CloudWatch reads
    `deployment` (its function, table, API id; per-customer business events in its business
    log group, or `log_group`, with Logs Insights; each customer's requests and failures in
    its application group, or `requests_log_group`). Windows end at `end` (epoch seconds)
    when given, else now (local files: at the newest point). Prometheus reads only `scope`'s
    series when given (one service in one environment)."""
    if prometheus:
        from aurastream_obs.ops.backends.prometheus import PrometheusBackend

        return PrometheusBackend(prometheus, at=end, scope=scope)
    if cloudwatch:
        import datetime as dt

        from aurastream_obs.ops.backends.cloudwatch import CloudWatchBackend

        backend = CloudWatchBackend(
            deployment=deployment, log_group=log_group, requests_log_group=requests_log_group
        )
        if end is not None:
            when = dt.datetime.fromtimestamp(end, dt.UTC)
            backend.now = lambda: when
        return backend
    if telemetry_dir:
        from aurastream_obs.ops.backends.local_files import LocalFilesBackend

        return LocalFilesBackend(telemetry_dir, end=end)
    raise ValueError("choose a backend: --prometheus URL, --cloudwatch or --telemetry-dir DIR")


__all__ = [
    "CustomerRequests",
    "LoadSeries",
    "MetricsBackend",
    "RequestTotals",
    "metrics_backend",
]
