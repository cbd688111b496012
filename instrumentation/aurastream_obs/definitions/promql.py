"""PromQL text for the definitions, built in one place so that alerts, recording rules and
dashboard panels read the same expressions."""

from __future__ import annotations

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import prometheus_series
from aurastream_obs.definitions.spec import PromRatio, PromSelector, PromSignal, PromTarget


def _series(spec: c.InstrumentSpec, suffix: str) -> str:
    return next(s for s in prometheus_series(spec) if s.endswith(suffix))


HTTP_COUNT = _series(c.HTTP_SERVER_DURATION, "_count")
HTTP_BUCKET = _series(c.HTTP_SERVER_DURATION, "_bucket")
HTTP_SUM = _series(c.HTTP_SERVER_DURATION, "_sum")
SENTIMENT_ANALYSES = _series(c.SENTIMENT_ANALYSES, "_total")
SENTIMENT_BUCKET = _series(c.SENTIMENT_DURATION, "_bucket")
CACHE_LOOKUPS = _series(c.CACHE_LOOKUPS, "_total")
CUSTOMER_ACTIVITY = _series(c.CUSTOMER_ACTIVITY, "_total")
REVENUE = _series(c.REVENUE, "_total")
USAGE = _series(c.USAGE, "_total")
SECURITY_EVENTS = _series(c.SECURITY_EVENTS, "_total")


def sum_rate(selector: PromSelector, window: str, by: tuple[str, ...] = ()) -> str:
    grouping = f" by ({', '.join(by)})" if by else ""
    return f"sum{grouping}(rate({selector.render(window)}))"


def _zero_if_absent(expr: str) -> str:
    # A counter nobody incremented yet (no 5xx so far) has no series: count it as zero.
    return f"({expr} or vector(0))"


def error_ratio(ratio: PromRatio, window: str) -> str:
    total = sum_rate(ratio.total, window)
    if ratio.bad is not None:
        return f"{_zero_if_absent(sum_rate(ratio.bad, window))} / {total}"
    assert ratio.good is not None  # validation: exactly one of bad/good
    return f"1 - {_zero_if_absent(sum_rate(ratio.good, window))} / {total}"


def quantile(q: float, bucket: PromSelector, window: str) -> str:
    return f"histogram_quantile({q}, {sum_rate(bucket, window, ('le',))})"


def signal(sig: PromSignal) -> str:
    if sig.kind == "percent":
        assert sig.denominator is not None
        num = _zero_if_absent(sum_rate(sig.numerator, sig.window))
        percent = f"100 * {num} / {sum_rate(sig.denominator, sig.window)}"
        return f"100 - {percent}" if sig.complement else percent
    if sig.kind == "quantile":
        assert sig.quantile is not None
        return quantile(sig.quantile, sig.numerator, sig.window)
    if sig.kind == "increase":
        return _zero_if_absent(f"sum(increase({sig.numerator.render(sig.window)}))")
    return sum_rate(sig.numerator, sig.window)


def signal_metrics(sig: PromSignal) -> tuple[str, ...]:
    extra = (sig.denominator.metric,) if sig.denominator else ()
    return (sig.numerator.metric, *extra)


def target_for(sig: PromSignal, legend: str) -> PromTarget:
    """A dashboard target showing exactly what an alert evaluates."""
    return PromTarget(signal(sig), legend, signal_metrics(sig))
