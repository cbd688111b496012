"""X-Ray documents written directly as JSON text (modes/awslambda/xray_json.py) are the bytes of
the dict documents (`SegmentEncoder.document`) encoded: every field, in the same order, for
generated spans of every kind, parent, attribute type and status."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from aurastream_obs.core.json_encoding import compact_encoder
from aurastream_obs.modes.awslambda.tracing import LambdaSpan
from aurastream_obs.modes.awslambda.xray import SegmentEncoder, XRayUdpExporter
from aurastream_obs.modes.awslambda.xray_json import segment_json

ENCODE = compact_encoder(str)


def ordered(text: str) -> Any:
    """A JSON document as nested lists of (key, value) pairs: order and values compared."""
    return json.loads(text, object_pairs_hook=list)


class Text(str):
    pass


class Level(enum.IntEnum):
    HIGH = 3


KEYS = [
    "http.request.method", "url.full", "url.path", "url.scheme", "server.address",
    "client.address", "user_agent.original", "http.response.status_code", "rpc.system",
    "rpc.service", "rpc.method", "cloud.region", "cloud.account.id", "aws.request_id",
    "faas.invocation_id", "aws.sqs.queue.url", "aws.dynamodb.table_names", "http.route",
    "faas.trigger", "faas.coldstart", "cloud.resource_id", "custom.key", "weird key!",
    "weird_key_", "error.type",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["", "x", "aws-api", "a@b.c", "é ü", "y" * 1500, Text("sub"), Level.HIGH]),
    st.booleans(),
    st.sampled_from([0, 200, 404, 429, 503]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.tuples(st.text(max_size=3)),
    st.just(()),
)
PARENTS = st.sampled_from(["none", "remote-sampled", "remote-unsampled", "local"])


LINKS = st.lists(
    st.tuples(
        st.integers(1, (1 << 128) - 1),
        st.integers(1, (1 << 64) - 1),
        st.dictionaries(st.sampled_from(["k", "n", "é"]), VALUES, max_size=2),
    ),
    max_size=2,
)


def _span(
    name: str,
    kind: SpanKind,
    parent: str,
    attrs: dict[str, Any],
    error: bool,
    *,
    links: tuple[tuple[int, int, dict[str, Any]], ...] | list[Any] = (),
) -> Any:
    context = SpanContext(0x5759E988BD862E3FE1BE46A994272793, 0xABC, False, TraceFlags(1))
    parents = {
        "none": None,
        "remote-sampled": SpanContext(context.trace_id, 7, True, TraceFlags(1)),
        "remote-unsampled": SpanContext(context.trace_id, 7, True, TraceFlags(0)),
        "local": SpanContext(context.trace_id, 9, False, TraceFlags(1)),
    }
    span = LambdaSpan(
        name, context=context, parent=parents[parent], kind=kind, on_end=lambda s: None,
        scope="t", start_time=1_796_613_185_918_351_400,
        links=[Link(SpanContext(t, s, True, TraceFlags(1)), a or None) for t, s, a in links],
    )  # fmt: skip
    span.attributes.update(attrs)  # as set_attribute keeps them (types included)
    if error:
        span.record_exception(ValueError("boom"))
        span.set_status(Status(StatusCode.ERROR, "x"))
    span.end(1_796_613_185_919_009_700)
    return span


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["GET /x", "", "weird<>name" * 30, "DynamoDB.GetItem"]),
    st.sampled_from(list(SpanKind)),
    PARENTS,
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=10),
    st.tuples(st.booleans(), st.booleans(), st.booleans()),
    LINKS,
)
def test_the_text_is_the_encoded_document(  # noqa: PLR0917 - @given's arguments
    name: str,
    kind: SpanKind,
    parent: str,
    attrs: dict[str, Any],
    flags: tuple[bool, ...],
    links: list[tuple[int, int, dict[str, Any]]],
) -> None:
    error, nested, index_all = flags
    encoder = SegmentEncoder("svc", ["*"] if index_all else ["http.route", "faas.trigger"], {})
    span = _span(name, kind, parent, attrs, error, links=links)
    text = segment_json(encoder, span, nested)
    if text is None:  # two keys cleaned to one annotation key: the dict path is used
        assert {"weird key!", "weird_key_"} <= set(attrs)
        return
    # The same members in the same order with the same values (times: the text has all nine
    # decimals of the nanoseconds, the float the shortest form of the same double).
    assert ordered(text) == ordered(ENCODE(encoder.document(span, nested=nested)))
    assert segment_json(encoder, span, nested) == text  # the memoised plan: the same text


def test_a_tree_is_one_datagram_with_its_subsegments_nested() -> None:
    encoder = SegmentEncoder("svc", ["http.route"], {})
    root = _span("GET /x", SpanKind.SERVER, "remote-sampled", {"http.route": "/x"}, False)
    child = LambdaSpan(
        "child", context=SpanContext(root.context.trace_id, 0xDEF, False, TraceFlags(1)),
        parent=root.context, kind=SpanKind.INTERNAL, on_end=lambda s: None, scope="t",
    )  # fmt: skip
    child.set_attribute("n", math.pi)
    child.end()
    exporter = XRayUdpExporter(encoder, ("127.0.0.1", 9))
    (datagram,) = exporter.datagrams([child, root])
    expected = ENCODE(exporter._nested(root, {root.context.span_id: [child]}))
    assert ordered(datagram.partition(b"\n")[2].decode()) == ordered(expected)


def test_links_are_written_as_the_collector_writes_them() -> None:
    """`links`: the linked trace in X-Ray form, the span id, attributes only when present
    (contrib awsxrayexporter: translator/span_links.go, SpanLinkData in tracesegment.go)."""
    encoder = SegmentEncoder("svc", [], {})
    links = [(0x5E6722A7CC56A0B246DB7AE02D4DA47E, 0x2222222222222222, {}), (1, 2, {"k": "v"})]
    span = _span("GET /x", SpanKind.SERVER, "remote-sampled", {}, False, links=links)
    document = json.loads(segment_json(encoder, span, False) or "")
    assert document["links"] == [
        {"trace_id": "1-5e6722a7-cc56a0b246db7ae02d4da47e", "id": "2222222222222222"},
        {"trace_id": "1-00000000-000000000000000000000001", "id": "0000000000000002",
         "attributes": {"k": "v"}},
    ]  # fmt: skip
    assert "links" not in json.loads(segment_json(encoder, _span("x", SpanKind.SERVER,
        "none", {}, False), False) or "")  # fmt: skip


def test_a_full_plan_memo_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shape that comes after the memo filled up is memoised too (not planned anew for each
    span of it); a shape the plans do not cover is remembered as such (the dict path)."""
    from aurastream_obs.modes.awslambda import xray_json

    monkeypatch.setattr(xray_json, "PLAN_MEMO_MAX", 2)
    encoder = SegmentEncoder("svc", ["*"], {})
    spans = [_span("x", SpanKind.SERVER, "none", {key: 1}, False) for key in ("a", "b", "c")]
    for span in spans:
        text = segment_json(encoder, span, False)
        assert ordered(text or "") == ordered(ENCODE(encoder.document(span, nested=False)))
    assert [keys for keys, _ in encoder.json_plans] == [("c",)]
    uncovered = _span("x", SpanKind.SERVER, "none", {"weird key!": 1, "weird_key_": 2}, False)
    assert segment_json(encoder, uncovered, False) is None
    assert segment_json(encoder, uncovered, False) is None
    (plan,) = [p for (keys, _), p in encoder.json_plans.items() if "weird key!" in keys]
    assert not plan.covered
