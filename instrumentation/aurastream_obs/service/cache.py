"""Result caches: an in-process LRU with TTL (default) and DynamoDB (shared across instances).

Keys come from `cache_key()`: sha256 of the normalised text (stripped, whitespace collapsed,
lower-cased) and the language. Lower-casing trades a little fidelity (VADER boosts ALL-CAPS
words) for a higher hit rate; the key never contains the text itself.

A cache never fails a request: DynamoDB errors are logged (rate-limited), counted in `errors`,
recorded on the current span (the app's `cache.lookup`) and answered as a miss.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from opentelemetry import trace

from aurastream_obs.core.env import env_float, env_str
from aurastream_obs.service import config
from aurastream_obs.service.analyzer import AnalysisResult, parse_sentiment

_log = logging.getLogger("aurastream_obs")

DEFAULT_MAX_ENTRIES: Final = 10_000
DEFAULT_TTL_S: Final = 3600.0
_WARN_EVERY_S: Final = 60.0


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def cache_key(text: str, language_code: str) -> str:
    """The `text_hash` key: sha256 hex of the language and the normalised text."""
    return hashlib.sha256(f"{language_code}\n{normalise(text)}".encode()).hexdigest()


class Cache(Protocol):
    @property
    def name(self) -> str:
        """Low-cardinality cache kind, recorded as `aurastream.cache.type`."""
        ...

    @property
    def blocking(self) -> bool:
        """True when calls do network I/O: the app then runs them in a worker thread."""
        ...

    @property
    def errors(self) -> int:
        """Operations that failed and were answered as a miss (or a dropped write)."""
        ...

    def get(self, key: str) -> AnalysisResult | None: ...

    def put(self, key: str, result: AnalysisResult) -> None: ...


class TTLCache:
    """Thread-safe LRU with a fixed time-to-live per entry; the clock is injectable for tests."""

    name: Final = "memory"
    blocking: Final = False
    errors: Final = 0

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_seconds: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1 or ttl_seconds <= 0:
            raise ValueError("max_entries must be >= 1 and ttl_seconds > 0")
        self._max = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, AnalysisResult]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> AnalysisResult | None:
        now = self._clock()
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires_at, result = entry
            if expires_at <= now:
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return result

    def put(self, key: str, result: AnalysisResult) -> None:
        expires_at = self._clock() + self._ttl
        with self._lock:
            self._data[key] = (expires_at, result)
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class DynamoDBCache:
    """DynamoDB table with string hash key `text_hash`; `expires_at` suits DynamoDB TTL."""

    name: Final = "dynamodb"
    blocking: Final = True

    def __init__(
        self,
        table_name: str,
        client: Any = None,
        *,
        ttl_seconds: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
        region_name: str | None = None,
    ) -> None:
        self.table_name = table_name
        self._client = client
        self._region_name = region_name
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._errors = 0
        self._last_warning = -_WARN_EVERY_S
        self._expected: tuple[type[BaseException], ...] | None = None

    @property
    def errors(self) -> int:
        return self._errors

    def _get_client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    # A cache must answer fast or not at all: short timeouts, one retry.
                    self._client = boto3.client(
                        "dynamodb",
                        region_name=self._region_name,
                        config=Config(
                            connect_timeout=1,
                            read_timeout=1,
                            retries={"max_attempts": 2, "mode": "standard"},
                        ),
                    )
        return self._client

    def _expected_errors(self) -> tuple[type[BaseException], ...]:
        if self._expected is None:
            from botocore.exceptions import BotoCoreError, ClientError

            # KeyError/ValueError/TypeError: an item written by something else, malformed.
            self._expected = (BotoCoreError, ClientError, KeyError, ValueError, TypeError)
        return self._expected

    def get(self, key: str) -> AnalysisResult | None:
        try:
            response = self._get_client().get_item(
                TableName=self.table_name, Key={"text_hash": {"S": key}}
            )
            item = response.get("Item")
            if item is None or float(item["expires_at"]["N"]) <= self._clock():
                return None  # DynamoDB TTL deletes lazily (up to days later): check ourselves
            return _from_item(item)
        except self._expected_errors() as exc:
            self._failed("get", exc)
            return None

    def put(self, key: str, result: AnalysisResult) -> None:
        now = self._clock()
        item = {
            "text_hash": {"S": key},
            "sentiment": {"S": result.sentiment},
            **{name: {"N": repr(value)} for name, value in result.scores().items()},
            "created_at": {"N": str(int(now))},
            "expires_at": {"N": str(int(now + self._ttl))},
        }
        try:
            self._get_client().put_item(TableName=self.table_name, Item=item)
        except self._expected_errors() as exc:
            self._failed("put", exc)

    def _failed(self, operation: str, exc: BaseException) -> None:
        with self._lock:
            self._errors += 1
            now = time.monotonic()
            warn = now - self._last_warning >= _WARN_EVERY_S
            if warn:
                self._last_warning = now
        error_code = _error_code(exc)
        if warn:
            _log.warning(
                "DynamoDB cache %s on %s failed (%s); serving as a cache miss",
                operation,
                self.table_name,
                error_code,
            )
        try:
            span = trace.get_current_span()
            span.record_exception(exc)
            span.set_attribute("error.type", error_code)
        except Exception:  # noqa: BLE001 - telemetry boundary
            _log.debug("could not record cache error on span", exc_info=True)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(exc).__name__


def _from_item(item: Mapping[str, Any]) -> AnalysisResult:
    sentiment = parse_sentiment(item["sentiment"]["S"])
    if sentiment is None:
        raise ValueError("cached item has no valid sentiment")
    return AnalysisResult(
        sentiment=sentiment,
        positive=float(item["positive"]["N"]),
        negative=float(item["negative"]["N"]),
        neutral=float(item["neutral"]["N"]),
        mixed=float(item["mixed"]["N"]),
    )


def cache_from_env(env: Mapping[str, str] | None = None) -> Cache:
    """`AURASTREAM_CACHE_TABLE` selects DynamoDB; otherwise an in-process TTL cache."""
    env = os.environ if env is None else env
    ttl = env_float(env, config.CACHE_TTL, DEFAULT_TTL_S, minimum=1.0)
    table = env_str(env, config.CACHE_TABLE)
    if table:
        return DynamoDBCache(table, ttl_seconds=ttl)
    return TTLCache(ttl_seconds=ttl)
