"""A small progress bar on stderr: redrawn in place on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Final, TextIO

_REDRAW_EVERY_S: Final = 0.1
_WIDTH: Final = 30


class ProgressBar:
    """`advance()` from any thread; `close()` draws the final state and ends the line.

    On a TTY the bar is redrawn with a carriage return at most every 0.1 s; elsewhere (CI logs,
    pipes) a line is printed at each quarter, so logs stay short and readable.
    """

    def __init__(
        self,
        total: int,
        label: str,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(0, total)
        self.label = label
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._clock = clock
        self._start = clock()
        self._last_draw = float("-inf")
        self._next_quarter = 1
        self._lock = threading.Lock()
        self._closed = False

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done = min(self.total, self.done + n) if self.total else self.done + n
            if self._tty:
                now = self._clock()
                if now - self._last_draw >= _REDRAW_EVERY_S or self.done == self.total:
                    self._last_draw = now
                    self._write("\r" + self.render())
            elif self.total:
                crossed = False
                while self._next_quarter <= 4 and self.done * 4 >= self._next_quarter * self.total:
                    self._next_quarter += 1
                    crossed = True
                if crossed:
                    self._write(self.render() + "\n")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._tty:
                self._write("\r" + self.render() + "\n")
            elif self._next_quarter <= 4:  # stopped early: say where
                self._write(self.render() + "\n")

    def render(self) -> str:
        elapsed = self._clock() - self._start
        if not self.total:
            return f"{self.label} {self.done} ({elapsed:.1f} s)"
        share = self.done / self.total
        filled = int(share * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total} {share:4.0%} {elapsed:5.1f} s"

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not stop the demo
            pass

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
