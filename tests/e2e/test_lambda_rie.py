"""Lambda mode under the real runtime: AWS's runtime interface emulator and Python runtime
client (support/lambda_rie.py) running support/lambda_task/lambda_app.py, a function decorated
with `instrument_handler`, with a UDP socket as the X-Ray daemon.

Per invocation, what was sent *by the time the emulator answered* (datagrams queued on the
daemon socket, stdout lines before the emulator's END line) is complete: nothing more arrives
afterwards. Cold start is true on an environment's first invocation only, and again after a
timeout (Lambda re-initialises a timed-out environment). An exception marks the segment and
is the function error; a handler that overruns the timeout has its watchdog flush delivered
before the deadline. Under AWS_LAMBDA_LOG_FORMAT=JSON each log event is printed once, by us,
redacted.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from support.lambda_output import EVENTS, assert_within_limits, coldstarts, root_segment
from support.lambda_rie import RieFunction, RieInvocation, sample_everything
from support.otlp_receiver import OtlpReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
HANDLER = "lambda_app.handler"
SERVICE = "aurastream-api"  # the default service name
# The sample event's W3C parent (its X-Amzn-Trace-Id is deliberately not valid hex): the
# emulator sets no _X_AMZN_TRACE_ID, so the parent comes from the event.
EVENT_TRACE = ("1-0af76519-16cd43dd8448eb211c80319c", "b7ad6b7169203331")
APP_METRICS = {
    "aurastream.sentiment.analyses",
    "aurastream.customer.activity",
    "aurastream.cache.lookups",
}


def start(tmp_path: Path, timeout_s: int = 10, **env: str) -> RieFunction:
    return RieFunction(
        HANDLER,
        env={"AURASTREAM_TELEMETRY_MODE": "lambda", **sample_everything(tmp_path), **env},
        timeout_s=timeout_s,
    )


def emf_keys(inv: RieInvocation) -> set[str]:
    return {key for doc in inv.emf for key in doc}


def runtime_error_report(line: str) -> bool:
    """How the runtime reports a function error on stdout (not a log record): `[ERROR] Type:
    message` and the traceback, or under AWS_LAMBDA_LOG_FORMAT=JSON a record with errorType."""
    if line.startswith("{"):
        return '"errorType"' in line
    return line.startswith(("[ERROR] AnalysisFailed", "Traceback", "  "))


def assert_nothing_late(*invocations: RieInvocation) -> None:
    for inv in invocations:
        assert inv.late_datagrams == [], f"{inv.request_id}: datagrams after the response"
        assert inv.late_output() == [], f"{inv.request_id}: output after the response"


def test_cold_start_once_and_every_signal_out_before_the_response(tmp_path: Path) -> None:
    with start(tmp_path) as fn:
        invocations = [fn.invoke(EVENTS["http_api_v2"]) for _ in range(3)]
    for inv in invocations:
        assert inv.status == 200 and inv.body == {"statusCode": 200, "body": "{}"}, inv.body
        assert_within_limits(inv)
        root = root_segment(inv)
        assert root["name"] == "POST /v1/analyze"
        assert (root["trace_id"], root["parent_id"]) == EVENT_TRACE
        assert root["type"] == "subsegment"
        assert root["aws"]["request_id"] == inv.request_id  # the runtime's context
        assert root["http"]["response"]["status"] == 200
        assert "sentiment.analyze" in {span["name"] for span in inv.spans()}
        assert emf_keys(inv) >= APP_METRICS
        line = next(log for log in inv.logs if log["message"] == "analysing")
        assert line["xray_trace_id"] == EVENT_TRACE[0]
        assert line["function_request_id"] == inv.request_id
    assert [root_segment(i)["annotations"]["faas_coldstart"] for i in invocations] == [
        True,
        False,
        False,
    ]
    analysing = [next(x for x in i.logs if x["message"] == "analysing") for i in invocations]
    assert [line["cold_start"] for line in analysing] == [True, False, False]
    assert [coldstarts(i) for i in invocations] == [1, 0, 0]  # counted once, never a zero
    activity = next(d for d in invocations[0].emf if "aurastream.customer.activity" in d)
    dims = {k for x in activity["_aws"]["CloudWatchMetrics"] for s in x["Dimensions"] for k in s}
    assert activity["aurastream.customer.id"] == "cust-1"
    assert "aurastream.customer.id" not in dims  # a property, never a dimension
    # Complete at the response: nothing more came until the next invocation or the end.
    assert_nothing_late(*invocations)


@pytest.mark.parametrize(
    ("event", "trigger", "name"),
    [
        ("api_gateway_v1", "http", "POST /v1/analyze"),
        ("function_url", "http", "GET"),
        ("alb", "http", "GET"),
        ("sqs", "pubsub", "process aurastream-reviews"),
        ("eventbridge", "pubsub", "com.aurastream.reviews Review Submitted"),
        ("scheduled", "timer", "aws.events Scheduled Event"),
        ("direct", "other", "aurastream-analyze"),
    ],
)
def test_every_trigger_type(tmp_path: Path, event: str, trigger: str, name: str) -> None:
    with start(tmp_path) as fn:
        inv = fn.invoke(EVENTS[event])
    assert inv.status == 200
    assert_within_limits(inv)
    root = root_segment(inv)
    assert root["annotations"]["faas_trigger"] == trigger
    # Under a parent from the event: a subsegment named after the span; else the trace's
    # segment, named after the service (X-Ray's rule), with the span's attributes.
    assert root["name"] == (name if "parent_id" in root else SERVICE)
    assert root["aws"]["request_id"] == inv.request_id
    if event == "sqs":
        meta = root["metadata"]["default"]
        assert meta["messaging.system"] == "aws_sqs"
        assert meta["messaging.batch.message_count"] == 2
    assert_nothing_late(inv)


def test_events_of_any_shape_never_fail(tmp_path: Path) -> None:
    with start(tmp_path) as fn:
        invocations = [fn.invoke(e) for e in (["a", "list"], "text", None, {"Records": "x"})]
    for inv in invocations:
        assert inv.status == 200 and inv.body == {"ok": True}, inv.body
        assert root_segment(inv)["annotations"]["faas_trigger"] == "other"
    assert_nothing_late(*invocations)


def test_an_exception_marks_the_segment_and_is_the_function_error(tmp_path: Path) -> None:
    with start(tmp_path) as fn:
        inv = fn.invoke({"action": "raise"})
    # The runtime's error response (the emulator answers 200; Lambda adds
    # X-Amz-Function-Error): the very exception, re-raised unchanged from the function's line.
    assert inv.body["errorType"] == "AnalysisFailed", inv.body
    assert inv.body["errorMessage"] == "analyzer unavailable"
    assert "lambda_app.py" in inv.body["stackTrace"][-1]
    assert "raise AnalysisFailed" in inv.body["stackTrace"][-1]
    assert_within_limits(inv)
    root = root_segment(inv)
    assert root["fault"] is True
    assert root["cause"]["exceptions"][0]["type"] == "lambda_app.AnalysisFailed"
    assert root["annotations"]["error_type"] == "lambda_app.AnalysisFailed"
    error = next(log for log in inv.logs if log["level"] == "ERROR")
    assert error["exception"]["type"] == "lambda_app.AnalysisFailed"
    assert error["xray_trace_id"] == root["trace_id"]
    assert error["function_request_id"] == inv.request_id
    assert "category_invalid" not in error
    assert emf_keys(inv) >= APP_METRICS
    assert_nothing_late(inv)


def test_a_handler_that_overruns_the_timeout_has_its_watchdog_flush_delivered(
    tmp_path: Path,
) -> None:
    with start(tmp_path, timeout_s=2) as fn:
        finished = fn.invoke(EVENTS["direct"])
        # A finished invocation's watchdog is cancelled: nothing until its deadline is past.
        assert fn.arrivals_until(time.monotonic() + 2.3) == []
        overrun = fn.invoke({"action": "sleep", "seconds": 60})
        after = fn.invoke(EVENTS["direct"])
    assert finished.status == 200 and coldstarts(finished) == 1
    assert overrun.body == "Task timed out after 2.00 seconds"
    # Before the deadline (the emulator kills the runtime at it): the span, ended and marked
    # by the watchdog, the log line saying so, and the metrics recorded so far.
    assert_within_limits(overrun)
    root = root_segment(overrun)
    assert root["fault"] is True
    assert root["metadata"]["default"]["faas.timeout_imminent"] is True
    assert root["aws"]["request_id"] == overrun.request_id
    warning = next(x for x in overrun.logs if x["message"].startswith("invocation about to"))
    assert warning["function_request_id"] == overrun.request_id  # the invocation's context
    assert warning["xray_trace_id"] == root["trace_id"]
    assert emf_keys(overrun) >= APP_METRICS
    assert all(doc.get("function_request_id") == overrun.request_id for doc in overrun.emf)
    assert "woke up after the deadline" not in {x["message"] for x in overrun.logs}
    # Killed at the deadline: nothing after it; the next invocation starts a new environment.
    assert_nothing_late(finished, overrun, after)
    assert coldstarts(after) == 1
    assert root_segment(after)["annotations"]["faas_coldstart"] is True


@pytest.mark.parametrize("mode", ["lambda", "otlp"])
@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_each_log_event_printed_once_redacted(tmp_path: Path, mode: str, log_format: str) -> None:
    """The runtime installs its own handler on the root logger (LambdaLoggerHandler; under
    AWS_LAMBDA_LOG_FORMAT=JSON LambdaLoggerHandlerWithFrameType), which would print every
    record again, unredacted: ours replaces it, in lambda mode and in otlp mode alike."""
    with OtlpReceiver() as receiver:
        env = {"AWS_LAMBDA_LOG_FORMAT": log_format, "AURASTREAM_TELEMETRY_MODE": mode}
        if mode == "otlp":
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.base_url
        with start(tmp_path, **env) as fn:
            first = fn.invoke(EVENTS["http_api_v2"])
            failed = fn.invoke({"action": "raise"})
    # The control: logged before telemetry was configured, it went through the runtime's
    # handler (its own format), so that handler was there.
    init = [line for line in first.stdout if "lambda_app: init" in line]
    assert len(init) == 1, first.stdout
    if log_format == "JSON":
        assert "requestId" in json.loads(init[0])
    for inv in (first, failed):
        lines = [x for x in inv.stdout if x not in init and not runtime_error_report(x)]
        ours = [json.loads(x) for x in lines if x.startswith("{") and '"_aws"' not in x]
        counts = Counter(x["message"] for x in ours)
        assert counts["analysing"] == 1 and set(counts.values()) == {1}, counts
        assert all(x["function_request_id"] == inv.request_id for x in ours), ours
        assert next(x for x in ours if x["message"] == "analysing")["contact"] == "[EMAIL]"
        leaked = [x for x in lines if "jane.doe@example.com" in x]
        copies = [x for x in lines if "analysing" in x and not x.startswith("{")]
        assert leaked == [] and copies == [], lines
    # The runtime's own report of the function error (not a log record) is its extra output.
    assert any(runtime_error_report(x) for x in failed.stdout), failed.stdout


def test_a_start_on_a_port_taken_meanwhile_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port found free can be taken before the emulator binds it (a CI run failed so: the
    Runtime API server's `bind: address already in use`). The harness starts again on new
    ports, so such a race does not fail a test; the emulator is real, the port really taken."""
    import socket

    import support.lambda_rie as rie

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        chosen: list[int] = []

        def free_port() -> int:  # the first start's Runtime API port is the taken one
            port = taken.getsockname()[1] if len(chosen) == 1 else real()
            chosen.append(port)
            return port

        real = rie.free_port
        monkeypatch.setattr(rie, "free_port", free_port)
        with start(tmp_path) as fn:
            assert len(chosen) == 4  # two ports a start, two starts
            assert fn.port == chosen[2]
            assert fn.invoke(EVENTS["http_api_v2"]).status == 200
