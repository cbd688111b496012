"""The Lambda mode's instruments: one series per attribute set however the dict is built
(order, the conventions' attribute filter, lists as tuples), the cardinality limit with its
overflow series, and nothing collected twice."""

from __future__ import annotations

from aurastream_obs.modes.awslambda.metrics import LambdaMeterProvider, MetricPoint


def _provider(limit: int = 2000) -> tuple[LambdaMeterProvider, list[list[MetricPoint]]]:
    flushed: list[list[MetricPoint]] = []
    provider = LambdaMeterProvider(lambda points: flushed.append(points) or True,
                                   cardinality_limit=limit)  # fmt: skip
    return provider, flushed


def test_one_series_per_attribute_set_whatever_the_dict() -> None:
    provider, _ = _provider()
    counter = provider.get_meter("t").create_counter("aurastream.sentiment.analyses")
    for _ in range(3):  # the memoised key serves the repeats
        counter.add(1, {"sentiment": "POSITIVE", "aurastream.analyzer": "lexicon"})
        counter.add(1, {"aurastream.analyzer": "lexicon", "sentiment": "POSITIVE"})
        counter.add(
            1, {"sentiment": "POSITIVE", "not.allowed": "x", "aurastream.analyzer": "lexicon"}
        )
    (point,) = provider.collect()
    assert point.value == 9.0
    assert point.attributes == {"aurastream.analyzer": "lexicon", "sentiment": "POSITIVE"}
    assert point.key == (("aurastream.analyzer", "lexicon"), ("sentiment", "POSITIVE"))
    assert provider.collect() == []  # collected once


def test_list_values_and_unhashable_attribute_sets() -> None:
    provider, _ = _provider()
    counter = provider.get_meter("t").create_counter("custom.tags")
    counter.add(2, {"tags": ["a", "b"]})  # a list: not memoised, still one series
    counter.add(3, {"tags": ("a", "b")})
    (point,) = provider.collect()
    assert point.value == 5.0 and point.attributes == {"tags": ("a", "b")}


def test_the_cardinality_limit_sends_new_sets_to_the_overflow_series() -> None:
    provider, flushed = _provider(limit=3)
    histogram = provider.get_meter("t").create_histogram("custom.latency")
    for i in range(6):
        histogram.record(float(i), {"route": f"/r{i}"})
        histogram.record(float(i), {"route": f"/r{i}"})  # memoised or not, same decision
    provider.force_flush()
    (points,) = flushed
    by_set = {tuple(p.attributes.items()): p.values for p in points}
    assert by_set[(("route", "/r0"),)] == (0.0, 0.0)
    assert by_set[(("otel.metric.overflow", True),)] == (3.0, 3.0, 4.0, 4.0, 5.0, 5.0)
    assert len(points) == 4
