"""Text rendering of a `TraceAnalysis` (the demo prints it too)."""

from __future__ import annotations

from collections import Counter

from aurastream_obs.ops.traces.analysis import TraceAnalysis


def render_text(analysis: TraceAnalysis, top: int = 10) -> str:
    out = [
        f"Trace analysis  source: {analysis.source}  traces: {len(analysis.traces)}  "
        f"slow-span threshold: {analysis.threshold_ms:g} ms",
        "",
    ]
    out.append(f"Top operations by self-time (of {len(analysis.operations)})")
    out.append(
        f"  {'operation':<34} {'count':>6} {'self total':>11} {'self mean':>10} "
        f"{'max dur':>10} {'on crit. path':>14}"
    )
    for op in analysis.operations[:top]:
        name = f"{op.service}: {op.name}" if op.service else op.name
        out.append(
            f"  {name[:34]:<34} {op.count:>6} {op.self_ms_total:>8.1f} ms "
            f"{op.self_ms_mean:>7.2f} ms {op.duration_ms_max:>7.1f} ms "
            f"{op.critical_ms_total:>11.1f} ms"
        )
    kinds = Counter(b.kind for b in analysis.bottlenecks)
    out += [
        "",
        "Bottlenecks: " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"),
    ]
    for b in analysis.bottlenecks[:top]:
        what = f"{b.value:.1f} ms" if b.kind == "slow_span" else f"{b.value:g} children"
        out.append(
            f"  {b.kind:<12} {b.name[:34]:<34} {what:>12} (> {b.threshold:g})  trace {b.trace_id}"
        )
    out += ["", "Slowest traces (critical path)"]
    for t in analysis.traces[: min(top, 5)]:
        flag = " ERROR" if t.error else ""
        out.append(f"  {t.duration_ms:>9.1f} ms  {t.root}  trace {t.trace_id}{flag}")
        merged: dict[str, float] = {}
        for step in t.critical_path:
            merged[step.name] = merged.get(step.name, 0.0) + 1000 * (step.end_s - step.start_s)
        share = "  ->  ".join(f"{n} {ms:.1f} ms" for n, ms in merged.items())
        out.append(f"               {share}")
    return "\n".join(out)
