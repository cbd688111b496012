"""The seeded traffic plan and the progress bar."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest

from aurastream_obs.demo.progress import ProgressBar
from aurastream_obs.demo.traffic import (
    PlannedRequest,
    SlowTextOracle,
    TrafficMix,
    plan_traffic,
)
from aurastream_obs.service.http import MAX_TEXT_BYTES


def fake_slow(text: str) -> bool:
    """Deterministic stand-in for the analyzer's hash pick: about a third of the texts."""
    return sum(map(ord, text)) % 3 == 0


def _text(request: PlannedRequest) -> str:
    assert request.body is not None
    return str(json.loads(request.body)["text"])


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    assert plan_traffic(200, 7, fake_slow) == plan_traffic(200, 7, fake_slow)
    assert plan_traffic(200, 7, fake_slow) != plan_traffic(200, 8, fake_slow)


def test_mix_proportions_and_expected_statuses() -> None:
    plan = plan_traffic(600, 7, fake_slow)
    kinds = Counter(r.kind for r in plan)
    assert len(plan) == 600
    assert kinds["health"] == 24 and kinds["slow"] == 18
    for kind in ("empty_text", "oversized_text", "invalid_json", "missing_key", "unknown_key"):
        assert kinds[kind] == 6, kind
    statuses = Counter(r.expected_status for r in plan)
    assert statuses == {200: 600 - 30, 400: 18, 401: 12}
    assert [r.index for r in plan] == list(range(600))


def test_slow_requests_are_exactly_the_slow_texts() -> None:
    plan = plan_traffic(600, 3, fake_slow)
    assert all(fake_slow(_text(r)) for r in plan if r.kind == "slow")
    assert not any(fake_slow(_text(r)) for r in plan if r.kind == "analyze")
    slow_texts = [_text(r) for r in plan if r.kind == "slow"]
    assert len(set(slow_texts)) == len(slow_texts)  # each slow text is new: a cache miss


def test_repeats_give_a_cache_hit_rate_near_sixty_percent() -> None:
    mix = TrafficMix()
    plan = plan_traffic(600, 7, fake_slow, mix=mix)
    first_seen: dict[str, int] = {}
    hits = lookups = 0
    for request in plan:
        if request.kind not in ("analyze", "slow"):
            continue
        lookups += 1
        text = _text(request)
        if text in first_seen:
            hits += 1
            assert request.index - first_seen[text] >= mix.repeat_distance
        else:
            first_seen[text] = request.index
    assert 0.55 <= hits / lookups <= 0.68


def test_client_errors_are_what_they_claim() -> None:
    plan = plan_traffic(600, 7, fake_slow)
    by_kind = {r.kind: r for r in plan}
    assert len(_text(by_kind["oversized_text"]).encode("utf-8")) > MAX_TEXT_BYTES
    assert _text(by_kind["empty_text"]).strip() == ""
    invalid = by_kind["invalid_json"].body
    assert invalid is not None
    with pytest.raises(ValueError):
        json.loads(invalid)
    assert "x-api-key" not in by_kind["missing_key"].headers("ua")
    assert by_kind["unknown_key"].headers("ua")["x-api-key"] == "demo-key-expired"
    assert by_kind["health"].method == "GET" and by_kind["health"].body is None
    customers = Counter(r.customer_id for r in plan if r.kind == "analyze")
    assert set(customers) == {"acme-corp", "globex", "initech"}
    assert customers["acme-corp"] > customers["initech"]


def test_the_churned_customer_calls_only_in_the_first_half() -> None:
    plan = plan_traffic(600, 7, fake_slow)
    half = TrafficMix().churn_at * len(plan)
    by_half = Counter((r.customer_id, r.index >= half) for r in plan if r.customer_id)
    assert by_half[("initech", False)] > 30 and by_half[("initech", True)] == 0
    assert by_half[("acme-corp", True)] > by_half[("acme-corp", False)]  # its share moved
    stays = plan_traffic(600, 7, fake_slow, mix=TrafficMix(churned=None))
    assert any(r.customer_id == "initech" and r.index >= half for r in stays)


def test_small_runs_keep_one_slow_request() -> None:
    kinds = Counter(r.kind for r in plan_traffic(12, 1, fake_slow))
    assert kinds["slow"] == 1
    assert sum(kinds.values()) == 12


def test_slow_text_oracle_follows_the_analyzer_knob() -> None:
    texts = [f"Review number {i}: the product is fine." for i in range(300)]
    never, always = SlowTextOracle(0.0), SlowTextOracle(1.0)
    assert not any(never(t) for t in texts)
    assert all(always(t) for t in texts[:20])
    oracle = SlowTextOracle(0.1)
    share = sum(oracle(t) for t in texts) / len(texts)
    assert 0.03 < share < 0.2
    assert [oracle(t) for t in texts[:50]] == [oracle(t) for t in texts[:50]]


def test_progress_without_a_tty_prints_a_line_per_quarter() -> None:
    stream = io.StringIO()
    bar = ProgressBar(8, "traffic", stream=stream, tty=False, clock=lambda: 0.0)
    for _ in range(8):
        bar.advance()
    bar.close()
    lines = stream.getvalue().splitlines()
    assert [line.split("]")[1].split()[0] for line in lines] == ["2/8", "4/8", "6/8", "8/8"]
    assert "\r" not in stream.getvalue()


def test_progress_on_a_tty_redraws_in_place() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(4, "traffic", stream=stream, tty=True, clock=lambda: now[0])
    for _ in range(4):
        now[0] += 1.0
        bar.advance()
    bar.close()
    output = stream.getvalue()
    assert output.count("\r") == 5 and output.endswith("\n") and output.count("\n") == 1
    assert "4/4 100%" in output


def test_progress_stopped_early_says_where() -> None:
    stream = io.StringIO()
    with ProgressBar(100, "traffic", stream=stream, tty=False) as bar:
        bar.advance(10)
    assert stream.getvalue().splitlines()[-1].split("]")[1].split()[0] == "10/100"
