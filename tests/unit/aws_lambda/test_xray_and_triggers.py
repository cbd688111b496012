"""X-Ray documents (annotations, split at the datagram limit) and event recognition."""

from __future__ import annotations

import json

from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

from aurastream_obs.aws_lambda import instrument_handler
from aurastream_obs.aws_lambda.triggers import describe
from aurastream_obs.modes.awslambda.sampling import LambdaSampler
from aurastream_obs.modes.awslambda.tracing import LambdaTracerProvider
from aurastream_obs.modes.awslambda.xray import (
    MAX_DATAGRAM_BYTES,
    SegmentEncoder,
    XRayUdpExporter,
    annotation_key,
    daemon_address,
)
from support.paths import LAMBDA_EVENTS

PARENT = SpanContext(0x5759E988BD862E3FE1BE46A994272793, 0x53995C3F42CD8AD8, True, TraceFlags(1))


def spans_of(build) -> list:  # type: ignore[no-untyped-def]
    captured: list = []
    provider = LambdaTracerProvider(lambda *_: True, lambda s: captured.extend(s) or True)
    build(provider.get_tracer("t"))
    provider.force_flush()
    return captured


def test_annotation_keys_and_daemon_address() -> None:
    assert annotation_key("http.response.status_code") == "http_response_status_code"
    assert daemon_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2001") == ("127.0.0.2", 2001)
    assert daemon_address("nonsense") == ("127.0.0.1", 2000)


def test_large_trace_is_split_into_subsegment_documents_within_the_limit() -> None:
    from opentelemetry import trace

    def build(tracer) -> None:  # type: ignore[no-untyped-def]
        ctx = trace.set_span_in_context(trace.NonRecordingSpan(PARENT))
        with tracer.start_as_current_span("root", context=ctx):
            for i in range(40):
                with tracer.start_as_current_span(f"child{i}") as child:
                    child.set_attribute("blob", "x" * 3000)

    spans = spans_of(build)
    exporter = XRayUdpExporter(SegmentEncoder("svc", ["http.route"], {}), ("127.0.0.1", 9))
    datagrams = exporter.datagrams(spans)
    assert len(datagrams) == 41
    for data in datagrams:
        assert len(data) <= MAX_DATAGRAM_BYTES
        doc = json.loads(data.partition(b"\n")[2])
        assert doc["type"] == "subsegment" and doc["trace_id"].startswith("1-5759e988-")
        assert len(doc["parent_id"]) == 16


def test_every_event_sample_is_recognised() -> None:
    expected = {
        "api_gateway_v1": ("http", "api_gateway_v1", SpanKind.SERVER),
        "http_api_v2": ("http", "http_api", SpanKind.SERVER),
        "function_url": ("http", "function_url", SpanKind.SERVER),
        "alb": ("http", "alb", SpanKind.SERVER),
        "sqs": ("pubsub", "sqs", SpanKind.CONSUMER),
        "eventbridge": ("pubsub", "eventbridge", SpanKind.CONSUMER),
        "scheduled": ("timer", "eventbridge", SpanKind.CONSUMER),
        "direct": ("other", "direct", SpanKind.SERVER),
    }
    for name, (trigger, source, kind) in expected.items():
        found = describe(json.loads((LAMBDA_EVENTS / f"{name}.json").read_text()), "fn")
        assert (found.trigger, found.source, found.kind) == (trigger, source, kind), name
    v1 = describe(json.loads((LAMBDA_EVENTS / "api_gateway_v1.json").read_text()), "fn")
    assert v1.attributes["http.route"] == "/v1/analyze"
    assert v1.attributes["client.address"] == "203.0.113.7"
    sqs = describe(json.loads((LAMBDA_EVENTS / "sqs.json").read_text()), "fn")
    assert len(sqs.link_headers) == 1


def test_odd_events_never_raise() -> None:
    for event in (None, 3, "x", [], {"requestContext": 5, "httpMethod": 7}, {"Records": [None]}):
        assert describe(event, "fn").trigger == "other"


def test_sampled0_policy() -> None:
    unsampled = SpanContext(1 << 100, 5, True, TraceFlags(0))
    local = LambdaSampler([], "svc", sampled0="sample_locally")
    respect = LambdaSampler([], "svc", sampled0="respect")
    assert local(unsampled, 1 << 100, "x", SpanKind.SERVER, {}) is True  # reservoir
    assert respect(unsampled, 1 << 100, "x", SpanKind.SERVER, {}) is False
    sampled = SpanContext(1 << 100, 5, True, TraceFlags(1))
    assert respect(sampled, 1 << 100, "x", SpanKind.SERVER, {}) is True


def test_decorator_with_and_without_arguments() -> None:
    from aurastream_obs.bootstrap import build_telemetry
    from aurastream_obs.core.settings import resolve_settings

    telemetry = build_telemetry(resolve_settings(mode="none", env={}))

    @instrument_handler(telemetry=telemetry)
    def with_args(event: object, context: object) -> str:
        return "ok"

    assert with_args({}, None) == "ok"
    assert with_args.__name__ == "with_args"


def test_start_as_current_span_is_a_context_manager_and_a_decorator() -> None:
    import asyncio

    import pytest
    from opentelemetry import trace
    from opentelemetry.trace import StatusCode

    always = LambdaTracerProvider(lambda *_: True, lambda s: True)
    tracer = always.get_tracer("t")

    @tracer.start_as_current_span("sync")
    def sync_work() -> int:
        return trace.get_current_span().get_span_context().span_id

    @tracer.start_as_current_span("async")
    async def async_work() -> int:
        return trace.get_current_span().get_span_context().span_id

    def build(t) -> None:  # type: ignore[no-untyped-def]
        with t.start_as_current_span("outer") as outer:
            assert trace.get_current_span() is outer
            with pytest.raises(ValueError), t.start_as_current_span("failing"):
                raise ValueError("boom")
            assert trace.get_current_span() is outer  # detached on the way out
        with t.start_as_current_span("kept", end_on_exit=False) as kept:
            pass
        assert kept.is_recording()
        kept.end()

    spans = {span.name: span for span in spans_of(build)}
    assert set(spans) == {"outer", "failing", "kept"}
    failing = spans["failing"]
    assert failing.status.status_code is StatusCode.ERROR
    assert [event.name for event in failing.events] == ["exception"]
    assert failing.parent is not None
    assert failing.parent.span_id == spans["outer"].context.span_id
    assert sync_work() != sync_work()  # a fresh span per call
    assert asyncio.run(async_work()) != 0
    assert not trace.get_current_span().get_span_context().is_valid
