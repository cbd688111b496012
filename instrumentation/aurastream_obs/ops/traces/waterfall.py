"""A waterfall picture of the slowest traces: a self-contained HTML page (inline SVG and CSS,
no scripts, no external assets) or a single SVG file.

One row per span in tree order, indented by depth; bars coloured by kind, red for errors;
the critical path is drawn as a dark stripe inside the bars; hovering a bar shows its
attributes (SVG <title>)."""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterator, Sequence
from typing import Final

from aurastream_obs.ops.html_page import PAGE_CSS
from aurastream_obs.ops.traces.analysis import (
    PathStep,
    Trace,
    TraceSummary,
    analyze,
    group_traces,
)
from aurastream_obs.ops.traces.sources import LocalTraceSource
from aurastream_obs.telemetry_files.readers import Span

WIDTH: Final = 1120
LABEL_W: Final = 300
ROW_H: Final = 24
AXIS_H: Final = 30
PAD: Final = 12
_COLORS: Final = {
    "server": "#3b82f6",
    "client": "#8b5cf6",
    "internal": "#14b8a6",
    "producer": "#f59e0b",
    "consumer": "#f59e0b",
}
_ERROR: Final = "#ef4444"
_CSS: Final = (
    PAGE_CSS
    + """
main{padding:20px 28px;display:flex;flex-direction:column;gap:18px}
section h2{font-size:15px;margin:0 0 2px;font-weight:600}
.meta{font-size:12px;color:#6b7280;margin-bottom:8px;font-family:ui-monospace,monospace}
.badge{display:inline-block;border-radius:9px;padding:1px 8px;font-size:11px;margin-left:8px;
color:#fff;background:#6b7280}.badge.slow{background:#f59e0b}.badge.err{background:#ef4444}
.legend{font-size:12px;color:#4b5563;display:flex;gap:16px;flex-wrap:wrap}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;
vertical-align:-2px}
"""
)


def _tree_rows(trace: Trace) -> Iterator[tuple[Span, int]]:
    def visit(span: Span, depth: int) -> Iterator[tuple[Span, int]]:
        yield span, depth
        for child in trace.children.get(span.span_id, ()):
            yield from visit(child, depth + 1)

    for root in trace.roots:
        yield from visit(root, 0)


def _nice_step(total_ms: float, ticks: int = 6) -> float:
    raw = max(total_ms / ticks, 1e-6)
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value == 0:
        return "0"
    return f"{value:.1f} ms" if value >= 1 else f"{1000 * value:.0f} µs"


def trace_svg(trace: Trace, summary: TraceSummary, threshold_ms: float) -> str:
    """One trace as an SVG element."""
    rows = list(_tree_rows(trace))
    t0, total_ms = trace.start_s, max(1000 * trace.duration_s, 1e-3)
    plot_w = WIDTH - LABEL_W - 2 * PAD - 70
    height = AXIS_H + ROW_H * len(rows) + PAD

    def x(t: float) -> float:
        return LABEL_W + PAD + plot_w * (1000 * (t - t0)) / total_ms

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="system-ui,sans-serif" font-size="12">'
    ]
    step = _nice_step(total_ms)
    tick = 0.0
    while tick <= total_ms + 1e-9:
        tx = LABEL_W + PAD + plot_w * tick / total_ms
        out.append(
            f'<line x1="{tx:.1f}" y1="{AXIS_H - 6}" x2="{tx:.1f}" y2="{height - PAD}" '
            'stroke="#e5e7eb"/>'
        )
        out.append(
            f'<text x="{tx:.1f}" y="{AXIS_H - 12}" fill="#6b7280" '
            f'text-anchor="middle">{_ms(tick)}</text>'
        )
        tick += step
    if threshold_ms < total_ms:
        tx = LABEL_W + PAD + plot_w * threshold_ms / total_ms
        out.append(
            f'<line x1="{tx:.1f}" y1="{AXIS_H - 6}" x2="{tx:.1f}" y2="{height - PAD}" '
            'stroke="#f59e0b" stroke-dasharray="4 3"/>'
        )
    path: dict[str, list[PathStep]] = {}
    for step_ in summary.critical_path:
        path.setdefault(step_.span_id, []).append(step_)
    for i, (span, depth) in enumerate(rows):
        y = AXIS_H + i * ROW_H
        if i % 2:
            out.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{ROW_H}" fill="#f9fafb"/>')
        label = html.escape(span.name if len(span.name) < 34 else span.name[:32] + "…")
        out.append(f'<text x="{PAD + 14 * depth}" y="{y + 16}" fill="#111827">{label}</text>')
        x1, x2 = x(span.start_s), max(x(span.end_s), x(span.start_s) + 1.5)
        color = _ERROR if span.error else _COLORS.get(span.kind, "#14b8a6")
        tip = "\n".join(
            [
                f"{span.name} ({span.kind}) {_ms(1000 * span.duration_s)}",
                f"self time {_ms(1000 * summary.self_ms.get(span.span_id, 0.0))}",
                *(f"{k} = {v}" for k, v in sorted(span.attributes.items())[:12]),
            ]
        )
        out.append(
            f'<g><title>{html.escape(tip)}</title><rect x="{x1:.1f}" y="{y + 5}" '
            f'width="{x2 - x1:.1f}" height="{ROW_H - 10}" rx="3" fill="{color}" '
            'fill-opacity="0.85"/>'
        )
        for seg in path.get(span.span_id, ()):
            sx1, sx2 = x(seg.start_s), max(x(seg.end_s), x(seg.start_s) + 1)
            out.append(
                f'<rect x="{sx1:.1f}" y="{y + ROW_H / 2 - 2}" width="{sx2 - sx1:.1f}" '
                'height="4" fill="#111827" fill-opacity="0.7"/>'
            )
        out.append("</g>")
        out.append(
            f'<text x="{x2 + 6:.1f}" y="{y + 16}" fill="#374151">'
            f"{_ms(1000 * span.duration_s)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _legend() -> str:
    items = [
        ("server", _COLORS["server"]),
        ("client", _COLORS["client"]),
        ("internal", _COLORS["internal"]),
        ("error", _ERROR),
    ]
    parts = [f'<span><i style="background:{c}"></i>{n}</span>' for n, c in items]
    parts.append(
        '<span><i style="background:#111827;height:4px;vertical-align:2px"></i>critical path</span>'
    )
    parts.append(
        '<span><i style="background:none;border-left:2px dashed #f59e0b;'
        'border-radius:0"></i>slow-span threshold</span>'
    )
    return f'<div class="legend">{"".join(parts)}</div>'


def render_html(
    traces: Sequence[Trace], summaries: Sequence[TraceSummary], threshold_ms: float, title: str
) -> str:
    by_id = {t.trace_id: t for t in traces}
    cards = []
    for summary in summaries:
        trace = by_id[summary.trace_id]
        badges = ""
        if summary.duration_ms > threshold_ms:
            badges += '<span class="badge slow">slow</span>'
        if summary.error:
            badges += '<span class="badge err">error</span>'
        cards.append(
            f"<section><h2>{html.escape(summary.root)} — {_ms(summary.duration_ms)}{badges}</h2>"
            f'<div class="meta">trace {summary.trace_id} · {summary.spans} spans</div>'
            f"{trace_svg(trace, summary, threshold_ms)}</section>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Slowest traces</h1><p>{html.escape(title)}</p></header>"
        f"<main>{_legend()}{''.join(cards)}</main></body></html>\n"
    )


def render_svg(
    traces: Sequence[Trace], summaries: Sequence[TraceSummary], threshold_ms: float
) -> str:
    """All cards stacked in one standalone SVG document."""
    by_id = {t.trace_id: t for t in traces}
    parts, y = [], 0
    for summary in summaries:
        inner = trace_svg(by_id[summary.trace_id], summary, threshold_ms)
        height = int(inner.split('height="', 1)[1].split('"', 1)[0])
        heading = html.escape(
            f"{summary.root} — {_ms(summary.duration_ms)} — trace {summary.trace_id}"
        )
        parts.append(
            f'<text x="{PAD}" y="{y + 20}" font-family="system-ui,sans-serif" '
            f'font-size="14" font-weight="600">{heading}</text>'
        )
        parts.append(f'<g transform="translate(0,{y + 28})">{inner}</g>')
        y += height + 48
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" '
        f'viewBox="0 0 {WIDTH} {y}"><rect width="100%" height="100%" fill="#fff"/>'
        f"{''.join(parts)}</svg>\n"
    )


def write_waterfall(
    path_in: str | os.PathLike[str],
    path_out: str | os.PathLike[str],
    *,
    top: int = 5,
    threshold_ms: float = 1000.0,
    spans: Sequence[Span] | None = None,
) -> str:
    """Write the waterfall of the `top` slowest traces; `.svg` writes SVG, anything else HTML.
    `path_in` is a telemetry directory (ignored when `spans` are given). Returns the path."""
    source = LocalTraceSource(path_in)
    all_spans = spans if spans is not None else source.spans()
    analysis = analyze(all_spans, threshold_ms=threshold_ms)
    traces, chosen = group_traces(all_spans), analysis.traces[:top]
    out = os.fspath(path_out)
    if out.endswith(".svg"):
        text = render_svg(traces, chosen, threshold_ms)
    else:
        title = f"{len(chosen)} of {len(analysis.traces)} traces from {source.path}"
        text = render_html(traces, chosen, threshold_ms, title)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text)
    return out
