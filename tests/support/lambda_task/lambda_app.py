"""A Lambda function as a user writes it: the only module in its LAMBDA_TASK_ROOT, run by
support/lambda_runtime.py for the e2e tests (support/lambda_harness.py)."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace

import aurastream_obs

_log = logging.getLogger("lambda_app")
LAST_RAISED: Exception | None = None


class AnalysisFailed(Exception):
    pass


@aurastream_obs.instrument_handler
def handler(event: Any, context: Any) -> Any:
    global LAST_RAISED  # noqa: PLW0603 - the emulator checks the very instance comes back
    metrics = aurastream_obs.AuraStreamMetrics()
    with trace.get_tracer("lambda_app").start_as_current_span("sentiment.analyze") as span:
        span.set_attribute("aurastream.customer.id", "cust-1")
        _log.info("analysing", extra={"customer_id": "cust-1"})
        metrics.record_sentiment_analysis("POSITIVE", 0.93, 0.004, analyzer="lexicon")
        metrics.record_customer_activity("cust-1", "analysis")
        metrics.record_cache_lookup(hit=False)
    if isinstance(event, dict) and event.get("action") == "raise":
        LAST_RAISED = AnalysisFailed("analyzer unavailable")
        raise LAST_RAISED
    if isinstance(event, dict) and "version" in event and "routeKey" in event:
        return {"statusCode": 200, "body": "{}"}
    return {"ok": True}
