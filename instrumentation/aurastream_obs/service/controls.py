"""What the runbooks can change in a running service, read from its flags (`flags.py`):

- **circuit breaker** open: requests that need the analyzer (cache misses) are shed with a 503
  `circuit_open` (`Retry-After`) and one log line each; cache hits are still answered;
- **analyzer failover**: the named analyzer (e.g. `lexicon` while Comprehend is down, or back)
  analyzes instead of the configured one;
- **cache warming**: on each new warm request, a background thread re-analyzes the most
  requested recent texts whose results are not in the cache.

The recent texts are kept in memory only (`RecentTexts`: bounded, keyed by the cache key, a
hash), never logged nor exported: they are customer content. None is kept when no flag source
is configured (nothing could ask for a warm-up) or `AURASTREAM_RECENT_TEXTS=0`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Final

from aurastream_obs.core.env import env_float, env_int, env_str
from aurastream_obs.service import config
from aurastream_obs.service.analyzer import Analyzer, ComprehendAnalyzer, LexiconAnalyzer
from aurastream_obs.service.cache import Cache
from aurastream_obs.service.flags import DEFAULT_TTL_S, Flags, FlagSource, NoFlags, SsmFlags
from aurastream_obs.service.http import HttpError

_log = logging.getLogger("aurastream_obs")
DEFAULT_RECENT_TEXTS: Final = 500
WARM_LIMIT: Final = 50  # texts re-analyzed per warm-up
SHED_RETRY_AFTER_S: Final = 30


class RecentTexts:
    """The most recently requested texts with their request counts, at most `max_entries`
    (least recently requested evicted first); `popular(n)`: the n most requested."""

    def __init__(self, max_entries: int = DEFAULT_RECENT_TEXTS) -> None:
        self._max = max_entries
        self._data: OrderedDict[str, list[object]] = OrderedDict()  # key -> [count, text, lang]
        self._lock = threading.Lock()

    def record(self, key: str, text: str, language: str) -> None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self._data[key] = [1, text, language]
                while len(self._data) > self._max:
                    self._data.popitem(last=False)
            else:
                entry[0] = int(str(entry[0])) + 1
                self._data.move_to_end(key)

    def popular(self, n: int) -> list[tuple[str, str, str]]:
        """(key, text, language) of the `n` most requested, most requested first."""
        with self._lock:
            items = [(int(str(e[0])), k, str(e[1]), str(e[2])) for k, e in self._data.items()]
        items.sort(key=lambda item: -item[0])
        return [(key, text, language) for _, key, text, language in items[:n]]

    def __len__(self) -> int:
        return len(self._data)


class ServiceControls:
    def __init__(
        self,
        flags: FlagSource | None = None,
        *,
        fallbacks: Mapping[str, Analyzer] | None = None,
        recent: RecentTexts | None = None,
        warm_limit: int = WARM_LIMIT,
    ) -> None:
        self.flags = flags or NoFlags()
        self.fallbacks = dict(fallbacks or {})
        self.recent = recent
        self._warm_limit = warm_limit
        self._warm_seen: str | None = None
        self._warm_lock = threading.Lock()
        self.warmed = threading.Event()  # set after each warm-up (tests wait on it)
        self.last_warmed = 0

    @property
    def blocking(self) -> bool:
        return self.flags.blocking or any(a.blocking for a in self.fallbacks.values())

    def begin(self, primary: Analyzer, cache: Cache) -> tuple[Analyzer, bool]:
        """Read the flags once for a request: (the analyzer to use, shed misses?)."""
        flags = self.flags.current()
        self._maybe_warm(flags, primary, cache)
        return self._analyzer(flags, primary), flags.circuit_open

    def health(self, primary: Analyzer) -> dict[str, str]:
        """The analyzer's health entry, from the flags as last read (no I/O)."""
        flags = self.flags.last_known()
        status = "shed" if flags.circuit_open else "ok"
        return {"status": status, "name": self._analyzer(flags, primary).name}

    def seen(self, key: str, text: str, language: str) -> None:
        if self.recent is not None:
            self.recent.record(key, text, language)

    def shed(self) -> HttpError:
        """The 503 for a request the breaker sheds (the app logs it: one `error` event)."""
        message = "The analyzer is temporarily shed (circuit breaker open); retry later"
        retry = [(b"retry-after", str(SHED_RETRY_AFTER_S).encode())]
        return HttpError(503, "circuit_open", message, retry)

    def _analyzer(self, flags: Flags, primary: Analyzer) -> Analyzer:
        if flags.failover is None or flags.failover == primary.name:
            return primary
        return self.fallbacks.get(flags.failover, primary)

    def _maybe_warm(self, flags: Flags, primary: Analyzer, cache: Cache) -> None:
        request = flags.warm_request
        if request is None or self.recent is None:
            return
        with self._warm_lock:
            if request == self._warm_seen:
                return
            self._warm_seen = request
        self.warmed.clear()
        analyzer = self._analyzer(flags, primary)
        shed = flags.circuit_open
        threading.Thread(
            target=self._warm, args=(analyzer, cache, shed), name="cache-warm", daemon=True
        ).start()

    def _warm(self, analyzer: Analyzer, cache: Cache, shed: bool) -> None:
        warmed = candidates = 0
        popular = self.recent.popular(self._warm_limit) if self.recent and not shed else []
        try:
            for key, text, language in popular:
                candidates += 1
                if language not in analyzer.languages or cache.get(key) is not None:
                    continue
                cache.put(key, analyzer.analyze(text, language))
                warmed += 1
        except Exception as exc:  # noqa: BLE001 - a warm-up must never hurt the service
            _log.warning("cache warm-up stopped (%s) after %d entries", type(exc).__name__, warmed)
        else:
            skipped = " (skipped: circuit breaker open)" if shed else ""
            _log.info("cache warm-up: re-analyzed %d of the %d most requested recent texts%s",
                      warmed, candidates, skipped)  # fmt: skip
        self.last_warmed = warmed
        self.warmed.set()


def controls_from_env(primary: Analyzer, env: Mapping[str, str] | None = None) -> ServiceControls:
    """`AURASTREAM_FLAGS_SSM_PATH` set: flags from SSM (cached `AURASTREAM_FLAGS_TTL_SECONDS`),
    the other analyzer as failover, `AURASTREAM_RECENT_TEXTS` recent texts for warm-ups."""
    env = os.environ if env is None else env
    path = env_str(env, config.FLAGS_SSM_PATH)
    if not path:
        return ServiceControls()
    ttl = env_float(env, config.FLAGS_TTL, DEFAULT_TTL_S, minimum=1.0)
    kept = env_int(env, config.RECENT_TEXTS, DEFAULT_RECENT_TEXTS, maximum=100_000)
    other: Analyzer = LexiconAnalyzer() if primary.name != "lexicon" else ComprehendAnalyzer()
    return ServiceControls(
        SsmFlags(path, ttl_s=ttl),
        fallbacks={other.name: other},
        recent=RecentTexts(kept) if kept else None,
    )
