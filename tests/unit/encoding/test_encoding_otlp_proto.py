"""The hand-written OTLP protobuf encoder decodes to what the SDK's encoders build."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs as sdk_encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits

from aurastream_obs.encoding.proto import (
    LogItem,
    any_value,
    encode_logs,
    encode_spans,
    varint,
)
from support.sdk_telemetry import (
    ALL_TYPES,
    as_sdk_writes_it,
    build_sdk_logs,
    build_spans,
    decode_spans,
)


def test_varint_matches_protobuf_rules() -> None:
    assert varint(0) == b"\x00"
    assert varint(127) == b"\x7f"
    assert varint(128) == b"\x80\x01"
    assert varint(300) == b"\xac\x02"
    assert varint((1 << 64) - 1) == b"\xff" * 9 + b"\x01"


def test_spans_decode_to_the_sdk_encoders_message() -> None:
    resource = Resource.create({"service.name": "svc", "deployment.environment": "test"})
    spans = build_spans(resource)
    ours = decode_spans(encode_spans(spans))
    assert as_sdk_writes_it(ours) == sdk_encode_spans(spans)
    # Not vacuous: every kind of content is present in what was compared.
    decoded = {s.name: s for rs in ours.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert set(decoded) == {"server", "client ✓", "producer", "consumer", ""}
    server, client = decoded["server"], decoded["client ✓"]
    assert server.parent_span_id == (0x1122334455667788).to_bytes(8, "big")
    assert server.flags == 0x300  # parent context is remote
    assert client.flags == 0x100
    assert client.parent_span_id == server.span_id
    assert server.trace_state == "vendor=value,xray=1-abc"
    assert [e.name for e in client.events] == ["cache.miss", "no.attributes", "exception"]
    assert client.status.code == 2 and client.status.message == "throttled"
    assert server.status.code == 1
    assert client.kind == 3 and server.kind == 2
    assert len(ours.resource_spans[0].scope_spans) == 2


def test_span_attribute_values_of_every_type_round_trip() -> None:
    (server,) = [s for s in build_spans(Resource.create({})) if s.name == "server"]
    span = decode_spans(encode_spans([server])).resource_spans[0].scope_spans[0].spans[0]
    got: dict[str, Any] = {}
    for kv in span.attributes:
        which = kv.value.WhichOneof("value")
        value = getattr(kv.value, which)
        if which == "array_value":
            value = [getattr(v, v.WhichOneof("value")) for v in value.values]
        got[kv.key] = value
    assert got == {k: v for k, v in ALL_TYPES.items()}
    assert span.attributes[2].value.WhichOneof("value") == "bool_value"  # not int


def test_link_keeps_trace_state_which_the_sdk_drops() -> None:
    client = next(s for s in build_spans(Resource.create({})) if s.name == "client ✓")
    link = decode_spans(encode_spans([client])).resource_spans[0].scope_spans[0].spans[0].links[0]
    assert link.trace_state == "vendor=value,xray=1-abc"
    assert link.flags == 0x300
    assert link.trace_id == (0x0123456789ABCDEF0123456789ABCDEF).to_bytes(16, "big")


def test_dropped_counts_are_encoded() -> None:
    limits = SpanLimits(max_span_attributes=3, max_events=1, max_links=0, max_event_attributes=1)
    spans = build_spans(Resource.create({}), limits=limits)
    ours = decode_spans(encode_spans(spans))
    assert as_sdk_writes_it(ours) == sdk_encode_spans(spans)
    server = next(s for s in ours.resource_spans[0].scope_spans[0].spans if s.name == "server")
    client = next(s for s in ours.resource_spans[0].scope_spans[0].spans if s.name == "client ✓")
    assert server.dropped_attributes_count == len(ALL_TYPES) - 3
    assert client.dropped_events_count == 2
    assert client.events[0].dropped_attributes_count == 3  # exception event: 4 attrs, limit 1
    assert client.events[0].name == "exception"


def test_spans_of_several_resources_group_like_the_sdk() -> None:
    first = build_spans(Resource.create({"service.name": "a"}))
    second = build_spans(Resource.create({"service.name": "b"}, "https://schema/2"))
    again = build_spans(Resource.create({"service.name": "a"}))  # equal, distinct object
    mixed = [first[0], second[0], again[0], first[1], second[1]]
    ours = decode_spans(encode_spans(mixed))
    assert as_sdk_writes_it(ours) == sdk_encode_spans(mixed)
    assert len(ours.resource_spans) == 2
    assert ours.resource_spans[1].schema_url == "https://schema/2"


def test_out_of_range_int_and_odd_types_are_kept_as_text() -> None:
    assert any_value(2**64) == any_value(str(2**64))
    assert any_value(None) == b""
    assert any_value(b"\x00\xff") == b"\x3a\x02\x00\xff"

    class Odd:
        def __str__(self) -> str:
            return "odd"

    assert any_value(Odd()) == any_value("odd")
    assert any_value("\ud800") == any_value("?")  # lone surrogate: valid UTF-8 on the wire


def test_sdk_log_records_decode_to_the_sdk_encoders_message() -> None:
    logs = build_sdk_logs(Resource.create({"service.name": "svc"}))
    ours = ExportLogsServiceRequest.FromString(encode_logs(logs))
    assert ours == sdk_encode_logs(logs)
    records = ours.resource_logs[0].scope_logs[0].log_records
    assert len(records) == 3
    assert records[0].trace_id and records[0].flags & 1  # sampled
    assert not records[1].trace_id
    assert records[0].event_name == "aurastream.analysis"


def test_log_items_encode_like_equivalent_sdk_records() -> None:
    resource = Resource.create({"service.name": "svc"})
    (sdk_record, *_) = build_sdk_logs(resource)
    record = sdk_record.log_record
    item = LogItem(
        record.timestamp,
        record.observed_timestamp,
        SeverityNumber.WARN.value,
        "WARN",
        "inside ✓",
        dict(record.attributes or {}),
        record.trace_id,
        record.span_id,
        int(record.trace_flags),
        sdk_record.resource,
        sdk_record.instrumentation_scope,
        "aurastream.analysis",
    )
    assert encode_logs([item]) == encode_logs([sdk_record])
    mixed = ExportLogsServiceRequest.FromString(encode_logs([item, sdk_record]))
    assert len(mixed.resource_logs[0].scope_logs[0].log_records) == 2  # one resource, one scope


@pytest.mark.parametrize("level", [logging.INFO, logging.CRITICAL])
def test_log_item_without_span_has_no_ids(level: int) -> None:
    item = LogItem(None, 5, level // 10 * 4 + 1, None, "m", None, 0, 0, 0, Resource({}), None)
    record = ExportLogsServiceRequest.FromString(encode_logs([item]))
    got = record.resource_logs[0].scope_logs[0].log_records[0]
    assert not got.trace_id and not got.span_id and not got.flags
    assert got.observed_time_unix_nano == 5 and got.time_unix_nano == 0
    assert got.body.string_value == "m"
