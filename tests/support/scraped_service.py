"""The reference service in local mode, scraped every second by a real Prometheus (Debian),
for the operations tools' Prometheus tests: `scraped_service(folder)` yields the service URL,
the Prometheus handle, the telemetry and the folder of its local-mode files.

`FailingAnalyzer` answers a 500 for texts containing "boom": server errors on demand.
`events=True` also writes the service's structured events (api_response, business_analysis)
to the folder's logs.jsonl, as configure() would."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aurastream_obs.bootstrap import build_telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.service import create_app
from aurastream_obs.service.analyzer import AnalysisResult, LexiconAnalyzer
from aurastream_obs.service.customers import CustomerDirectory
from aurastream_obs.service.server import run_in_thread
from support.promstack import free_port, start_prometheus

JOB = "aurastream-api"


class FailingAnalyzer(LexiconAnalyzer):
    """Fails (a 500) on texts containing "boom": server errors on demand."""

    def analyze(self, text: str, language_code: str) -> AnalysisResult:
        if "boom" in text:
            raise RuntimeError("analyzer exploded")
        return super().analyze(text, language_code)


@contextmanager
def scraped_service(folder: Path, *, events: bool = False) -> Iterator[dict[str, Any]]:
    settings = resolve_settings(
        JOB, "local",
        env={"AURASTREAM_TELEMETRY_DIR": str(folder), "OTEL_TRACES_SAMPLER": "always_on"},
        prometheus_port=free_port(),
    )  # fmt: skip
    telemetry = build_telemetry(settings)
    app = create_app(
        analyzer=FailingAnalyzer(), customers=CustomerDirectory.demo(),
        metrics=telemetry.metrics, tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )  # fmt: skip
    config = (
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{telemetry.prometheus_port}']\n"
    )
    logger = logging.getLogger("aurastream.events")
    level = logger.level
    if events and telemetry.log_handler is not None:  # configure() would use the root logger
        logger.addHandler(telemetry.log_handler)
        logger.setLevel(logging.INFO)
    try:
        with run_in_thread(app) as server, start_prometheus(config) as prometheus:
            yield {"url": server.url, "prometheus": prometheus, "telemetry": telemetry,
                   "dir": folder}  # fmt: skip
    finally:
        if telemetry.log_handler is not None:
            logger.removeHandler(telemetry.log_handler)
        logger.setLevel(level)
        telemetry.shutdown(5000)
