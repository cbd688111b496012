"""The cold-start tracker; the invocation state every log line gets is in logs/invocation.py."""

from __future__ import annotations

import threading


class ColdStart:
    """True exactly once per execution environment (process): on its first invocation.

    Injectable (Powertools' pattern) so tests and benchmarks use a fresh one instead of
    resetting a global; `instrument_handler` shares one per decorated handler by default.
    """

    def __init__(self) -> None:
        self._taken = False
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._taken:  # every invocation but the first: no lock needed to say no
            return False
        with self._lock:
            first, self._taken = not self._taken, True
            return first
