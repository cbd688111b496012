"""The reference service as a Lambda function, and otlp mode on Lambda, end to end in the
Lambda-like harness (support/lambda_harness.py).

- collectorless (`mode=lambda`): an analyze request through
  `aurastream_obs.service.lambda_entry.handler` sends its spans over UDP, its EMF on stdout and
  log lines correlated with the segments, all before the handler returns;
- otlp mode (the ADOT shape, with support/otlp_receiver.py standing in for the
  collector extension on localhost:4318): every span, log record and metric arrives before
  the handler returns.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from support.lambda_harness import (
    EVENTS,
    LambdaEnvironment,
    assert_delivered_before_return,
    new_trace_header,
    root_segment,
)
from support.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.e2e
ENTRY = "aurastream_obs.service.lambda_entry.handler"
SERVICE_ENV = {
    "AURASTREAM_API_KEYS": "demo-key-1=cust-a",
    "AURASTREAM_ANALYZER": "lexicon",
    "OTEL_SERVICE_NAME": "aurastream-api",
}


def analyze_event(text: str) -> dict[str, Any]:
    event = copy.deepcopy(EVENTS["http_api_v2"])
    event["body"] = json.dumps({"text": text})
    for name in ("traceparent", "x-amzn-trace-id"):
        event["headers"].pop(name)
    return event


@pytest.fixture(scope="module")
def service_env() -> Iterator[LambdaEnvironment]:
    with LambdaEnvironment(ENTRY, AURASTREAM_TELEMETRY_MODE="lambda", **SERVICE_ENV) as env:
        yield env


def test_service_analyze_collectorless(service_env: LambdaEnvironment) -> None:
    header, trace_id, parent = new_trace_header()
    inv = service_env.invoke(analyze_event("I love this product"), trace_header=header)
    result = inv.outcome["result"]
    assert result["statusCode"] == 200, inv.outcome
    assert json.loads(result["body"])["sentiment"] == "POSITIVE"
    assert_delivered_before_return(inv)
    # Spans over UDP: the invocation's subsegment of Lambda's segment, the service's inside.
    root = root_segment(inv)
    assert root["trace_id"] == trace_id and root["parent_id"] == parent
    assert root["name"] == "POST /v1/analyze"
    assert root["http"]["response"]["status"] == 200
    names = {span["name"] for span in inv.spans()}
    assert {"cache.lookup", "sentiment.analyze"} <= names
    # EMF on stdout: the service's metrics, per-customer values as properties.
    emf_keys = {key for doc in inv.emf for key in doc}
    assert {"http.server.request.duration", "aurastream.sentiment.analyses"} <= emf_keys
    assert {"aurastream.cache.lookups", "aurastream.revenue"} <= emf_keys
    # Log lines: the request/response/business events, correlated with the segments.
    messages = {line["message"] for line in inv.logs}
    assert {"api_request", "api_response"} <= messages, inv.logs
    for line in inv.logs:
        assert line["xray_trace_id"] == trace_id, line
        assert line["function_request_id"] == inv.request_id
    business = [line for line in inv.logs if line.get("category") == "business"]
    assert business and business[0]["customer_id"] == "cust-a"


def test_service_errors_and_health(service_env: LambdaEnvironment) -> None:
    bad = analyze_event("x")
    bad["body"] = "not json"
    inv = service_env.invoke(bad)
    assert inv.outcome["result"]["statusCode"] == 400
    assert_delivered_before_return(inv)
    health = copy.deepcopy(EVENTS["http_api_v2"])
    health["requestContext"]["http"].update(method="GET", path="/v1/health")
    health["rawPath"], health["routeKey"], health["body"] = "/v1/health", "GET /v1/health", None
    inv = service_env.invoke(health)
    assert inv.outcome["result"]["statusCode"] == 200
    assert root_segment(inv)["name"] == "GET /v1/health"


def test_otlp_mode_delivers_every_signal_before_return() -> None:
    def received() -> tuple[Counter[str], int, set[str]]:
        """(span names counted, log records, metric names) the receiver holds now."""
        spans = Counter(span.name for span in receiver.spans())
        return spans, len(receiver.log_records()), receiver.metric_names()

    with (
        OtlpReceiver() as receiver,
        LambdaEnvironment(
            ENTRY,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base_url,
            OTEL_METRIC_EXPORT_INTERVAL="600000",  # only the flush before return exports
            OTEL_BSP_SCHEDULE_DELAY="600000",
            OTEL_BLRP_SCHEDULE_DELAY="600000",
            **SERVICE_ENV,
        ) as env,
    ):
        logs_before = 0
        for n in range(1, 3):
            header, trace_id, _ = new_trace_header()
            inv = env.invoke(
                analyze_event(f"I love this product {n}"), trace_header=header, at_end=received
            )
            assert inv.outcome["result"]["statusCode"] == 200, inv.outcome
            # Snapshot taken at @@END, i.e. when the handler had returned: all there already.
            spans, logs, metric_names = inv.at_end
            assert {"POST /v1/analyze", "cache.lookup", "sentiment.analyze"} <= spans.keys()
            assert spans["POST /v1/analyze"] == n
            xray_hex = trace_id[2:].replace("-", "")
            assert any(span.trace_id.hex() == xray_hex for span in receiver.spans())
            assert {"http.server.request.duration", "aurastream.sentiment.analyses"} <= (
                metric_names
            )
            assert logs > logs_before, "no log record before return"
            logs_before = logs
            # Frozen: nothing more arrived after the handler returned (the harness watched).
            assert received() == inv.at_end
            assert inv.frozen_stdout == []
