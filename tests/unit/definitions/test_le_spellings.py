"""Bucket matchers accept every spelling of a bound: `le="1.0"` (Python client, Prometheus 3
scrape) and `le="1"` (the collector's remote write, Prometheus' OTLP ingestion)."""

from __future__ import annotations

import re

import pytest

from aurastream_obs.artifacts.promtool_tests import LE_SPELLINGS, SCENARIOS, promtool_tests
from aurastream_obs.definitions import sources
from aurastream_obs.definitions.sources import FAST_REQUESTS, BucketBound, go_le


@pytest.mark.parametrize(
    ("bound", "go"),
    [(1.0, "1"), (0.25, "0.25"), (2.0, "2"), (10.0, "10"), (0.005, "0.005"), (1e-7, "0.0000001")],
)
def test_go_spelling_is_formatfloat_f_minus_one(bound: float, go: str) -> None:
    assert go_le(bound) == go


@pytest.mark.parametrize("bound", [1.0, 0.25, 2.0, 10.0, 0.005])
def test_matcher_matches_both_spellings_and_nothing_else(bound: float) -> None:
    matcher = BucketBound(bound)
    assert re.fullmatch(matcher, go_le(bound))
    assert re.fullmatch(matcher, repr(bound))
    assert not re.fullmatch(matcher, "1x0")
    assert not re.fullmatch(matcher, "10" if bound == 1.0 else "1")
    assert float(matcher) == bound  # how the local evaluator reads a bucket matcher


def test_fast_requests_renders_a_regex_matcher() -> None:
    assert FAST_REQUESTS.render("5m").endswith('_bucket{le=~"1|1[.]0"}[5m]')


def test_no_selector_matches_le_with_equality() -> None:
    selectors = [v for v in vars(sources).values() if isinstance(v, sources.PromSelector)]
    le_matchers = [m for s in selectors for m in s.matchers if m[0] == "le"]
    assert le_matchers and all(
        op == "=~" and isinstance(v, BucketBound) for _, op, v in le_matchers
    )


def test_promtool_tests_feed_each_spelling_to_every_scenario() -> None:
    names = [t["name"] for t in promtool_tests()["tests"]]
    for spelling in LE_SPELLINGS:
        ours = [n for n in names if f"le as {spelling} " in n]
        assert len(ours) == 1 + len(SCENARIOS), (spelling, names)  # healthy + each firing one
    assert LE_SPELLINGS["remote-write"][1] == "1" and LE_SPELLINGS["scraped"][1] == "1.0"
