"""The timeout watchdog: armed at the remaining time minus the margin, so that a handler that
runs into its deadline still gets every signal out (spans over UDP, EMF metrics and the error
log on stdout) while it is still running, within a flush budget that fits in the margin.

The watchdog's timer is injected (`timer_factory`, support.timers): the tests read the delay it
was armed with and fire it themselves, no sleeping. One test keeps the real timer, for what a
fake cannot show: the default timer fires on its own thread while the handler is blocked."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import trace

from aurastream_obs.aws_lambda import instrument_handler
from aurastream_obs.bootstrap import Telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.modes.awslambda import build_pipelines
from support.budgets import MARGIN_S
from support.timers import ManualTimers

MARGIN_MS = 200
FUNCTION = "aurastream-watchdog"


class FixedContext:
    """Lambda's context, with a remaining time that does not move (the clock is the test's)."""

    aws_request_id = "11111111-2222-3333-4444-555555555555"
    function_name = FUNCTION

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class DeadlineContext(FixedContext):
    """Lambda's context with a real deadline on the monotonic clock."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(timeout_ms)
        self.deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class Stdout:
    """stdout stand-in: keeps what was written and sets `seen` when `watch_for` is written."""

    def __init__(self, watch_for: str = "about to time out") -> None:
        self.text: list[str] = []
        self.watch_for = watch_for
        self.seen = threading.Event()
        self.seen_at: float | None = None  # time.monotonic() of that write

    def write(self, text: str) -> int:
        self.text.append(text)
        if self.watch_for in text and not self.seen.is_set():
            self.seen_at = time.monotonic()
            self.seen.set()
        return len(text)

    def flush(self) -> None:
        pass

    def emf(self) -> list[str]:
        return [text for text in self.text if '"_aws"' in text]


@dataclass
class Wired:
    telemetry: Telemetry
    stdout: Stdout
    daemon: socket.socket  # the X-Ray daemon stand-in
    flush_budgets_ms: list[int]  # timeout_millis of every force_flush, in order

    def datagrams_until(self, *needles: bytes, timeout: float = 5.0) -> bytes:
        """Segment datagrams received until every needle was seen (blocking reads, bounded)."""
        self.daemon.settimeout(timeout)
        received = b""
        while not all(needle in received for needle in needles):
            try:
                received += self.daemon.recv(70_000)
            except TimeoutError:
                break
        return received


@pytest.fixture
def wired() -> Iterator[Wired]:
    """Lambda mode's real pipelines (X-Ray over UDP to a local socket, EMF and logs to a
    stdout stand-in), with the error log of the watchdog attached, force_flush recorded."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
    }
    stdout = Stdout()
    settings = resolve_settings(mode="lambda", env=env)
    telemetry = Telemetry(settings=settings)
    pipelines = build_pipelines(settings, telemetry.drops, stream=stdout)
    telemetry.tracer_provider = pipelines.tracer_provider  # type: ignore[assignment]
    telemetry.meter_provider = pipelines.meter_provider  # type: ignore[assignment]
    telemetry.log_handler = pipelines.log_handler
    assert telemetry.log_handler is not None
    budgets: list[int] = []
    force_flush = telemetry.force_flush

    def recording_flush(timeout_millis: int = 30_000) -> bool:
        budgets.append(timeout_millis)
        return force_flush(timeout_millis=timeout_millis)

    telemetry.force_flush = recording_flush  # type: ignore[method-assign]
    lambda_logger = logging.getLogger("aurastream_obs.lambda")  # not installed: attach here
    lambda_logger.addHandler(telemetry.log_handler)
    try:
        yield Wired(telemetry, stdout, daemon, budgets)
    finally:
        lambda_logger.removeHandler(telemetry.log_handler)
        daemon.close()


def _instrument(wired: Wired, handler: Any, **options: Any) -> Any:
    env = {"AWS_LAMBDA_FUNCTION_NAME": FUNCTION}
    return instrument_handler(telemetry=wired.telemetry, margin_ms=MARGIN_MS, env=env, **options)(
        handler
    )


def test_the_watchdog_is_armed_at_the_remaining_time_minus_the_margin(wired: Wired) -> None:
    timers = ManualTimers()
    seen_inside: list[tuple[float, bool]] = []

    def quick(event: Any, context: Any) -> str:
        seen_inside.append((timers.last.delay_s, timers.last.cancelled))
        return "ok"

    assert _instrument(wired, quick, timer_factory=timers)({}, FixedContext(3000)) == "ok"
    assert seen_inside == [(pytest.approx((3000 - MARGIN_MS) / 1000), False)]  # armed, running
    assert len(timers.started) == 1
    assert timers.last.cancelled and not timers.last.fired  # returned in time: disarmed
    assert not wired.stdout.seen.is_set()  # no timeout error for a handler that returned


@pytest.mark.parametrize("context", [FixedContext(MARGIN_MS), FixedContext(0), None])
def test_no_watchdog_without_time_to_spare_or_without_a_context(wired: Wired, context: Any) -> None:
    timers = ManualTimers()
    assert _instrument(wired, lambda event, ctx: "ok", timer_factory=timers)({}, context) == "ok"
    assert timers.started == []


def test_firing_the_watchdog_flushes_every_signal_while_the_handler_still_runs(
    wired: Wired,
) -> None:
    timers = ManualTimers()
    assert wired.telemetry.tracer_provider is not None
    assert wired.telemetry.meter_provider is not None
    tracer = wired.telemetry.tracer_provider.get_tracer("test")
    counter = wired.telemetry.meter_provider.get_meter("test").create_counter("aurastream.usage")
    at_fire: dict[str, Any] = {}

    def slow(event: Any, context: Any) -> str:
        with tracer.start_as_current_span("work"):
            counter.add(3)
            assert trace.get_current_span().get_span_context().is_valid
        timers.last.fire()  # the deadline minus the margin, with the handler still running
        at_fire["segments"] = wired.datagrams_until(b'"work"', b"timeout_imminent")
        at_fire["emf"] = wired.stdout.emf()
        at_fire["error_logged"] = wired.stdout.seen.is_set()
        at_fire["flush_budgets_ms"] = list(wired.flush_budgets_ms)
        return "late"  # Lambda would have killed the process before this

    assert _instrument(wired, slow, timer_factory=timers)({"action": "slow"}, FixedContext(3000))
    segments = at_fire["segments"]
    assert b'"work"' in segments  # the handler's own span
    assert b"timeout_imminent" in segments  # the invocation span, ended by the watchdog
    assert any('"aurastream.usage":3' in text for text in at_fire["emf"]), at_fire["emf"]
    assert at_fire["error_logged"], "the timeout error log was not written when it fired"
    # One flush, bounded so that it ends before the deadline: within the margin.
    assert len(at_fire["flush_budgets_ms"]) == 1
    assert 0 < at_fire["flush_budgets_ms"][0] <= MARGIN_MS


def test_the_default_timer_fires_on_its_own_while_the_handler_is_blocked(wired: Wired) -> None:
    """Real time: 400 ms left, so the real watchdog timer is due 200 ms before the deadline;
    the handler blocks until the timeout error log appears (an Event, bounded at 10 s)."""
    context = DeadlineContext(400)
    due = context.deadline - MARGIN_MS / 1000

    def blocked(event: Any, context: Any) -> bool:
        return wired.stdout.seen.wait(10)

    assert _instrument(wired, blocked)({}, context), "the watchdog never fired"  # real timer
    assert wired.stdout.seen_at is not None
    # Not early (1 ms: remaining time is whole milliseconds), late by at most the margin.
    assert due - 0.001 <= wired.stdout.seen_at <= due + MARGIN_S, wired.stdout.seen_at - due
