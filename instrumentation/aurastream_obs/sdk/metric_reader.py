"""A push metric reader whose flush and shutdown keep their budget and count failed exports.

Why not the SDK's PeriodicExportingMetricReader: its `force_flush` waits without bound for an
export the ticker thread has in flight (its export lock), hands the exporter no deadline, and
`MeterProvider.force_flush`/`shutdown` *raise* when a reader fails; a failed export is only a
log line. Here a flush waits for the lock until its deadline at most, every export runs under
`export_deadline()`, the data points of a failed export are counted in
`aurastream.telemetry.dropped{signal="metrics"}`, and nothing raises.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricReader

from aurastream_obs.core.batching import MAX_WAIT_S, run_with_deadline
from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.forking import after_fork_in_child
from aurastream_obs.core.otel_compat import exporter_preferences

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricsData


def count_points(metrics_data: MetricsData) -> int:
    return sum(
        len(metric.data.data_points)
        for rm in metrics_data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    )


class PeriodicMetricReader(MetricReader):
    """Collects and exports every `interval_s` from a daemon thread; bounded flushes."""

    def __init__(
        self,
        exporter: MetricExporter,
        *,
        interval_s: float,
        drops: DropCounter,
        abort: Any = None,
    ) -> None:
        temporality, aggregation = exporter_preferences(exporter)
        super().__init__(preferred_temporality=temporality, preferred_aggregation=aggregation)
        self._exporter = exporter
        self._interval = min(max(0.001, interval_s), MAX_WAIT_S)
        self._drops = drops
        self._abort = abort  # interrupts an export in flight (closes the sender's socket)
        self._export_lock = threading.Lock()
        self._stop = threading.Event()
        self._shut_down = False
        self._last_ok = True
        self._thread = self._start_thread()
        after_fork_in_child(self, PeriodicMetricReader._after_fork)

    def _start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._tick, name="aurastream-metrics-export", daemon=True)
        thread.start()
        return thread

    def _after_fork(self) -> None:
        self._export_lock = threading.Lock()
        if not self._shut_down:
            self._thread = self._start_thread()

    @property
    def alive(self) -> bool:
        """The export thread runs (it never dies of a bad value or an exporter bug)."""
        return self._thread.is_alive()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                with self._export_lock:
                    self.collect()
            except Exception:  # noqa: BLE001 - the ticker must never die
                continue

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        points = count_points(metrics_data)
        if points == 0:
            self._last_ok = True
            return
        try:
            result = self._exporter.export(metrics_data, timeout_millis=timeout_millis)
        except Exception:  # noqa: BLE001 - telemetry boundary: count, never raise
            result = MetricExportResult.FAILURE
        self._last_ok = result is MetricExportResult.SUCCESS
        if not self._last_ok:
            self._drops.add("metrics", "export_failed", points)

    def flush_until(self, deadline: float) -> bool:
        """Collect and export now, finishing by `deadline` (time.monotonic()). Never raises."""
        if not self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return False
        try:
            remaining_ms = max(0.0, (deadline - time.monotonic()) * 1000.0)

            def collect() -> bool:
                self.collect(timeout_millis=remaining_ms)
                return self._last_ok

            return run_with_deadline(deadline, collect)
        except Exception:  # noqa: BLE001 - a failed collection is a failed flush, not a raise
            return False
        finally:
            self._export_lock.release()

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.flush_until(time.monotonic() + max(0.0, timeout_millis) / 1000.0)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Final export within the budget, then stop; points not exported are counted."""
        if self._shut_down:
            return
        deadline = time.monotonic() + max(0.0, timeout_millis) / 1000.0
        flushed = self.flush_until(deadline)
        self._shut_down = True
        self._stop.set()
        if not flushed and self._abort is not None:
            with contextlib.suppress(Exception):  # shutdown is best effort
                self._abort()
        self._thread.join(max(0.05, deadline - time.monotonic()))
        with contextlib.suppress(Exception):  # shutdown is best effort and bounded
            self._exporter.shutdown(timeout_millis=max(0.0, deadline - time.monotonic()) * 1000)
