"""LeanSpan/LeanTracer behave like the SDK's Span/Tracer: same scenario, same exported spans.

Each scenario runs once on the SDK's TracerProvider and once on AuraTracerProvider, with the
same deterministic ids and the same limits; the finished spans are encoded with the SDK's own
OTLP encoder and must be equal once timestamps (and tracebacks) are normalised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from aurastream_obs.sdk.spans import LeanSpan
from aurastream_obs.sdk.traces import AuraTracerProvider

Scenario = Callable[[trace_api.Tracer], None]


class CountingIds(IdGenerator):
    def __init__(self) -> None:
        self.n = 0

    def generate_span_id(self) -> int:
        self.n += 1
        return self.n

    def generate_trace_id(self) -> int:
        self.n += 1
        return (0x5F000000 << 96) | self.n


class Recorder(SpanProcessor):
    """Records the processor calls, as a third-party processor would see them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.calls.append(("start", span.name, span.is_recording()))

    def _on_ending(self, span: Any) -> None:
        self.calls.append(("ending", span.name, span.is_recording()))

    def on_end(self, span: ReadableSpan) -> None:
        self.calls.append(("end", span.name, isinstance(span, ReadableSpan)))


def _run(
    provider_class: type[TracerProvider],
    scenario: Scenario,
    limits: SpanLimits | None = None,
    sampler: Sampler | None = None,
) -> tuple[ExportTraceServiceRequest, list[ReadableSpan], list[tuple[str, str, bool]]]:
    exporter = InMemorySpanExporter()
    recorder = Recorder()
    provider = provider_class(
        resource=Resource.create({"service.name": "lean"}),
        id_generator=CountingIds(),
        span_limits=limits,
        sampler=sampler,
    )
    provider.add_span_processor(recorder)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    scenario(provider.get_tracer("lean.test", "1.0", attributes={"scope.attr": 1}))
    spans = list(exporter.get_finished_spans())
    request = encode_spans(spans)
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                span.start_time_unix_nano = span.end_time_unix_nano = 0
                for event in span.events:
                    event.time_unix_nano = 0
                    for kv in event.attributes:
                        if kv.key == "exception.stacktrace":
                            kv.value.string_value = "<traceback>"
    return request, spans, recorder.calls


def _same(scenario: Scenario, **kwargs: Any) -> ExportTraceServiceRequest:
    sdk, _, sdk_calls = _run(TracerProvider, scenario, **kwargs)
    lean, lean_spans, lean_calls = _run(AuraTracerProvider, scenario, **kwargs)
    assert lean == sdk
    assert lean_calls == sdk_calls
    assert lean_spans and all(type(s) is LeanSpan for s in lean_spans)  # not vacuous
    return lean


def _all_features(tracer: trace_api.Tracer) -> None:
    with tracer.start_as_current_span(
        "server", kind=SpanKind.SERVER, attributes={"initial": "yes"}
    ) as server:
        server.set_attributes({"s": "x", "i": 7, "f": 0.5, "b": True, "n": None})
        server.set_attributes({"list": [1, 2], "tuple": ("a", "b"), "bytes": b"\x00"})
        server.set_attribute("s", "overwritten and moved last")
        server.set_attribute("", "empty key dropped")
        server.set_attributes({3: "int key becomes '3'", "": "dropped too"})
        server.set_attribute("obj", object())  # no custom __str__: None, as the SDK does
        server.update_name("server renamed")
        assert trace_api.get_current_span() is server
        link = Link(server.get_span_context(), {"why": "batch"})
        with tracer.start_as_current_span("child", links=[link]) as child:
            assert trace_api.get_current_span() is child
            child.add_event("evt", {"k": "v"}, timestamp=123)
            child.add_event("no attributes")
            child.add_link(server.get_span_context(), {"late": True})
            child.add_link(trace_api.INVALID_SPAN_CONTEXT)  # invalid, no attributes: ignored
            child.set_status(Status(StatusCode.ERROR, "bad"))
            child.set_status(StatusCode.UNSET)  # ignored
        span = tracer.start_span("manual", kind=SpanKind.PRODUCER, start_time=10)
        span.set_status(StatusCode.OK)
        span.set_status(Status(StatusCode.ERROR, "after OK: ignored"))
        span.end(end_time=20)
        span.end()  # a second end is ignored (and warned)
        span.set_attribute("late", 1)  # after end: ignored
        span.add_event("late")
        span.update_name("late")
        assert not span.is_recording()
        with trace_api.use_span(tracer.start_span("used"), end_on_exit=True):
            pass
        with tracer.start_as_current_span("not ended", end_on_exit=False) as open_span:
            pass
        assert open_span.is_recording() == isinstance(open_span, SdkSpan)  # sampled in
        open_span.end()


def test_every_span_feature_exports_like_the_sdk() -> None:
    request = _same(_all_features)
    spans = {s.name: s for s in request.resource_spans[0].scope_spans[0].spans}
    assert set(spans) == {"server renamed", "child", "manual", "used", "not ended"}
    server = spans["server renamed"]
    assert [kv.key for kv in server.attributes][-1] == "obj"
    assert server.dropped_attributes_count == 2
    assert len(spans["child"].links) == 2 and len(spans["child"].events) == 2
    assert spans["manual"].status.code == StatusCode.OK.value


def _exceptions(tracer: trace_api.Tracer) -> None:
    with pytest.raises(ValueError), tracer.start_as_current_span("raises"):
        raise ValueError("boom")
    with pytest.raises(KeyError), tracer.start_as_current_span("quiet", record_exception=False):
        raise KeyError("k")
    with (
        pytest.raises(RuntimeError),
        tracer.start_as_current_span("no status", set_status_on_exception=False),
    ):
        raise RuntimeError("x")
    with pytest.raises(KeyboardInterrupt), tracer.start_as_current_span("base exception"):
        raise KeyboardInterrupt  # not an error: not recorded (opentelemetry-python#4484)
    span = tracer.start_span("as context manager")
    with pytest.raises(TypeError), span:  # Span.__exit__ records too
        raise TypeError("t")
    span = tracer.start_span("explicit")
    span.record_exception(OSError("disk"), attributes={"extra": 1}, escaped=True)
    span.end()


def test_exceptions_are_recorded_like_the_sdk() -> None:
    request = _same(_exceptions)
    spans = {s.name: s for s in request.resource_spans[0].scope_spans[0].spans}
    assert spans["raises"].status.message == "ValueError: boom"
    assert [e.name for e in spans["raises"].events] == ["exception"]
    assert not spans["quiet"].events and spans["quiet"].status.code == 2
    assert spans["no status"].status.code == 0
    assert not spans["base exception"].events


def _decorated(tracer: trace_api.Tracer) -> None:
    @tracer.start_as_current_span("sync")
    def work(x: int) -> int:
        assert trace_api.get_current_span().name == "sync"  # type: ignore[attr-defined]
        return x * 2

    @tracer.start_as_current_span("async")
    async def awork() -> str:
        await asyncio.sleep(0)  # a suspension point: the span must survive it
        return trace_api.get_current_span().name  # type: ignore[attr-defined,no-any-return]

    assert work(2) == 4 and work(3) == 6  # a fresh span per call
    assert asyncio.run(awork()) == "async"


def test_start_as_current_span_decorates_sync_and_async_functions() -> None:
    request = _same(_decorated)
    names = [s.name for s in request.resource_spans[0].scope_spans[0].spans]
    assert names == ["sync", "sync", "async"]


def _remote_parent(tracer: trace_api.Tracer) -> None:
    remote = SpanContext(
        0x5F0000000000000000000000000000AB,
        0xCD,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    ctx = trace_api.set_span_in_context(trace_api.NonRecordingSpan(remote))
    with tracer.start_as_current_span("from remote", context=ctx):
        pass
    token = context_api.attach(ctx)
    try:
        with tracer.start_as_current_span("from attached context"):
            pass
    finally:
        context_api.detach(token)


def test_parents_and_sampling_follow_the_sdk() -> None:
    request = _same(_remote_parent)
    spans = request.resource_spans[0].scope_spans[0].spans
    assert all(s.parent_span_id == (0xCD).to_bytes(8, "big") for s in spans)
    assert all(s.flags == 0x300 for s in spans)
    # A sampler that drops: nothing recorded, nothing exported, same as the SDK.
    dropped = _run(AuraTracerProvider, _all_features, sampler=ParentBased(ALWAYS_OFF))
    assert dropped[1] == [] and dropped[2] == []
    _same(_all_features, sampler=TraceIdRatioBased(0.5))


def test_span_limits_apply_like_the_sdk() -> None:
    limits = SpanLimits(
        max_span_attributes=3,
        max_span_attribute_length=4,
        max_events=1,
        max_links=1,
        max_event_attributes=1,
        max_link_attributes=1,
    )
    request = _same(_all_features, limits=limits)
    server = request.resource_spans[0].scope_spans[0].spans[-1]
    assert server.name == "server renamed"
    assert len(server.attributes) == 3 and server.dropped_attributes_count > 0
    _same(_all_features, limits=SpanLimits(max_span_attributes=0, max_events=0, max_links=0))


def test_lean_span_reads_like_an_sdk_span(caplog: pytest.LogCaptureFixture) -> None:
    provider = AuraTracerProvider()
    tracer = provider.get_tracer("t")
    assert provider.get_tracer("t") is tracer  # the SDK's tracer cache still applies
    with tracer.start_as_current_span("s", attributes={"a": 1}) as span:
        assert isinstance(span, SdkSpan) and isinstance(span, ReadableSpan)
        span.set_attribute("b", "x")
        assert dict(span.attributes) == {"a": 1, "b": "x"}  # type: ignore[attr-defined]
        assert span.is_recording()
    assert span._readable_span() is span  # type: ignore[attr-defined]
    assert '"name": "s"' in span.to_json()  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING):
        span.set_attribute("late", 1)
    assert "ended span" in caplog.text
    assert "late" not in span.attributes  # type: ignore[attr-defined]
