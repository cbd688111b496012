"""XRayRulesSampler (X-Ray priority, wildcards, reservoir, rate) and build_sampler."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, SamplingResult
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
    set_span_in_context,
)
from opentelemetry.util.types import AttributeValue

from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.sdk.sampling import (
    SAMPLING_RULE_ATTRIBUTE,
    SamplingRule,
    XRayRulesSampler,
    build_sampler,
)

SERVICE = "aurastream-api"
# Trace ids whose low 64 bits sit at the bottom / top of the range: rate decisions are
# deterministic on those bits (like TraceIdRatioBased).
LOW_BITS_ZERO = 0x65A1B2C3_00000000_00000000_00000000 | (1 << 64)
LOW_BITS_MAX = 0x65A1B2C3_00000000_FFFFFFFF_FFFFFFFF
POST_ANALYZE: Mapping[str, AttributeValue] = {
    "http.request.method": "POST",
    "url.path": "/v1/analyze",
    "server.address": "api.aurastream.example",
}


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rule(
    name: str, priority: int, fixed_target: int = 0, rate: float = 1.0, **kw: object
) -> SamplingRule:
    return SamplingRule(name, priority, fixed_target, rate, **kw)  # type: ignore[arg-type]


def decide(
    sampler: XRayRulesSampler,
    attributes: Mapping[str, AttributeValue] | None = None,
    trace_id: int = LOW_BITS_ZERO,
) -> SamplingResult:
    return sampler.should_sample(None, trace_id, "span", SpanKind.SERVER, attributes)


def rule_of(result: SamplingResult) -> object:
    return result.attributes.get(SAMPLING_RULE_ATTRIBUTE)


# --- priority and matching -----------------------------------------------------------------


def test_rules_evaluated_by_priority_then_name_first_match_wins() -> None:
    sampler = XRayRulesSampler(
        [
            rule("default", 10000),
            rule("b-analyze", 5, url_path="/v1/*"),
            rule("a-analyze", 5, url_path="/v1/*"),
            rule("post-only", 9, http_method="POST"),
        ],
        SERVICE,
    )
    assert rule_of(decide(sampler, POST_ANALYZE)) == "a-analyze"
    assert (
        rule_of(decide(sampler, {"http.request.method": "POST", "url.path": "/x"})) == "post-only"
    )
    assert rule_of(decide(sampler, {"http.request.method": "GET", "url.path": "/x"})) == "default"
    assert "a-analyze:5,b-analyze:5,post-only:9,default:10000" in sampler.get_description()


def test_first_matching_rule_decides_even_when_it_drops() -> None:
    sampler = XRayRulesSampler([rule("never", 1, 0, 0.0), rule("always", 2, 0, 1.0)], SERVICE)
    result = decide(sampler, POST_ANALYZE)
    assert result.decision is Decision.DROP
    assert not result.attributes


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("/v1/analy?e", "/v1/analyze", True),
        ("/v1/analy?e", "/v1/analyse", True),
        ("/v1/analy?e", "/v1/analyze2", False),
        ("/v1/?", "/v1/", False),  # ? is exactly one character
        ("/v1/*", "/v1/", True),  # * may be empty
        ("/v1/*", "/v1/analyze/batch", True),
        ("*/analyze*", "/v2/analyze", True),
        ("/V1/ANALYZE", "/v1/analyze", True),  # X-Ray matching is case-insensitive
        ("/a.b", "/axb", False),  # regex metacharacters are literal
        ("/a+b(c)", "/a+b(c)", True),
        ("/line*", "/line\nbreak", True),
        ("", "", True),
        ("", "/", False),
    ],
)
def test_wildcards(pattern: str, value: str, expected: bool) -> None:
    sampler = XRayRulesSampler([rule("r", 1, url_path=pattern)], SERVICE)
    result = decide(sampler, {"url.path": value})
    assert (rule_of(result) == "r") is expected


def test_method_and_host_wildcards_case_insensitive() -> None:
    sampler = XRayRulesSampler(
        [rule("r", 1, http_method="p?st", host="*.AURASTREAM.example")], SERVICE
    )
    assert rule_of(decide(sampler, POST_ANALYZE)) == "r"
    assert rule_of(decide(sampler, {**POST_ANALYZE, "server.address": "evil.example"})) is None


def test_old_semconv_names_and_url_forms_are_read() -> None:
    sampler = XRayRulesSampler([rule("r", 1, http_method="POST", url_path="/v1/analyze")], SERVICE)
    assert (
        rule_of(decide(sampler, {"http.method": "POST", "http.target": "/v1/analyze?x=1"})) == "r"
    )
    full = {"http.request.method": "POST", "url.full": "https://h:443/v1/analyze?q=1#f"}
    assert rule_of(decide(sampler, full)) == "r"
    assert rule_of(decide(sampler, {"http.method": "POST", "http.url": "https://h"})) is None


def test_missing_request_property_matches_only_star() -> None:
    sampler = XRayRulesSampler([rule("paths", 1, url_path="*analyze*"), rule("rest", 2)], SERVICE)
    assert rule_of(decide(sampler, {"messaging.system": "sqs"})) == "rest"
    assert rule_of(decide(sampler, None)) == "rest"


def test_service_name_filters_rules_at_construction() -> None:
    rules = [rule("mine", 1, service_name="aurastream-*"), rule("rest", 2)]
    assert rule_of(decide(XRayRulesSampler(rules, "aurastream-api"), POST_ANALYZE)) == "mine"
    assert rule_of(decide(XRayRulesSampler(rules, "billing"), POST_ANALYZE)) == "rest"
    assert "mine" not in XRayRulesSampler(rules, "billing").get_description()


def test_attribute_matching() -> None:
    sampler = XRayRulesSampler(
        [
            rule("premium", 1, attributes={"aurastream.tier": "premium*", "cloud.region": "eu-*"}),
            rule("errors", 2, attributes={"http.status_code": "4*"}),
            rule("rest", 3),
        ],
        SERVICE,
    )
    tier = {"aurastream.tier": "premium-plus", "cloud.region": "eu-west-1"}
    assert rule_of(decide(sampler, tier)) == "premium"
    assert rule_of(decide(sampler, {**tier, "cloud.region": "us-east-1"})) == "rest"
    assert rule_of(decide(sampler, {"aurastream.tier": "premium"})) == "rest"  # all must match
    # New semconv name and a non-string value still match the seed's http.status_code rule.
    assert rule_of(decide(sampler, {"http.response.status_code": 404})) == "errors"
    assert rule_of(decide(sampler, {"http.status_code": 503})) == "rest"


# --- reservoir and rate --------------------------------------------------------------------


def test_reservoir_exhaustion_then_reset_next_second() -> None:
    clock = FakeClock(1000.2)
    sampler = XRayRulesSampler([rule("r", 1, fixed_target=2, rate=0.0)], SERVICE, clock)
    decisions = [decide(sampler, trace_id=LOW_BITS_MAX).decision for _ in range(3)]
    assert decisions == [Decision.RECORD_AND_SAMPLE, Decision.RECORD_AND_SAMPLE, Decision.DROP]
    clock.now = 1000.99
    assert decide(sampler, trace_id=LOW_BITS_MAX).decision is Decision.DROP
    clock.now = 1001.0
    assert decide(sampler, trace_id=LOW_BITS_MAX).decision is Decision.RECORD_AND_SAMPLE


def test_reservoir_first_then_rate_of_the_rest() -> None:
    clock = FakeClock()
    sampler = XRayRulesSampler([rule("r", 1, fixed_target=1, rate=0.5)], SERVICE, clock)
    assert decide(sampler, trace_id=LOW_BITS_MAX).decision.is_sampled()  # reservoir
    assert not decide(sampler, trace_id=LOW_BITS_MAX).decision.is_sampled()  # rate says no
    assert decide(sampler, trace_id=LOW_BITS_ZERO).decision.is_sampled()  # rate says yes
    half = 0x65A1B2C3_00000000_80000000_00000000
    assert not decide(sampler, trace_id=half).decision.is_sampled()  # bound is exclusive
    assert decide(sampler, trace_id=half - 1).decision.is_sampled()


def test_rate_edges() -> None:
    never = XRayRulesSampler([rule("r", 1, fixed_target=0, rate=0.0)], SERVICE)
    always = XRayRulesSampler([rule("r", 1, fixed_target=0, rate=1.0)], SERVICE)
    for trace_id in (LOW_BITS_ZERO, LOW_BITS_MAX, 1, (1 << 128) - 1):
        assert decide(never, trace_id=trace_id).decision is Decision.DROP
        assert decide(always, trace_id=trace_id).decision is Decision.RECORD_AND_SAMPLE


def test_rate_is_close_to_nominal_over_many_trace_ids() -> None:
    sampler = XRayRulesSampler([rule("r", 1, fixed_target=0, rate=0.1)], SERVICE)
    step = (1 << 64) // 1000
    trace_ids = [i * step + step // 2 for i in range(1000)]
    sampled = sum(decide(sampler, trace_id=t).decision.is_sampled() for t in trace_ids)
    assert sampled == 100


def test_reservoir_is_thread_safe() -> None:
    sampler = XRayRulesSampler([rule("r", 1, fixed_target=50, rate=0.0)], SERVICE, FakeClock())
    counts: list[int] = []

    def worker() -> None:
        counts.append(
            sum(decide(sampler, trace_id=LOW_BITS_MAX).decision.is_sampled() for _ in range(500))
        )

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 50


# --- results -------------------------------------------------------------------------------


def test_sampled_result_keeps_span_attributes_and_names_rule() -> None:
    sampler = XRayRulesSampler([rule("r", 1)], SERVICE)
    result = decide(sampler, POST_ANALYZE)
    assert dict(result.attributes) == {**POST_ANALYZE, SAMPLING_RULE_ATTRIBUTE: "r"}


def test_spans_from_a_tracer_keep_attributes_and_rule_name() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=build_sampler(resolve_settings(env={})), resource=None)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("POST /v1/analyze", attributes=dict(POST_ANALYZE)),
        tracer.start_as_current_span("child"),
    ):
        pass
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["POST /v1/analyze"].attributes is not None
    assert spans["POST /v1/analyze"].attributes["url.path"] == "/v1/analyze"
    assert spans["POST /v1/analyze"].attributes[SAMPLING_RULE_ATTRIBUTE] == "critical-endpoints-v1"
    assert "child" in spans  # children follow the sampled parent
    provider.shutdown()


def _parent(sampled: bool, remote: bool = True) -> Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    span_context = SpanContext(
        0x65A1B2C3_11111111_22222222_33333333,
        0x1234567890ABCDEF,
        is_remote=remote,
        trace_flags=flags,
        trace_state=TraceState([("vendor", "v")]),
    )
    return set_span_in_context(NonRecordingSpan(span_context))


@pytest.mark.parametrize("remote", [True, False])
def test_parent_based(remote: bool) -> None:
    settings = resolve_settings(env={})
    sampler = build_sampler(settings)
    never = XRayRulesSampler([rule("never", 1, 0, 0.0)], SERVICE)

    for candidate in (sampler, ParentBased(never)):
        sampled = candidate.should_sample(_parent(True, remote), LOW_BITS_MAX, "s")
        dropped = candidate.should_sample(_parent(False, remote), LOW_BITS_ZERO, "s")
        assert sampled.decision is Decision.RECORD_AND_SAMPLE
        assert dropped.decision is Decision.DROP
        assert sampled.trace_state is not None and sampled.trace_state.get("vendor") == "v"


def test_root_decision_keeps_parent_trace_state_when_used_without_parent_based() -> None:
    sampler = XRayRulesSampler([rule("r", 1)], SERVICE)
    result = sampler.should_sample(_parent(False), LOW_BITS_ZERO, "s")
    assert result.trace_state is not None and result.trace_state.get("vendor") == "v"


# --- build_sampler and OTEL_TRACES_SAMPLER ------------------------------------------------


@pytest.mark.parametrize(
    ("env", "description"),
    [
        ({"OTEL_TRACES_SAMPLER": "always_on"}, "AlwaysOnSampler"),
        ({"OTEL_TRACES_SAMPLER": "ALWAYS_OFF"}, "AlwaysOffSampler"),
        ({"OTEL_TRACES_SAMPLER": "parentbased_always_off"}, "ParentBased{root:AlwaysOffSampler"),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
            "TraceIdRatioBased{0.25}",
        ),
        (
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": ".5"},
            "ParentBased{root:TraceIdRatioBased{0.5}",
        ),
        ({"OTEL_TRACES_SAMPLER": "traceidratio"}, "TraceIdRatioBased{1.0}"),
        ({}, "ParentBased{root:XRayRulesSampler{service=aurastream-api"),
        ({"OTEL_TRACES_SAMPLER": "xray"}, "ParentBased{root:XRayRulesSampler"),
    ],
)
def test_otel_traces_sampler(env: dict[str, str], description: str) -> None:
    sampler = build_sampler(resolve_settings(env=env))
    assert sampler.get_description().startswith(description)


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"OTEL_TRACES_SAMPLER": "bogus"}, "OTEL_TRACES_SAMPLER='bogus'"),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
            "OTEL_TRACES_SAMPLER_ARG='1.5'",
        ),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "nan"},
            "OTEL_TRACES_SAMPLER_ARG='nan'",
        ),
    ],
)
def test_bad_sampler_env_warns_and_falls_back(
    env: dict[str, str], warning: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        sampler = build_sampler(resolve_settings(env=env))
    assert warning in caplog.text
    expected = "TraceIdRatioBased{1.0}" if "ARG" in warning else "ParentBased{root:XRayRulesSampler"
    assert sampler.get_description().startswith(expected)


def test_bad_rules_file_falls_back_to_packaged_rules(caplog: pytest.LogCaptureFixture) -> None:
    settings = resolve_settings(env={"AURASTREAM_SAMPLING_RULES": "/nonexistent/rules.json"})
    with caplog.at_level(logging.WARNING):
        sampler = build_sampler(settings)
    assert "ignoring AURASTREAM_SAMPLING_RULES" in caplog.text
    assert "/nonexistent/rules.json" in caplog.text
    assert "critical-endpoints-v1" in sampler.get_description()


def test_service_identity_from_resource_attributes() -> None:
    settings = resolve_settings(env={})
    lambda_resource = {"service.name": "aurastream-api", "cloud.platform": "aws_lambda"}
    sampler = build_sampler(settings, resource_attributes=lambda_resource)
    assert "service=aurastream-api" in sampler.get_description()
    renamed = build_sampler(settings, resource_attributes={"service.name": "other"})
    assert "critical-endpoints" not in renamed.get_description()  # rules name aurastream-api


def test_service_type_and_arn_rules() -> None:
    rules = [
        rule("lambda", 1, service_type="AWS::Lambda::Function"),
        rule("arn", 2, resource_arn="arn:aws:lambda:*:function:aurastream-*"),
        rule("rest", 3),
    ]
    on_lambda = XRayRulesSampler(rules, SERVICE, service_type="AWS::Lambda::Function")
    on_ecs = XRayRulesSampler(
        rules,
        SERVICE,
        service_type="AWS::ECS::Container",
        resource_arn="arn:aws:lambda:eu-west-1:123:function:aurastream-api",
    )
    nowhere = XRayRulesSampler(rules, SERVICE)
    assert rule_of(decide(on_lambda, {})) == "lambda"
    assert rule_of(decide(on_ecs, {})) == "arn"
    assert rule_of(decide(nowhere, {})) == "rest"
