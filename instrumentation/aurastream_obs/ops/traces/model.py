"""The common span model every trace source converts to, and `TraceSource`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from aurastream_obs.encoding.otlp_json import iter_json_lines
from aurastream_obs.telemetry_files.readers import AttrValue, attributes_of

TRACES_FILE: Final = "traces.jsonl"
_KINDS: Final = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS_ERROR: Final = 2


@dataclass(frozen=True, slots=True)
class Span:
    trace_id: str  # 32 hex (X-Ray ids are converted)
    span_id: str
    parent_id: str  # "" for a root
    name: str
    service: str
    start_s: float  # epoch seconds
    end_s: float
    error: bool = False
    kind: str = "internal"
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


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
            raise FileNotFoundError(f"no {TRACES_FILE}: {self.path}")
        return list(self._iter())

    def _iter(self) -> Iterator[Span]:
        for request in iter_json_lines(self.path, "traces"):
            for resource_spans in getattr(request, "resource_spans", ()):
                resource = attributes_of(resource_spans.resource.attributes)
                service = str(resource.get("service.name", ""))
                for scope_spans in resource_spans.scope_spans:
                    for s in scope_spans.spans:
                        yield Span(
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_id=s.parent_span_id.hex(),
                            name=s.name,
                            service=service,
                            start_s=s.start_time_unix_nano / 1e9,
                            end_s=s.end_time_unix_nano / 1e9,
                            error=s.status.code == _STATUS_ERROR,
                            kind=_KINDS.get(int(s.kind), "internal"),
                            attributes=attributes_of(s.attributes),
                        )
