"""`configure()`: resolve settings, build the three pipelines, install them once.

Building (pure: returns objects) is separate from installing (sets the OTel globals and the
root log handler), so tests build fresh pipelines without touching process globals.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aurastream_obs._internal.batching import DropCounter
from aurastream_obs._internal.settings import Settings, resolve_settings

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from aurastream_obs.exporters.prometheus import PrometheusEndpoint
    from aurastream_obs.logs import JsonLogHandler
    from aurastream_obs.signals import AuraStreamMetrics

_log = logging.getLogger("aurastream_obs")


@dataclass
class Telemetry:
    """The configured pipelines. `force_flush` and `shutdown` are bounded in time."""

    settings: Settings
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None
    log_handler: JsonLogHandler | None = None
    prometheus: PrometheusEndpoint | None = None
    drops: DropCounter = field(default_factory=DropCounter)
    _metrics: AuraStreamMetrics | None = None
    _shut_down: bool = False

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def prometheus_port(self) -> int | None:
        return self.prometheus.port if self.prometheus is not None else None

    @property
    def metrics(self) -> AuraStreamMetrics:
        """The domain instruments, bound to this pipeline's meter provider."""
        if self._metrics is None:
            from aurastream_obs._internal.version import __version__
            from aurastream_obs.signals import AuraStreamMetrics

            meter = (
                self.meter_provider.get_meter("aurastream_obs", __version__)
                if self.meter_provider is not None
                else None
            )
            self._metrics = AuraStreamMetrics(meter)
        return self._metrics

    def force_flush(self, timeout_millis: int = 10000) -> bool:
        """Flush stdout, traces, logs, then metrics, sharing one deadline. True if all flushed."""
        deadline = time.monotonic() + timeout_millis / 1000.0

        def remaining_ms() -> int:
            return max(0, int((deadline - time.monotonic()) * 1000))

        ok = True
        if self.log_handler is not None:
            self.log_handler.flush()  # JSON lines buffered for a pipe (never raises)
        if self.tracer_provider is not None:
            ok = self.tracer_provider.force_flush(remaining_ms()) and ok
        if self.logger_provider is not None:
            ok = self.logger_provider.force_flush(remaining_ms()) and ok
        if self.meter_provider is not None:
            ok = bool(self.meter_provider.force_flush(remaining_ms())) and ok
        return ok

    def shutdown(self, timeout_millis: int = 10000) -> None:
        """Flush and stop every pipeline; idempotent and bounded."""
        if self._shut_down:
            return
        self._shut_down = True
        self.force_flush(timeout_millis)
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None:
                provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown(timeout_millis=timeout_millis)
        if self.prometheus is not None:
            self.prometheus.close()


def _exporters_for(
    settings: Settings, drops: DropCounter
) -> tuple[list[SpanExporter], list[MetricReader], Any]:
    """Span exporters, metric readers and the log exporter of a mode."""
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    interval = settings.export_interval_ms
    if settings.mode == "otlp":
        from aurastream_obs.exporters.otlp_http import build_otlp_exporters

        spans, metrics, logs = build_otlp_exporters(settings)
        reader = PeriodicExportingMetricReader(metrics, export_interval_millis=interval)
        return [spans], [reader], logs
    if settings.mode == "local":
        from aurastream_obs.exporters.local_files import (
            JsonLinesLogExporter,
            JsonLinesMetricExporter,
            JsonLinesSpanExporter,
        )

        folder = settings.telemetry_dir
        reader = PeriodicExportingMetricReader(
            JsonLinesMetricExporter(os.path.join(folder, "metrics.jsonl")),
            export_interval_millis=interval,
        )
        return (
            [JsonLinesSpanExporter(os.path.join(folder, "traces.jsonl"))],
            [reader],
            JsonLinesLogExporter(os.path.join(folder, "logs.jsonl")),
        )
    return [], [], None


def build_telemetry(settings: Settings) -> Telemetry:
    """Build (do not install) the pipelines for `settings`."""
    telemetry = Telemetry(settings=settings)
    if settings.mode == "none":
        return telemetry
    if settings.mode == "lambda":
        # Collectorless Lambda (X-Ray UDP, EMF, JSON logs) without the SDK: cold start.
        from aurastream_obs.aws_lambda.pipeline import build_lambda_pipelines

        build_lambda_pipelines(telemetry)
        return telemetry
    from aurastream_obs._internal.log_export import build_logging
    from aurastream_obs._internal.metrics import build_meter_provider
    from aurastream_obs._internal.resource import build_resource
    from aurastream_obs._internal.sampling import build_sampler
    from aurastream_obs._internal.traces import build_tracer_provider

    drops = telemetry.drops
    resource = build_resource(settings, os.environ)
    span_exporters, readers, log_exporter = _exporters_for(settings, drops)
    if settings.mode == "local" and settings.prometheus_port:
        from aurastream_obs.exporters.prometheus import start_prometheus_endpoint

        try:
            reader, telemetry.prometheus = start_prometheus_endpoint(
                settings.prometheus_host, settings.prometheus_port
            )
            readers.append(reader)
        except OSError as exc:  # port taken: keep the files, lose only the endpoint
            _log.warning("aurastream_obs: Prometheus endpoint not started: %s", exc)
    telemetry.tracer_provider = build_tracer_provider(
        resource,
        # The resource knows service.name from OTEL_RESOURCE_ATTRIBUTES and cloud.platform,
        # which X-Ray rules match on (service name and type).
        build_sampler(settings, resource_attributes=resource.attributes),
        span_exporters,
        drops=drops,
        settings=settings,
    )
    telemetry.meter_provider = build_meter_provider(resource, readers, settings=settings)
    telemetry.logger_provider, telemetry.log_handler = build_logging(
        settings, resource, log_exporter, drops=drops
    )
    _register_drop_metric(telemetry)
    return telemetry


def _register_drop_metric(telemetry: Telemetry) -> None:
    """Expose dropped telemetry as `aurastream.telemetry.dropped` (observable counter)."""
    from opentelemetry.metrics import CallbackOptions, Observation

    from aurastream_obs.signals.conventions import DROPPED_TELEMETRY

    if telemetry.meter_provider is None:
        return
    drops = telemetry.drops

    def observe(_options: CallbackOptions) -> list[Observation]:
        return [
            Observation(n, {"signal": signal, "reason": reason})
            for (signal, reason), n in list(drops.counts.items())
        ]

    meter = telemetry.meter_provider.get_meter("aurastream_obs")
    meter.create_observable_counter(
        DROPPED_TELEMETRY.name,
        callbacks=[observe],
        unit=DROPPED_TELEMETRY.unit,
        description=DROPPED_TELEMETRY.description,
    )


def install(telemetry: Telemetry) -> None:
    """Set the OTel globals, the propagator and the root log handler."""
    if telemetry.settings.mode == "lambda":  # no opentelemetry.propagate: entry-point scan
        from aurastream_obs.aws_lambda.pipeline import install_lambda

        install_lambda(telemetry)
        return
    from opentelemetry import metrics as metrics_api
    from opentelemetry import propagate, trace

    from aurastream_obs._internal.propagation import build_propagator

    settings = telemetry.settings
    propagate.set_global_textmap(build_propagator(settings.propagators))
    if telemetry.tracer_provider is not None:
        trace.set_tracer_provider(telemetry.tracer_provider)
    if telemetry.meter_provider is not None:
        metrics_api.set_meter_provider(telemetry.meter_provider)
    if telemetry.logger_provider is not None:
        from opentelemetry._logs import set_logger_provider

        set_logger_provider(telemetry.logger_provider)
    if telemetry.log_handler is not None:
        root = logging.getLogger()
        root.addHandler(telemetry.log_handler)
        if root.level > settings.log_level or root.level == logging.NOTSET:
            root.setLevel(settings.log_level)


_lock = threading.Lock()
_current: Telemetry | None = None


def configure(
    service_name: str | None = None,
    *,
    mode: str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Telemetry:
    """Configure traces, metrics and logs once per process; later calls return the same."""
    global _current  # noqa: PLW0603 - OTel globals are set-once per process; mirror that
    with _lock:
        if _current is not None and not _current._shut_down:
            if service_name or mode or overrides:
                _log.debug("aurastream_obs: configure() already done; arguments ignored")
            return _current
        settings = resolve_settings(service_name, mode, env, **overrides)
        telemetry = build_telemetry(settings)
        install(telemetry)
        _current = telemetry
        return telemetry


def current() -> Telemetry | None:
    """The installed Telemetry, if configure() ran."""
    return _current
