"""Three small inline-SVG chart kinds for the analytics page: horizontal bars (with a marker
line), stacked horizontal bars (with a marker per row), and a line chart over time. Plain
strings, no scripts; every mark has a <title> so hovering shows its value."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

WIDTH: Final = 860
LABEL_W: Final = 150
ROW_H: Final = 26
PAD: Final = 10
VALUE_W: Final = 70  # room right of the bars for their value
TOP: Final = 22  # room above the rows for a marker's label
PALETTE: Final = ("#3b82f6", "#8b5cf6", "#14b8a6", "#f59e0b", "#ec4899", "#64748b",
                  "#22c55e", "#ef4444")  # fmt: skip


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return float(next(m * magnitude for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
                      if m * magnitude >= value))  # fmt: skip


def _svg_open(height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img">')  # fmt: skip


def _rows_frame(count: int, top: int, height: int, scale_max: float, fmt: str) -> list[str]:
    """The opening tag and the value axis of a chart with one bar row per item."""
    plot_w = WIDTH - LABEL_W - VALUE_W
    return [_svg_open(height),
            _axis(LABEL_W, plot_w, top, top + ROW_H * count, vmax=scale_max, fmt=fmt)]  # fmt: skip


def _row_label(y: float, text: str) -> str:
    return (f'<text x="{LABEL_W - 8}" y="{y + 17}" font-size="12" text-anchor="end">'
            f"{esc(text)}</text>")  # fmt: skip


def _axis(x0: float, width: float, top: float, bottom: float, *, vmax: float, fmt: str) -> str:
    parts = []
    for i in range(5):
        x = x0 + width * i / 4
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" '
                     'stroke="#e5e7eb"/>'
                     f'<text x="{x:.1f}" y="{bottom + 14}" font-size="11" fill="#6b7280" '
                     f'text-anchor="middle">{esc(format(vmax * i / 4, fmt))}</text>')  # fmt: skip
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str = PALETTE[0]
    title: str = ""


def bars(rows: Sequence[Bar], *, vmax: float | None = None, marker: float | None = None,
         marker_label: str = "", fmt: str = ",.0f") -> str:  # fmt: skip
    """One horizontal bar per row, optionally a vertical marker line (a threshold)."""
    top = TOP
    height = top + ROW_H * len(rows) + 24
    scale_max = vmax or nice_max(max([r.value for r in rows] + [marker or 0.0]))
    plot_w = WIDTH - LABEL_W - VALUE_W
    out = _rows_frame(len(rows), top, height, scale_max, fmt)
    for i, row in enumerate(rows):
        y = top + i * ROW_H
        w = plot_w * max(0.0, row.value) / scale_max
        out.append(_row_label(y, row.label) +
                   f'<rect x="{LABEL_W}" y="{y + 5}" width="{w:.1f}" height="{ROW_H - 10}" '
                   f'rx="3" fill="{row.color}"><title>{esc(row.title or row.value)}</title>'
                   f'</rect><text x="{LABEL_W + w + 5:.1f}" y="{y + 17}" font-size="11" '
                   f'fill="#374151">{esc(format(row.value, fmt))}</text>')  # fmt: skip
    if marker is not None:
        x = LABEL_W + plot_w * marker / scale_max
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ROW_H * len(rows)}" '
                   'stroke="#ef4444" stroke-dasharray="4 3"/>'
                   f'<text x="{x:.1f}" y="{top - 8}" font-size="11" fill="#ef4444" '
                   f'text-anchor="middle">{esc(marker_label)}</text>')  # fmt: skip
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class StackedRow:
    label: str
    parts: Sequence[tuple[str, float]]  # (series name, value)
    marker: float | None = None  # e.g. the row's revenue
    marker_title: str = ""


def stacked_bars(rows: Sequence[StackedRow], fmt: str = ",.6f") -> str:
    """Stacked horizontal bars (one colour per series name, legend below); a diamond per row
    for its marker value."""
    names = list(dict.fromkeys(name for row in rows for name, _ in row.parts))
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    top = PAD
    legend_y = top + ROW_H * len(rows) + 34
    per_line = max(1, (WIDTH - LABEL_W) // 130)
    height = legend_y + 18 * ((len(names) - 1) // per_line) + 10
    total_max = max([sum(v for _, v in row.parts) for row in rows]
                    + [row.marker or 0.0 for row in rows] + [0.0])  # fmt: skip
    scale_max = nice_max(total_max)
    plot_w = WIDTH - LABEL_W - VALUE_W
    out = _rows_frame(len(rows), top, height, scale_max, fmt)
    for i, row in enumerate(rows):
        y, x = top + i * ROW_H, float(LABEL_W)
        out.append(_row_label(y, row.label))
        for name, value in row.parts:
            w = plot_w * max(0.0, value) / scale_max
            out.append(f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.2f}" height="{ROW_H - 10}" '
                       f'fill="{colors[name]}"><title>{esc(name)}: '
                       f'{esc(format(value, fmt))}</title></rect>')  # fmt: skip
            x += w
        if row.marker is not None:
            mx = LABEL_W + plot_w * row.marker / scale_max
            out.append(f'<path d="M{mx:.1f} {y + 4} l5 9 l-5 9 l-5 -9 z" fill="#111827">'
                       f'<title>{esc(row.marker_title)}</title></path>')  # fmt: skip
    for i, name in enumerate(names):
        lx, ly = LABEL_W + 130 * (i % per_line), legend_y + 18 * (i // per_line)
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="10" height="10" '
                   f'fill="{colors[name]}"/><text x="{lx + 14}" y="{ly}" '
                   f'font-size="11">{esc(name)}</text>')  # fmt: skip
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Line:
    name: str
    points: Sequence[tuple[float, float]]  # (x, y)
    color: str = PALETTE[0]
    dashed: bool = False


def line_chart(lines: Sequence[Line], *, x_label: str = "", y_fmt: str = ",.1f",
               x_ticks: Sequence[tuple[float, str]] = (), height: int = 220) -> str:  # fmt: skip
    """Lines over a shared x range (e.g. epoch seconds), y from 0."""
    xs = [x for line in lines for x, _ in line.points]
    ys = [y for line in lines for _, y in line.points]
    if not xs:
        return '<p class="meta">no data</p>'
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    ymax = nice_max(max(ys))
    left, right, top, bottom = 60, WIDTH - 60, PAD, height - 40

    def sx(x: float) -> float:
        return left + (right - left) * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return bottom - (bottom - top) * y / ymax

    out = [_svg_open(height)]
    for i in range(5):
        y = ymax * i / 4
        out.append(f'<line x1="{left}" y1="{sy(y):.1f}" x2="{right}" y2="{sy(y):.1f}" '
                   f'stroke="#e5e7eb"/><text x="{left - 6}" y="{sy(y) + 4:.1f}" font-size="11" '
                   f'fill="#6b7280" text-anchor="end">{esc(format(y, y_fmt))}</text>')  # fmt: skip
    for x, label in x_ticks:
        out.append(f'<text x="{sx(x):.1f}" y="{bottom + 16}" font-size="11" fill="#6b7280" '
                   f'text-anchor="middle">{esc(label)}</text>')  # fmt: skip
    for line in lines:
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f} {sy(y):.1f}"
                        for i, (x, y) in enumerate(line.points))  # fmt: skip
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        out.append(f'<path d="{path}" fill="none" stroke="{line.color}" stroke-width="2"{dash}>'
                   f'<title>{esc(line.name)}</title></path>')  # fmt: skip
    for i, line in enumerate(lines):  # legend
        out.append(f'<rect x="{left + 190 * i}" y="{height - 14}" width="10" height="10" '
                   f'fill="{line.color}"/><text x="{left + 190 * i + 14}" y="{height - 5}" '
                   f'font-size="11">{esc(line.name)}</text>')  # fmt: skip
    out.append(f'<text x="{right}" y="{height - 5}" font-size="11" fill="#6b7280" '
               f'text-anchor="end">{esc(x_label)}</text></svg>')  # fmt: skip
    return "".join(out)
