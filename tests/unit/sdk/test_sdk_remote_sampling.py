"""XRayRemoteSampler against an in-process X-Ray stand-in: rules fetched and used with the local
sampler's semantics, borrowing before a target, targets (quota per second until the TTL, then
the fixed rate), statistics per rule, the poll schedule, every failure falling back without
raising, and the settings that turn it on. Polls run by `tick()` on fake clocks: no sleeping.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.sampling import Decision, SamplingResult

from aurastream_obs.core.env import reset_warnings
from aurastream_obs.core.sampling_rules import SamplingRule
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.sdk.remote_sampling import RemoteParentBased, XRayRemoteSampler
from aurastream_obs.sdk.sampling import SAMPLING_RULE_ATTRIBUTE, XRayRulesSampler, build_sampler
from support.xray_sampling import XRaySamplingStandIn, api_rule

SERVICE = "aurastream-api"
LOW_BITS_ZERO = 0x65A1B2C3_00000000_00000000_00000000 | (1 << 64)  # under any rate > 0
LOW_BITS_MAX = 0x65A1B2C3_00000000_FFFFFFFF_FFFFFFFF  # over any rate < 1
ENDPOINT = "http://stand-in:2000"


class Clocks:
    """The monotonic clock (reservoirs, schedule) and the wall clock (TTLs), moved together."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall = 1_700_000_000.0

    def monotonic(self) -> float:
        return self.now

    def epoch(self) -> float:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def stand_in() -> XRaySamplingStandIn:
    return XRaySamplingStandIn(
        [
            api_rule("analyze", 1, 0, 1.0, URLPath="/v1/analyze"),
            api_rule("Default", 10000, 0, 0.0),
        ]
    )


def make(stand_in: XRaySamplingStandIn, clocks: Clocks, **kw: Any) -> XRayRemoteSampler:
    local = XRayRulesSampler([SamplingRule("local-rule", 1, 0, 1.0)], SERVICE, clocks.monotonic)
    return XRayRemoteSampler(
        ENDPOINT,
        local,
        kw.pop("service", SERVICE),
        transport=kw.pop("transport", stand_in.transport),
        clock=clocks.monotonic,
        wall_clock=clocks.epoch,
        jitter=kw.pop("jitter", lambda: 0.0),
        start=False,
        **kw,
    )


def decide(sampler: Any, path: str = "/v1/analyze", trace_id: int = LOW_BITS_MAX) -> SamplingResult:
    attrs = {"http.request.method": "POST", "url.path": path}
    result: SamplingResult = sampler.should_sample(None, trace_id, "POST", attributes=attrs)
    return result


def rule_of(result: SamplingResult) -> str | None:
    if result.decision is not Decision.RECORD_AND_SAMPLE:
        return None
    return str(dict(result.attributes or {}).get(SAMPLING_RULE_ATTRIBUTE))


def sampled(sampler: Any, n: int, path: str = "/v1/analyze", trace_id: int = LOW_BITS_MAX) -> int:
    return sum(rule_of(decide(sampler, path, trace_id)) is not None for _ in range(n))


def assert_called_after(
    sampler: XRayRemoteSampler, stand_in: XRaySamplingStandIn, clocks: Clocks, path: str, s: float
) -> None:
    """`path` is called once `s` more seconds have passed on the clock, not half a second
    earlier (steps of 0.5 s: exact in binary floating point)."""
    calls = stand_in.count(path)
    clocks.advance(s - 0.5)
    sampler.tick()
    assert stand_in.count(path) == calls, f"{path} called before {s} s"
    clocks.advance(0.5)
    sampler.tick()
    assert stand_in.count(path) == calls + 1, f"{path} not called at {s} s"


def report(stand_in: XRaySamplingStandIn) -> dict[str, dict[str, Any]]:
    """The statistics documents of the last GetSamplingTargets call, by rule."""
    body = [body for path, body in stand_in.calls if path == "/SamplingTargets"][-1]
    return {doc["RuleName"]: doc for doc in body["SamplingStatisticsDocuments"]}


# --- rules ----------------------------------------------------------------------------------
def test_fetched_rules_decide_with_the_local_semantics(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    sampler = make(stand_in, clocks)
    assert rule_of(decide(sampler, "/health")) == "local-rule"  # before the first fetch
    assert stand_in.calls == []  # deciding never calls out
    sampler.tick()
    assert sampler.has_rules and stand_in.count("/GetSamplingRules") == 1
    ids = [LOW_BITS_ZERO, LOW_BITS_MAX, 0x1234_5678_9ABC_DEF0_1234_5678_9ABC_DEF0]
    assert [rule_of(decide(sampler, "/v1/analyze", t)) for t in ids] == ["analyze"] * 3
    assert [rule_of(decide(sampler, "/health", t)) for t in ids] == [None] * 3
    assert "analyze:1,Default:10000" in sampler.get_description()


def test_rules_for_another_service_do_not_apply_and_pages_are_followed(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    stand_in.rules.insert(0, api_rule("other", 0, 0, 1.0, ServiceName="billing"))
    stand_in.page_size = 1
    sampler = make(stand_in, clocks)
    sampler.tick()
    assert stand_in.count("/GetSamplingRules") == 3
    assert [body.get("NextToken") for _, body in stand_in.calls] == [None, "1", "2"]
    assert rule_of(decide(sampler)) == "analyze"
    assert rule_of(decide(sampler, "/health", LOW_BITS_ZERO)) is None


def test_rules_update_when_the_stand_in_changes_them(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    sampler = make(stand_in, clocks, rules_interval_s=60)
    sampler.tick()
    stand_in.rules[0] = api_rule("analyze", 1, 0, 0.0, URLPath="/v1/analyze")
    stand_in.rules.append(api_rule("health", 2, 0, 1.0, URLPath="/health"))
    clocks.advance(59.9)
    sampler.tick()
    assert stand_in.count("/GetSamplingRules") == 1  # not due yet
    assert rule_of(decide(sampler)) == "analyze"
    clocks.advance(0.1)
    sampler.tick()
    assert stand_in.count("/GetSamplingRules") == 2
    assert rule_of(decide(sampler)) is None
    assert rule_of(decide(sampler, "/health")) == "health"


def test_a_rule_that_did_not_change_keeps_its_target_across_a_rules_poll(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    stand_in.rules[1] = api_rule("Default", 10000, 1, 0.0)
    ttl = clocks.wall + 600
    stand_in.targets["Default"] = {"FixedRate": 0.0, "ReservoirQuota": 3, "ReservoirQuotaTTL": ttl}
    sampler = make(stand_in, clocks, rules_interval_s=60)
    sampler.tick()
    decide(sampler, "/health")
    clocks.advance(10)
    sampler.tick()  # the target: 3 a second
    stand_in.rules[0] = api_rule("analyze", 1, 0, 0.5, URLPath="/v1/analyze")  # changed
    clocks.advance(50)
    sampler.tick()
    assert stand_in.count("/GetSamplingRules") == 2
    assert sampled(sampler, 5, "/health") == 3  # still the target, not 1/s borrowing


def test_last_rule_modification_polls_the_rules_at_once(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    sampler = make(stand_in, clocks)
    sampler.tick()
    decide(sampler)
    stand_in.last_rule_modification = clocks.wall - 1  # older than the fetch: nothing to do
    clocks.advance(10)
    sampler.tick()
    assert stand_in.count("/GetSamplingRules") == 1
    decide(sampler)
    stand_in.last_rule_modification = clocks.wall + 5
    stand_in.rules[0] = api_rule("analyze", 1, 0, 0.0, URLPath="/v1/analyze")
    clocks.advance(10)
    sampler.tick()
    assert stand_in.count("/GetSamplingRules") == 2
    assert rule_of(decide(sampler)) is None


def test_rules_poll_every_interval_plus_jitter(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    sampler = make(stand_in, clocks, jitter=lambda: 1.0)  # the most jitter: +5 s
    assert sampler.tick() == pytest.approx(10.1)  # next: the first targets report
    assert_called_after(sampler, stand_in, clocks, "/GetSamplingRules", 305)
    assert_called_after(sampler, stand_in, clocks, "/GetSamplingRules", 305)


# --- reservoirs and targets -----------------------------------------------------------------
def test_borrowing_one_a_second_before_the_first_target(clocks: Clocks) -> None:
    stand_in = XRaySamplingStandIn([api_rule("Default", 10000, 50, 0.0)])
    sampler = make(stand_in, clocks)
    sampler.tick()
    assert sampled(sampler, 5) == 1  # 1 a second however large ReservoirSize is
    clocks.advance(1)
    assert sampled(sampler, 5) == 1
    clocks.advance(9)
    sampler.tick()
    assert report(stand_in)["Default"]["BorrowCount"] == 2
    assert report(stand_in)["Default"]["SampledCount"] == 2


def test_no_borrowing_for_a_rule_without_a_reservoir(clocks: Clocks) -> None:
    stand_in = XRaySamplingStandIn([api_rule("Default", 10000, 0, 0.0)])
    sampler = make(stand_in, clocks)
    sampler.tick()
    assert sampled(sampler, 5) == 0


def test_a_target_gives_its_quota_a_second_until_the_ttl_then_the_fixed_rate(
    clocks: Clocks,
) -> None:
    stand_in = XRaySamplingStandIn([api_rule("Default", 10000, 1, 0.0)])
    ttl = clocks.wall + 30.5
    stand_in.targets["Default"] = {"FixedRate": 0.5, "ReservoirQuota": 3, "ReservoirQuotaTTL": ttl}
    sampler = make(stand_in, clocks)
    sampler.tick()
    decide(sampler)  # something to report
    clocks.advance(10)
    sampler.tick()
    assert sampled(sampler, 10) == 3  # the quota, not the borrowed 1
    assert sampled(sampler, 10, trace_id=LOW_BITS_ZERO) == 10  # the target's rate: 50 %
    clocks.advance(20)
    assert sampled(sampler, 10) == 3  # a new second, before the TTL
    clocks.advance(1)
    assert sampled(sampler, 10) == 0  # the TTL passed: the fixed rate only
    assert sampled(sampler, 10, trace_id=LOW_BITS_ZERO) == 10
    assert report(stand_in)["Default"]["BorrowCount"] == 1  # the first report: borrowed
    sampler.tick()
    second = report(stand_in)["Default"]
    assert (second["RequestCount"], second["SampledCount"], second["BorrowCount"]) == (50, 26, 0)


def test_a_target_without_ttl_is_the_fixed_rate_only(clocks: Clocks) -> None:
    stand_in = XRaySamplingStandIn([api_rule("Default", 10000, 1, 0.0)])
    stand_in.targets["Default"] = {"FixedRate": 0.0, "ReservoirQuota": 5, "Interval": 10}
    sampler = make(stand_in, clocks)
    sampler.tick()
    decide(sampler)
    clocks.advance(10)
    sampler.tick()
    clocks.advance(1)
    assert sampled(sampler, 5) == 0


def test_statistics_per_rule_since_the_last_report(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    stand_in.rules[1] = api_rule("Default", 10000, 1, 0.0)
    stand_in.rules.append(api_rule("unused", 5, 0, 1.0, URLPath="/never"))
    sampler = make(stand_in, clocks)
    sampler.tick()
    assert sampled(sampler, 7) == 7  # analyze: 100 %
    assert sampled(sampler, 4, "/health") == 1  # Default: one borrowed
    assert_called_after(sampler, stand_in, clocks, "/SamplingTargets", 10)
    docs = report(stand_in)
    assert set(docs) == {"analyze", "Default"}  # no document for a rule nothing matched
    expected = {"analyze": (7, 7, 0), "Default": (4, 1, 1)}
    for name, (requests, sampled_count, borrowed) in expected.items():
        doc = docs[name]
        assert (doc["RequestCount"], doc["SampledCount"], doc["BorrowCount"]) == (
            requests, sampled_count, borrowed)  # fmt: skip
        assert doc["ClientID"] == sampler.client_id and doc["Timestamp"] == clocks.wall
    assert re.fullmatch("[0-9a-f]{24}", sampler.client_id)
    decide(sampler)
    clocks.advance(10)
    sampler.tick()
    again = {**docs["analyze"], "RequestCount": 1, "SampledCount": 1, "Timestamp": clocks.wall}
    assert report(stand_in) == {"analyze": again}
    clocks.advance(10)
    sampler.tick()  # nothing matched: no call
    assert stand_in.count("/SamplingTargets") == 2


def test_the_next_report_follows_the_interval_x_ray_asks_for(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    stand_in.targets["analyze"] = {"FixedRate": 1.0, "ReservoirQuota": 0, "Interval": 25}
    sampler = make(stand_in, clocks)
    sampler.tick()
    decide(sampler)
    clocks.advance(10)
    assert sampler.tick() == pytest.approx(25)
    decide(sampler)
    assert_called_after(sampler, stand_in, clocks, "/SamplingTargets", 25)


def test_targets_for_unknown_rules_and_malformed_targets_are_ignored(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    stand_in.targets["analyze"] = {"FixedRate": 7, "ReservoirQuota": -1}  # not a target
    stand_in.targets["ghost"] = {"FixedRate": 1.0, "ReservoirQuota": 9}
    sampler = make(stand_in, clocks)
    sampler.tick()
    decide(sampler)
    clocks.advance(10)
    sampler.tick()
    assert rule_of(decide(sampler)) == "analyze"


def test_client_ids_differ_per_sampler(stand_in: XRaySamplingStandIn, clocks: Clocks) -> None:
    assert make(stand_in, clocks).client_id != make(stand_in, clocks).client_id


# --- failures -------------------------------------------------------------------------------
class Failing:
    """A transport failing in one way, then answering from the stand-in once `fixed`."""

    def __init__(self, stand_in: XRaySamplingStandIn, body: bytes | None) -> None:
        self.stand_in = stand_in
        self.body = body  # None: raise, as a refused connection does
        self.fixed = False
        self.threads: set[int] = set()

    def __call__(self, path: str, body: bytes) -> bytes:
        self.threads.add(threading.get_ident())
        if self.fixed:
            return self.stand_in.transport(path, body)
        if self.body is None:
            raise RuntimeError("connection refused (or any bug)")
        return self.body


BAD_ANSWERS = {
    "refused": None,
    "garbage": b"<html>",
    "not an object": b"[1, 2]",
    "no records": b'{"Rules": []}',
    "no rules": b'{"SamplingRuleRecords": []}',
    "bad rule": b'{"SamplingRuleRecords": [{"SamplingRule": {"RuleName": "x", "FixedRate": 2,'
    b' "ReservoirSize": 1}}]}',
    "record without rule": b'{"SamplingRuleRecords": [{"CreatedAt": 1}]}',
}


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_until_rules_are_fetched_the_local_rules_decide_and_retries_come_every_10_s(
    answer: bytes | None,
    stand_in: XRaySamplingStandIn,
    clocks: Clocks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = Failing(stand_in, answer)
    sampler = make(stand_in, clocks, transport=transport)
    with caplog.at_level(logging.DEBUG, logger="aurastream_obs"):
        assert sampler.tick() == pytest.approx(10)
        clocks.advance(10)
        sampler.tick()
    assert not sampler.has_rules
    assert rule_of(decide(sampler, "/health")) == "local-rule"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings  # once per failing streak
    assert ENDPOINT in warnings[0] and "the local rules" in warnings[0]
    transport.fixed = True
    clocks.advance(10)
    sampler.tick()
    assert rule_of(decide(sampler)) == "analyze"
    assert threading.get_ident() in transport.threads  # tick ran here: the poller's calls


@pytest.mark.parametrize("answer", [None, b"{}"], ids=["refused", "garbage"])
def test_after_a_fetch_failures_keep_the_last_rules(
    answer: bytes | None, stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    transport = Failing(stand_in, answer)
    transport.fixed = True
    sampler = make(stand_in, clocks, transport=transport)
    sampler.tick()
    transport.fixed = False
    decide(sampler)
    clocks.advance(300)
    sampler.tick()  # rules and targets both fail
    assert rule_of(decide(sampler)) == "analyze"
    assert sampler.tick() == pytest.approx(10)  # targets again in 10 s, rules in 300 s
    clocks.advance(299)
    assert sampler.tick() > 0
    assert rule_of(decide(sampler)) == "analyze"


def test_an_error_status_from_the_stand_in_is_a_failure(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    stand_in.status = 500
    sampler = make(stand_in, clocks)
    sampler.tick()
    assert not sampler.has_rules and stand_in.count("/GetSamplingRules") == 1


def test_deciding_never_waits_for_a_poll_in_flight(
    stand_in: XRaySamplingStandIn, clocks: Clocks
) -> None:
    entered, release = threading.Event(), threading.Event()

    def hanging(path: str, body: bytes) -> bytes:
        entered.set()
        release.wait(30)
        return stand_in.transport(path, body)

    sampler = make(stand_in, clocks, transport=hanging)
    poll = threading.Thread(target=sampler.tick, daemon=True)
    poll.start()
    try:
        assert entered.wait(10)
        assert rule_of(decide(sampler, "/health")) == "local-rule"  # the poll hangs; this not
    finally:
        release.set()
        poll.join(10)
    assert rule_of(decide(sampler)) == "analyze"


# --- the thread -----------------------------------------------------------------------------
@pytest.fixture
def started(stand_in: XRaySamplingStandIn) -> Iterator[XRayRemoteSampler]:
    local = XRayRulesSampler([SamplingRule("local-rule", 1, 0, 1.0)], SERVICE)
    sampler = XRayRemoteSampler(ENDPOINT, local, SERVICE, transport=stand_in.transport)
    yield sampler
    sampler.shutdown(10)


def test_the_poller_thread_fetches_at_once_and_stops_on_shutdown(
    started: XRayRemoteSampler,
) -> None:
    assert started.wait_for_rules(10) and started.alive
    assert rule_of(decide(started)) == "analyze"
    started.shutdown(10)
    assert not started.alive


def test_shutdown_does_not_wait_for_a_call_in_flight(stand_in: XRaySamplingStandIn) -> None:
    entered, release = threading.Event(), threading.Event()

    def hanging(path: str, body: bytes) -> bytes:
        entered.set()
        release.wait(30)
        return stand_in.transport(path, body)

    local = XRayRulesSampler([SamplingRule("local-rule", 1, 0, 1.0)], SERVICE)
    sampler = XRayRemoteSampler(ENDPOINT, local, SERVICE, transport=hanging)
    assert entered.wait(10)
    sampler.shutdown()  # returns at once: the daemon thread is stuck in the call
    assert sampler.alive
    release.set()
    sampler.shutdown(10)  # the call returns, the thread sees the stop and ends
    assert not sampler.alive


# --- configuration --------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    reset_warnings()


@pytest.mark.parametrize(
    ("env", "endpoint", "interval"),
    [
        ({}, "", 300),
        ({"AURASTREAM_SAMPLING_ENDPOINT": "http://localhost:2000/"}, "http://localhost:2000", 300),
        ({"AURASTREAM_SAMPLING_POLL_INTERVAL": "60"}, "", 60),
        (
            {"OTEL_TRACES_SAMPLER": "xray",
             "OTEL_TRACES_SAMPLER_ARG": "endpoint=http://collector:2000,polling_interval=120"},
            "http://collector:2000", 120,
        ),
        (
            {"OTEL_TRACES_SAMPLER_ARG": "endpoint=http://collector:2000",
             "AURASTREAM_SAMPLING_ENDPOINT": "http://daemon:2000",
             "AURASTREAM_SAMPLING_POLL_INTERVAL": "30"},
            "http://daemon:2000", 30,
        ),
        ({"OTEL_TRACES_SAMPLER": "always_on", "OTEL_TRACES_SAMPLER_ARG": "0.5"}, "", 300),
    ],
)  # fmt: skip
def test_settings(
    env: dict[str, str], endpoint: str, interval: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        settings = resolve_settings(env=env)
    assert (settings.sampling_endpoint, settings.sampling_poll_interval_s) == (endpoint, interval)
    assert settings.traces_sampler_arg == float(env.get("OTEL_TRACES_SAMPLER_ARG", "1.0")
                                                if "=" not in env.get("OTEL_TRACES_SAMPLER_ARG", "")
                                                else 1.0)  # fmt: skip
    assert not caplog.records


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"AURASTREAM_SAMPLING_ENDPOINT": "localhost:2000"}, "AURASTREAM_SAMPLING_ENDPOINT"),
        ({"AURASTREAM_SAMPLING_POLL_INTERVAL": "5"}, "AURASTREAM_SAMPLING_POLL_INTERVAL"),
        ({"OTEL_TRACES_SAMPLER_ARG": "endpoint=ftp://x:2000"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({"OTEL_TRACES_SAMPLER_ARG": "polling_interval=soon"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({"OTEL_TRACES_SAMPLER_ARG": "endpont=http://x:2000"}, "OTEL_TRACES_SAMPLER_ARG"),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "endpoint=http://x"},
            "OTEL_TRACES_SAMPLER_ARG",
        ),
        (  # Lambda's trace header decides there: the setting would silently do nothing
            {
                "AURASTREAM_TELEMETRY_MODE": "lambda",
                "AURASTREAM_SAMPLING_ENDPOINT": "http://x:2000",
            },
            "AURASTREAM_SAMPLING_ENDPOINT",
        ),
    ],
)
def test_bad_settings_warn_once_naming_the_variable_and_fall_back(
    env: dict[str, str], named: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        settings = resolve_settings(env=env)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and named in messages[0], messages
    assert (settings.sampling_endpoint, settings.sampling_poll_interval_s) == ("", 300)


def test_build_sampler_wraps_the_remote_sampler_over_the_local_rules() -> None:
    settings = resolve_settings(
        env={"AURASTREAM_SAMPLING_ENDPOINT": "http://127.0.0.1:9", "OTEL_SERVICE_NAME": SERVICE}
    )
    sampler = build_sampler(settings)
    assert isinstance(sampler, RemoteParentBased)
    try:
        assert sampler.remote.endpoint == "http://127.0.0.1:9"
        # Until X-Ray answers, the packaged rules decide (critical-endpoints-v1: /v1/analyze*).
        assert rule_of(decide(sampler.remote, trace_id=LOW_BITS_ZERO)) == "critical-endpoints-v1"
    finally:
        sampler.shutdown(10)
    assert not sampler.remote.alive
    plain = build_sampler(resolve_settings(env={}))
    assert not isinstance(plain, RemoteParentBased)
    assert "XRayRulesSampler" in plain.get_description()
