"""JSON from the network, bounded: size and nesting depth, or a `PayloadError` (answered 400)
— never a RecursionError, a MemoryError or a traceback.

The C parser is linear in the input and refuses to nest deeper than the interpreter's
recursion limit with a RecursionError, which is caught here; what it returns is then walked
iteratively (no recursion) to enforce `MAX_DEPTH`. Integers longer than Python's digit limit
(4,300) are a ValueError, hence a 400 too.
"""

from __future__ import annotations

import json
from typing import Final

from aurastream_obs.ops.alerts.sources import PayloadError

MAX_DEPTH: Final = 32  # our payloads nest 5 levels; Alertmanager's and SNS's fewer than 8


def depth_of(value: object, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of arrays/objects in a parsed document, counted up to `limit + 1`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_json(raw: bytes | str, *, max_bytes: int, what: str = "body") -> object:
    """Parse `raw` within `max_bytes` and `MAX_DEPTH`; PayloadError naming the limit broken."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise PayloadError(f"{what} over {max_bytes} bytes")
    try:
        value = json.loads(data)
    except RecursionError:
        raise PayloadError(f"{what} nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digits limit
        raise PayloadError(f"{what} is not valid JSON ({type(exc).__name__})") from None
    if depth_of(value) > MAX_DEPTH:
        raise PayloadError(f"{what} nested deeper than {MAX_DEPTH} levels")
    return value
