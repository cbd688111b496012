"""BatchWorker and PeriodicMetricReader: flushes are exact and bounded, drops are counted per
reason, threads survive exporter bugs. Synchronised with events, never with sleeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult

from aurastream_obs.core.batching import BatchWorker, export_deadline
from aurastream_obs.core.drops import DropCounter
from aurastream_obs.sdk.metric_reader import PeriodicMetricReader
from support.budgets import MARGIN_S


class Exporter:
    """Records batches; can fail, raise, or block until released (a silent peer)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.deadlines: list[float | None] = []
        self.fail = False
        self.raise_error = False
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def __call__(self, batch: Sequence[int]) -> bool:
        self.entered.set()
        self.deadlines.append(export_deadline())
        if self.raise_error:
            raise RuntimeError("exporter bug")
        self.release.wait(30)
        if self.fail:
            return False
        self.batches.append(list(batch))
        return True

    def abort(self) -> None:
        self.release.set()
        self.fail = True


def _worker(exporter: Exporter, drops: DropCounter, **kwargs: Any) -> BatchWorker[int]:
    return BatchWorker(
        exporter, signal="traces", drops=drops, schedule_delay_s=60, abort=exporter.abort, **kwargs
    )


def test_flush_exports_everything_queued_before_it_under_its_deadline() -> None:
    exporter, drops = Exporter(), DropCounter()
    worker = _worker(exporter, drops, max_batch_size=10)
    for i in range(25):
        worker.put(i)
    assert worker.force_flush(5.0)
    assert [item for batch in exporter.batches for item in batch] == list(range(25))
    assert [len(b) for b in exporter.batches] == [10, 10, 5]
    assert all(d is not None for d in exporter.deadlines)  # exporters see the flush deadline
    assert worker.shutdown(1.0) and drops.total() == 0


def test_failed_and_raising_exports_are_counted_and_the_thread_survives() -> None:
    exporter, drops = Exporter(), DropCounter()
    worker = _worker(exporter, drops)
    exporter.fail = True
    for i in range(7):
        worker.put(i)
    assert not worker.force_flush(5.0)
    exporter.fail, exporter.raise_error = False, True
    worker.put(7)
    assert not worker.force_flush(5.0)
    assert drops.snapshot() == {("traces", "export_failed"): 8}
    assert worker.alive
    exporter.raise_error = False
    worker.put(8)
    assert worker.force_flush(5.0)


def test_queue_overflow_is_counted_and_never_blocks() -> None:
    exporter, drops = Exporter(), DropCounter()
    worker = _worker(exporter, drops, max_queue_size=5)
    for i in range(12):
        worker.put(i)
    assert drops.snapshot() == {("traces", "queue_full"): 7}
    assert worker.force_flush(5.0)


def test_a_blocked_export_bounds_flush_and_shutdown_and_counts_what_is_left() -> None:
    exporter, drops = Exporter(), DropCounter()
    worker = _worker(exporter, drops, max_batch_size=2)
    exporter.release.clear()  # the peer never answers
    for i in range(6):
        worker.put(i)
    start = time.monotonic()
    assert not worker.force_flush(0.3)
    assert time.monotonic() - start <= 0.3 + MARGIN_S
    assert exporter.entered.wait(5)
    start = time.monotonic()
    assert not worker.shutdown(0.3)
    assert time.monotonic() - start <= 0.3 + MARGIN_S
    # The abort failed the batch in flight; the rest was counted at shutdown.
    counts = drops.snapshot()
    assert sum(counts.values()) == 6
    assert counts.get(("traces", "shutdown"), 0) >= 1
    worker.put(99)  # after shutdown: counted, not queued
    assert drops.snapshot()[("traces", "shutdown")] == counts.get(("traces", "shutdown"), 0) + 1
    assert worker.shutdown(0.1)  # a second shutdown is a no-op


class MetricSink(MetricExporter):
    def __init__(self) -> None:
        super().__init__()
        self.exports = 0
        self.fail = False

    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
        self.exports += 1
        return MetricExportResult.FAILURE if self.fail else MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


def test_metric_reader_counts_failed_exports_and_never_raises() -> None:
    sink, drops = MetricSink(), DropCounter()
    reader = PeriodicMetricReader(sink, interval_s=3600, drops=drops)
    provider = MeterProvider(metric_readers=[reader])
    counter = provider.get_meter("m").create_counter("c")
    counter.add(1, {"k": "a"})
    counter.add(1, {"k": "b"})
    assert reader.force_flush(2000)
    sink.fail = True
    assert not reader.force_flush(2000)  # the SDK's MeterProvider.force_flush would raise
    assert drops.snapshot() == {("metrics", "export_failed"): 2}  # two data points
    reader.shutdown(1000)
    assert not reader.alive
    provider.shutdown()


def test_metric_flush_waits_for_a_stuck_export_only_until_its_deadline() -> None:
    sink, drops = MetricSink(), DropCounter()
    reader = PeriodicMetricReader(sink, interval_s=3600, drops=drops)
    MeterProvider(metric_readers=[reader]).get_meter("m").create_counter("c").add(1)
    holder = threading.Event()
    with reader._export_lock:  # the ticker thread is inside an export to a silent peer
        holder.set()
        start = time.monotonic()
        assert not reader.force_flush(300)
        assert time.monotonic() - start <= 0.3 + MARGIN_S
    assert holder.is_set() and reader.force_flush(2000)
