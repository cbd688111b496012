"""`Telemetry`: the configured pipelines, with a `force_flush` and `shutdown` that keep their
budget and never raise.

Traces, logs and metrics flush in parallel under one deadline (each signal has its own export
thread; see core/batching.py); `shutdown` then stops every part even when one fails and sums
up what could not be delivered in one line on stderr.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.records import Record, field
from aurastream_obs.core.settings import Mode, Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    from aurastream_obs.core.batching import BatchWorker
    from aurastream_obs.core.otel_compat import LoggerProvider
    from aurastream_obs.logs import JsonLogHandler
    from aurastream_obs.modes.local.prometheus import PrometheusEndpoint
    from aurastream_obs.sdk.metric_reader import PeriodicMetricReader
    from aurastream_obs.signals import AuraStreamMetrics

# The default budget of force_flush/shutdown: a container gets 30 s between SIGTERM and
# SIGKILL by default (ECS stopTimeout, Kubernetes terminationGracePeriodSeconds); the server
# first drains its in-flight requests, so telemetry takes a third of it at most.
DEFAULT_BUDGET_MS = 10_000


class Telemetry(Record):
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
    _drops_reported: int = 0
    _shutdown_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def mode(self) -> Mode:
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
        self.report_drops("shutdown")

    def report_drops(self, when: str) -> None:
        """One stderr line summing up what was dropped, unless already said (e.g. at a
        server's stop, and again at shutdown with nothing new). What is still queued is
        named too: at a server's stop the process usually dies right after, losing it."""
        total = self.drops.total()
        queued = [(w.signal, len(w)) for w in self.workers if not self._shut_down]
        queued = [(signal, n) for signal, n in queued if n]
        if (total and total != self._drops_reported) or queued:
            self._drops_reported = total
            line = f"aurastream_obs: {when}: dropped {self.drops.summary() or 'nothing'}"
            if queued:
                line += "; still queued " + ", ".join(f"{s} {n}" for s, n in queued)
            _stderr(line + "\n")

    def _stop_providers(self, deadline: float) -> None:
        # Our processors and readers are stopped already: these return at once for them.
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None:
                _bounded_call(provider.shutdown)
        stop_sampler = getattr(getattr(self.tracer_provider, "sampler", None), "shutdown", None)
        if callable(stop_sampler):  # the X-Ray remote sampler's poller thread
            _bounded_call(stop_sampler)
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
