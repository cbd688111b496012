"""The reference service in local mode on loopback, for tests that scrape its /metrics with a
real Prometheus: `local_service(folder, environment=...)` yields (service URL, metrics port)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from aurastream_obs.bootstrap import build_telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.service import create_app
from aurastream_obs.service.analyzer import Analyzer
from aurastream_obs.service.customers import CustomerDirectory
from aurastream_obs.service.server import run_in_thread
from support.promstack import free_port

JOB = "aurastream-api"


@contextmanager
def local_service(
    folder: Path, *, analyzer: Analyzer | None = None, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """Telemetry files in `folder`, /metrics on a free port, the demo customers; `env` adds
    variables (AURASTREAM_ENVIRONMENT, ...); `analyzer` replaces the lexicon one."""
    settings = resolve_settings(
        JOB, "local", prometheus_port=free_port(),
        env={"AURASTREAM_TELEMETRY_DIR": str(folder), **(env or {})},
    )  # fmt: skip
    telemetry = build_telemetry(settings)
    app = create_app(
        analyzer=analyzer, customers=CustomerDirectory.demo(), metrics=telemetry.metrics,
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider,
    )  # fmt: skip
    try:
        with run_in_thread(app) as server:
            assert telemetry.prometheus_port
            yield server.url, telemetry.prometheus_port
    finally:
        telemetry.shutdown(5000)
