"""`python moto_serialized.py -H HOST -p PORT`: moto's server with its X-Ray segment store
made thread-safe, for the tests that read traces back (support/aws_sinks.start_moto_process).

Why: the server is threaded, and moto's `SegmentCollection` keeps traces in a defaultdict whose
factory is Python code. Two PutTraceSegments calls carrying segments of one new trace (the
collector's awsxray exporter sends batches from several consumers at once) can each create the
trace's entry, and the second replaces the first: its segments would be lost for good, and a
trace the collector exported whole would read back partial (found by reading moto's code; a
rare interleaving, not seen in a 200-trace stress run). Real X-Ray has no such race. One lock
around the store's reads and writes rules it out; nothing else of moto changes."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any


def serialize_xray_store() -> None:
    """Patch moto's X-Ray store in this process (once)."""
    from moto.xray.models import SegmentCollection

    if getattr(SegmentCollection, "_aurastream_serialized", False):
        return
    SegmentCollection._aurastream_serialized = True  # type: ignore[attr-defined]
    lock = threading.Lock()
    for name in ("put_segment", "get_trace_ids", "summary"):
        original = getattr(SegmentCollection, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        setattr(SegmentCollection, name, locked)


if __name__ == "__main__":
    # Run as a script, this folder is sys.path[0], and its moto.py would shadow the package.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    serialize_xray_store()
    from moto.server import main

    main(sys.argv[1:])
