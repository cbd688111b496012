"""Analyzers: the lexicon mapping, the slowness knob, Comprehend's response mapping."""

from __future__ import annotations

from typing import Any

import pytest

from aurastream_obs.service import ComprehendAnalyzer, LexiconAnalyzer, analyzer_from_env
from aurastream_obs.service.analyzer import classify


@pytest.fixture(scope="module")
def lexicon() -> LexiconAnalyzer:
    return LexiconAnalyzer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love this product, it is absolutely wonderful!", "POSITIVE"),
        ("Great service and friendly staff. Highly recommended.", "POSITIVE"),
        ("This is terrible, I hate it and want a refund.", "NEGATIVE"),
        ("The worst experience ever. Awful and broken.", "NEGATIVE"),
        ("The package arrived on Tuesday.", "NEUTRAL"),
        ("I love the camera but I hate the battery.", "MIXED"),
        ("Amazing staff, horrible rooms", "MIXED"),
    ],
)
def test_lexicon_labels(lexicon: LexiconAnalyzer, text: str, expected: str) -> None:
    result = lexicon.analyze(text, "en")
    assert result.sentiment == expected
    scores = result.scores()
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.confidence == max(scores.values()) > 0.5
    assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_classify_edges() -> None:
    assert classify(0.0, 1.0, 0.0, 0.0).sentiment == "NEUTRAL"
    assert classify(0.0, 1.0, 0.0, 0.0).neutral == 1.0
    assert classify(0.0, 0.5, 0.5, 0.05).sentiment == "POSITIVE"
    assert classify(0.5, 0.5, 0.0, -0.05).sentiment == "NEGATIVE"
    mixed = classify(0.3, 0.4, 0.3, 0.0)
    assert mixed.sentiment == "MIXED" and mixed.mixed == pytest.approx(0.8)


def test_slowness_is_deterministic_by_text() -> None:
    slept: list[float] = []
    analyzer = LexiconAnalyzer(slow_fraction=0.3, slow_seconds=0.5, sleep=slept.append)
    assert analyzer.blocking
    texts = [f"review number {i} was good" for i in range(400)]
    for text in texts:
        analyzer.analyze(text, "en")
    first = len(slept)
    assert 80 <= first <= 160  # ~30 % of 400
    assert set(slept) == {0.5}
    for text in texts:  # the same texts are slow again: reproducible runs
        analyzer.analyze(text, "en")
    assert len(slept) == 2 * first
    assert not LexiconAnalyzer().blocking


class FakeComprehend:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def detect_sentiment(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {
            "Sentiment": "MIXED",
            "SentimentScore": {"Positive": 0.3, "Negative": 0.2, "Neutral": 0.1, "Mixed": 0.4},
        }


def test_comprehend_maps_response() -> None:
    client = FakeComprehend()
    analyzer = ComprehendAnalyzer(client)
    result = analyzer.analyze("Bonjour", "fr")
    assert client.calls == [{"Text": "Bonjour", "LanguageCode": "fr"}]
    assert result.sentiment == "MIXED" and result.confidence == 0.4
    assert result.scores() == {"positive": 0.3, "negative": 0.2, "neutral": 0.1, "mixed": 0.4}
    assert analyzer.blocking and "zh-TW" in analyzer.languages


def test_comprehend_rejects_unknown_label() -> None:
    class Weird(FakeComprehend):
        def detect_sentiment(self, **kwargs: Any) -> dict[str, Any]:
            return {**super().detect_sentiment(**kwargs), "Sentiment": "ELATED"}

    with pytest.raises(ValueError, match="ELATED"):
        ComprehendAnalyzer(Weird()).analyze("x", "en")


def test_analyzer_from_env() -> None:
    assert isinstance(analyzer_from_env({}), LexiconAnalyzer)
    assert isinstance(analyzer_from_env({"AURASTREAM_ANALYZER": "Comprehend"}), ComprehendAnalyzer)
    assert isinstance(analyzer_from_env({"AURASTREAM_ANALYZER": "bogus"}), LexiconAnalyzer)
