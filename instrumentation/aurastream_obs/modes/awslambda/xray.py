"""Spans → X-Ray segment documents → UDP datagrams to the X-Ray daemon Lambda runs.

The OpenTelemetry replacement for the X-Ray SDK's emitter. Facts (AWS X-Ray
developer guide, "AWS X-Ray segment documents" and "Sending segment documents to the X-Ray
daemon", docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html):
each datagram is the header line `{"format": "json", "version": 1}` plus one JSON document; a
span whose parent is Lambda's function segment becomes a subsegment (`type: subsegment`,
`parent_id`, `trace_id`) so it nests under that segment; a local tree is sent nested in one
document when it fits, else each span on its own (still a valid subsegment); annotation keys
may hold only letters, digits and `_`, values are strings, numbers or booleans.
"""

from __future__ import annotations

# `_socket` (the C module `socket` wraps) is enough for one UDP sendto: `socket` itself builds
# four IntEnum classes and imports `selectors` at import (≈ 2 ms of cold start).
import _socket
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from opentelemetry.trace import SpanKind, StatusCode

from aurastream_obs.core.json_encoding import compact_encoder
from aurastream_obs.core.version import __version__
from aurastream_obs.modes.awslambda.tracing import LambdaSpan
from aurastream_obs.modes.awslambda.xray_json import SegmentPlan, seconds, segment_json
from aurastream_obs.propagation.xray_header import xray_trace_id

HEADER: Final = b'{"format": "json", "version": 1}\n'
# Below the 65,507-byte IPv4 UDP payload limit and the daemon's 64 KiB receive buffer.
MAX_DATAGRAM_BYTES: Final = 64_000
DEFAULT_DAEMON: Final = ("127.0.0.1", 2000)
_ANNOTATION_KEY: Final = r"[^A-Za-z0-9_]"
_NAME_CHARS: Final = r"[^\w\s.:/%&#=+\\\-@]"  # compiled at first use: a Unicode class costs ms
_MAX_NAME: Final = 200
_MAX_ANNOTATION_TEXT: Final = 1000
_MEMO_MAX: Final = 1024  # cleaned span names and annotation keys, per encoder (names may vary)
ANNOTATION_TYPES: Final = (str, bool, int, float)
AWS_KEYS: Final = (
    ("rpc.method", "operation"),
    ("cloud.region", "region"),
    ("cloud.account.id", "account_id"),
    ("aws.request_id", "request_id"),
    ("faas.invocation_id", "request_id"),
    ("aws.sqs.queue.url", "queue_url"),
)
# Attributes the http/aws blocks carry; kept out of metadata to save datagram bytes.
HTTP_KEYS: Final = {
    "http.request.method": "method",
    "url.full": "url",
    "client.address": "client_ip",
    "user_agent.original": "user_agent",
}


def annotation_key(attribute: str) -> str:
    """X-Ray annotation keys are alphanumeric with `_` (the awsxray exporter does the same)."""
    return re.sub(_ANNOTATION_KEY, "_", attribute)[:500]


def daemon_address(raw: str | None) -> tuple[str, int]:
    """`host:port`, or the daemon's `tcp:h:p udp:h:p` form (UDP part taken); default on error."""
    if not raw:
        return DEFAULT_DAEMON
    for part in raw.split():
        if part.startswith("tcp:"):
            continue
        host, _, port = part.removeprefix("udp:").rpartition(":")
        host = host.removeprefix("[").removesuffix("]")  # "[::1]:2000"
        if host and port.isdigit() and 0 < int(port) <= 65535:
            return host, int(port)
    return DEFAULT_DAEMON


# Attributes without which the http and aws blocks are empty (checked before building them).
_HTTP_BLOCK_KEYS: Final = frozenset({*HTTP_KEYS, "url.path", "http.response.status_code"})
_AWS_BLOCK_KEYS: Final = frozenset({*(key for key, _ in AWS_KEYS), "aws.dynamodb.table_names"})


def _http_block(attrs: Mapping[str, Any]) -> dict[str, Any]:
    request = {out: attrs[key] for key, out in HTTP_KEYS.items() if key in attrs}
    if "url" not in request and "url.path" in attrs:
        scheme, host = attrs.get("url.scheme", "https"), attrs.get("server.address", "")
        request["url"] = f"{scheme}://{host}{attrs['url.path']}" if host else attrs["url.path"]
    status = attrs.get("http.response.status_code")
    block: dict[str, Any] = {}
    if request:
        block["request"] = request
    if isinstance(status, int):
        block["response"] = {"status": status}
    return block


def _aws_block(attrs: Mapping[str, Any]) -> dict[str, Any]:
    block = {out: value for key, out in AWS_KEYS if isinstance(value := attrs.get(key), str)}
    tables = attrs.get("aws.dynamodb.table_names")
    if isinstance(tables, (tuple, list)) and tables:
        block["table_name"] = tables[0]
    return block


def span_links(span: LambdaSpan) -> list[dict[str, Any]]:
    """The span's links as the collector's awsxray exporter writes them (opentelemetry-
    collector-contrib, exporter/awsxrayexporter/internal/translator/span_links.go and the
    `links` member of internal/aws/xray/tracesegment.go): the linked trace id in X-Ray form,
    its span id, and the link's attributes when it has any. Without them the trace a caller
    named in its own header (an API Gateway request id's trace, a queue message's producer)
    would not be reachable from the function's segment."""
    found = []
    for link in span.links:
        context = link.context
        item: dict[str, Any] = {
            "trace_id": xray_trace_id(context.trace_id),
            "id": f"{context.span_id:016x}",
        }
        if link.attributes:
            item["attributes"] = dict(link.attributes)
        found.append(item)
    return found


class SegmentEncoder:
    """Builds segment/subsegment documents; annotations for `indexed` keys (or all with `*`)."""

    def __init__(
        self, service_name: str, indexed: Iterable[str], resource: Mapping[str, Any]
    ) -> None:
        keys = tuple(indexed)
        self.index_all = "*" in keys
        self.indexed = frozenset(keys)
        self.service_name = service_name
        self.resource = dict(resource)
        # Shared by every segment document: serialised, never mutated.
        self._xray = {"sdk": "aurastream_obs (OpenTelemetry)", "sdk_version": __version__}
        self._names: dict[str, str] = {}
        self._annotation_keys: dict[str, str] = {}
        self.xray_json = '"xray":' + _encode(self._xray)
        # Document plans per span shape for segment_json (xray_json.py).
        self.json_plans: dict[tuple[tuple[str, ...], tuple[type, ...]], SegmentPlan] = {}

    def clean_name(self, name: str) -> str:
        clean = self._names.get(name)
        if clean is None:
            clean = re.sub(_NAME_CHARS, "_", name)[:_MAX_NAME] or "span"
            if len(self._names) < _MEMO_MAX:
                self._names[name] = clean
        return clean

    def clean_annotation_key(self, key: str) -> str:
        clean = self._annotation_keys.get(key)
        if clean is None:
            clean = annotation_key(key)
            if len(self._annotation_keys) < _MEMO_MAX:
                self._annotation_keys[key] = clean
        return clean

    def document(self, span: LambdaSpan, *, nested: bool = False) -> dict[str, Any]:
        ctx, attrs, parent = span.context, span.attributes, span.parent
        # is_segment(span), inline: no recorded parent segment to attach to
        is_segment = parent is None or (parent.is_remote and not parent.trace_flags.sampled)
        name = self.service_name if is_segment else span.name
        aws_call = span.kind is SpanKind.CLIENT and attrs.get("rpc.system") == "aws-api"
        if aws_call and isinstance(attrs.get("rpc.service"), str):
            name = str(attrs["rpc.service"])  # the X-Ray service map node: "DynamoDB"
        doc: dict[str, Any] = {
            "name": self.clean_name(name),
            "id": f"{ctx.span_id:016x}",
            # The float of the text segment_json writes (xray_json.seconds): one value.
            "start_time": float(seconds(span.start_time)),
            "end_time": float(seconds(span.end_time or span.start_time)),
        }
        if not nested:
            doc["trace_id"] = xray_trace_id(ctx.trace_id)
            if not is_segment and parent is not None:
                doc["type"] = "subsegment"
                doc["parent_id"] = f"{parent.span_id:016x}"
        if is_segment:
            doc["origin"] = "AWS::Lambda::Function"
            doc["aws"] = {"xray": self._xray}
            arn = attrs.get("cloud.resource_id")
            if isinstance(arn, str):
                doc["resource_arn"] = arn
        elif span.kind is SpanKind.CLIENT:
            doc["namespace"] = "aws" if aws_call else "remote"
        if not attrs:  # a plain child span: nothing of what follows applies but its status
            if span.status.status_code is StatusCode.ERROR or span.events:
                self.flags(span, doc)
            if span.links:
                doc["links"] = span_links(span)
            return doc
        keys = attrs.keys()
        if not keys.isdisjoint(_HTTP_BLOCK_KEYS) and (http := _http_block(attrs)):
            doc["http"] = http
        if not keys.isdisjoint(_AWS_BLOCK_KEYS) and (aws := _aws_block(attrs)):
            doc.setdefault("aws", {}).update(aws)
        self.flags(span, doc)
        annotations, metadata = self._split(attrs)
        if annotations:
            doc["annotations"] = annotations
        if metadata:
            doc["metadata"] = {"default": metadata}
        if span.links:
            doc["links"] = span_links(span)
        return doc

    @staticmethod
    def is_segment(span: LambdaSpan) -> bool:
        """No recorded parent segment to attach to: the root of a locally sampled trace."""
        parent = span.parent
        return parent is None or (parent.is_remote and not parent.trace_flags.sampled)

    def _split(self, attrs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        annotations: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        index_all, indexed, clean_keys = self.index_all, self.indexed, self._annotation_keys
        for key, value in attrs.items():
            if (index_all or key in indexed) and isinstance(value, ANNOTATION_TYPES):
                clean = clean_keys.get(key) or self.clean_annotation_key(key)
                annotations[clean] = (
                    value[:_MAX_ANNOTATION_TEXT] if isinstance(value, str) else value
                )
            elif key not in HTTP_KEYS:
                metadata[key] = list(value) if isinstance(value, tuple) else value
        return annotations, metadata

    @staticmethod
    def flags(span: LambdaSpan, doc: dict[str, Any]) -> None:
        status = span.attributes.get("http.response.status_code")
        if isinstance(status, int) and 400 <= status < 500:
            doc["error"] = True
            if status == 429:
                doc["throttle"] = True
        elif (isinstance(status, int) and status >= 500) or (
            span.status.status_code is StatusCode.ERROR
        ):
            doc["fault"] = True
        exceptions = [
            {
                "id": f"{span.context.span_id ^ (i + 1):016x}",
                "type": str(event.attributes.get("exception.type", "")),
                "message": str(event.attributes.get("exception.message", ""))[:1000],
            }
            for i, event in enumerate(span.events)
            if event.name == "exception"
        ]
        if exceptions:
            doc["cause"] = {"exceptions": exceptions}
            if "error" not in doc:
                doc["fault"] = True


class XRayUdpExporter:
    """Sends documents at flush; never raises (failures are counted through `on_drop`)."""

    def __init__(
        self,
        encoder: SegmentEncoder,
        address: tuple[str, int],
        on_drop: Any = None,
    ) -> None:
        self.encoder = encoder
        self.address = address
        self._on_drop = on_drop
        self._socket: _socket.socket | None = None
        self.sent = 0

    def datagrams(self, spans: list[LambdaSpan]) -> list[bytes]:
        """One datagram per local tree when it fits; else one per span (trimmed to fit)."""
        by_id = {s.context.span_id: s for s in spans}
        children: dict[int, list[LambdaSpan]] = {}
        roots: list[LambdaSpan] = []
        for span in spans:
            parent = span.parent
            if parent is not None and not parent.is_remote and parent.span_id in by_id:
                children.setdefault(parent.span_id, []).append(span)
            else:
                roots.append(span)
        out: list[bytes] = []
        for root in roots:
            data = HEADER + self._nested_json(root, children).encode()
            if len(data) <= MAX_DATAGRAM_BYTES:
                out.append(data)
                continue
            for span in self._subtree(root, children):
                out.extend(self._single(span))
        return out

    def _nested(
        self, span: LambdaSpan, children: dict[int, list[LambdaSpan]], depth: int = 0
    ) -> dict[str, Any]:
        doc = self.encoder.document(span, nested=depth > 0)
        kids = children.get(span.context.span_id)
        if kids:
            doc["subsegments"] = [self._nested(k, children, depth + 1) for k in kids]
        return doc

    def _nested_json(
        self, span: LambdaSpan, children: dict[int, list[LambdaSpan]], depth: int = 0
    ) -> str:
        """`_nested` as JSON text, written directly (xray_json.py); the same bytes."""
        text = segment_json(self.encoder, span, depth > 0)
        if text is None:  # a shape the direct writer does not cover: the dicts, encoded
            return _encode(self._nested(span, children, depth))
        kids = children.get(span.context.span_id)
        if kids:
            subsegments = ",".join([self._nested_json(k, children, depth + 1) for k in kids])
            text = f'{text[:-1]},"subsegments":[{subsegments}]}}'
        return text

    @staticmethod
    def _subtree(span: LambdaSpan, children: dict[int, list[LambdaSpan]]) -> list[LambdaSpan]:
        found, stack = [], [span]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(children.get(current.context.span_id, ()))
        return found

    def _single(self, span: LambdaSpan) -> list[bytes]:
        doc = self.encoder.document(span)
        for trim in ("metadata", "cause", "links", "annotations", "http"):
            data = HEADER + _dumps(doc)
            if len(data) <= MAX_DATAGRAM_BYTES:
                return [data]
            doc.pop(trim, None)  # least useful first; the span's timing and ids survive
        data = HEADER + _dumps(doc)
        if len(data) <= MAX_DATAGRAM_BYTES:
            return [data]
        self._drop(1)
        return []

    def export(self, spans: list[LambdaSpan]) -> bool:
        try:
            datagrams = self.datagrams(spans)
            sock = self._socket
            if sock is None:
                family = _socket.AF_INET6 if ":" in self.address[0] else _socket.AF_INET
                sock = self._socket = _socket.socket(family, _socket.SOCK_DGRAM)
            for data in datagrams:
                sock.sendto(data, self.address)
                self.sent += 1
            return True
        except Exception:  # noqa: BLE001 - telemetry boundary: count, never raise
            self._drop(len(spans))
            return False

    def _drop(self, count: int) -> None:
        if self._on_drop is not None:
            self._on_drop(count)


_encode = compact_encoder(str)  # one C encoder for every document (core/json_encoding.py)


def _dumps(doc: dict[str, Any]) -> bytes:
    return _encode(doc).encode()
