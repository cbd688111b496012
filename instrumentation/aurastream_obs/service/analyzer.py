"""Sentiment analyzers: an in-process lexicon one (default) and Amazon Comprehend.

Both answer Comprehend's shape: one of four labels plus a score per label. Neither sees
telemetry: the app wraps each call in a `sentiment.analyze` span (so custom analyzers get it too).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from aurastream_obs.core.env import env_str, warn_invalid
from aurastream_obs.service import config

Sentiment = Literal["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"]

# Amazon Comprehend DetectSentiment languages (API reference, LanguageCode).
COMPREHEND_LANGUAGES: Final = frozenset(
    {"ar", "hi", "ko", "zh-TW", "ja", "zh", "de", "pt", "en", "it", "fr", "es"}
)

_LABELS: Final[dict[str, Sentiment]] = {
    "POSITIVE": "POSITIVE",
    "NEGATIVE": "NEGATIVE",
    "NEUTRAL": "NEUTRAL",
    "MIXED": "MIXED",
}

# VADER's documented thresholds for the compound score.
_POSITIVE_COMPOUND: Final = 0.05
_NEGATIVE_COMPOUND: Final = -0.05
# MIXED: both sides carry real weight. "I love the camera but hate the battery" scores
# pos 0.18 / neg 0.35; "This is terrible, I hate it" pos 0.09 / neg 0.45 (not mixed).
_MIXED_MIN_SHARE: Final = 0.15
_MIXED_MIN_RATIO: Final = 0.4


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    sentiment: Sentiment
    positive: float
    negative: float
    neutral: float
    mixed: float

    @property
    def confidence(self) -> float:
        """Score of the winning label."""
        return float(getattr(self, self.sentiment.lower()))

    def scores(self) -> dict[str, float]:
        return {
            "positive": self.positive,
            "negative": self.negative,
            "neutral": self.neutral,
            "mixed": self.mixed,
        }


class Analyzer(Protocol):
    """What the service needs from an analyzer."""

    @property
    def name(self) -> str:
        """Low-cardinality name, recorded as `aurastream.analyzer`."""
        ...

    @property
    def languages(self) -> frozenset[str]:
        """Language codes accepted; others are rejected with 400 before analysis."""
        ...

    @property
    def blocking(self) -> bool:
        """True when a call waits on I/O (or sleeps): the app then runs it in a worker thread."""
        ...

    def analyze(self, text: str, language_code: str) -> AnalysisResult: ...


def parse_sentiment(value: object) -> Sentiment | None:
    """The label for a (case-insensitive) sentiment string, or None."""
    return _LABELS.get(str(value).upper())


def _is_slow(text: str, fraction: float) -> bool:
    """Deterministic pick of `fraction` of the texts (by hash) so demo runs are reproducible."""
    if fraction <= 0.0:
        return False
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 < fraction


class _Slowness:
    """The demo's artificial latency: `slow_fraction` of texts take `slow_seconds` more."""

    def __init__(
        self, slow_fraction: float, slow_seconds: float, sleep: Callable[[float], None]
    ) -> None:
        self.slow_fraction = min(max(slow_fraction, 0.0), 1.0)
        self.slow_seconds = max(slow_seconds, 0.0)
        self._sleep = sleep

    @property
    def active(self) -> bool:
        return self.slow_fraction > 0.0 and self.slow_seconds > 0.0

    def maybe_sleep(self, text: str) -> None:
        if self.active and _is_slow(text, self.slow_fraction):
            self._sleep(self.slow_seconds)


def classify(neg: float, neu: float, pos: float, compound: float) -> AnalysisResult:
    """Map VADER's scores to Comprehend's four labels.

    The label comes from the rules above; the winner's score is its confidence (> 0.5) and the
    rest of the mass is shared by the other labels in proportion to VADER's shares. A heuristic
    calibration, not a probability.
    """
    both = min(pos, neg)
    label: Sentiment
    if both >= _MIXED_MIN_SHARE and both >= _MIXED_MIN_RATIO * max(pos, neg):
        label, confidence = "MIXED", 0.5 + both
    elif compound >= _POSITIVE_COMPOUND:
        label, confidence = "POSITIVE", 0.5 + 0.5 * compound
    elif compound <= _NEGATIVE_COMPOUND:
        label, confidence = "NEGATIVE", 0.5 - 0.5 * compound
    else:
        label, confidence = "NEUTRAL", 1.0 - 5.0 * abs(compound)
    confidence = min(max(confidence, 0.5), 1.0)
    weights = {"POSITIVE": pos, "NEGATIVE": neg, "NEUTRAL": neu, "MIXED": 2.0 * both}
    del weights[label]
    total = sum(weights.values())
    rest = 1.0 - confidence
    shares = {k: (rest * w / total if total > 0 else rest / 3.0) for k, w in weights.items()}
    shares[label] = confidence
    return AnalysisResult(
        sentiment=label,
        positive=round(shares["POSITIVE"], 4),
        negative=round(shares["NEGATIVE"], 4),
        neutral=round(shares["NEUTRAL"], 4),
        mixed=round(shares["MIXED"], 4),
    )


class LexiconAnalyzer:
    """vaderSentiment (English lexicon shipped in its package): no network, ~40 µs per text."""

    name: Final = "lexicon"
    languages: Final = frozenset({"en"})

    def __init__(
        self,
        *,
        slow_fraction: float = 0.0,
        slow_seconds: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._slowness = _Slowness(slow_fraction, slow_seconds, sleep)
        self._vader: Any = None
        self._lock = threading.Lock()

    @property
    def blocking(self) -> bool:
        # CPU-bound and short: a worker thread would cost more than it saves (GIL), unless
        # the demo's artificial sleep is on.
        return self._slowness.active

    def _analyzer(self) -> Any:
        if self._vader is None:
            with self._lock:
                if self._vader is None:  # loading the lexicon takes ~15 ms: once, lazily
                    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                    self._vader = SentimentIntensityAnalyzer()
        return self._vader

    def warm_up(self) -> None:
        """Load the lexicon now (the app calls this at ASGI lifespan startup)."""
        self._analyzer()

    def analyze(self, text: str, language_code: str) -> AnalysisResult:
        self._slowness.maybe_sleep(text)
        scores: Mapping[str, float] = self._analyzer().polarity_scores(text)
        return classify(scores["neg"], scores["neu"], scores["pos"], scores["compound"])


class ComprehendAnalyzer:
    """Amazon Comprehend DetectSentiment (boto3 is imported on first use)."""

    name: Final = "comprehend"
    languages: Final = COMPREHEND_LANGUAGES
    blocking: Final = True

    def __init__(
        self,
        client: Any = None,
        *,
        region_name: str | None = None,
        slow_fraction: float = 0.0,
        slow_seconds: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._region_name = region_name
        self._slowness = _Slowness(slow_fraction, slow_seconds, sleep)
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    # Bounded waits: a slow Comprehend must surface as an error, not a hang.
                    self._client = boto3.client(
                        "comprehend",
                        region_name=self._region_name,
                        config=Config(
                            connect_timeout=2,
                            read_timeout=5,
                            retries={"max_attempts": 3, "mode": "standard"},
                        ),
                    )
        return self._client

    def analyze(self, text: str, language_code: str) -> AnalysisResult:
        self._slowness.maybe_sleep(text)
        response = self._get_client().detect_sentiment(Text=text, LanguageCode=language_code)
        score = response["SentimentScore"]
        sentiment = parse_sentiment(response["Sentiment"])
        if sentiment is None:
            raise ValueError(f"unexpected Comprehend sentiment {response['Sentiment']!r}")
        return AnalysisResult(
            sentiment=sentiment,
            positive=float(score["Positive"]),
            negative=float(score["Negative"]),
            neutral=float(score["Neutral"]),
            mixed=float(score["Mixed"]),
        )


def analyzer_from_env(env: Mapping[str, str] | None = None) -> Analyzer:
    """`AURASTREAM_ANALYZER=comprehend` selects Comprehend; anything else the lexicon."""
    env = os.environ if env is None else env
    choice = (env_str(env, config.ANALYZER) or "lexicon").lower()
    if choice == "comprehend":
        return ComprehendAnalyzer()
    if choice != "lexicon":
        warn_invalid(config.ANALYZER.name, choice, "lexicon")
    return LexiconAnalyzer()
