"""`DropCounter`: what telemetry was dropped, per signal and reason (the metric
aurastream.telemetry.dropped reads it). Its own module: the Lambda mode counts drops but has
no batch workers, so its cold start does not load `batching`."""

from __future__ import annotations

import collections
import contextlib
import sys
import threading


class DropCounter:
    """Counts dropped telemetry per (signal, reason); warns once per signal on stderr."""

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._warned: set[str] = set()
        self._lock = threading.Lock()  # drops come from request and export threads at once

    def add(self, signal: str, reason: str, count: int = 1) -> None:
        if count <= 0:
            return
        with self._lock:
            self.counts[(signal, reason)] += count
            first = signal not in self._warned
            self._warned.add(signal)
        if first:
            # Not through `logging`: our own log handler may be what is failing.
            # No stderr (pythonw, a closed pipe): the drop is still counted.
            with contextlib.suppress(Exception):
                sys.stderr.write(
                    f"aurastream_obs: dropping {signal} ({reason}); "
                    "see metric aurastream.telemetry.dropped. Warning once.\n"
                )

    def total(self, signal: str | None = None) -> int:
        with self._lock:
            return sum(n for (sig, _), n in self.counts.items() if signal in (None, sig))

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self.counts)

    def summary(self) -> str:
        """One line, e.g. "traces 12 (export_failed 10, shutdown 2); logs 3 (queue_full 3)"."""
        per_signal: dict[str, list[tuple[str, int]]] = {}
        for (signal, reason), n in sorted(self.snapshot().items()):
            per_signal.setdefault(signal, []).append((reason, n))
        return "; ".join(
            f"{signal} {sum(n for _, n in reasons)} ("
            + ", ".join(f"{reason} {n}" for reason, n in reasons)
            + ")"
            for signal, reasons in per_signal.items()
        )
