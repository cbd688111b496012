"""OTLP/JSON text of spans and log records, written directly from the SDK objects / LogItems.

Why: going through the SDK's protobuf encoder and `json_format.MessageToDict` costs ≈80 µs
per span; even building dicts for `json.dumps` costs ≈16 µs. Writing the text directly, with
the C string escaper `json` itself uses, costs a few µs. The output is the same text that the
protobuf + json_format route produces (tests/unit/encoding compare lines byte for byte): the
OTLP JSON rules listed in `otlp_json` (lowerCamelCase keys in field-number order, hex ids,
enums as integers, 64-bit integers as strings, default values omitted), with a link's
`traceState` kept as in `proto`. Values and attributes are written by `json_values`, a
log record by `json_logs`; this module writes spans and the request around the items.
"""

from __future__ import annotations

from collections.abc import Sequence
from json.encoder import encode_basestring  # C; what json.dumps(ensure_ascii=False) uses
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.encoding.grouping import group_by_resource_scope
from aurastream_obs.encoding.json_logs import log_json
from aurastream_obs.encoding.json_values import key_values
from aurastream_obs.encoding.log_item import as_log_item
from aurastream_obs.encoding.span_fields import FIELD_EXACT_SPAN_CLASSES

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

_FLAGS: Final = ('"flags":256', '"flags":768')  # HAS_IS_REMOTE, | IS_REMOTE (see proto)
_FIELD_CLASSES: Final = FIELD_EXACT_SPAN_CLASSES  # see encoding/span_fields.py
# Text of resources and scopes (immutable, few, reused), kept across batches as proto_wire
# does: at low traffic a batch is one request's records. Keyed by identity; grouping merges
# equal ones held by distinct objects (by this text).
_TEXTS: dict[int, tuple[object, tuple[str, str]]] = {}
_TEXTS_MAX: Final = 256


def _resource(resource: Resource) -> str:
    attributes = key_values(resource.attributes)
    return '{"attributes":' + attributes + "}" if attributes else "{}"


def _scope(scope: InstrumentationScope | None) -> str:
    parts = []
    if scope is not None:
        if scope.name:
            parts.append('"name":' + encode_basestring(scope.name))
        if scope.version:
            parts.append('"version":' + encode_basestring(scope.version))
        attributes = key_values(scope.attributes)
        if attributes:
            parts.append('"attributes":' + attributes)
    return "{" + ",".join(parts) + "}"


def _schema(url: str | None) -> str:
    return ',"schemaUrl":' + encode_basestring(url) if url else ""


def _resource_key(resource: Resource) -> tuple[str, str]:
    """The resource's text and schemaUrl member, written once per Resource object."""
    entry = _TEXTS.get(id(resource))
    if entry is not None and entry[0] is resource:
        return entry[1]
    return _remember(resource, (_resource(resource), _schema(resource.schema_url)))


def _scope_key(scope: InstrumentationScope | None) -> tuple[str, str]:
    """The scope's text and schemaUrl member, written once per InstrumentationScope object."""
    entry = _TEXTS.get(id(scope))
    if entry is not None and entry[0] is scope:
        return entry[1]
    schema = _schema(scope.schema_url if scope is not None else None)
    return _remember(scope, (_scope(scope), schema))


def _remember(owner: object, key: tuple[str, str]) -> tuple[str, str]:
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    _TEXTS[id(owner)] = (owner, key)  # holds the object: its id stays unique
    return key


def _group(
    items: Sequence[tuple[str, Resource, InstrumentationScope | None]],
    outer: str,
    inner: str,
    leaf: str,
) -> str:
    """`{outer:[{resource, inner:[{scope, leaf:[...], schemaUrl}], schemaUrl}]}`."""
    groups = group_by_resource_scope(items, _resource_key, _scope_key)
    # One join of small pieces: joining the leaves first and then concatenating level by level
    # would copy every byte of the line once per level.
    out = [f'{{"{outer}":[']
    resource_sep = ""
    for (resource_text, resource_schema), scopes in groups.items():
        out.append(f'{resource_sep}{{"resource":{resource_text},"{inner}":[')
        scope_sep = ""
        for (scope_text, scope_schema), leaves in scopes.items():
            out.append(f'{scope_sep}{{"scope":{scope_text},"{leaf}":[')
            separated = [","] * (2 * len(leaves) - 1)
            separated[::2] = leaves
            out += separated
            out.append("]" + scope_schema + "}")
            scope_sep = ","
        out.append("]" + resource_schema + "}")
        resource_sep = ","
    out.append("]}")
    return "".join(out)


def _trace_state(state: Any) -> str:
    return encode_basestring(",".join([f"{key}={value}" for key, value in state.items()]))


def _event(event: Any) -> str:
    parts = []
    if event.timestamp:
        parts.append(f'"timeUnixNano":"{event.timestamp}"')
    if event.name:
        parts.append('"name":' + encode_basestring(event.name))
    attributes = key_values(event.attributes)
    if attributes:
        parts.append('"attributes":' + attributes)
    if event.dropped_attributes:
        parts.append(f'"droppedAttributesCount":{event.dropped_attributes}')
    return "{" + ",".join(parts) + "}"


def _link(link: Any) -> str:
    ctx = link.context
    parts = [f'"traceId":"{ctx.trace_id:032x}","spanId":"{ctx.span_id:016x}"']
    if ctx.trace_state:
        parts.append('"traceState":' + _trace_state(ctx.trace_state))
    attributes = key_values(link.attributes)
    if attributes:
        parts.append('"attributes":' + attributes)
    if link.dropped_attributes:
        parts.append(f'"droppedAttributesCount":{link.dropped_attributes}')
    parts.append(_FLAGS[1 if ctx.is_remote else 0])
    return "{" + ",".join(parts) + "}"


def span_json(span: ReadableSpan) -> str:
    """One Span as its OTLP/JSON object."""
    if span.__class__ in _FIELD_CLASSES:  # as proto.encode_span: fields, not properties
        attributes, events, links = span._attributes, span._events, span._links
        dropped_attributes = getattr(attributes, "dropped", 0)
        dropped_events = getattr(events, "dropped", 0)
        dropped_links = getattr(links, "dropped", 0)
    else:
        attributes, events, links = span.attributes, span.events, span.links
        dropped_attributes = span.dropped_attributes
        dropped_events, dropped_links = span.dropped_events, span.dropped_links
    ctx, parent = span.context, span.parent
    parts = [f'{{"traceId":"{ctx.trace_id:032x}","spanId":"{ctx.span_id:016x}"']
    if ctx.trace_state:
        parts.append('"traceState":' + _trace_state(ctx.trace_state))
    if parent is not None:
        parts.append(f'"parentSpanId":"{parent.span_id:016x}"')
    if span.name:
        parts.append('"name":' + encode_basestring(span.name))
    parts.append(f'"kind":{span.kind.value + 1}')  # API INTERNAL=0.. → OTLP INTERNAL=1..
    if span.start_time:
        parts.append(f'"startTimeUnixNano":"{span.start_time}"')
    if span.end_time:
        parts.append(f'"endTimeUnixNano":"{span.end_time}"')
    if attributes:
        parts.append('"attributes":' + key_values(attributes))
    if dropped_attributes:
        parts.append(f'"droppedAttributesCount":{dropped_attributes}')
    if events:
        parts.append('"events":[' + ",".join([_event(e) for e in events]) + "]")
    if dropped_events:
        parts.append(f'"droppedEventsCount":{dropped_events}')
    if links:
        parts.append('"links":[' + ",".join([_link(link) for link in links]) + "]")
    if dropped_links:
        parts.append(f'"droppedLinksCount":{dropped_links}')
    status = span.status
    if status is not None:
        code = status.status_code.value
        if status.description:
            message = '"message":' + encode_basestring(status.description)
            parts.append('"status":{' + message + (f',"code":{code}}}' if code else "}"))
        else:
            parts.append(f'"status":{{"code":{code}}}' if code else '"status":{}')
    parts.append(_FLAGS[1 if parent is not None and parent.is_remote else 0] + "}")
    return ",".join(parts)


def spans_json(spans: Sequence[ReadableSpan]) -> str:
    """One `{"resourceSpans":[...]}` line (no newline)."""
    items = [(span_json(s), s.resource, s.instrumentation_scope) for s in spans]
    return _group(items, "resourceSpans", "scopeSpans", "spans")


def logs_json(batch: Sequence[Any]) -> str:
    """One `{"resourceLogs":[...]}` line from LogItems or SDK log records."""
    items = []
    for record in batch:
        item = as_log_item(record)
        items.append((log_json(item), item.resource, item.scope))
    return _group(items, "resourceLogs", "scopeLogs", "logRecords")
