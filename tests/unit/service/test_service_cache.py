"""TTLCache (LRU + TTL, injected clock) and the cache key."""

from __future__ import annotations

import threading

import pytest

from aurastream_obs.service import AnalysisResult, TTLCache, cache_from_env, cache_key
from aurastream_obs.service.cache import DynamoDBCache

RESULT = AnalysisResult("POSITIVE", 0.9, 0.02, 0.08, 0.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_get_put_and_ttl_expiry() -> None:
    clock = Clock()
    cache = TTLCache(ttl_seconds=60, clock=clock)
    assert cache.get("k") is None
    cache.put("k", RESULT)
    clock.now += 59.9
    assert cache.get("k") == RESULT
    clock.now += 0.1
    assert cache.get("k") is None
    assert len(cache) == 0  # expired entries are dropped on read


def test_lru_eviction_keeps_recently_used() -> None:
    cache = TTLCache(max_entries=2, clock=Clock())
    cache.put("a", RESULT)
    cache.put("b", RESULT)
    assert cache.get("a") == RESULT  # "a" is now the most recent
    cache.put("c", RESULT)
    assert cache.get("b") is None
    assert cache.get("a") == RESULT and cache.get("c") == RESULT
    assert len(cache) == 2


def test_defaults_and_validation() -> None:
    cache = TTLCache()
    assert cache._max == 10_000 and cache._ttl == 3600.0
    with pytest.raises(ValueError):
        TTLCache(max_entries=0)


def test_concurrent_use_stays_bounded() -> None:
    cache = TTLCache(max_entries=50)

    def worker(n: int) -> None:
        for i in range(500):
            cache.put(f"{n}-{i}", RESULT)
            cache.get(f"{n}-{i // 2}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50


def test_cache_key_normalises_and_separates_languages() -> None:
    key = cache_key("  Hello   World\n", "en")
    assert key == cache_key("hello world", "en")
    assert key != cache_key("hello world", "fr")
    assert key != cache_key("hello  worlds", "en")
    assert len(key) == 64 and "hello" not in key


def test_cache_from_env() -> None:
    assert isinstance(cache_from_env({}), TTLCache)
    dynamo = cache_from_env({"AURASTREAM_CACHE_TABLE": "SentimentCache"})
    assert isinstance(dynamo, DynamoDBCache) and dynamo.table_name == "SentimentCache"
