"""The runbook flags as the service reads them (names and values: `definitions/runbook_flags.py`).

`FlagSource.current()` gives the flags now; `SsmFlags` reads the SSM parameters under one path
(`AURASTREAM_FLAGS_SSM_PATH`, e.g. `/aurastream/prod`) with one `GetParameters` call at most
every `ttl_s` seconds, and keeps the last values it read when SSM fails (with one warning a
minute): a flag store outage changes nothing. `StaticFlags` is the injectable stand-in for tests
and embedding; `NoFlags` (nothing configured) is always closed, no failover.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from aurastream_obs.definitions.runbook_flags import (
    ANALYZER_FAILOVER,
    ANALYZERS,
    BREAKER_OPEN,
    CACHE_WARM,
    CIRCUIT_BREAKER,
    FLAG_NAMES,
)

_log = logging.getLogger("aurastream_obs")
DEFAULT_TTL_S: Final = 10.0
_WARN_EVERY_S: Final = 60.0


@dataclass(frozen=True)
class Flags:
    circuit_open: bool = False
    failover: str | None = None  # the analyzer to use instead of the configured one
    warm_request: str | None = None  # changes each time a runbook asks for a cache warm-up


def parse_flags(values: Mapping[str, str]) -> Flags:
    """Flag name -> raw value (absent: default) into `Flags`; unknown values mean "off"."""
    failover = values.get(ANALYZER_FAILOVER, "").strip().lower()
    return Flags(
        circuit_open=values.get(CIRCUIT_BREAKER, "").strip().lower() == BREAKER_OPEN,
        failover=failover if failover in ANALYZERS else None,
        warm_request=values.get(CACHE_WARM, "").strip() or None,
    )


class FlagSource(Protocol):
    @property
    def blocking(self) -> bool:
        """True when `current()` may do network I/O (the app then runs requests in a thread)."""
        ...

    def current(self) -> Flags: ...

    def last_known(self) -> Flags:
        """The flags as last read, without any I/O (for the health check)."""
        ...


class NoFlags:
    blocking: Final = False

    def current(self) -> Flags:
        return Flags()

    def last_known(self) -> Flags:
        return Flags()


class StaticFlags:
    """Flags set by the caller: `flags.set(circuit_open=True)`."""

    blocking: Final = False

    def __init__(self, flags: Flags | None = None) -> None:
        self._flags = flags or Flags()

    def set(self, **changes: Any) -> None:
        self._flags = replace(self._flags, **changes)

    def current(self) -> Flags:
        return self._flags

    def last_known(self) -> Flags:
        return self._flags


class SsmFlags:
    """The flags under an SSM path, cached for `ttl_s` (clock and client injectable)."""

    blocking: Final = True

    def __init__(
        self,
        path: str,
        client: Any = None,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        region_name: str | None = None,
    ) -> None:
        self.path = path.rstrip("/")
        self._client = client
        self._region_name = region_name
        self._ttl_s = ttl_s
        self._clock = clock
        self._flags = Flags()
        self._read_at: float | None = None
        self._lock = threading.Lock()
        self._last_warning = -_WARN_EVERY_S

    def last_known(self) -> Flags:
        return self._flags

    def current(self) -> Flags:
        now = self._clock()
        if self._read_at is not None and now - self._read_at < self._ttl_s:
            return self._flags
        with self._lock:  # one reader refreshes; the others wait for it, then use its values
            if self._read_at is None or self._clock() - self._read_at >= self._ttl_s:
                self._refresh()
                self._read_at = self._clock()
        return self._flags

    def _refresh(self) -> None:
        names = [f"{self.path}/{flag}" for flag in FLAG_NAMES]
        try:
            response = self._get_client().get_parameters(Names=names)
            values = {
                p["Name"].rsplit("/", 1)[-1]: str(p["Value"])
                for p in response.get("Parameters", [])
            }
        except Exception as exc:  # noqa: BLE001 - keep the last values; never fail a request
            now = time.monotonic()
            if now - self._last_warning >= _WARN_EVERY_S:
                self._last_warning = now
                _log.warning("runbook flags under %s unreadable (%s); keeping the last values",
                             self.path, type(exc).__name__)  # fmt: skip
            return
        self._flags = parse_flags(values)

    def _get_client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # Flags must answer fast or not at all: short timeouts, one retry.
            self._client = boto3.client(
                "ssm",
                region_name=self._region_name,
                config=Config(connect_timeout=1, read_timeout=1,
                              retries={"max_attempts": 2, "mode": "standard"}),
            )  # fmt: skip
        return self._client
