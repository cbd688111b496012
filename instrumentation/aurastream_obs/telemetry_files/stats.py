"""Pure maths over local telemetry: histogram buckets, quantiles, exact percentiles.

`histogram_quantile` follows Prometheus' `histogram_quantile()` (promql/quantile.go,
`bucketQuantile`): the rank `q * count` is located in the cumulative buckets and the value is
interpolated linearly inside its bucket; the lowest bucket starts at 0 when its upper bound is
positive; a rank in the +Inf bucket answers the highest finite bound; fewer than two buckets
answer nothing (Prometheus: NaN). An OTLP explicit-bucket histogram has `len(bounds) + 1`
buckets, bucket `i` covering `(bounds[i-1], bounds[i]]` and the last one `(bounds[-1], +Inf)`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Histogram:
    """Explicit-bucket counts: `counts[i]` observations in bucket i (not cumulative)."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.bounds) + 1:
            raise ValueError(
                f"a histogram with {len(self.bounds)} bounds needs {len(self.bounds) + 1} "
                f"bucket counts, got {len(self.counts)}"
            )
        if any(b >= a for a, b in zip(self.bounds[1:], self.bounds, strict=False)):
            raise ValueError(f"bucket bounds must increase strictly: {self.bounds}")
        if any(c < 0 for c in self.counts):
            raise ValueError("bucket counts must not be negative")

    @property
    def total(self) -> int:
        return sum(self.counts)

    def merged(self, other: Histogram) -> Histogram:
        """Bucket-wise sum; both must share the same bounds (as one instrument's views do)."""
        if other.bounds != self.bounds:
            raise ValueError(f"cannot merge buckets {self.bounds} with {other.bounds}")
        counts = tuple(a + b for a, b in zip(self.counts, other.counts, strict=True))
        return Histogram(self.bounds, counts)

    def count_at_or_below(self, bound: float) -> int:
        """Observations <= `bound`; exact only at a bucket boundary, so only those are allowed."""
        if bound not in self.bounds:
            raise ValueError(f"{bound} is not a bucket boundary of {self.bounds}")
        return sum(self.counts[: self.bounds.index(bound) + 1])


def merge_histograms(histograms: Iterable[Histogram]) -> Histogram | None:
    """Sum of several attribute sets' histograms (None when there are none)."""
    merged: Histogram | None = None
    for histogram in histograms:
        merged = histogram if merged is None else merged.merged(histogram)
    return merged


def histogram_quantile(q: float, histogram: Histogram | None) -> float | None:
    """The q-quantile (0 <= q <= 1) estimated from buckets; None when it cannot be estimated."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    if histogram is None or not histogram.bounds or histogram.total == 0:
        return None
    rank = q * histogram.total
    cumulative = 0
    last = len(histogram.counts) - 1
    for index, count in enumerate(histogram.counts):
        # Skipping empty buckets only matters for rank 0 (q = 0): any rank > 0 first reaches
        # a bucket that holds observations.
        if count == 0 or cumulative + count < rank:
            cumulative += count
            continue
        if index == last:  # the +Inf bucket: the best answer is the highest finite bound
            return histogram.bounds[-1]
        upper = histogram.bounds[index]
        if index == 0:
            if upper <= 0.0:
                return upper
            lower = 0.0
        else:
            lower = histogram.bounds[index - 1]
        return lower + (upper - lower) * (rank - cumulative) / count
    return None  # unreachable: total > 0 means some bucket holds the rank


def quantile_bucket(q: float, histogram: Histogram | None) -> tuple[float, float] | None:
    """(lower, upper) bounds of the bucket holding the q-quantile's rank (upper may be inf):
    how far a bucket estimate can be from the truth."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    if histogram is None or histogram.total == 0:
        return None
    rank = q * histogram.total
    bounds = histogram.bounds
    # As in histogram_quantile: the lowest bucket starts at 0 when its upper bound is positive.
    lowest = 0.0 if bounds and bounds[0] > 0.0 else -math.inf
    edges = (lowest, *bounds, math.inf)
    cumulative = 0
    for index, count in enumerate(histogram.counts):
        cumulative += count
        if count and cumulative >= rank:
            return edges[index], edges[index + 1]
    return None  # unreachable: total > 0 means some bucket holds the rank


def fraction_at_or_below(histogram: Histogram | None, bound: float) -> float | None:
    """Share of observations <= `bound` (a bucket boundary: exact, no interpolation)."""
    if histogram is None or histogram.total == 0:
        return None
    return histogram.count_at_or_below(bound) / histogram.total


def percentile(values: Sequence[float], q: float) -> float | None:
    """Exact nearest-rank percentile: the smallest value with at least q of the data <= it."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    # The epsilon keeps float noise (0.07 * 100 = 7.000000000000001) from moving the rank.
    rank = max(1, math.ceil(q * len(ordered) - 1e-9))
    return ordered[rank - 1]


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None for an empty whole."""
    return part / whole if whole else None
