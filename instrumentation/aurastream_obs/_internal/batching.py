"""A bounded, never-blocking batch queue with a deadline-bound flush and visible drops.

Why not the SDK's BatchProcessor: its `force_flush` ignores the timeout (opentelemetry-python
#4568), which a Lambda handler cannot afford before a freeze, and its drops are only a log
line. Here every drop is counted per reason, reported as `aurastream.telemetry.dropped`, and
warned about once per signal.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

ExportFn = Callable[[Sequence[T]], bool]


class DropCounter:
    """Counts dropped telemetry per (signal, reason); thread-safe enough for counters."""

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._warned: set[str] = set()

    def add(self, signal: str, reason: str, count: int = 1) -> None:
        self.counts[(signal, reason)] += count
        if signal not in self._warned:
            self._warned.add(signal)
            # Not through `logging`: our own log handler may be what is failing.
            sys.stderr.write(
                f"aurastream_obs: dropping {signal} ({reason}); "
                "see metric aurastream.telemetry.dropped. Warning once.\n"
            )

    def total(self, signal: str | None = None) -> int:
        return sum(n for (sig, _), n in self.counts.items() if signal in (None, sig))


class BatchWorker(Generic[T]):
    """Queues items and exports them in batches from one daemon thread."""

    def __init__(
        self,
        export: ExportFn[T],
        *,
        signal: str,
        drops: DropCounter,
        max_queue_size: int = 65536,
        max_batch_size: int = 512,
        schedule_delay_s: float = 1.0,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self._export_fn = export
        self._signal = signal
        self._drops = drops
        self._max_queue_size = max_queue_size
        self._max_batch_size = max_batch_size
        self._delay = schedule_delay_s
        self._on_shutdown = on_shutdown
        self._queue: collections.deque[T] = collections.deque()
        self._wake = threading.Event()
        self._export_lock = threading.Lock()
        self._stopped = False
        self.exported = 0
        self._thread = self._start_thread()
        if hasattr(os, "register_at_fork"):
            ref = weakref.WeakMethod(self._after_fork)

            def _reinit() -> None:
                method = ref()
                if method is not None:
                    method()

            os.register_at_fork(after_in_child=_reinit)

    def _start_thread(self) -> threading.Thread:
        thread = threading.Thread(
            target=self._run, name=f"aurastream-{self._signal}-export", daemon=True
        )
        thread.start()
        return thread

    def _after_fork(self) -> None:
        # A forked worker (e.g. a pre-fork server) inherits no running thread.
        self._queue.clear()
        self._wake = threading.Event()
        self._export_lock = threading.Lock()
        self._thread = self._start_thread()

    def put(self, item: T) -> None:
        """Enqueue without blocking; a full queue drops the item and counts it."""
        if self._stopped:
            self._drops.add(self._signal, "shutdown")
            return
        queue = self._queue
        if len(queue) >= self._max_queue_size:
            self._drops.add(self._signal, "queue_full")
            return
        queue.append(item)
        if len(queue) >= self._max_batch_size and not self._wake.is_set():
            self._wake.set()

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def drops(self) -> DropCounter:
        return self._drops

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._delay)
            self._wake.clear()
            if self._stopped:
                break
            with self._export_lock:
                self._drain(deadline=None)

    def _drain(self, deadline: float | None) -> bool:
        """Export everything queued; stop early (returning False) past the deadline."""
        queue = self._queue
        while queue:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            batch: list[T] = []
            popleft = queue.popleft
            try:
                for _ in range(min(self._max_batch_size, len(queue))):
                    batch.append(popleft())
            except IndexError:  # raced with a concurrent drain
                pass
            if not batch:
                break
            try:
                ok = self._export_fn(batch)
            except Exception:  # noqa: BLE001 - exporter bugs must not kill the worker
                ok = False
            if ok:
                self.exported += len(batch)
            else:
                self._drops.add(self._signal, "export_failed", len(batch))
        return True

    def force_flush(self, timeout_s: float = 10.0) -> bool:
        """Export what is queued now, in the caller's thread, within `timeout_s`."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        if not self._export_lock.acquire(timeout=max(0.0, timeout_s)):
            return False
        try:
            return self._drain(deadline) and not self._queue
        finally:
            self._export_lock.release()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        if self._stopped:
            return True
        deadline = time.monotonic() + timeout_s
        flushed = self.force_flush(timeout_s)
        self._stopped = True
        self._wake.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._queue:
            self._drops.add(self._signal, "shutdown", len(self._queue))
            self._queue.clear()
        if self._on_shutdown is not None:
            try:
                self._on_shutdown()
            except Exception:  # noqa: BLE001 - shutdown is best effort and bounded
                return False
        return flushed
