"""Compact JSON for the per-request paths: one C encoder, built once, reused for every call.

`json.JSONEncoder.encode` builds a new C encoder object (and a float formatter closure) on
every call, and with `check_circular` keeps a marker dict of every container it enters.
`compact_encoder` builds the C encoder (`json.encoder.c_make_encoder`, what `encode` itself
uses) once, without the circular check: the documents it serves are built by this package
(X-Ray segments, EMF members) or rendered with a fallback that copies the value first (log
lines), so a cycle cannot occur, and if one did, the deep recursion raises (RecursionError) at
the same telemetry boundary that catches any other encoding failure. Output is byte for byte
`json.dumps(value, separators=(",", ":"), ensure_ascii=..., allow_nan=..., default=...)`.
On a Python without the C accelerator it is that `JSONEncoder(...).encode`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _json_encoder
from typing import Any


def compact_encoder(
    default: Callable[[Any], Any] | None = None,
    *,
    ensure_ascii: bool = True,
    allow_nan: bool = True,
) -> Callable[[Any], str]:
    """A function value -> compact JSON text (separators "," and ":")."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:  # pure-Python json: the standard path
        return json.JSONEncoder(
            separators=(",", ":"), default=default, ensure_ascii=ensure_ascii, allow_nan=allow_nan
        ).encode
    fallback = json.JSONEncoder().default  # raises TypeError, as json.dumps does
    strings = (
        _json_encoder.encode_basestring_ascii if ensure_ascii else _json_encoder.encode_basestring
    )
    encode = make(None, default or fallback, strings, None, ":", ",", False, False, allow_nan)
    join = "".join

    def dumps(value: Any) -> str:
        return join(encode(value, 0))

    return dumps
