"""AnyValue and KeyValue JSON text, shared by the span and log record writers (`json_encode`,
`json_logs`): what the protobuf + `json_format` route writes for each value (see `json_encode`).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring  # C; what json.dumps(ensure_ascii=False) uses
from typing import Any, Final

INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
_KEYS: dict[str, str] = {}  # attribute key → '{"key":"…","value":'
_KEYS_MAX: Final = 4096


def _double(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)  # what json.dumps writes
    if math.isnan(value):
        return '"NaN"'
    return '"Infinity"' if value > 0 else '"-Infinity"'


def any_value(value: Any) -> str:
    """An AnyValue as its JSON text."""
    cls = value.__class__
    if cls is str:
        return '{"stringValue":' + encode_basestring(value) + "}"
    if cls is bool:
        return '{"boolValue":true}' if value else '{"boolValue":false}'
    if cls is int:
        if INT64_MIN <= value <= INT64_MAX:
            return '{"intValue":"' + int.__repr__(value) + '"}'
        return '{"stringValue":"' + int.__repr__(value) + '"}'  # as proto: text
    if cls is float:
        return '{"doubleValue":' + _double(value) + "}"
    return _any_value_slow(value)


def _any_value_slow(value: Any) -> str:
    if value is None:
        return "{}"
    if isinstance(value, bool):
        return any_value(bool(value))
    if isinstance(value, str):
        return any_value(str(value))
    if isinstance(value, int):
        return any_value(int(value))
    if isinstance(value, float):
        return any_value(float(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return '{"bytesValue":"' + base64.b64encode(bytes(value)).decode("ascii") + '"}'
    if isinstance(value, Mapping):
        pairs = key_values(value, stringify_keys=True)
        return '{"kvlistValue":{' + ('"values":' + pairs if pairs else "") + "}}"
    if isinstance(value, Sequence):
        items = ",".join([any_value(v) for v in value])
        return '{"arrayValue":{' + ('"values":[' + items + "]" if items else "") + "}}"
    return any_value(str(value))


def key_values(attributes: Mapping[str, Any] | None, *, stringify_keys: bool = False) -> str:
    """A JSON array of KeyValue objects, or "" when there are none (the field is omitted)."""
    if not attributes:
        return ""
    copy = getattr(attributes, "copy", None)  # BoundedAttributes.copy() is a plain dict copy
    items = (copy() if copy is not None else attributes).items()
    keys = _KEYS
    out = []
    for key, value in items:
        prefix = keys.get(key)
        if prefix is None:
            prefix = key_prefix(str(key) if stringify_keys else key)
        out.append(prefix + any_value(value) + "}")
    return "[" + ",".join(out) + "]"


def key_prefix(key: str) -> str:
    """`{"key":"…","value":` of an attribute key (memoised)."""
    prefix = '{"key":' + encode_basestring(key) + ',"value":'
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[key] = prefix
    return prefix
