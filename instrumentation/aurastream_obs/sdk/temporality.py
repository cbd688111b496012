"""The metric temporality every exporter of ours asks for: cumulative, for every instrument.

Its own module so that the OTLP exporters do not import the local-file ones (and their
json_format import) to get it, nor the reverse.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import AggregationTemporality

# Cumulative everywhere: a reader of the file (or a Prometheus-style consumer) sees running
# totals, so any single line or export is meaningful on its own and a lost one loses no counts.
CUMULATIVE: Final[dict[type, AggregationTemporality]] = {
    kind: AggregationTemporality.CUMULATIVE
    for kind in (
        Counter,
        UpDownCounter,
        Histogram,
        ObservableCounter,
        ObservableUpDownCounter,
        ObservableGauge,
    )
}
