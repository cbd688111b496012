"""The watchdog's default timer (`aws_lambda.watchdog.Watchdog`): one thread per decorated handler,
armed and disarmed per invocation. Delays are short and every wait is bounded; nothing asserts
how long anything took, only what fired."""

from __future__ import annotations

import threading
import time

from aurastream_obs.aws_lambda.watchdog import Watchdog

BOUND_S = 10.0  # a generous bound on waiting for something that must happen


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "aurastream-lambda-watchdog"]


def test_an_armed_timer_fires_once_on_its_thread() -> None:
    fired: list[str] = []
    done = threading.Event()

    def callback() -> None:
        fired.append(threading.current_thread().name)
        done.set()

    Watchdog()(0.01, callback)
    assert done.wait(BOUND_S)
    time.sleep(0.05)
    assert fired == ["aurastream-lambda-watchdog"]


def test_a_cancelled_timer_never_fires_and_the_thread_is_reused() -> None:
    before = len(_threads())
    watchdog = Watchdog()
    fired = threading.Event()
    for _ in range(200):  # back-to-back invocations, each returning in time
        watchdog(0.05, fired.set).cancel()
    assert len(_threads()) == before + 1  # one thread, not one per invocation
    assert not fired.wait(0.2)


def test_an_earlier_deadline_wakes_the_waiting_thread() -> None:
    watchdog = Watchdog()
    late = threading.Event()
    early = threading.Event()
    watchdog(60.0, late.set).cancel()  # the thread now waits for a minute
    time.sleep(0.02)
    watchdog(0.01, early.set)
    assert early.wait(BOUND_S), "the earlier deadline waited for the old one"
    assert not late.is_set()


def test_re_armed_after_idle_and_after_a_failing_callback() -> None:
    watchdog = Watchdog()
    second = threading.Event()

    def failing() -> None:
        raise RuntimeError("the callback's own failure")

    watchdog(0.0, failing)
    time.sleep(0.05)  # fired (and failed) on the thread; the thread goes on
    watchdog(0.01, second.set)
    assert second.wait(BOUND_S)


def test_pending_armings_fire_each_at_its_own_deadline() -> None:
    """A handler called from several threads at once: each invocation keeps its watchdog."""
    watchdog = Watchdog()
    first, second, cancelled = threading.Event(), threading.Event(), threading.Event()
    watchdog(0.05, first.set)
    watchdog(0.01, second.set)
    watchdog(0.03, cancelled.set).cancel()
    assert second.wait(BOUND_S) and first.wait(BOUND_S)
    assert not cancelled.wait(0.1)
