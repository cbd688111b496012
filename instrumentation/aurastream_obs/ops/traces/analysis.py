"""Per-trace critical path and self-time, the seed's bottleneck rules, and the top operations
by self-time across traces.

Self-time is a span's duration minus the union of its children's intervals (clipped to the
span), so concurrent children are not subtracted twice. The critical path walks back from the
root's end, always into the child that finished last before the cursor (Jaeger's
critical-path algorithm, simplified: overlapping children are clipped, not re-walked)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from aurastream_obs.telemetry_files.readers import Span

SLOW_SPAN_MS: Final = 1000.0  # seed TraceAnalyzer: segments over 1000 ms
COMPLEX_CHILDREN: Final = 10  # seed TraceAnalyzer: more than 10 subsegments


@dataclass(frozen=True)
class PathStep:
    span_id: str
    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Trace:
    trace_id: str
    spans: tuple[Span, ...]  # by start time
    children: Mapping[str, tuple[Span, ...]]
    roots: tuple[Span, ...]

    @property
    def start_s(self) -> float:
        return min(s.start_s for s in self.spans)

    @property
    def duration_s(self) -> float:
        return max(s.end_s for s in self.spans) - self.start_s

    @property
    def root(self) -> Span:
        return max(self.roots, key=lambda s: s.duration_s) if self.roots else self.spans[0]


def group_traces(spans: Iterable[Span]) -> list[Trace]:
    """Spans grouped by trace; a span whose parent is missing counts as a root."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    traces = []
    for trace_id, members in by_trace.items():
        members.sort(key=lambda s: (s.start_s, -s.end_s))
        ids = {s.span_id for s in members}
        children: dict[str, list[Span]] = defaultdict(list)
        roots = []
        for span in members:
            if span.parent_id and span.parent_id in ids:
                children[span.parent_id].append(span)
            else:
                roots.append(span)
        kids = {k: tuple(v) for k, v in children.items()}
        traces.append(Trace(trace_id, tuple(members), kids, tuple(roots)))
    return traces


def self_time(span: Span, children: Sequence[Span]) -> float:
    """Duration not covered by any child (seconds)."""
    covered = 0.0
    cursor = span.start_s
    for child in sorted(children, key=lambda c: c.start_s):
        start, end = max(child.start_s, cursor), min(child.end_s, span.end_s)
        if end > start:
            covered += end - start
            cursor = end
    return max(0.0, span.duration_s - covered)


def critical_path(trace: Trace) -> list[PathStep]:
    """Segments (span, interval) that determine the trace's end-to-end latency, in time order."""
    out: list[PathStep] = []

    def walk(span: Span, limit: float) -> None:
        cursor = min(span.end_s, limit)
        for child in sorted(trace.children.get(span.span_id, ()), key=lambda c: -c.end_s):
            if child.start_s >= cursor:
                continue  # starts after the cursor: not on the path
            child_end = min(child.end_s, cursor)
            if child_end < cursor:
                out.append(PathStep(span.span_id, span.name, child_end, cursor))
            walk(child, child_end)
            cursor = max(child.start_s, span.start_s)
        if cursor > span.start_s:
            out.append(PathStep(span.span_id, span.name, span.start_s, cursor))

    walk(trace.root, trace.root.end_s)
    return sorted(out, key=lambda step: step.start_s)


@dataclass(frozen=True)
class Bottleneck:
    kind: str  # "slow_span" | "complex_span" (the seed's names: slow_segment, complex_segment)
    trace_id: str
    span_id: str
    name: str
    value: float  # duration in ms, or the number of children
    threshold: float


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    count: int
    self_ms_total: float
    self_ms_max: float
    duration_ms_max: float
    critical_ms_total: float

    @property
    def self_ms_mean(self) -> float:
        return self.self_ms_total / self.count if self.count else 0.0


@dataclass(frozen=True)
class TraceSummary:
    trace_id: str
    root: str
    duration_ms: float
    spans: int
    error: bool
    critical_path: tuple[PathStep, ...]
    self_ms: Mapping[str, float]  # span id -> self time


@dataclass(frozen=True)
class TraceAnalysis:
    source: str
    threshold_ms: float
    traces: tuple[TraceSummary, ...]  # slowest first
    bottlenecks: tuple[Bottleneck, ...]
    operations: tuple[Operation, ...]  # by total self-time, largest first

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "source": self.source,
            "threshold_ms": self.threshold_ms,
            "trace_count": len(self.traces),
            "slowest_traces": [
                {
                    "trace_id": t.trace_id,
                    "root": t.root,
                    "duration_ms": round(t.duration_ms, 3),
                    "spans": t.spans,
                    "error": t.error,
                    "critical_path": [
                        {
                            "span_id": p.span_id,
                            "name": p.name,
                            "ms": round(1000 * (p.end_s - p.start_s), 3),
                        }
                        for p in t.critical_path
                    ],
                }
                for t in self.traces[:top]
            ],
            "bottlenecks": [vars(b) for b in self.bottlenecks],
            "top_operations": [
                {**vars(op), "self_ms_mean": op.self_ms_mean} for op in self.operations[:top]
            ],
        }


def analyze(
    spans: Iterable[Span],
    *,
    threshold_ms: float = SLOW_SPAN_MS,
    max_children: int = COMPLEX_CHILDREN,
    source: str = "",
) -> TraceAnalysis:
    traces = group_traces(spans)
    summaries: list[TraceSummary] = []
    bottlenecks: list[Bottleneck] = []
    ops: dict[tuple[str, str], list[float]] = {}  # count, self total, self max, dur max, crit
    for trace in traces:
        selfs = {s.span_id: self_time(s, trace.children.get(s.span_id, ())) for s in trace.spans}
        path = critical_path(trace)
        on_path: dict[str, float] = defaultdict(float)
        for step in path:
            on_path[step.span_id] += step.end_s - step.start_s
        for span in trace.spans:
            duration_ms = 1000 * span.duration_s
            n_children = len(trace.children.get(span.span_id, ()))
            if duration_ms > threshold_ms:
                bottlenecks.append(
                    Bottleneck(
                        "slow_span",
                        trace.trace_id,
                        span.span_id,
                        span.name,
                        duration_ms,
                        threshold_ms,
                    )
                )
            if n_children > max_children:
                bottlenecks.append(
                    Bottleneck(
                        "complex_span",
                        trace.trace_id,
                        span.span_id,
                        span.name,
                        n_children,
                        max_children,
                    )
                )
            agg = ops.setdefault((span.service, span.name), [0, 0.0, 0.0, 0.0, 0.0])
            self_ms = 1000 * selfs[span.span_id]
            agg[0] += 1
            agg[1] += self_ms
            agg[2] = max(agg[2], self_ms)
            agg[3] = max(agg[3], duration_ms)
            agg[4] += 1000 * on_path.get(span.span_id, 0.0)
        summaries.append(
            TraceSummary(
                trace.trace_id,
                trace.root.name,
                1000 * trace.duration_s,
                len(trace.spans),
                any(s.error for s in trace.spans),
                tuple(path),
                selfs,
            )
        )
    operations = [
        Operation(service, name, int(a[0]), a[1], a[2], a[3], a[4])
        for (service, name), a in ops.items()
    ]
    return TraceAnalysis(
        source,
        threshold_ms,
        tuple(sorted(summaries, key=lambda t: -t.duration_ms)),
        tuple(sorted(bottlenecks, key=lambda b: (b.kind, -b.value))),
        tuple(sorted(operations, key=lambda op: -op.self_ms_total)),
    )
