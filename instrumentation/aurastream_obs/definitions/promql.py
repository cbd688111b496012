"""PromQL text for the definitions, built in one place so that alerts, recording rules and
dashboard panels read the same expressions.

Two rules hold for every expression:
- **No NaN on an idle window.** A ratio divides by `(total > 0)`: a window without requests has
  no value (no sample), not 0/0 = NaN, so it burns no error budget and never poisons an average
  or a 7-day baseline; a quantile of an empty histogram (NaN) is dropped the same way.
- **Scoped.** `scoped(expr, scope)` puts the service and environment matchers on every selector
  of a raw series, so one Prometheus can hold several environments: rules are scoped to the
  environment they are rendered for, Grafana panels to the dashboard's variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import (
    ENVIRONMENT_NAME_LABEL,
    SERVICE_NAME_LABEL,
    prometheus_series,
)
from aurastream_obs.definitions.catalog import PROMETHEUS_SERIES
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


# Grafana's rate window: at least 4 scrape intervals and the panel's step, whatever the zoom
# (Grafana docs, "Using Prometheus in Grafana": $__rate_interval).
RATE_INTERVAL: Final = "$__rate_interval"


@dataclass(frozen=True)
class Scope:
    """Whose series a query reads (the values of `service_name` and
    `deployment_environment_name`): concrete in rules, `$service`/`$environment` in Grafana."""

    service: str
    environment: str

    @property
    def matchers(self) -> str:
        return (
            f'{SERVICE_NAME_LABEL}="{self.service}",{ENVIRONMENT_NAME_LABEL}="{self.environment}"'
        )


GRAFANA_SCOPE: Final = Scope("$service", "$environment")
# A selector of a raw series (never a recorded one: `:` is not a boundary): groups are the
# name, the matchers and the range window, the last two when present.
RAW_SELECTOR: Final = re.compile(
    r"(?<![\w:])("
    + "|".join(re.escape(n) for n in sorted(PROMETHEUS_SERIES, key=len, reverse=True))
    + r")(?![\w:])(?:\{([^}]*)\})?(?:\[([^\]]+)\])?"
)


def scoped(expr: str, scope: Scope) -> str:
    """`expr` with the scope's matchers first on every selector of a raw series."""

    def add(match: re.Match[str]) -> str:
        inner, window = match.group(2), match.group(3)
        if inner and SERVICE_NAME_LABEL in inner:
            return match.group(0)  # already scoped
        rest = f",{inner}" if inner else ""
        return f"{match.group(1)}{{{scope.matchers}{rest}}}" + (f"[{window}]" if window else "")

    return RAW_SELECTOR.sub(add, expr)


def sum_rate(selector: PromSelector, window: str, by: tuple[str, ...] = ()) -> str:
    grouping = f" by ({', '.join(by)})" if by else ""
    return f"sum{grouping}(rate({selector.render(window)}))"


def _zero_if_absent(expr: str) -> str:
    # A counter nobody incremented yet (no 5xx so far) has no series: count it as zero.
    return f"({expr} or vector(0))"


def _busy(total: str) -> str:
    # Only windows with traffic: an idle one has no ratio (no sample) instead of 0/0 = NaN.
    return f"({total} > 0)"


def error_ratio(ratio: PromRatio, window: str) -> str:
    total = _busy(sum_rate(ratio.total, window))
    if ratio.bad is not None:
        return f"{_zero_if_absent(sum_rate(ratio.bad, window))} / {total}"
    assert ratio.good is not None  # validation: exactly one of bad/good
    return f"1 - {_zero_if_absent(sum_rate(ratio.good, window))} / {total}"


def quantile(q: float, bucket: PromSelector, window: str) -> str:
    # An empty histogram's quantile is NaN, and NaN >= 0 is false: no sample for an idle window.
    return f"(histogram_quantile({q}, {sum_rate(bucket, window, ('le',))}) >= 0)"


def signal(sig: PromSignal) -> str:
    if sig.kind == "percent":
        assert sig.denominator is not None
        num = _zero_if_absent(sum_rate(sig.numerator, sig.window))
        percent = f"100 * {num} / {_busy(sum_rate(sig.denominator, sig.window))}"
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
