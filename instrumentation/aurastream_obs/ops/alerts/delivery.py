"""POST JSON with bounded retries: exponential backoff on 429/5xx/network errors, honouring
`Retry-After`, within a total time budget. Outcomes never carry the URL or the body (both may
hold secrets: a Slack webhook URL is a credential, a PagerDuty body holds the routing key)."""

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

_RETRYABLE: Final = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    budget_s: float = 20.0  # total time for one delivery, sleeps included
    timeout_s: float = 5.0  # per request


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    status: int | None  # last HTTP status, None for a network error
    detail: str  # safe to log: no URL, no body


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as delta-seconds or an HTTP-date; None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Poster:
    """`post(url, payload) -> Outcome`. `sleep` and `clock` are injectable for tests."""

    def __init__(
        self,
        policy: RetryPolicy = RetryPolicy(),
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._clock = clock

    def post(self, url: str, payload: object) -> Outcome:
        body = json.dumps(payload).encode()
        policy = self.policy
        deadline = self._clock() + policy.budget_s
        status: int | None = None
        detail = "not attempted"
        for attempt in range(1, policy.max_attempts + 1):
            retry_after: float | None = None
            try:
                status = self._send(url, body)
                if 200 <= status < 300:
                    return Outcome(True, attempt, status, f"HTTP {status}")
                detail = f"HTTP {status}"
            except urllib.error.HTTPError as exc:
                status, detail = exc.code, f"HTTP {exc.code}"
                retry_after = retry_after_seconds(exc.headers.get("Retry-After"))
                exc.close()
            except (urllib.error.URLError, OSError) as exc:
                status, detail = None, f"network error ({type(exc).__name__})"
            if status is not None and status not in _RETRYABLE:
                return Outcome(False, attempt, status, detail)  # 4xx: retrying will not help
            if attempt == policy.max_attempts:
                break
            delay = min(policy.base_delay_s * 2 ** (attempt - 1), policy.max_delay_s)
            if retry_after is not None:
                delay = max(delay, retry_after)
            if self._clock() + delay > deadline:
                detail += "; retry budget exhausted"
                return Outcome(False, attempt, status, detail)
            self._sleep(delay)
        return Outcome(False, policy.max_attempts, status, detail + "; attempts exhausted")

    def _send(self, url: str, body: bytes) -> int:
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        # Callers pass only configured https/http endpoint URLs (never user input).
        with urllib.request.urlopen(request, timeout=self.policy.timeout_s) as response:
            response.read(64 * 1024)
            return int(response.status)
