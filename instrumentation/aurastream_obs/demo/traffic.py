"""The demo's traffic mix, planned up front from a seed (same seed, same requests).

Per request the plan says what to send and which status to expect. The mix:
- ~4 % `GET /v1/health`;
- ~5 % client errors, in turn: empty text, text over 5,000 bytes, invalid JSON (400), missing
  and unknown API key (401);
- ~3 % slow analyses: new texts that the service's LexiconAnalyzer slows down (its slow knob
  picks a fixed fraction of texts by hash; `SlowTextOracle` asks a twin analyzer which ones);
- the rest ordinary analyses from three demo customers, ~66 % of them re-sending a text sent
  at least `repeat_distance` requests earlier, so its first answer is cached: with the slow
  (always new) ones this gives a cache hit rate near 60 %;
- one customer (`churned`, initech) stops calling after the first `churn_at` (half) of the
  plan, its share going to the others: the business view finds it at risk from its usage
  alone (the runner sends the two halves with a metric export in between).

Ordinary texts are never slow, so a repeat that races its first request (a miss both times)
costs no extra latency, and the number of slow requests is exactly as planned.
"""

from __future__ import annotations

import json
import random
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from aurastream_obs.demo.reviews import OVERSIZED_TEXT, REVIEWS, TAILS
from aurastream_obs.service import LexiconAnalyzer, cache_key
from aurastream_obs.service.customers import API_KEY_HEADER, DEMO_API_KEYS

RequestKind = Literal[
    "analyze",
    "slow",
    "health",
    "empty_text",
    "oversized_text",
    "invalid_json",
    "missing_key",
    "unknown_key",
]
CLIENT_ERROR_KINDS: Final[tuple[RequestKind, ...]] = (
    "empty_text",
    "oversized_text",
    "invalid_json",
    "missing_key",
    "unknown_key",
)
ANALYZE_PATH: Final = "/v1/analyze"
HEALTH_PATH: Final = "/v1/health"
LANGUAGE: Final = "en"
UNKNOWN_API_KEY: Final = "demo-key-expired"
# Share of the demo customers' traffic, in DEMO_API_KEYS order.
CUSTOMER_WEIGHTS: Final = (0.5, 0.3, 0.2)


@dataclass(frozen=True)
class TrafficMix:
    health: float = 0.04
    client_errors: float = 0.05
    slow: float = 0.03
    repeat: float = 0.66
    repeat_distance: int = 16
    churned: str | None = "initech"  # this customer's requests stop at `churn_at` of the plan
    churn_at: float = 0.5

    def kinds(self, total: int, rng: random.Random) -> list[RequestKind]:
        """`total` request kinds in the mix's proportions, shuffled."""
        health = round(total * self.health)
        errors = round(total * self.client_errors)
        slow = round(total * self.slow)
        if total >= 10 and slow == 0:  # keep at least one slow request in small runs
            slow = 1
        analyze = max(0, total - health - errors - slow)
        per_kind: tuple[tuple[RequestKind, int], ...] = (
            ("health", health),
            ("slow", slow),
            ("analyze", analyze),
        )
        kinds = [kind for kind, n in per_kind for _ in range(n)]
        kinds += [CLIENT_ERROR_KINDS[i % len(CLIENT_ERROR_KINDS)] for i in range(errors)]
        rng.shuffle(kinds)
        return kinds[:total]


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    index: int
    kind: RequestKind
    method: str
    path: str
    expected_status: int
    body: bytes | None = None
    api_key: str | None = None
    customer_id: str | None = None

    def headers(self, user_agent: str) -> dict[str, str]:
        headers = {"user-agent": user_agent, "accept": "application/json"}
        if self.body is not None:
            headers["content-type"] = "application/json"
        if self.api_key is not None:
            headers[API_KEY_HEADER] = self.api_key
        return headers


class SlowTextOracle:
    """Which texts a `LexiconAnalyzer(slow_fraction=f)` slows down, asked of a twin analyzer
    whose sleep only records that it was called."""

    def __init__(self, slow_fraction: float) -> None:
        self._slept = False
        self._twin = LexiconAnalyzer(
            slow_fraction=slow_fraction, slow_seconds=1.0, sleep=self._record
        )

    def _record(self, _seconds: float) -> None:
        self._slept = True

    def __call__(self, text: str) -> bool:
        self._slept = False
        self._twin.analyze(text, LANGUAGE)
        return self._slept


class _TextSource:
    """New texts (never sent before, by cache key): the bare reviews first, then reviews with
    a context tail, then with an order number. Texts of the unwanted speed wait in a pool."""

    def __init__(self, rng: random.Random, is_slow: Callable[[str], bool]) -> None:
        self._rng = rng
        self._is_slow = is_slow
        self._candidates = self._generate()
        self._pools: dict[bool, deque[str]] = {True: deque(), False: deque()}
        self._used: set[str] = set()

    def _generate(self) -> Iterator[str]:
        bare = list(REVIEWS)
        self._rng.shuffle(bare)
        yield from bare
        combos = [f"{review} {tail}" for review in REVIEWS for tail in TAILS]
        self._rng.shuffle(combos)
        yield from combos
        while True:
            review = self._rng.choice(REVIEWS)
            yield f"{review} Order #{self._rng.randrange(100000, 1000000)}."

    def next(self, slow: bool) -> str:
        pool = self._pools[slow]
        while not pool:
            text = next(self._candidates)
            key = cache_key(text, LANGUAGE)
            if key in self._used:
                continue
            self._used.add(key)
            self._pools[self._is_slow(text)].append(text)
        return pool.popleft()


def _analyze_body(text: str) -> bytes:
    return json.dumps({"text": text, "language_code": LANGUAGE}).encode("utf-8")


def plan_traffic(
    total: int,
    seed: int,
    is_slow: Callable[[str], bool],
    *,
    mix: TrafficMix | None = None,
    customers: Mapping[str, str] | None = None,
) -> list[PlannedRequest]:
    """`total` requests in sending order. `customers` maps API keys to customer ids
    (default: the service's demo keys); `is_slow` tells which texts the service slows down."""
    mix = mix or TrafficMix()
    rng = random.Random(seed)
    keys = dict(customers) if customers is not None else _demo_customers()
    key_list = list(keys)
    weights = list(CUSTOMER_WEIGHTS[: len(key_list)]) + [0.1] * (len(key_list) - 3)
    kinds = mix.kinds(total, rng)
    texts = _TextSource(rng, is_slow)
    ordinary: list[tuple[int, str]] = []  # (index, text) of new ordinary texts, in order
    eligible = 0  # ordinary[:eligible] were planned at least repeat_distance requests ago
    plan: list[PlannedRequest] = []
    staying = [(k, w) for k, w in zip(key_list, weights, strict=True) if keys[k] != mix.churned]
    for index, kind in enumerate(kinds):
        key = rng.choices(key_list, weights)[0]
        if keys[key] == mix.churned and staying and index >= mix.churn_at * total:
            key = rng.choices([k for k, _ in staying], [w for _, w in staying])[0]
        customer = keys[key]
        while eligible < len(ordinary) and ordinary[eligible][0] <= index - mix.repeat_distance:
            eligible += 1
        if kind == "health":
            plan.append(PlannedRequest(index, kind, "GET", HEALTH_PATH, 200))
        elif kind == "analyze" and eligible and rng.random() < mix.repeat:
            text = ordinary[rng.randrange(eligible)][1]
            body = _analyze_body(text)
            plan.append(PlannedRequest(index, kind, "POST", ANALYZE_PATH, 200, body, key, customer))
        elif kind in ("analyze", "slow"):
            text = texts.next(slow=kind == "slow")
            if kind == "analyze":
                ordinary.append((index, text))
            body = _analyze_body(text)
            plan.append(PlannedRequest(index, kind, "POST", ANALYZE_PATH, 200, body, key, customer))
        else:
            plan.append(_client_error(index, kind, key, customer))
    return plan


def _client_error(index: int, kind: RequestKind, key: str, customer: str) -> PlannedRequest:
    if kind == "missing_key":
        return PlannedRequest(index, kind, "POST", ANALYZE_PATH, 401, _analyze_body(REVIEWS[0]))
    if kind == "unknown_key":
        body = _analyze_body(REVIEWS[1])
        return PlannedRequest(index, kind, "POST", ANALYZE_PATH, 401, body, UNKNOWN_API_KEY)
    if kind == "empty_text":
        body = _analyze_body("   ")
    elif kind == "oversized_text":
        body = _analyze_body(OVERSIZED_TEXT)
    else:  # invalid_json: a body cut short
        body = _analyze_body(REVIEWS[2])[:-7]
    return PlannedRequest(index, kind, "POST", ANALYZE_PATH, 400, body, key, customer)


def _demo_customers() -> dict[str, str]:
    return {key: customer.customer_id for key, customer in DEMO_API_KEYS.items()}


def expected_statuses(plan: list[PlannedRequest]) -> dict[int, int]:
    """Planned requests per expected status code."""
    counts: dict[int, int] = {}
    for request in plan:
        counts[request.expected_status] = counts.get(request.expected_status, 0) + 1
    return counts
