"""`configure()`: resolve settings, build the three pipelines, install them once.

Building (pure: returns objects) is separate from installing (sets the OTel globals and the
root log handler), so tests build fresh pipelines without touching process globals.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from aurastream_obs.core.batching import BatchWorker, DropCounter
from aurastream_obs.core.settings import Settings, resolve_settings

if TYPE_CHECKING:
    from aurastream_obs.sdk.metric_reader import PeriodicMetricReader

# The default budget of force_flush/shutdown: a container gets 30 s between SIGTERM and
# SIGKILL by default (ECS stopTimeout, Kubernetes terminationGracePeriodSeconds); the server
# first drains its in-flight requests, so telemetry takes a third of it at most.
DEFAULT_BUDGET_MS = 10_000

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import TracerProvider

    from aurastream_obs.logs import JsonLogHandler
    from aurastream_obs.modes.local.prometheus import PrometheusEndpoint
    from aurastream_obs.signals import AuraStreamMetrics

_log = logging.getLogger("aurastream_obs")


@dataclass
class Telemetry:
    """The configured pipelines. `force_flush` and `shutdown` keep their budget, never raise."""

    settings: Settings
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None
    log_handler: JsonLogHandler | None = None
    prometheus: PrometheusEndpoint | None = None
    drops: DropCounter = field(default_factory=DropCounter)
    # Our own queues and push readers, flushed in parallel under one deadline.
    workers: list[BatchWorker[Any]] = field(default_factory=list)
    metric_readers: list[PeriodicMetricReader] = field(default_factory=list)
    _metrics: AuraStreamMetrics | None = None
    _shut_down: bool = False
    _shutdown_lock: threading.Lock = field(default_factory=threading.Lock)

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
            from aurastream_obs.core.version import __version__
            from aurastream_obs.signals import AuraStreamMetrics

            meter = (
                self.meter_provider.get_meter("aurastream_obs", __version__)
                if self.meter_provider is not None
                else None
            )
            self._metrics = AuraStreamMetrics(meter)
        return self._metrics

    def force_flush(self, timeout_millis: int = DEFAULT_BUDGET_MS) -> bool:
        """Export everything recorded so far within `timeout_millis`; True if all delivered.

        Traces, logs and metrics flush in parallel under one deadline. Never raises.
        """
        try:
            return self._flush_until(time.monotonic() + max(0, timeout_millis) / 1000.0)
        except Exception:  # noqa: BLE001 - the telemetry boundary: a flush never raises
            return False

    def _flush_until(self, deadline: float) -> bool:
        ok = True
        if self.log_handler is not None:
            self.log_handler.flush()  # JSON lines buffered for a pipe (never raises)
        tickets = [worker.request_flush(deadline) for worker in self.workers]
        for reader in self.metric_readers:  # in this thread, while the workers export
            ok = reader.flush_until(deadline) and ok
        for ticket in tickets:
            ok = ticket.wait(deadline) and ok
        # Anything not ours (Lambda mode's providers, processors or readers added by the app).
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            if provider is not None and _has_foreign_parts(self, provider):
                ok = _bounded_call(provider.force_flush, _ms_left(deadline)) and ok
        return ok

    def shutdown(self, timeout_millis: int = DEFAULT_BUDGET_MS) -> None:
        """Flush, then stop every part, within `timeout_millis`. Idempotent; never raises.

        Every part is stopped even when another fails; what could not be delivered is counted
        in `drops` and summed up in one line on stderr.
        """
        if not self._shutdown_lock.acquire(blocking=False) or self._shut_down:
            return  # a second (or concurrent) shutdown is a no-op
        self._shut_down = True
        deadline = time.monotonic() + max(0, timeout_millis) / 1000.0
        # Stopping takes a few milliseconds once the flush has had its time.
        flush_deadline = deadline - min(0.05, max(0, timeout_millis) / 10000.0)
        steps: list[Callable[[], object]] = [lambda: self._flush_until(flush_deadline)]
        steps += [partial(worker.shutdown_by, deadline) for worker in self.workers]
        steps += [partial(_shutdown_reader, r, deadline) for r in self.metric_readers]
        steps += [self._remove_log_handler, partial(self._stop_providers, deadline)]
        for step in steps:
            _bounded_call(step)
        if self.drops.total():
            _stderr(f"aurastream_obs: shutdown: dropped {self.drops.summary()}\n")

    def _stop_providers(self, deadline: float) -> None:
        # Our processors and readers are stopped already: these return at once for them.
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None:
                _bounded_call(provider.shutdown)
        if self.meter_provider is not None:
            _bounded_call(self.meter_provider.shutdown, _ms_left(deadline))
        if self.prometheus is not None:
            _bounded_call(self.prometheus.close, max(0.05, _ms_left(deadline) / 1000.0))

    def _remove_log_handler(self) -> None:
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()


def _shutdown_reader(reader: PeriodicMetricReader, deadline: float) -> None:
    reader.shutdown(_ms_left(deadline))


def _ms_left(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000))


def _bounded_call(func: Callable[..., object], *args: object) -> bool:
    """Run one flush/shutdown step; an exception (the SDK's MeterProvider raises) is False."""
    try:
        result = func(*args)
    except Exception:  # noqa: BLE001 - one failing part must not stop the others
        return False
    return result is not False


def _has_foreign_parts(telemetry: Telemetry, provider: object) -> bool:
    """True when `provider` has parts `telemetry` does not flush itself.

    In lambda mode the providers are the whole pipeline (they export synchronously); an SDK
    provider of ours is "shared" once the app adds a processor of its own. A MeterProvider
    takes its readers at construction only, so ours has none that are not ours.
    """
    if not telemetry.workers and not telemetry.metric_readers:
        return True
    return bool(getattr(provider, "shared", False))


def _stderr(text: str) -> None:
    with contextlib.suppress(Exception):  # no stderr: the counts are still in the metric
        sys.stderr.write(text)


def _exporters_for(settings: Settings) -> tuple[Any, Any, Any, Callable[[], None]]:
    """The span, metric and log exporters of a mode, and how to abort their exports."""
    if settings.mode == "otlp":
        from aurastream_obs.modes.otlp.exporters import build_otlp_exporters

        spans, metrics, logs = build_otlp_exporters(settings)

        def abort() -> None:  # closes the senders: a blocked socket wait returns at once
            for exporter in (spans, metrics, logs):
                exporter.sender.close()

        return spans, metrics, logs, abort
    from aurastream_obs.modes.local.files import build_local_exporters

    local = build_local_exporters(settings.telemetry_dir)
    return (*local, _nothing)


def _nothing() -> None:
    return None


def _check_telemetry_dir(folder: str) -> None:
    """Warn now, naming the variable, when the local files cannot be written (every export
    would fail and be counted as dropped)."""
    try:
        os.makedirs(folder, exist_ok=True)
        writable = os.access(folder, os.W_OK)
        why = "" if writable else "not writable"
    except (OSError, ValueError) as exc:
        why = str(exc)
    if why:
        from aurastream_obs.core.env import warn_invalid

        warn_invalid(
            "AURASTREAM_TELEMETRY_DIR", folder, "no local files (exports counted as dropped)", why
        )


def build_telemetry(settings: Settings) -> Telemetry:
    """Build (do not install) the pipelines for `settings`."""
    telemetry = Telemetry(settings=settings)
    if settings.mode == "none":
        return telemetry
    if settings.mode == "lambda":
        # Collectorless Lambda (X-Ray UDP, EMF, JSON logs) without the SDK: cold start.
        from aurastream_obs.modes.awslambda.pipeline import build_lambda_pipelines

        build_lambda_pipelines(telemetry)
        return telemetry
    from aurastream_obs.sdk.logs import build_logging
    from aurastream_obs.sdk.metric_reader import PeriodicMetricReader
    from aurastream_obs.sdk.metrics import build_meter_provider
    from aurastream_obs.sdk.resource import build_resource
    from aurastream_obs.sdk.sampling import build_sampler
    from aurastream_obs.sdk.traces import BatchingSpanProcessor, build_tracer_provider

    drops = telemetry.drops
    resource = build_resource(settings, os.environ)
    if settings.mode == "local":
        _check_telemetry_dir(settings.telemetry_dir)
    span_exporter, metric_exporter, log_exporter, abort = _exporters_for(settings)
    reader = PeriodicMetricReader(
        metric_exporter,
        interval_s=settings.export_interval_ms / 1000.0,
        drops=drops,
        abort=abort,
    )
    telemetry.metric_readers.append(reader)
    readers: list[MetricReader] = [reader]
    if settings.mode == "local" and settings.prometheus_port:
        from aurastream_obs.modes.local.prometheus import start_prometheus_endpoint

        try:
            pull, telemetry.prometheus = start_prometheus_endpoint(
                settings.prometheus_host, settings.prometheus_port
            )
            readers.append(pull)
        except (OSError, OverflowError, ValueError) as exc:  # taken or bad address
            _log.warning(
                "aurastream_obs: Prometheus endpoint not started on %s:%s (%s); the files "
                "are still written (AURASTREAM_PROMETHEUS_HOST/AURASTREAM_PROMETHEUS_PORT)",
                settings.prometheus_host,
                settings.prometheus_port,
                exc,
            )
    processor = BatchingSpanProcessor(span_exporter, drops=drops, settings=settings, abort=abort)
    telemetry.workers.append(processor.worker)
    telemetry.tracer_provider = build_tracer_provider(
        resource,
        # The resource knows service.name from OTEL_RESOURCE_ATTRIBUTES and cloud.platform,
        # which X-Ray rules match on (service name and type).
        build_sampler(settings, resource_attributes=resource.attributes),
        [processor],
    )
    telemetry.meter_provider = build_meter_provider(resource, readers, settings=settings)
    telemetry.logger_provider, telemetry.log_handler, log_worker = build_logging(
        settings, resource, log_exporter, drops=drops, abort=abort
    )
    if log_worker is not None:
        telemetry.workers.append(log_worker)
    _register_drop_metric(telemetry)
    return telemetry


def _register_drop_metric(telemetry: Telemetry) -> None:
    """Expose dropped telemetry as `aurastream.telemetry.dropped` (observable counter)."""
    from opentelemetry.metrics import CallbackOptions, Observation

    from aurastream_obs.core.conventions import DROPPED_TELEMETRY

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
        from aurastream_obs.modes.awslambda.pipeline import install_lambda

        install_lambda(telemetry)
        return
    from opentelemetry import metrics as metrics_api
    from opentelemetry import trace

    from aurastream_obs.propagation.propagators import build_propagator
    from aurastream_obs.propagation.registry import propagate

    settings = telemetry.settings
    propagate().set_global_textmap(build_propagator(settings.propagators))
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
        telemetry = _build_and_install(service_name, mode, env, overrides)
        _current = telemetry
        if telemetry.settings.mode != "none":
            from aurastream_obs.bootstrap.exit_hooks import (
                install_sigterm_flush,
                register_exit_flush,
            )

            register_exit_flush(current)
            if telemetry.settings.flush_on_sigterm:
                install_sigterm_flush(current)
        return telemetry


def _build_and_install(
    service_name: str | None,
    mode: str | None,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any],
) -> Telemetry:
    """Build and install; an unexpected failure warns and leaves telemetry off (mode none)."""
    try:
        settings = resolve_settings(service_name, mode, env, **overrides)
    except Exception:  # noqa: BLE001 - resolution warns and falls back; this is the backstop
        _log.warning("aurastream_obs: settings failed; telemetry off", exc_info=True)
        return Telemetry(settings=Settings(mode="none"))
    try:
        telemetry = build_telemetry(settings)
        install(telemetry)
    except Exception:  # noqa: BLE001 - configure() never fails the service it instruments
        _log.warning(
            "aurastream_obs: telemetry setup failed; continuing without telemetry",
            exc_info=True,
        )
        from dataclasses import replace

        return Telemetry(settings=replace(settings, mode="none"))
    return telemetry


def current() -> Telemetry | None:
    """The installed Telemetry, if configure() ran."""
    return _current
