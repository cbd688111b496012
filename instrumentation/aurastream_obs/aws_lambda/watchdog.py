"""The timeout watchdog's timer: one long-lived thread per decorated handler, armed per invocation.

A `threading.Timer` per invocation starts (and ends) a thread every time: ≈ 45 µs median on the
reference 2-core machine (bench/lambda_invocation.py's profile, 2026-12), more than the rest of
the watchdog's work. `Watchdog` keeps one daemon thread that waits on a condition; arming is a
few assignments under its lock, and the thread is woken only when the new deadline comes
before the time it already waits for (after an idle period), so back-to-back invocations wake
it about once per deadline, not once per invocation. A callback runs on that thread, outside
the lock, exactly once per arming that is not cancelled in time (like `Timer.cancel`, a
cancel cannot stop a callback that already started).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from aurastream_obs.core.forking import after_fork_in_child

_NEVER = float("inf")


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# (delay in seconds, callback) -> an armed timer. Tests inject one that fires on demand.
TimerFactory = Callable[[float, Callable[[], None]], Cancellable]


class _Arming:
    __slots__ = ("callback", "deadline", "owner")

    def __init__(self, owner: Watchdog, deadline: float, callback: Callable[[], None]) -> None:
        self.owner = owner
        self.deadline = deadline
        self.callback = callback

    def cancel(self) -> None:
        self.owner.disarm(self)


class Watchdog:
    """A `TimerFactory` backed by one daemon thread (started on first use, again after fork).

    Several armings may be pending at once (a handler called from several threads): each fires
    at its own deadline."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._after_fork()
        after_fork_in_child(self, Watchdog._after_fork)

    def _after_fork(self) -> None:
        # (Also the initial state.) The thread is gone in a forked child and the lock may have
        # been held at the fork: fresh ones, the thread started again on the next arming.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._armed: set[_Arming] = set()
        self._wake_at = _NEVER  # when the thread's current wait ends (under the lock)
        self._thread: threading.Thread | None = None

    def __call__(self, delay_s: float, callback: Callable[[], None]) -> Cancellable:
        arming = _Arming(self, self._clock() + delay_s, callback)
        with self._lock:  # the condition's lock, taken directly (a C-level context manager)
            self._armed.add(arming)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="aurastream-lambda-watchdog", daemon=True
                )
                self._thread.start()
            elif arming.deadline < self._wake_at:
                self._cond.notify()
        return arming

    def disarm(self, arming: _Arming) -> None:
        with self._lock:
            self._armed.discard(arming)  # the thread finds nothing due at its next wake-up

    def _run(self) -> None:
        cond = self._cond
        with cond:
            while True:
                if not self._armed:
                    self._wake_at = _NEVER
                    cond.wait()
                    continue
                arming = min(self._armed, key=_deadline)
                left = arming.deadline - self._clock()
                if left > 0:
                    self._wake_at = arming.deadline
                    cond.wait(left)
                    continue
                self._armed.discard(arming)
                self._wake_at = _NEVER
                cond.release()
                try:
                    arming.callback()
                except BaseException:  # noqa: BLE001 - the thread must outlive any callback
                    pass
                finally:
                    cond.acquire()


def _deadline(arming: _Arming) -> float:
    return arming.deadline
