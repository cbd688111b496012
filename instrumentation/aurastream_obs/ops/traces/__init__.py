"""Trace analysis: a common span model from X-Ray or the local files,
critical path and self-time per trace, bottleneck rules, and a waterfall picture."""

from __future__ import annotations

from aurastream_obs.ops.traces.analysis import TraceAnalysis, analyze
from aurastream_obs.ops.traces.sources import LocalTraceSource, TraceSource
from aurastream_obs.telemetry_files.readers import Span


def bottlenecks_from_dir(
    path: str, *, threshold_ms: float = 1000.0, top: int = 10
) -> TraceAnalysis:
    """The analysis of a local-mode telemetry directory (the demo prints its top rows)."""
    source = LocalTraceSource(path)
    return analyze(source.spans(), threshold_ms=threshold_ms, source=source.name)


__all__ = [
    "LocalTraceSource",
    "Span",
    "TraceAnalysis",
    "TraceSource",
    "analyze",
    "bottlenecks_from_dir",
]
