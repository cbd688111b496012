"""Send a traffic plan over real HTTP: `concurrency` threads, one keep-alive connection each.

The client keeps its own tally (sent, answered, status codes, surprises) only to compare with
what the telemetry says; the report's numbers come from the exported files.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from aurastream_obs import __version__
from aurastream_obs.demo.traffic import PlannedRequest

USER_AGENT: Final = f"aurastream-obs-demo/{__version__}"
_TIMEOUT_S: Final = 30.0


@dataclass
class ClientTally:
    """What the load generator saw."""

    planned: int = 0
    sent: int = 0
    answered: int = 0
    transport_errors: int = 0
    elapsed_s: float = 0.0
    by_status: Counter[int] = field(default_factory=Counter)
    # (request index, kind, expected status, received status)
    unexpected: list[tuple[int, str, int, int]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def plus(self, other: ClientTally) -> ClientTally:
        """Two parts of one plan sent one after the other, as one tally."""
        return ClientTally(
            self.planned + other.planned,
            self.sent + other.sent,
            self.answered + other.answered,
            self.transport_errors + other.transport_errors,
            self.elapsed_s + other.elapsed_s,
            self.by_status + other.by_status,
            self.unexpected + other.unexpected,
            self.errors + other.errors,
        )


class _Dispatcher:
    """Hands out the plan's requests in order and records the answers (thread-safe)."""

    def __init__(self, plan: Sequence[PlannedRequest], on_done: Callable[[], None]) -> None:
        self._plan = plan
        self._next = 0
        self._lock = threading.Lock()
        self._on_done = on_done
        self.stop = threading.Event()
        self.tally = ClientTally(planned=len(plan))

    def take(self) -> PlannedRequest | None:
        with self._lock:
            if self.stop.is_set() or self._next >= len(self._plan):
                return None
            request = self._plan[self._next]
            self._next += 1
            self.tally.sent += 1
            return request

    def answered(self, request: PlannedRequest, status: int) -> None:
        with self._lock:
            self.tally.answered += 1
            self.tally.by_status[status] += 1
            if status != request.expected_status:
                self.tally.unexpected.append(
                    (request.index, request.kind, request.expected_status, status)
                )
        self._on_done()

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self.tally.transport_errors += 1
            self.tally.errors[type(error).__name__] += 1
        self._on_done()


def _worker(dispatcher: _Dispatcher, host: str, port: int) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=_TIMEOUT_S)
    try:
        while (request := dispatcher.take()) is not None:
            try:
                connection.request(
                    request.method,
                    request.path,
                    body=request.body,
                    headers=request.headers(USER_AGENT),
                )
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                # Not retried: the server may have seen it, and counts must stay comparable.
                dispatcher.failed(exc)
                connection.close()  # the next request opens a fresh connection
                continue
            dispatcher.answered(request, response.status)
            if response.will_close:
                connection.close()
    finally:
        connection.close()


def send_plan(
    plan: Sequence[PlannedRequest],
    host: str,
    port: int,
    concurrency: int,
    on_done: Callable[[], None] = lambda: None,
) -> ClientTally:
    """Send every planned request; returns when all are answered (or failed).

    Ctrl-C stops handing out requests, waits for the ones in flight and re-raises.
    """
    dispatcher = _Dispatcher(plan, on_done)
    threads = [
        threading.Thread(
            target=_worker,
            args=(dispatcher, host, port),
            name=f"aurastream-demo-client-{i}",
            daemon=True,
        )
        for i in range(max(1, concurrency))
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        dispatcher.stop.set()
        for thread in threads:
            thread.join(_TIMEOUT_S)
        raise
    finally:
        dispatcher.tally.elapsed_s = time.perf_counter() - start
    return dispatcher.tally
