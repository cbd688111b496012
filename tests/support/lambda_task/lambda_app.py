"""A Lambda function as a user writes it: the only module in its LAMBDA_TASK_ROOT, run by the
real runtime (support/lambda_rie.py) and by the hand-written one (support/lambda_harness.py).

Events: `{"action": "raise"}` raises `AnalysisFailed`; `{"action": "sleep", "seconds": N}`
overruns the function timeout (the scenario of the watchdog test); anything else succeeds
(an API Gateway event gets a proxy response).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry import trace

import aurastream_obs

_log = logging.getLogger("lambda_app")
# Logged before telemetry is configured: through the runtime's own log handler, once.
_log.warning("lambda_app: init")


class AnalysisFailed(Exception):
    pass


@aurastream_obs.instrument_handler
def handler(event: Any, context: Any) -> Any:
    metrics = aurastream_obs.AuraStreamMetrics()
    action = event.get("action") if isinstance(event, dict) else None
    with trace.get_tracer("lambda_app").start_as_current_span("sentiment.analyze") as span:
        span.set_attribute("aurastream.customer.id", "cust-1")
        _log.info("analysing", extra={"customer_id": "cust-1", "contact": "jane.doe@example.com"})
        metrics.record_sentiment_analysis("POSITIVE", 0.93, 0.004, analyzer="lexicon")
        metrics.record_customer_activity("cust-1", "analysis")
        metrics.record_cache_lookup(hit=False)
    if action == "raise":
        raise AnalysisFailed("analyzer unavailable")
    if action == "sleep":
        threading.Event().wait(float(event["seconds"]))  # the scenario: the handler overruns
        _log.info("woke up after the deadline")
    if isinstance(event, dict) and "version" in event and "routeKey" in event:
        return {"statusCode": 200, "body": "{}"}
    return {"ok": True}
