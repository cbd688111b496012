"""Bounded memories for the router: what was delivered (per channel and alert) and which SNS
MessageIds were handled, with in-flight claims so that a concurrent duplicate waits for the
first outcome instead of being answered "done" before anything is done.

Both are bounded in time (an entry lives `ttl_s` after its last write) and in size (the oldest
entry goes first); every check and write is O(1) amortised, whatever the number of entries.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES: Final = 100_000


class Deadline:
    """One overall deadline (monotonic); `remaining()` is never negative."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.budget_s = seconds
        self.at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


class ExpiringStore(Generic[K, V]):
    """A map whose entries expire `ttl_s` after their last write and whose size never exceeds
    `max_entries` (the oldest entry is evicted, counted in `evicted`). Not thread-safe: the
    owner holds its own lock. Entries are kept in write order, which is time order, so expiry
    only ever looks at the head: O(1) amortised per call."""

    def __init__(
        self,
        ttl_s: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.evicted = 0
        self._clock = clock
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        now = self._clock()
        self._expire(now)
        entry = self._data.get(key)
        return None if entry is None else entry[1]

    def put(self, key: K, value: V) -> None:
        now = self._clock()
        self._data[key] = (now, value)
        self._data.move_to_end(key)
        self._expire(now)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
            self.evicted += 1

    def _expire(self, now: float) -> None:
        data = self._data
        while data:
            written, _ = next(iter(data.values()))
            if now - written < self.ttl_s:
                return
            data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


Key = tuple[Hashable, ...]


@dataclass
class Claim:
    """What `OnceLedger.claim` reserved: `fresh` keys are ours to deliver (then `settle`),
    `done` keys were already delivered with the same version."""

    fresh: list[tuple[Key, str]]
    done: list[tuple[Key, str]]
    _event: threading.Event = field(default_factory=threading.Event, repr=False)


class OnceLedger:
    """At-least-once bookkeeping: a (key, version) pair is *done* once delivered and stays done
    for `ttl_s`; while one request delivers it, it is *in flight* and a second request for it
    waits for the outcome (until its own deadline). A failure forgets the claim, so the
    sender's retry delivers it again. Keys in flight are bounded by the requests in flight."""

    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._done: ExpiringStore[Key, str] = ExpiringStore(ttl_s, max_entries, clock)
        self._in_flight: dict[Key, threading.Event] = {}
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)  # notified when `waiting` changes
        self.waiting = 0  # claims waiting for another request's outcome

    @property
    def evicted(self) -> int:
        return self._done.evicted

    def __len__(self) -> int:
        with self._lock:
            return len(self._done)

    def claim(self, items: Sequence[tuple[Key, str]], deadline: Deadline) -> Claim | None:
        """Wait until none of `items` is in flight, then claim the ones not done at their
        version, all at once (nothing is held while waiting: no deadlock between requests
        claiming overlapping sets). None when the deadline passes first."""
        while True:
            with self._lock:
                busy = next((self._in_flight[k] for k, _ in items if k in self._in_flight), None)
                if busy is None:
                    claim = Claim([], [])
                    for key, version in items:
                        target = claim.done if self._done.get(key) == version else claim.fresh
                        target.append((key, version))
                    for key, _ in claim.fresh:
                        self._in_flight[key] = claim._event
                    return claim
            remaining = deadline.remaining()
            if remaining <= 0:
                return None
            self._count_waiting(+1)
            try:
                if not busy.wait(remaining):
                    return None
            finally:
                self._count_waiting(-1)

    def _count_waiting(self, delta: int) -> None:
        with self.changed:
            self.waiting += delta
            self.changed.notify_all()

    def settle(self, claim: Claim, *, delivered: bool) -> None:
        """End a claim: remember its fresh keys as done (delivered) or forget them (failed)."""
        with self._lock:
            for key, version in claim.fresh:
                self._in_flight.pop(key, None)
                if delivered:
                    self._done.put(key, version)
        claim._event.set()
