"""The parts of the OTLP protobuf wire format every signal shares, written out by hand.

`common.proto` values (AnyValue, KeyValue), the Resource / InstrumentationScope messages
(encoded once per object and cached), and the resource → scope → items grouping of an export
request. `proto` builds spans and log records on top of it. Wire format:
https://protobuf.dev/programming-guides/encoding/ — a field tag is `(number << 3) | wire_type`,
written as a byte literal with the field named beside it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.encoding.grouping import group_by_resource_scope

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

MASK64: Final = (1 << 64) - 1
INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
VARINT1: Final = tuple(bytes((i,)) for i in range(128))  # varints below 128: one byte
pack_d = struct.Struct("<d").pack
pack_q = struct.Struct("<Q").pack
pack_i = struct.Struct("<I").pack
_CACHE_MAX: Final = 256


def varint(value: int) -> bytes:
    """Base-128 varint of a non-negative int (negative int64 must be masked by the caller)."""
    if value < 128:
        return VARINT1[value]
    out = bytearray()
    while value > 127:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def ld(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    n = len(payload)
    return tag + (VARINT1[n] if n < 128 else varint(n)) + payload


def any_value(value: Any) -> bytes:
    """The body of an AnyValue message (a oneof: even "", 0 and False are written)."""
    cls = value.__class__
    if cls is str:
        return ld(b"\x0a", value.encode("utf-8", "replace"))  # string_value = 1
    if cls is bool:
        return b"\x10\x01" if value else b"\x10\x00"  # bool_value = 2
    if cls is int:
        if INT64_MIN <= value <= INT64_MAX:
            return b"\x18" + varint(value & MASK64)  # int_value = 3
        return ld(b"\x0a", str(value).encode("utf-8", "replace"))
    if cls is float:
        return b"\x21" + pack_d(value)  # double_value = 4
    return _any_value_slow(value)


def _any_value_slow(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return any_value(str(value))
    if isinstance(value, int):
        return any_value(int(value))
    if isinstance(value, float):
        return any_value(float(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return ld(b"\x3a", bytes(value))  # bytes_value = 7
    if isinstance(value, Mapping):
        # kvlist_value = 6 → KeyValueList.values = 1
        return ld(b"\x32", b"".join(key_values(value, b"\x0a", stringify_keys=True)))
    if isinstance(value, Sequence):
        # array_value = 5 → ArrayValue.values = 1
        return ld(b"\x2a", b"".join([ld(b"\x0a", any_value(v)) for v in value]))
    return any_value(str(value))


def key_values(
    attributes: Mapping[str, Any] | None, tag: bytes, *, stringify_keys: bool = False
) -> list[bytes]:
    """Each attribute as a KeyValue field with `tag` (key = 1, value = 2), as byte pieces."""
    out: list[bytes] = []
    if attributes:
        add_key_values(out, attributes, tag, stringify_keys=stringify_keys)
    return out


def add_key_values(
    out: list[bytes], attributes: Mapping[str, Any], tag: bytes, *, stringify_keys: bool = False
) -> None:
    """Append the KeyValue fields of `attributes` to `out` (pieces, joined by the caller)."""
    copy = getattr(attributes, "copy", None)  # BoundedAttributes.copy() is a plain dict copy
    items = (copy() if copy is not None else attributes).items()
    keys = _KEYS
    for key, value in items:
        k = keys.get(key)
        if k is None:
            k = _key_field(str(key) if stringify_keys else key)
        cls = value.__class__
        if cls is str:  # the common case: every length below fits one varint byte
            b = value.encode("utf-8", "replace")
            n = len(b)
            size = len(k) + n + 4
            if size < 128:
                out += (tag, VARINT1[size], k, b"\x12", VARINT1[n + 2], b"\x0a", VARINT1[n], b)
                continue
            v = ld(b"\x0a", b)
        elif cls is bool:
            v = b"\x10\x01" if value else b"\x10\x00"
        elif cls is int and INT64_MIN <= value <= INT64_MAX:
            v = b"\x18" + varint(value & MASK64)
        else:
            v = any_value(value)
        kv = k + ld(b"\x12", v)
        n = len(kv)
        out += (tag, VARINT1[n] if n < 128 else varint(n), kv)


_KEYS: dict[str, bytes] = {}  # attribute key → its encoded `key = 1` field
_KEYS_MAX: Final = 4096  # keys can be data (ids): stay bounded


def _key_field(key: str) -> bytes:
    field = ld(b"\x0a", key.encode("utf-8", "replace"))
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[key] = field
    return field


class _Encoded:
    """Identity-keyed cache of encoded resources and scopes (immutable, few, reused)."""

    def __init__(self) -> None:
        self._resources: dict[int, tuple[object, bytes, bytes]] = {}
        self._scopes: dict[int, tuple[object, bytes, bytes]] = {}

    def resource(self, resource: Resource) -> tuple[bytes, bytes]:
        """(Resource message field, schema_url field) of a ResourceSpans/ResourceLogs."""
        hit = self._resources.get(id(resource))
        if hit is None or hit[0] is not resource:
            # resource = 1 (always present, as the SDK writes it); attributes = 1
            body = ld(b"\x0a", b"".join(key_values(resource.attributes, b"\x0a")))
            schema = resource.schema_url
            hit = (
                resource,
                body,
                ld(b"\x1a", schema.encode("utf-8", "replace")) if schema else b"",
            )
            if len(self._resources) >= _CACHE_MAX:
                self._resources.clear()
            self._resources[id(resource)] = hit  # holds the object: its id stays unique
        return hit[1], hit[2]

    def scope(self, scope: InstrumentationScope | None) -> tuple[bytes, bytes]:
        """(InstrumentationScope field, schema_url field) of a ScopeSpans/ScopeLogs."""
        hit = self._scopes.get(id(scope))
        if hit is None or hit[0] is not scope:
            parts: list[bytes] = []
            schema = b""
            if scope is not None:
                parts.append(
                    ld(b"\x0a", scope.name.encode("utf-8", "replace")) if scope.name else b""
                )
                if scope.version:
                    parts.append(ld(b"\x12", scope.version.encode("utf-8", "replace")))
                parts.extend(key_values(scope.attributes, b"\x1a"))
                if scope.schema_url:
                    schema = ld(b"\x1a", scope.schema_url.encode("utf-8", "replace"))
            hit = (scope, ld(b"\x0a", b"".join(parts)), schema)
            if len(self._scopes) >= _CACHE_MAX:
                self._scopes.clear()
            self._scopes[id(scope)] = hit
        return hit[1], hit[2]


_ENCODED: Final = _Encoded()


def group(
    encoded: Iterable[tuple[bytes, Resource, InstrumentationScope | None]],
) -> bytes:
    """Resource → scope → items (`group_by_resource_scope`, keyed by the encoded resource and
    scope), as the repeated field 1 of a request."""
    groups = group_by_resource_scope(encoded, _ENCODED.resource, _ENCODED.scope)
    out = []
    for (resource_field, resource_schema), scopes in groups.items():
        scope_fields = [
            # ScopeSpans/ScopeLogs: scope = 1, spans/log_records = 2, schema_url = 3
            ld(b"\x12", scope_field + b"".join(items) + scope_schema)
            for (scope_field, scope_schema), items in scopes.items()
        ]
        # ResourceSpans/ResourceLogs: resource = 1, scope_* = 2, schema_url = 3
        out.append(ld(b"\x0a", resource_field + b"".join(scope_fields) + resource_schema))
    return b"".join(out)
