"""A segment document straight to JSON text, byte for byte `SegmentEncoder.document` encoded.

Building the document as dicts and then encoding them costs about twice what writing the text
does (measured with callgrind on the invocation span: ≈ 190K instructions against ≈ 60K).
What goes where (http block, aws block, annotations, metadata, their keys and order) depends
only on the span's shape: its kind, parent, attribute keys and value types, so it is planned
once per shape (`SegmentPlan`) and the text is filled in with the values per span. A shape the
plan does not cover (two attributes cleaned to the same annotation key) uses the dict path.
tests/unit/aws_lambda/test_xray_json.py compares both on generated spans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from opentelemetry.trace import SpanKind

from aurastream_obs.core.json_encoding import compact_encoder, encode_basestring_ascii
from aurastream_obs.propagation.xray_header import xray_trace_id

if TYPE_CHECKING:
    from aurastream_obs.modes.awslambda.tracing import LambdaSpan
    from aurastream_obs.modes.awslambda.xray import SegmentEncoder

_esc: Callable[[str], str] = encode_basestring_ascii
_encode = compact_encoder(str)
_BOOL: Final = {True: "true", False: "false"}.__getitem__
_MAX_ANNOTATION_TEXT: Final = 1000
PLAN_MEMO_MAX: Final = 1024
# (`"key":` fragment, attribute key, value -> JSON)
Slot = tuple[str, str, Callable[[Any], str]]


def _json_of(cls: type) -> Callable[[Any], str]:
    """The value encoder for one attribute type, as the JSON encoder writes that type."""
    if issubclass(cls, str):
        return _esc
    if cls is bool:
        return _BOOL
    if issubclass(cls, int):
        return int.__repr__  # what the encoder writes for an int (an IntEnum too)
    return _encode  # floats (NaN and infinities), tuples, anything else


def seconds(time_ns: int) -> str:
    """Epoch nanoseconds as X-Ray's floating-point seconds, written from the integer: exact to
    the nanosecond (X-Ray: "as many decimal places as you need"), and a third of what
    formatting the float costs (its shortest repr needs big-number arithmetic)."""
    whole, fraction = divmod(time_ns, 1_000_000_000)
    return f"{whole}.{fraction:09d}"


def _key(name: str) -> str:
    return _esc(name) + ":"


class SegmentPlan:
    """Where each attribute of one span shape goes in the document, as text fragments."""

    __slots__ = (
        "annotations", "arn", "aws", "covered", "metadata", "request", "response", "tables", "url",
    )  # fmt: skip

    def __init__(self, encoder: SegmentEncoder, keys: tuple[str, ...], types: tuple[type, ...]):
        from aurastream_obs.modes.awslambda import xray  # its tables: one source of truth

        kinds = dict(zip(keys, types, strict=True))
        self.request: list[Slot] = [
            (_key(out), key, _json_of(kinds[key])) for key, out in xray.HTTP_KEYS.items()
            if key in kinds
        ]  # fmt: skip
        # `url` from its parts when there is no url.full (filled in per span: the host may be "")
        self.url = "url.full" not in kinds and "url.path" in kinds
        status = kinds.get("http.response.status_code")
        self.response = status is not None and issubclass(status, int)
        last: dict[str, str] = {}  # out -> the last attribute giving it (a dict keeps the first
        for key, out in xray.AWS_KEYS:  # position and the last value: request_id twice)
            cls = kinds.get(key)
            if cls is not None and issubclass(cls, str):
                last[out] = key
        self.aws: list[Slot] = [(_key(out), key, _esc) for out, key in last.items()]
        tables = kinds.get("aws.dynamodb.table_names")
        self.tables = tables is not None and issubclass(tables, tuple | list)
        arn = kinds.get("cloud.resource_id")
        self.arn = arn is not None and issubclass(arn, str)
        self.annotations: list[Slot] = []
        self.metadata: list[Slot] = []
        for key, cls in kinds.items():
            if (encoder.index_all or key in encoder.indexed) and issubclass(
                cls, xray.ANNOTATION_TYPES
            ):
                self.annotations.append(
                    (_key(encoder.clean_annotation_key(key)), key, _json_of(cls))
                )
            elif key not in xray.HTTP_KEYS:
                self.metadata.append((_key(key), key, _json_of(cls)))
        # False when two annotation keys clean to one (a dict would keep one of them).
        fragments = [fragment for fragment, _, _ in self.annotations]
        self.covered = len(set(fragments)) == len(fragments)


def segment_json(encoder: SegmentEncoder, span: LambdaSpan, nested: bool) -> str | None:
    """The document's JSON text, or None when the plan does not cover the span's shape."""
    attrs: dict[str, Any] = span.attributes
    plan_key = (tuple(attrs), tuple(map(type, attrs.values())))
    plans = encoder.json_plans
    plan = plans.get(plan_key)
    if plan is None:
        plan = SegmentPlan(encoder, *plan_key)
        if len(plans) >= PLAN_MEMO_MAX:  # start again: a shape that comes late is planned too,
            plans.clear()  # not built anew for every span of it
        plans[plan_key] = plan
    if not plan.covered:
        return None
    parts = _ids(encoder, span, attrs, nested)
    _blocks(encoder, plan, span, attrs, parts)
    flags: dict[str, Any] = {}
    encoder.flags(span, flags)
    if flags:
        parts += (",", _encode(flags)[1:-1])
    if plan.annotations:
        values = []
        for fragment, key, fn in plan.annotations:
            value = attrs[key]
            if fn is _esc and len(value) > _MAX_ANNOTATION_TEXT:
                value = value[:_MAX_ANNOTATION_TEXT]
            values.append(fragment + fn(value))
        parts += (',"annotations":{', ",".join(values), "}")
    if plan.metadata:
        metadata = ",".join([fragment + fn(attrs[key]) for fragment, key, fn in plan.metadata])
        parts += (',"metadata":{"default":{', metadata, "}}")
    if span.links:
        parts += (',"links":[', ",".join([_link(link) for link in span.links]), "]")
    parts.append("}")
    return "".join(parts)


def _link(link: Any) -> str:
    """One member of `links` (xray.span_links, the dict form): trace_id, id, attributes."""
    context = link.context
    text = f'{{"trace_id":"{xray_trace_id(context.trace_id)}","id":"{context.span_id:016x}"'
    attributes = link.attributes
    return f'{text},"attributes":{_encode(dict(attributes))}}}' if attributes else text + "}"


def _ids(
    encoder: SegmentEncoder, span: LambdaSpan, attrs: dict[str, Any], nested: bool
) -> list[str]:
    """name, id, times, and (not nested) the trace id and the parent of a subsegment."""
    ctx, parent = span.context, span.parent
    name = encoder.service_name if _is_segment(span) else span.name
    if _aws_call(span, attrs) and isinstance(attrs.get("rpc.service"), str):
        name = str(attrs["rpc.service"])
    end = span.end_time or span.start_time
    parts = [
        '{"name":', _esc(encoder.clean_name(name)),
        ',"id":"', f"{ctx.span_id:016x}",
        '","start_time":', seconds(span.start_time),
        ',"end_time":', seconds(end),
    ]  # fmt: skip
    if not nested:
        parts += (',"trace_id":"', xray_trace_id(ctx.trace_id), '"')
        if not _is_segment(span) and parent is not None:
            parts += (',"type":"subsegment","parent_id":"', f"{parent.span_id:016x}", '"')
    return parts


def _blocks(
    encoder: SegmentEncoder,
    plan: SegmentPlan,
    span: LambdaSpan,
    attrs: dict[str, Any],
    parts: list[str],
) -> None:
    """origin/aws/resource_arn of a segment or a client's namespace, then http and aws."""
    aws = [fragment + fn(attrs[key]) for fragment, key, fn in plan.aws]
    if plan.tables:
        tables = attrs["aws.dynamodb.table_names"]
        if tables:
            aws.append('"table_name":' + _encode(tables[0]))
    segment = _is_segment(span)
    if segment:
        parts += (',"origin":"AWS::Lambda::Function","aws":{', encoder.xray_json)
        if aws:
            parts += (",", ",".join(aws))
        parts.append("}")
        if plan.arn:
            parts += (',"resource_arn":', _esc(attrs["cloud.resource_id"]))
    elif span.kind is SpanKind.CLIENT:
        parts.append(',"namespace":"aws"' if _aws_call(span, attrs) else ',"namespace":"remote"')
    _http(plan, attrs, parts)
    if aws and not segment:
        parts += (',"aws":{', ",".join(aws), "}")


def _is_segment(span: LambdaSpan) -> bool:
    parent = span.parent
    return parent is None or (parent.is_remote and not parent.trace_flags.sampled)


def _aws_call(span: LambdaSpan, attrs: dict[str, Any]) -> bool:
    return span.kind is SpanKind.CLIENT and attrs.get("rpc.system") == "aws-api"


def _http(plan: SegmentPlan, attrs: dict[str, Any], parts: list[str]) -> None:
    request = [fragment + fn(attrs[key]) for fragment, key, fn in plan.request]
    if plan.url:
        scheme, host = attrs.get("url.scheme", "https"), attrs.get("server.address", "")
        url = f"{scheme}://{host}{attrs['url.path']}" if host else attrs["url.path"]
        request.append('"url":' + (_esc(url) if url.__class__ is str else _encode(url)))
    if not request and not plan.response:
        return
    parts.append(',"http":{')
    if request:
        parts += ('"request":{', ",".join(request), "}")
    if plan.response:
        status = attrs["http.response.status_code"]
        parts += (',"response":{"status":' if request else '"response":{"status":',
                  _json_of(status.__class__)(status), "}")  # fmt: skip
    parts.append("}")
