"""Where traces come from: `TraceSource`, and the local-mode files as one.

The span model is the telemetry_files one (`Span`), shared with the demo; X-Ray documents are
converted to it in xray.py.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

from aurastream_obs.core.conventions import TRACES_FILE
from aurastream_obs.telemetry_files.readers import Span, read_spans


class TraceSource(Protocol):
    @property
    def name(self) -> str: ...

    def spans(self) -> Sequence[Span]:
        """Every span the source holds for its time range."""
        ...


class LocalTraceSource:
    """Spans of a local-mode traces.jsonl (OTLP/JSON, one export request per line)."""

    def __init__(self, telemetry_dir: str | os.PathLike[str]) -> None:
        self.path = os.path.join(os.fspath(telemetry_dir), TRACES_FILE)

    @property
    def name(self) -> str:
        return f"local files {self.path}"

    def spans(self) -> Sequence[Span]:
        if not os.path.exists(self.path):
            raise FileNotFoundError(
                f"no {TRACES_FILE}: {self.path}: give --telemetry-dir the folder a service in "
                "local mode writes (AURASTREAM_TELEMETRY_DIR; `aurastream-obs demo` fills "
                ".telemetry)"
            )
        return read_spans(self.path)
