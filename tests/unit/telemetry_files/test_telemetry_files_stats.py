"""The report maths: bucket quantiles (Prometheus semantics), merging, exact percentiles."""

from __future__ import annotations

import math

import pytest

from aurastream_obs.telemetry_files.stats import (
    Histogram,
    fraction_at_or_below,
    histogram_quantile,
    merge_histograms,
    percentile,
    quantile_bucket,
)

BOUNDS = (0.1, 0.5, 1.0, 2.0)


def test_empty_histogram_has_no_quantile() -> None:
    assert histogram_quantile(0.5, Histogram(BOUNDS, (0, 0, 0, 0, 0))) is None
    assert histogram_quantile(0.5, None) is None
    assert quantile_bucket(0.5, Histogram(BOUNDS, (0, 0, 0, 0, 0))) is None
    assert fraction_at_or_below(Histogram(BOUNDS, (0, 0, 0, 0, 0)), 1.0) is None


def test_single_bucket_without_bounds_cannot_be_estimated() -> None:
    # Prometheus answers NaN with fewer than two buckets: there is nothing to interpolate.
    assert histogram_quantile(0.5, Histogram((), (10,))) is None


def test_single_bound_interpolates_from_zero() -> None:
    histogram = Histogram((1.0,), (4, 0))
    assert histogram_quantile(0.5, histogram) == pytest.approx(0.5)
    assert histogram_quantile(0.25, histogram) == pytest.approx(0.25)
    assert histogram_quantile(1.0, histogram) == pytest.approx(1.0)


def test_everything_in_the_inf_bucket_answers_the_highest_finite_bound() -> None:
    histogram = Histogram(BOUNDS, (0, 0, 0, 0, 7))
    for q in (0.01, 0.5, 0.99):
        assert histogram_quantile(q, histogram) == 2.0
    assert quantile_bucket(0.5, histogram) == (2.0, math.inf)


def test_linear_interpolation_inside_the_bucket() -> None:
    # 10 in (0, 0.1], 10 in (0.1, 0.5], 0 in (0.5, 1], 20 in (1, 2], 0 above: 40 in all.
    histogram = Histogram(BOUNDS, (10, 10, 0, 20, 0))
    assert histogram_quantile(0.25, histogram) == pytest.approx(0.1)  # rank 10: top of bucket 1
    assert histogram_quantile(0.375, histogram) == pytest.approx(0.3)  # rank 15: half of (0.1, 0.5]
    assert histogram_quantile(0.5, histogram) == pytest.approx(
        0.5
    )  # rank 20: the empty bucket is skipped
    assert histogram_quantile(0.75, histogram) == pytest.approx(1.5)  # rank 30: half of (1, 2]
    assert histogram_quantile(0.99, histogram) == pytest.approx(1.0 + 0.98)
    assert quantile_bucket(0.99, histogram) == (1.0, 2.0)


def test_quantile_zero_is_the_lower_edge_of_the_first_populated_bucket() -> None:
    assert histogram_quantile(0.0, Histogram(BOUNDS, (0, 0, 3, 0, 0))) == pytest.approx(0.5)


def test_non_positive_first_bound_is_returned_as_is() -> None:
    assert histogram_quantile(0.5, Histogram((0.0, 1.0), (5, 5, 0))) == 0.0


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_quantile_outside_zero_one_is_rejected(q: float) -> None:
    with pytest.raises(ValueError):
        histogram_quantile(q, Histogram(BOUNDS, (1, 0, 0, 0, 0)))
    with pytest.raises(ValueError):
        percentile([1.0], q)


def test_merging_attribute_sets_sums_buckets() -> None:
    ok = Histogram(BOUNDS, (5, 3, 0, 0, 0))
    errors = Histogram(BOUNDS, (1, 0, 0, 2, 1))
    merged = merge_histograms([ok, errors])
    assert merged == Histogram(BOUNDS, (6, 3, 0, 2, 1))
    assert merged is not None and merged.total == 12
    assert merge_histograms([]) is None


def test_merging_different_bounds_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot merge"):
        merge_histograms([Histogram(BOUNDS, (1, 0, 0, 0, 0)), Histogram((1.0,), (1, 0))])


def test_histogram_shape_is_validated() -> None:
    with pytest.raises(ValueError):
        Histogram(BOUNDS, (1, 2))
    with pytest.raises(ValueError):
        Histogram((1.0, 0.5), (0, 0, 0))


def test_fraction_at_or_below_a_bucket_bound_is_exact() -> None:
    histogram = Histogram(BOUNDS, (10, 10, 0, 20, 0))
    assert fraction_at_or_below(histogram, 1.0) == pytest.approx(0.5)
    assert fraction_at_or_below(histogram, 2.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not a bucket boundary"):
        fraction_at_or_below(histogram, 0.75)


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted input
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    # 0.07 * 100 is 7.000000000000001 in floating point: still the 7th value, not the 8th.
    assert percentile(values, 0.07) == 7.0
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.99) == 3.0
