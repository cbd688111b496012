"""mode="local": OTLP/JSON lines in AURASTREAM_TELEMETRY_DIR and a Prometheus /metrics endpoint."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader

    from aurastream_obs.core.settings import Settings
    from aurastream_obs.modes import ExportSet
    from aurastream_obs.modes.local.prometheus import PrometheusEndpoint

_log = logging.getLogger("aurastream_obs")


def build_exporters(settings: Settings) -> ExportSet:
    from aurastream_obs.modes import ExportSet
    from aurastream_obs.modes.local.files import build_local_exporters

    _check_telemetry_dir(settings.telemetry_dir)
    spans, metrics, logs = build_local_exporters(settings.telemetry_dir)
    return ExportSet(spans, metrics, logs, _nothing_to_abort)


def _nothing_to_abort() -> None:
    return None  # file writes do not block on a peer


def _check_telemetry_dir(folder: str) -> None:
    """Warn now, naming the variable, when the files cannot be written (every export would
    fail and be counted as dropped)."""
    try:
        os.makedirs(folder, exist_ok=True)
        why = "" if os.access(folder, os.W_OK) else "not writable"
    except (OSError, ValueError) as exc:
        why = str(exc)
    if why:
        from aurastream_obs.core.env import warn_invalid

        warn_invalid(
            "AURASTREAM_TELEMETRY_DIR", folder, "no local files (exports counted as dropped)", why
        )


def start_pull_endpoint(settings: Settings) -> tuple[MetricReader, PrometheusEndpoint] | None:
    """The Prometheus /metrics endpoint, or None (off, or the address cannot be bound: the
    files are still written)."""
    if not settings.prometheus_port:
        return None
    from aurastream_obs.core.conventions import ENVIRONMENT_NAME_LABEL, SERVICE_NAME_LABEL
    from aurastream_obs.modes.local.prometheus import start_prometheus_endpoint

    try:
        return start_prometheus_endpoint(
            settings.prometheus_host,
            settings.prometheus_port,
            # The resource's identity (settings resolved it once for every signal) on every
            # series: rules and dashboards select a service and an environment by it.
            identity_labels={
                SERVICE_NAME_LABEL: settings.service_name,
                ENVIRONMENT_NAME_LABEL: settings.environment,
            },
        )
    except (OSError, OverflowError, ValueError) as exc:  # taken or bad address
        _log.warning(
            "aurastream_obs: Prometheus endpoint not started on %s:%s (%s); the files are still "
            "written (AURASTREAM_PROMETHEUS_HOST/AURASTREAM_PROMETHEUS_PORT)",
            settings.prometheus_host,
            settings.prometheus_port,
            exc,
        )
        return None
