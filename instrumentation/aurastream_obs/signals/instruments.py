"""The seed's application and business metrics as OpenTelemetry instruments.

`AuraStreamMetrics` is the only object service code needs: one method per seed metric
(`record_sentiment_analysis`, `record_cache_lookup`, `record_customer_activity`,
`record_revenue`). Recording never raises into the caller.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aurastream_obs.core import conventions as c

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter

_log = logging.getLogger("aurastream_obs")
_METER_NAME = "aurastream_obs"

_SENTIMENTS = frozenset({"POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"})


def _create(meter: Meter, spec: c.InstrumentSpec) -> Any:
    if spec.kind == "counter":
        return meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
    if spec.kind == "histogram":
        return meter.create_histogram(spec.name, unit=spec.unit, description=spec.description)
    return meter.create_up_down_counter(spec.name, unit=spec.unit, description=spec.description)


class AuraStreamMetrics:
    """Domain instruments bound to one meter (the global one unless injected)."""

    def __init__(self, meter: Meter | None = None) -> None:
        if meter is None:
            from opentelemetry import metrics

            from aurastream_obs.core.version import __version__

            meter = metrics.get_meter(_METER_NAME, __version__)
        self._analyses = _create(meter, c.SENTIMENT_ANALYSES)
        self._confidence = _create(meter, c.SENTIMENT_CONFIDENCE)
        self._duration = _create(meter, c.SENTIMENT_DURATION)
        self._cache = _create(meter, c.CACHE_LOOKUPS)
        self._activity = _create(meter, c.CUSTOMER_ACTIVITY)
        self._revenue = _create(meter, c.REVENUE)
        self._usage = _create(meter, c.USAGE)
        self._security = _create(meter, c.SECURITY_EVENTS)
        # Attribute dicts are reused: a point costs its attribute set's lookup, allocation is
        # avoidable (the instruments copy what they keep).
        self._hit = {c.CACHE_HIT: True}
        self._miss = {c.CACHE_HIT: False}
        self._by_sentiment = {s: {c.SENTIMENT: s} for s in _SENTIMENTS}
        self._by_analyzer: dict[tuple[str, str], dict[str, str]] = {}

    def record_sentiment_analysis(
        self, sentiment: str, confidence: float, duration_s: float | None, analyzer: str = ""
    ) -> None:
        """One analysis; `duration_s` is None for cache hits (no analyzer time spent)."""
        try:
            attrs = self._by_sentiment.get(sentiment) or {c.SENTIMENT: "UNKNOWN"}
            analyzed = self._analyzed(attrs, analyzer) if analyzer else attrs
            self._analyses.add(1, analyzed)
            self._confidence.record(float(confidence), attrs)
            if duration_s is not None:
                self._duration.record(float(duration_s), analyzed)
        except Exception:  # noqa: BLE001 - telemetry boundary: never fail the request
            _log.debug("record_sentiment_analysis failed", exc_info=True)

    def _analyzed(self, attrs: dict[str, str], analyzer: str) -> dict[str, str]:
        """The sentiment's attributes with the analyzer, one dict per pair (a few analyzers:
        the cache stops at 64 pairs, later ones get a new dict per call)."""
        key = (attrs[c.SENTIMENT], analyzer)
        found = self._by_analyzer.get(key)
        if found is None:
            found = {**attrs, c.ANALYZER: analyzer}
            if len(self._by_analyzer) < 64:
                self._by_analyzer[key] = found
        return found

    def record_cache_lookup(self, hit: bool) -> None:
        try:
            self._cache.add(1, self._hit if hit else self._miss)
        except Exception:  # noqa: BLE001 - telemetry boundary
            _log.debug("record_cache_lookup failed", exc_info=True)

    def record_customer_activity(
        self, customer_id: str, activity_type: str, value: float = 1.0
    ) -> None:
        try:
            self._activity.add(value, {c.CUSTOMER_ID: customer_id, c.ACTIVITY_TYPE: activity_type})
        except Exception:  # noqa: BLE001 - telemetry boundary
            _log.debug("record_customer_activity failed", exc_info=True)

    def record_revenue(self, customer_id: str, revenue: float, usage: int) -> None:
        """Revenue (USD) and billable usage units for one customer."""
        try:
            attrs = {c.CUSTOMER_ID: customer_id}
            if revenue:
                self._revenue.add(float(revenue), attrs)
            if usage:
                self._usage.add(int(usage), attrs)
        except Exception:  # noqa: BLE001 - telemetry boundary
            _log.debug("record_revenue failed", exc_info=True)

    def record_security_event(self, event_type: str) -> None:
        """One security event (e.g. `failed_authentication`), counted by type."""
        try:
            self._security.add(1, {c.SECURITY_EVENT: event_type})
        except Exception:  # noqa: BLE001 - telemetry boundary
            _log.debug("record_security_event failed", exc_info=True)
