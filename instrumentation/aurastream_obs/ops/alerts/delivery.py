"""POST JSON with bounded retries inside one deadline: exponential backoff on 429/5xx/network
errors, honouring `Retry-After` when it fits, each attempt's socket timeout cut to what is left
of the deadline. Outcomes never carry the URL or the body (both may hold secrets: a Slack
webhook URL is a credential, a PagerDuty body holds the routing key)."""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from aurastream_obs.ops.alerts.ledger import Deadline

_RETRYABLE: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
MIN_ATTEMPT_S: Final = 0.05  # an attempt with less time left than this is not started


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.25
    max_delay_s: float = 2.0
    timeout_s: float = 5.0  # per attempt, never beyond the request's deadline


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    status: int | None  # last HTTP status, None for a network error or no attempt
    detail: str  # safe to log: no URL, no body


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as delta-seconds or an HTTP-date; None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Poster:
    """`post(url, payload, deadline) -> Outcome`. `sleep` is injectable for tests."""

    def __init__(
        self,
        policy: RetryPolicy = RetryPolicy(),
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self._sleep = sleep

    def post(self, url: str, payload: object, deadline: Deadline) -> Outcome:
        body = json.dumps(payload).encode()
        policy = self.policy
        status: int | None = None
        detail = "deadline passed before the first attempt"
        attempts = 0
        while attempts < policy.max_attempts:
            remaining = deadline.remaining()
            if remaining < MIN_ATTEMPT_S:
                return Outcome(False, attempts, status, detail + "; deadline reached")
            attempts += 1
            retry_after: float | None = None
            try:
                status = self._send(url, body, min(policy.timeout_s, remaining))
                if 200 <= status < 300:
                    return Outcome(True, attempts, status, f"HTTP {status}")
                detail = f"HTTP {status}"
            except urllib.error.HTTPError as exc:
                status, detail = exc.code, f"HTTP {exc.code}"
                retry_after = retry_after_seconds(exc.headers.get("Retry-After"))
                exc.close()
            except (urllib.error.URLError, OSError) as exc:
                status, detail = None, f"network error ({_reason(exc)})"
            if status is not None and status not in _RETRYABLE:
                return Outcome(False, attempts, status, detail)  # 4xx: retrying will not help
            if attempts == policy.max_attempts:
                break
            delay = min(policy.base_delay_s * 2 ** (attempts - 1), policy.max_delay_s)
            if retry_after is not None:
                delay = max(delay, retry_after)
            if delay + MIN_ATTEMPT_S > deadline.remaining():
                return Outcome(False, attempts, status, detail + "; no time left to retry")
            self._sleep(delay)
        return Outcome(False, attempts, status, detail + "; attempts exhausted")

    def _send(self, url: str, body: bytes, timeout: float) -> int:
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        # Callers pass only configured https/http endpoint URLs (never user input).
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(64 * 1024)
            return int(response.status)


def _reason(exc: BaseException) -> str:
    """The exception class (a timeout reads `TimeoutError`), never its text: a URLError's text
    can quote the URL."""
    inner = getattr(exc, "reason", None)
    return type(inner if isinstance(inner, BaseException) else exc).__name__
