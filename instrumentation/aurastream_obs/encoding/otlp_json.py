"""OTLP/JSON encoding: one export request per line, as the Collector's `file` exporter writes.

The OTLP specification (opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding")
uses the proto3 JSON mapping with these rules, all of which the Collector's `otlpjsonfile`
receiver relies on:

- field names in lowerCamelCase (`resourceSpans`, `startTimeUnixNano`);
- `traceId`/`spanId` (and `parentSpanId`) are case-insensitive *hex* strings, not the base64
  the generic mapping produces for `bytes` - "in all OTLP Protobuf messages, e.g. the Span,
  Link, LogRecord, etc." (exemplars included);
- enum values are integers; 64-bit integers are decimal strings; defaults may be omitted.

Spans and log records (the volume) are encoded directly by `json_encode`; metrics (a few
points per export interval) go through the SDK's protobuf encoder and `json_format`, then the
id fields are rewritten. Both produce the same text for the same data (tests compare them).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, cast

from google.protobuf import json_format  # type: ignore[import-untyped]  # no stubs shipped
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricsData
    from opentelemetry.sdk.trace import ReadableSpan

    from aurastream_obs.core.otel_compat import ReadableLogRecord
    from aurastream_obs.encoding.log_item import LogItem

Signal = Literal["traces", "metrics", "logs"]
ExportRequest = ExportTraceServiceRequest | ExportMetricsServiceRequest | ExportLogsServiceRequest
_log = logging.getLogger("aurastream_obs")
_R = TypeVar("_R", ExportTraceServiceRequest, ExportMetricsServiceRequest, ExportLogsServiceRequest)

# JSON names of every OTLP `bytes` id field (Span, Span.Link, LogRecord, Exemplar). OTLP has
# no map fields, so a key with one of these names is always such a field, never user data
# (attribute keys are *values* of a "key" field).
_ID_KEYS: Final = frozenset({"traceId", "spanId", "parentSpanId"})


def _rewrite_ids(node: Any, convert: Callable[[str], str]) -> None:
    """Rewrite id fields in place, anywhere in a MessageToDict-shaped tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = convert(value)
            elif isinstance(value, dict | list):
                _rewrite_ids(value, convert)
    elif isinstance(node, list):
        for item in node:
            _rewrite_ids(item, convert)


def _b64_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def _hex_to_b64(value: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"OTLP/JSON id is not hex: {value!r}") from None
    return base64.b64encode(raw).decode("ascii")


def request_to_dict(request: ExportRequest) -> dict[str, Any]:
    """The OTLP/JSON object of an export request (ids as hex, enums as integers)."""
    tree = cast(
        "dict[str, Any]",
        json_format.MessageToDict(
            request, preserving_proto_field_name=False, use_integers_for_enums=True
        ),
    )
    _rewrite_ids(tree, _b64_to_hex)
    return tree


def request_to_json(request: ExportRequest) -> str:
    """One OTLP/JSON line (without the trailing newline) for an export request."""
    # Compact separators: the Collector writes compact lines, and they are ~15% smaller.
    return json.dumps(request_to_dict(request), separators=(",", ":"), ensure_ascii=False)


def encode_spans_json(spans: Sequence[ReadableSpan]) -> str:
    """SDK spans -> one `{"resourceSpans":[...]}` line."""
    from aurastream_obs.encoding.json_encode import spans_json

    return spans_json(spans)


def encode_metrics_json(metrics_data: MetricsData) -> str:
    """SDK metrics -> one `{"resourceMetrics":[...]}` line."""
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

    return request_to_json(encode_metrics(metrics_data))


def encode_logs_json(batch: Sequence[ReadableLogRecord | LogItem]) -> str:
    """SDK log records or LogItems -> one `{"resourceLogs":[...]}` line."""
    from aurastream_obs.encoding.json_encode import logs_json

    return logs_json(batch)


def _decode(line: str | bytes, message: _R) -> _R:
    try:
        tree = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not an OTLP/JSON line: {exc}") from None
    if not isinstance(tree, dict):
        raise ValueError("an OTLP/JSON line must hold a JSON object")
    _rewrite_ids(tree, _hex_to_b64)
    try:
        # Unknown fields are skipped so files from newer SDKs/Collectors still load.
        json_format.ParseDict(tree, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise ValueError(f"invalid OTLP/JSON: {exc}") from None
    return message


def decode_traces_json(line: str | bytes) -> ExportTraceServiceRequest:
    """Parse one traces line back into the protobuf request (hex ids accepted in any case)."""
    return _decode(line, ExportTraceServiceRequest())


def decode_metrics_json(line: str | bytes) -> ExportMetricsServiceRequest:
    """Parse one metrics line back into the protobuf request."""
    return _decode(line, ExportMetricsServiceRequest())


def decode_logs_json(line: str | bytes) -> ExportLogsServiceRequest:
    """Parse one logs line back into the protobuf request."""
    return _decode(line, ExportLogsServiceRequest())


_DECODERS: Final[dict[str, Callable[[str | bytes], ExportRequest]]] = {
    "traces": decode_traces_json,
    "metrics": decode_metrics_json,
    "logs": decode_logs_json,
}


def decode_json(signal: Signal, line: str | bytes) -> ExportRequest:
    """Parse one line of the given signal."""
    return _DECODERS[signal](line)


def iter_json_lines(
    path: str | os.PathLike[str], signal: Signal, *, strict: bool = False
) -> Iterator[ExportRequest]:
    """Yield every export request of a `.jsonl` file; blank lines are skipped.

    A damaged line (a write cut short by a full disk or a killed process) is skipped with one
    warning per file naming how many and where; `strict=True` raises ValueError naming the
    line instead.
    """
    decode = _DECODERS[signal]
    damaged: list[int] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                request = decode(line)
            except ValueError as exc:
                if strict:
                    raise ValueError(f"{os.fspath(path)}:{number}: {exc}") from None
                damaged.append(number)
                continue
            yield request
    if damaged:
        _log.warning(
            "%s: skipped %d damaged line(s) (line %s%s)",
            os.fspath(path),
            len(damaged),
            damaged[0],
            "" if len(damaged) == 1 else f" and {len(damaged) - 1} more",
        )
