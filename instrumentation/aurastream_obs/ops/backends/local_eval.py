"""Evaluate the definitions' Prometheus selectors against local OTLP/JSON metric points.

The SLOs are written once as Prometheus selectors (`definitions.sources`); instead of a second
hand-written version for the local files, a selector is mapped back to its instrument (series
name -> instrument, label -> attribute, both via `core.conventions`) and evaluated here
with Prometheus' label semantics: a missing label is the empty string, `=~` is anchored.

Windows: "now" is the newest point in the file (files are read after the run), a window is
(now - offset - window, now - offset]. A cumulative series' increase is its last value in the
window minus its last value at or before the window start (0 when the series started later);
delta points inside the window add up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from aurastream_obs.core.conventions import (
    ALL_INSTRUMENTS,
    InstrumentSpec,
    prometheus_label,
    prometheus_series,
)
from aurastream_obs.definitions.spec import PromSelector
from aurastream_obs.telemetry_files.readers import Attributes, AttrValue, MetricPoints
from aurastream_obs.telemetry_files.stats import Histogram

_SERIES: Final = {
    series: (spec, series.rsplit("_", 1)[-1])
    for spec in ALL_INSTRUMENTS
    for series in prometheus_series(spec)
}


def label_value(value: AttrValue | None) -> str:
    """An attribute as the Prometheus exporter writes the label (bools lower-case)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matches(attrs: Attributes, spec: InstrumentSpec, selector: PromSelector) -> bool:
    by_label = {prometheus_label(a): a for a in spec.attributes}
    for label, op, wanted in selector.matchers:
        if label == "le":
            continue  # a bucket bound, applied to the counts, not to the series
        actual = label_value(attrs.get(by_label.get(label, label)))
        if op == "=" and actual != wanted:
            return False
        if op == "!=" and actual == wanted:
            return False
        if op in ("=~", "!~") and bool(re.fullmatch(wanted, actual)) != (op == "=~"):
            return False
    return True


@dataclass(frozen=True, slots=True)
class _Sample:
    attributes: Attributes
    start_ns: int
    time_ns: int
    cumulative: bool
    values: tuple[float, ...]  # (value,) for a counter, bucket counts for a histogram


@dataclass(frozen=True)
class Window:
    start_ns: int
    end_ns: int


def _increase(
    samples: Sequence[_Sample], window: Window
) -> list[tuple[Attributes, tuple[float, ...]]]:
    """Per-series increase inside the window."""
    series: dict[tuple[object, ...], list[_Sample]] = {}
    out: list[tuple[Attributes, tuple[float, ...]]] = []
    for sample in samples:
        if not sample.cumulative:
            if window.start_ns < sample.time_ns <= window.end_ns:
                out.append((sample.attributes, sample.values))
            continue
        key = (tuple(sorted((k, repr(v)) for k, v in sample.attributes.items())), sample.start_ns)
        series.setdefault(key, []).append(sample)
    for points in series.values():
        inside = [p for p in points if p.time_ns <= window.end_ns]
        if not inside:
            continue
        last = max(inside, key=lambda p: p.time_ns)
        before = [p for p in inside if p.time_ns <= window.start_ns]
        if before:
            base = max(before, key=lambda p: p.time_ns).values
        else:
            base = tuple(0.0 for _ in last.values)
        if len(base) == len(last.values):  # a histogram whose bounds changed is skipped
            out.append(
                (last.attributes, tuple(a - b for a, b in zip(last.values, base, strict=True)))
            )
    return out


class PointStore:
    """The metric points of one metrics.jsonl, queryable by Prometheus selector."""

    def __init__(self, points: MetricPoints) -> None:
        self._samples: dict[str, list[_Sample]] = {}
        self._bounds: dict[str, tuple[float, ...]] = {}
        for name, sums in points.sums.items():
            self._samples[name] = [
                _Sample(p.attributes, p.start_ns, p.time_ns, p.cumulative, (p.value,)) for p in sums
            ]
        for name, hists in points.histograms.items():
            self._samples[name] = [
                _Sample(
                    p.attributes,
                    p.start_ns,
                    p.time_ns,
                    p.cumulative,
                    tuple(float(c) for c in p.histogram.counts),
                )
                for p in hists
            ]
            if hists:
                self._bounds[name] = hists[-1].histogram.bounds
        times = [s.time_ns for samples in self._samples.values() for s in samples]
        self.now_ns = max(times, default=0)

    def window(self, seconds: float, offset_s: float = 0.0) -> Window:
        end = self.now_ns - int(offset_s * 1e9)
        return Window(end - int(seconds * 1e9), end)

    def first_start_ns(self, spec: InstrumentSpec) -> int | None:
        starts = [s.start_ns or s.time_ns for s in self._samples.get(spec.name, [])]
        return min(starts, default=None)

    def first_data_ns(self, spec: InstrumentSpec) -> int | None:
        """The first export that holds a non-zero value (a cumulative series' start is the
        reader's start, which may precede the first increment by a long time)."""
        times = [s.time_ns for s in self._samples.get(spec.name, []) if any(s.values)]
        return min(times, default=None)

    def increase(
        self, spec: InstrumentSpec, window: Window, keep: PromSelector | None = None
    ) -> list[tuple[Attributes, tuple[float, ...]]]:
        rows = _increase(self._samples.get(spec.name, []), window)
        if keep is None:
            return rows
        return [(attrs, values) for attrs, values in rows if _matches(attrs, spec, keep)]

    def histogram(self, spec: InstrumentSpec, window: Window) -> Histogram | None:
        """All series of a histogram merged over the window."""
        bounds = self._bounds.get(spec.name)
        rows = self.increase(spec, window)
        if bounds is None or not rows:
            return None
        counts = [0] * (len(bounds) + 1)
        for _, values in rows:
            if len(values) == len(counts):
                for i, v in enumerate(values):
                    counts[i] += max(0, round(v))
        return Histogram(bounds, tuple(counts))

    def selector_total(self, selector: PromSelector, window: Window) -> float | None:
        """sum(increase(selector[window])); None for a series name nothing produced."""
        found = _SERIES.get(selector.metric)
        if found is None or found[0].name not in self._samples:
            return None
        spec, suffix = found
        rows = self.increase(spec, window, selector)
        if suffix == "bucket":
            le = next((float(v) for label, _, v in selector.matchers if label == "le"), None)
            bounds = self._bounds.get(spec.name, ())
            if le is None or le not in bounds:
                return None  # only exact bucket bounds can be counted without interpolating
            upto = bounds.index(le) + 1
            return sum(sum(values[:upto]) for _, values in rows)
        if suffix == "sum":
            return None  # histogram sums are not kept by the point reader
        return sum(sum(values) for _, values in rows)


def group_total(
    rows: Iterable[tuple[Attributes, tuple[float, ...]]], attribute: str
) -> dict[str, float]:
    totals: dict[str, float] = {}
    for attrs, values in rows:
        key = label_value(attrs.get(attribute))
        totals[key] = totals.get(key, 0.0) + sum(values)
    return totals
