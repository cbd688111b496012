"""Manual timers for the code's `timer_factory` seams (the Lambda watchdog in
`instrument_handler`, the piped-stdout flush of `JsonLogHandler`): a factory that records each
timer it was asked to start, with its delay, and fires one only when the test says so. Tests
assert the delay asked for and what firing does, without sleeping and without races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ManualTimer:
    delay_s: float
    callback: Callable[[], None]
    cancelled: bool = False
    fired: bool = False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        """Run the callback now, as the real timer would at `delay_s` (once, unless cancelled)."""
        assert not self.cancelled, "fired a cancelled timer"
        assert not self.fired, "fired twice"
        self.fired = True
        self.callback()


@dataclass
class ManualTimers:
    """Pass as `timer_factory=`; `started` lists every timer asked for, oldest first."""

    started: list[ManualTimer] = field(default_factory=list)

    def __call__(self, delay_s: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(delay_s, callback)
        self.started.append(timer)
        return timer

    @property
    def last(self) -> ManualTimer:
        assert self.started, "no timer was started"
        return self.started[-1]

    def pending(self) -> list[ManualTimer]:
        """Timers neither fired nor cancelled."""
        return [t for t in self.started if not (t.fired or t.cancelled)]
