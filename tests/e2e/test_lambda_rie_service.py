"""The reference service as a Lambda function under the real runtime (support/lambda_rie.py):
`aurastream_obs.service.lambda_entry.handler`, invoked with API Gateway HTTP API v2 events.

- collectorless (`mode=lambda`): an analyze request's segments (UDP), EMF documents and log
  lines correlated with them are all out before the response, and nothing comes afterwards;
- the 4xx paths answer exactly as the service does over HTTP (status, error code, headers),
  each recorded as a client error (never a fault) before the response;
- otlp mode (support/otlp_receiver.py standing in for a collector on localhost): every span,
  log record and metric has arrived when the response returns, and nothing after it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.aws_sinks import emf_metrics, missing_from
from support.lambda_output import assert_within_limits, http_api_event, root_segment
from support.lambda_rie import RieFunction, RieInvocation, sample_everything
from support.otlp_receiver import OtlpReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ENTRY = "aurastream_obs.service.lambda_entry.handler"
SERVICE_ENV = {
    "AURASTREAM_API_KEYS": "demo-key-1=cust-a",
    "AURASTREAM_ANALYZER": "lexicon",
    "OTEL_SERVICE_NAME": "aurastream-api",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RieFunction]:
    rules = sample_everything(tmp_path_factory.mktemp("rules"))
    env = {"AURASTREAM_TELEMETRY_MODE": "lambda", **rules, **SERVICE_ENV}
    with RieFunction(ENTRY, env=env) as function:
        yield function


def test_analyze_collectorless_everything_out_before_the_response(service: RieFunction) -> None:
    inv = service.invoke(http_api_event({"text": "I love this product"}))
    assert inv.status == 200 and inv.body["statusCode"] == 200, inv.body
    assert json.loads(inv.body["body"])["sentiment"] == "POSITIVE"
    assert_within_limits(inv)
    # Spans over UDP: the invocation's segment, the service's spans inside it.
    root = root_segment(inv)
    assert root["name"] == "aurastream-api" and root["origin"] == "AWS::Lambda::Function"
    assert root["http"]["response"]["status"] == 200
    assert root["annotations"]["http_route"] == "/v1/analyze"
    assert {"cache.lookup", "sentiment.analyze"} <= {span["name"] for span in inv.spans()}
    # EMF on stdout: the service's metrics, per-customer values as properties.
    emf_keys = {key for doc in inv.emf for key in doc}
    assert {"http.server.request.duration", "aurastream.sentiment.analyses"} <= emf_keys
    assert {"aurastream.cache.lookups", "aurastream.revenue"} <= emf_keys
    # Log lines: the request/response/business events, correlated with the segment.
    assert "api_response" in {line["message"] for line in inv.logs}  # one record per request
    for line in inv.logs:
        assert line["xray_trace_id"] == root["trace_id"], line
        assert line["function_request_id"] == inv.request_id
    business = [line for line in inv.logs if line.get("category") == "business"]
    assert business and business[0]["customer_id"] == "cust-a"
    health = service.invoke(http_api_event(method="GET", path="/v1/health", key=None))
    assert health.body["statusCode"] == 200
    assert root_segment(health)["annotations"]["http_route"] == "/v1/health"
    for done in (inv, health):
        assert done.late_datagrams == [] and done.late_output() == []


# One text per sentiment (the lexicon analyzer), each sent twice: a cache miss, then a hit.
TEXTS = ("I love this phone", "I hate this, terrible", "The box is on the table",
         "I love the camera but hate the battery")  # fmt: skip


def test_collectorless_emf_carries_every_metric_the_alarms_and_dashboards_read(
    tmp_path: Path,
) -> None:
    """Every CloudWatch metric an alarm, SLO or dashboard reads in our EMF namespace (with its
    dimension set and literal dimension values) is emitted by the function as deployed, cold
    start included; an invocation's metrics come in one document (they never conflict)."""
    env = {"AURASTREAM_TELEMETRY_MODE": "lambda", **sample_everything(tmp_path), **SERVICE_ENV}
    documents = []
    with RieFunction(ENTRY, env=env) as function:
        for text in (*TEXTS, *TEXTS):
            inv = function.invoke(http_api_event({"text": text}))
            assert inv.body["statusCode"] == 200, inv.body
            assert_within_limits(inv)
            assert len(inv.emf) == 1, inv.emf
            documents += inv.emf
    assert missing_from(documents, emf_metrics(map(json.dumps, documents))) == []


CLIENT_ERRORS = [
    ("invalid JSON", http_api_event(raw="not json"), 400, "invalid_json"),
    (
        "undecodable base64",
        {**http_api_event(raw="@@@"), "isBase64Encoded": True},
        400,
        "invalid_json",
    ),
    ("not an object", http_api_event(["text"]), 400, "invalid_request"),
    ("no text", http_api_event({"language_code": "en"}), 400, "missing_text"),
    ("text not a string", http_api_event({"text": 42}), 400, "invalid_text"),
    ("empty text", http_api_event({"text": "  "}), 400, "empty_text"),
    ("text over 5000 bytes", http_api_event({"text": "é" * 2501}), 400, "text_too_long"),
    ("body over 64 KiB", http_api_event({"text": "a" * 70_000}), 413, "payload_too_large"),
    ("unknown key", http_api_event({"text": "hello"}, key="not-a-key"), 401, "unauthorized"),
    ("no key", http_api_event({"text": "hello"}, key=None), 401, "unauthorized"),
    (
        "unsupported language",
        http_api_event({"text": "hi", "language_code": "xx"}),
        400,
        "unsupported_language",
    ),
    ("unknown route", http_api_event({"text": "hi"}, path="/v2/analyze"), 404, "not_found"),
    ("wrong method", http_api_event(method="GET"), 405, "method_not_allowed"),
]


def test_client_errors_answer_as_the_service_does(service: RieFunction) -> None:
    answered: list[RieInvocation] = []
    for what, event, status, code in CLIENT_ERRORS:
        inv = service.invoke(event)
        answered.append(inv)
        response = inv.body
        assert response["statusCode"] == status, (what, response)
        assert json.loads(response["body"])["error"]["code"] == code, what
        assert response["headers"]["content-type"] == "application/json"
        assert response["headers"]["x-request-id"]
        if status == 405:
            assert response["headers"]["allow"] == "POST"
        root = root_segment(inv)
        assert root["http"]["response"]["status"] == status, what
        assert "fault" not in root, (what, root)  # a client error is never a fault
        durations = [d for d in inv.emf if "http.server.request.duration" in d]
        # A dimension value (a string) with a route; without one (404) only a property.
        assert [str(d["http.response.status_code"]) for d in durations] == [str(status)], what
        if status == 404:
            assert "http_route" not in root["annotations"]  # never the raw path
        if status == 401:  # a security event, logged where it happens
            assert "failed_authentication" in {line["message"] for line in inv.logs}, what
    for inv in answered:
        assert inv.late_datagrams == [] and inv.late_output() == []
    # Only the raw body of a request too large to analyze is never logged (text length only).
    big = answered[[c[0] for c in CLIENT_ERRORS].index("text over 5000 bytes")]
    assert not [line for line in big.stdout if "éééé" in line or "\\u00e9" * 4 in line]


def test_otlp_mode_delivers_every_signal_before_the_response(tmp_path: Path) -> None:
    def received() -> tuple[Counter[str], int, set[str]]:
        """(span names counted, log records, metric names) the receiver holds now."""
        spans = Counter(span.name for span in receiver.spans())
        return spans, len(receiver.log_records()), receiver.metric_names()

    env = {
        "OTEL_METRIC_EXPORT_INTERVAL": "600000",  # only the flush before the response exports
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "OTEL_BLRP_SCHEDULE_DELAY": "600000",
        **SERVICE_ENV,
    }
    with OtlpReceiver() as receiver:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.base_url  # mode otlp: chosen from it
        with RieFunction(ENTRY, env=env) as function:
            invocations: list[RieInvocation] = []
            for n in range(1, 3):
                inv = function.invoke(
                    http_api_event({"text": f"I love this product {n}"}), at_response=received
                )
                assert inv.body["statusCode"] == 200, inv.body
                invocations.append(inv)
                # Taken when the response returned: everything was there already.
                spans, logs, metric_names = inv.at_response
                assert {"POST /v1/analyze", "cache.lookup", "sentiment.analyze"} <= spans.keys()
                assert spans["POST /v1/analyze"] == n
                assert {"http.server.request.duration", "aurastream.sentiment.analyses"} <= (
                    metric_names
                )
                assert logs > (invocations[-2].at_response[1] if n > 1 else 0)
                assert inv.datagrams == []  # no X-Ray UDP in otlp mode
            after = received()
        assert after == invocations[-1].at_response, "exported after the response"
    for inv in invocations:
        assert inv.late_output() == [], inv.late_stdout
        warnings = [x for x in inv.stdout if x.startswith("aurastream_obs:")]
        assert warnings == [], warnings  # no export failed, nothing dropped
