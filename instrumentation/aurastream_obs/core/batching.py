"""A bounded, never-blocking batch queue with deadline-bound flushes and counted drops.

Why not the SDK's BatchProcessor: its `force_flush` does not bound the export it waits for
(opentelemetry-python #4568), which neither a Lambda handler before a freeze nor a container
in its stop grace period can afford, and its drops are only a log line. Here:

- `put` never blocks: a full queue drops the item and counts it;
- one daemon thread per queue exports in batches; a flush is a *marker* put in the queue, so
  "everything queued before the flush" is exact, and the three signals flush in parallel;
- every export runs under an export deadline (`export_deadline()`), which the exporters honour
  (the OTLP sender stops retrying and gives up its socket wait at it);
- `shutdown` waits for the flush until its deadline, then aborts what is still in flight and
  counts what is left: nothing is lost silently, nothing overruns the budget.
"""

from __future__ import annotations

import collections
import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from aurastream_obs.core.forking import after_fork_in_child

if TYPE_CHECKING:
    from aurastream_obs.core.drops import DropCounter

T = TypeVar("T")

ExportFn = Callable[[Sequence[T]], bool]

# The latest a running export may finish (time.monotonic()), or None: the exporter's own
# timeout applies. Set by the batch worker and the metric reader around each export.
_EXPORT_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "aurastream_export_deadline", default=None
)
# Event.wait() and Condition.wait() raise OverflowError above this; a schedule delay taken
# from the environment must never be able to kill the export thread.
MAX_WAIT_S: Final = min(threading.TIMEOUT_MAX, 86400.0)


def export_deadline() -> float | None:
    """The deadline (time.monotonic()) of the export running in this thread, if any."""
    return _EXPORT_DEADLINE.get()


def run_with_deadline(deadline: float | None, func: Callable[[], bool]) -> bool:
    """Call `func` with `export_deadline()` set to `deadline` (the tighter one if nested)."""
    outer = _EXPORT_DEADLINE.get()
    if outer is not None and (deadline is None or outer < deadline):
        deadline = outer
    token = _EXPORT_DEADLINE.set(deadline)
    try:
        return func()
    finally:
        _EXPORT_DEADLINE.reset(token)


class FlushTicket:
    """A flush request travelling through the queue; `wait` returns its outcome."""

    __slots__ = ("_done", "_ok", "deadline", "failures_before")

    def __init__(self, deadline: float, failures_before: int) -> None:
        self.deadline = deadline
        self.failures_before = failures_before
        self._done = threading.Event()
        self._ok = False

    def resolve(self, ok: bool) -> None:
        self._ok = ok
        self._done.set()

    def wait(self, deadline: float) -> bool:
        """True when everything queued before the request was exported, by `deadline`."""
        remaining = deadline - time.monotonic()
        if not self._done.is_set() and (remaining <= 0 or not self._done.wait(remaining)):
            return False
        return self._ok


_DONE: Final = FlushTicket(0.0, 0)
_DONE.resolve(True)


class BatchWorker(Generic[T]):
    """Queues items and exports them in batches from one daemon thread.

    `abort` (optional) interrupts an export in flight (e.g. closes the sender's socket); it is
    called by `shutdown` once the budget is spent, so that the thread ends and counts its batch.
    """

    def __init__(
        self,
        export: ExportFn[T],
        *,
        signal: str,
        drops: DropCounter,
        max_queue_size: int = 16384,
        max_batch_size: int = 512,
        schedule_delay_s: float = 1.0,
        on_shutdown: Callable[[], None] | None = None,
        abort: Callable[[], None] | None = None,
    ) -> None:
        self._export_fn = export
        self._signal = signal
        self._drops = drops
        self._max_queue_size = max(1, max_queue_size)
        self._max_batch_size = max(1, max_batch_size)
        self._delay = min(max(0.001, schedule_delay_s), MAX_WAIT_S)
        self._on_shutdown = on_shutdown
        self._abort = abort
        # Items and FlushTickets; deque.append/popleft are atomic, so `put` takes no lock.
        self._queue: collections.deque[T | FlushTicket] = collections.deque()
        self._wake = threading.Event()
        self._flush_deadline: float | None = None  # tightest deadline of pending tickets
        self._pending_tickets = 0
        self._failures = 0  # failed exports so far (written by the worker thread only)
        self._stopped = False
        self._shut_down = False
        self.exported = 0
        self._thread = self._start_thread()
        after_fork_in_child(self, BatchWorker._after_fork)

    def _start_thread(self) -> threading.Thread:
        thread = threading.Thread(
            target=self._run, name=f"aurastream-{self._signal}-export", daemon=True
        )
        thread.start()
        return thread

    def _after_fork(self) -> None:
        # A forked child (e.g. a pre-fork server) inherits no running thread; its copy of the
        # parent's queue is the parent's to export.
        self._queue.clear()
        self._wake = threading.Event()
        self._flush_deadline, self._pending_tickets = None, 0
        if not self._stopped:
            self._thread = self._start_thread()

    # --- producer side ---------------------------------------------------------------------
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
        return sum(1 for item in list(self._queue) if item.__class__ is not FlushTicket)

    @property
    def signal(self) -> str:
        return self._signal

    @property
    def drops(self) -> DropCounter:
        return self._drops

    @property
    def alive(self) -> bool:
        """The export thread runs (it never dies of a bad value or an exporter bug)."""
        return self._thread.is_alive()

    # --- flushing --------------------------------------------------------------------------
    def request_flush(self, deadline: float) -> FlushTicket:
        """Ask the worker to export everything queued so far by `deadline`; returns at once."""
        if self._stopped or not self._thread.is_alive():
            return _DONE if not self._queue else FlushTicket(deadline, self._failures)
        if not self._queue:
            return _DONE
        ticket = FlushTicket(deadline, self._failures)
        current = self._flush_deadline
        if current is None or deadline < current:
            self._flush_deadline = deadline
        self._pending_tickets += 1
        self._queue.append(ticket)  # never refused: a flush is not an item
        self._wake.set()
        return ticket

    def force_flush(self, timeout_s: float = 10.0) -> bool:
        """Export what is queued now within `timeout_s`; True if all of it was delivered."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        return self.request_flush(deadline).wait(deadline)

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Flush within `timeout_s`, then stop: abort what is in flight, count what is left."""
        return self.shutdown_by(time.monotonic() + max(0.0, timeout_s))

    def shutdown_by(self, deadline: float) -> bool:
        """`shutdown` with an absolute deadline (time.monotonic()), shared with other parts."""
        if self._shut_down:
            return True
        self._shut_down = True
        flushed = self.request_flush(deadline).wait(deadline)
        self._stopped = True
        if not flushed and self._thread.is_alive() and self._abort is not None:
            _quietly(self._abort)
        self._wake.set()
        # The abort makes a blocked export return at once; a little grace to count its batch.
        self._thread.join(max(0.05, deadline - time.monotonic()))
        left = 0
        while self._queue:
            try:
                item = self._queue.popleft()
            except IndexError:
                break
            if item.__class__ is FlushTicket:
                item.resolve(False)
            else:
                left += 1
        self._drops.add(self._signal, "shutdown", left)
        if self._on_shutdown is not None and not _quietly(self._on_shutdown):
            return False
        return flushed and left == 0

    # --- the export thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                self._wake.wait(self._delay)
                self._wake.clear()
                self._drain()
            except Exception:  # noqa: BLE001 - the export thread must never die
                self._failures += 1
            if self._stopped:
                return

    def _drain(self) -> None:
        """Export everything queued, a batch at a time; resolve tickets as they come."""
        queue = self._queue
        popleft = queue.popleft
        batch: list[T] = []
        while queue and not self._stopped:
            try:
                item = popleft()
            except IndexError:
                break
            if item.__class__ is FlushTicket:
                self._export(batch)
                batch = []
                self._resolve(item)
                continue
            batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= self._max_batch_size:
                self._export(batch)
                batch = []
        self._export(batch)

    def _resolve(self, ticket: FlushTicket) -> None:
        self._pending_tickets = max(0, self._pending_tickets - 1)
        if self._pending_tickets == 0:
            self._flush_deadline = None
        ticket.resolve(self._failures == ticket.failures_before)

    def _export(self, batch: list[T]) -> None:
        if not batch:
            return
        deadline = self._flush_deadline
        try:
            if deadline is not None:
                ok = run_with_deadline(deadline, lambda: self._export_fn(batch))
            else:
                ok = self._export_fn(batch)
        except Exception:  # noqa: BLE001 - exporter bugs must not kill the worker
            ok = False
        if ok:
            self.exported += len(batch)
        else:
            self._failures += 1
            self._drops.add(self._signal, "export_failed", len(batch))


def _quietly(func: Callable[[], object]) -> bool:
    try:
        func()
    except Exception:  # noqa: BLE001 - shutdown is best effort and bounded
        return False
    return True
