"""Compact JSON for the per-request paths: one C encoder, built once, reused for every call.

`json.JSONEncoder.encode` builds a new C encoder object (and a float formatter closure) on
every call, and with `check_circular` keeps a marker dict of every container it enters.
`compact_encoder` builds the C encoder (`_json.make_encoder`, what `encode` itself
uses) once, without the circular check: the documents it serves are built by this package
(X-Ray segments, EMF members) or rendered with a fallback that copies the value first (log
lines), so a cycle cannot occur, and if one did, the deep recursion raises (RecursionError) at
the same telemetry boundary that catches any other encoding failure. Output is byte for byte
`json.dumps(value, separators=(",", ":"), ensure_ascii=..., allow_nan=..., default=...)`.
On a Python without the C accelerator it is that `JSONEncoder(...).encode`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The C accelerator itself, not the `json` package: `json` also imports its decoder and
# scanner, which nothing on the Lambda path needs (≈ 1.5 ms of cold start, -X importtime).
_make_encoder: Any
encode_basestring: Callable[[str], str]
encode_basestring_ascii: Callable[[str], str]
try:
    from _json import encode_basestring, encode_basestring_ascii
    from _json import make_encoder as _make_encoder
except ImportError:  # a Python without the C accelerator: the standard path below
    from json.encoder import py_encode_basestring as encode_basestring
    from json.encoder import py_encode_basestring_ascii as encode_basestring_ascii

    _make_encoder = None

__all__ = ["compact_encoder", "encode_basestring", "encode_basestring_ascii"]


def _not_serializable(value: Any) -> Any:
    """`json.JSONEncoder.default`: the same TypeError json.dumps raises."""
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def compact_encoder(
    default: Callable[[Any], Any] | None = None,
    *,
    ensure_ascii: bool = True,
    allow_nan: bool = True,
) -> Callable[[Any], str]:
    """A function value -> compact JSON text (separators "," and ":")."""
    if _make_encoder is None:  # pure-Python json: the standard path
        import json

        return json.JSONEncoder(
            separators=(",", ":"), default=default, ensure_ascii=ensure_ascii, allow_nan=allow_nan
        ).encode
    strings = encode_basestring_ascii if ensure_ascii else encode_basestring
    encode = _make_encoder(
        None, default or _not_serializable, strings, None, ":", ",", False, False, allow_nan
    )
    join = "".join

    def dumps(value: Any) -> str:
        return join(encode(value, 0))

    return dumps
