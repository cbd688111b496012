"""Lambda mode end to end, in execution environments that behave like Lambda's Python runtime.

Per invocation: every span reaches the X-Ray daemon stand-in before the handler returns, the
EMF documents validate against AWS's published schema, the log lines correlate with the
segments, and nothing is sent while the environment is frozen.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.lambda_harness import (
    EVENTS,
    LambdaEnvironment,
    assert_delivered_before_return,
    new_trace_header,
    root_segment,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def env() -> Iterator[LambdaEnvironment]:
    with LambdaEnvironment() as environment:
        yield environment


def test_cold_then_warm_invocations(env: LambdaEnvironment) -> None:
    results = []
    for _ in range(3):
        header, trace_id, parent = new_trace_header()
        inv = env.invoke(EVENTS["http_api_v2"], trace_header=header)
        assert_delivered_before_return(inv)
        root = root_segment(inv)
        # A subsegment of the function segment Lambda created.
        assert root["type"] == "subsegment"
        assert root["trace_id"] == trace_id and root["parent_id"] == parent
        assert root["name"] == "POST /v1/analyze"
        assert root["http"]["response"]["status"] == 200
        assert root["annotations"]["http_route"] == "/v1/analyze"
        children = {s["name"] for s in inv.spans()}
        assert "sentiment.analyze" in children
        # Logs correlate with the segments and carry the invocation.
        line = next(log for log in inv.logs if log["message"] == "analysing")
        assert line["xray_trace_id"] == trace_id
        assert line["function_request_id"] == inv.request_id
        results.append((root["annotations"]["faas_coldstart"], line["cold_start"], inv))
    assert [r[0] for r in results] == [True, False, False]
    assert [r[1] for r in results] == [True, False, False]
    coldstarts = [
        sum(doc.get("aurastream.lambda.coldstarts", 0) for doc in r[2].emf) for r in results
    ]
    assert coldstarts == [1, 0, 0]  # counted once, and no zero point afterwards
    first_emf = results[0][2].emf
    analyses = next(d for d in first_emf if "aurastream.sentiment.analyses" in d)
    assert analyses["sentiment"] == "POSITIVE" and analyses["service.name"]
    activity = next(d for d in first_emf if "aurastream.customer.activity" in d)
    dims = {k for x in activity["_aws"]["CloudWatchMetrics"] for s in x["Dimensions"] for k in s}
    assert activity["aurastream.customer.id"] == "cust-1"
    assert "aurastream.customer.id" not in dims  # a property, never a dimension


@pytest.mark.parametrize(
    ("event", "trigger", "name"),
    [
        ("api_gateway_v1", "http", "POST /v1/analyze"),
        ("http_api_v2", "http", "POST /v1/analyze"),
        ("function_url", "http", "GET"),
        ("alb", "http", "GET"),
        ("sqs", "pubsub", "process aurastream-reviews"),
        ("eventbridge", "pubsub", "com.aurastream.reviews Review Submitted"),
        ("scheduled", "timer", "aws.events Scheduled Event"),
        ("direct", "other", "aurastream-analyze"),
    ],
)
def test_every_trigger_type(env: LambdaEnvironment, event: str, trigger: str, name: str) -> None:
    header, trace_id, _ = new_trace_header()
    inv = env.invoke(EVENTS[event], trace_header=header)
    assert_delivered_before_return(inv)
    root = root_segment(inv)
    assert root["annotations"]["faas_trigger"] == trigger
    assert root["name"] == name
    assert root["trace_id"] == trace_id
    assert root["aws"]["request_id"] == inv.request_id
    if event == "sqs":
        meta = root["metadata"]["default"]
        assert meta["messaging.system"] == "aws_sqs"
        assert meta["messaging.batch.message_count"] == 2


def test_unknown_event_and_missing_context(env: LambdaEnvironment) -> None:
    for event in (["not", "a", "dict"], "text", None, {"Records": "garbage"}):
        inv = env.invoke(event, trace_header=new_trace_header()[0], context=False)
        assert "error_type" not in inv.outcome, inv.outcome
        assert_delivered_before_return(inv)
        assert root_segment(inv)["annotations"]["faas_trigger"] == "other"


def test_exception_is_reraised_unchanged_and_recorded(env: LambdaEnvironment) -> None:
    header, trace_id, _ = new_trace_header()
    inv = env.invoke({"action": "raise"}, trace_header=header)
    assert inv.outcome["error_type"] == "AnalysisFailed"
    assert inv.outcome["same_exception"] is True
    assert_delivered_before_return(inv)
    root = root_segment(inv)
    assert root["fault"] is True
    assert root["cause"]["exceptions"][0]["type"] == "lambda_app.AnalysisFailed"
    error = next(log for log in inv.logs if log["level"] == "ERROR")
    assert error["xray_trace_id"] == trace_id
    assert error["exception"]["type"] == "lambda_app.AnalysisFailed"


def test_sampled0_default_samples_locally_as_a_segment() -> None:
    with LambdaEnvironment() as env:
        header, trace_id, _ = new_trace_header(sampled="0")
        inv = env.invoke(EVENTS["direct"], trace_header=header)
        assert_delivered_before_return(inv)  # first request of the second: the reservoir
        root = root_segment(inv)
        # Lambda recorded no segment: ours is the segment, in the caller's trace.
        assert "type" not in root and "parent_id" not in root
        assert root["trace_id"] == trace_id
        assert root["origin"] == "AWS::Lambda::Function"


def test_sampled0_respect_sends_nothing_but_logs_still_correlate() -> None:
    with LambdaEnvironment(AURASTREAM_LAMBDA_SAMPLED0="respect") as env:
        header, trace_id, _ = new_trace_header(sampled="0")
        inv = env.invoke(EVENTS["direct"], trace_header=header)
        assert inv.datagrams == [] and inv.frozen_datagrams == []
        line = next(log for log in inv.logs if log["message"] == "analysing")
        assert line["xray_trace_id"] == trace_id
        assert inv.emf, "metrics do not depend on trace sampling"
