"""LogPipeline: record → event dict → processors → one JSON line."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.trace import Tracer

from aurastream_obs.logs import (
    CategoryAdder,
    JSONRenderer,
    LogPipeline,
    Redactor,
    ServiceAdder,
    TraceIdAdder,
    build_log_pipeline,
)
from support.log_capture import Captured, attach, strict_loads

TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
XRAY_RE = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")


def _record(msg: object = "hello", args: Any = (), **extra: Any) -> logging.LogRecord:
    logger = logging.getLogger("test.pipeline.records")
    return logger.makeRecord(logger.name, logging.INFO, __file__, 1, msg, args, None, extra=extra)


def test_contract_fields_and_extras_only(captured: Captured) -> None:
    captured.logger.info("cache %s", "miss", extra={"request_id": "r-1", "cache_hit": False})
    (event,) = captured.events()
    assert TIMESTAMP_RE.fullmatch(event["timestamp"])
    assert event["level"] == "INFO"
    assert event["message"] == "cache miss"
    assert event["service"] == "aurastream-test"
    assert event["environment"] == "test"
    assert event["category"] == "application"
    assert event["logger"] == captured.logger.name
    assert event["request_id"] == "r-1"
    assert event["cache_hit"] is False
    # Standard LogRecord attributes are not fields.
    for attribute in ("args", "msg", "lineno", "pathname", "levelno", "created", "thread"):
        assert attribute not in event


def test_timestamp_is_the_records_utc_time_with_milliseconds() -> None:
    pipeline = LogPipeline([], JSONRenderer())
    record = _record()
    record.created = 1_700_000_000.987_6
    assert pipeline.event_from_record(record)["timestamp"] == "2023-11-14T22:13:20.987Z"
    record.created = 1_700_000_001.0  # the next second: the cached prefix is refreshed
    assert pipeline.event_from_record(record)["timestamp"] == "2023-11-14T22:13:21.000Z"


def test_category_from_extra_is_kept_and_an_unknown_one_flagged(captured: Captured) -> None:
    captured.logger.warning("denied", extra={"category": "security"})
    captured.logger.info("x", extra={"category": "nonsense"})
    first, second = captured.events()
    assert first["category"] == "security"
    assert (second["category"], second["category_invalid"]) == ("application", "nonsense")


def test_extras_never_overwrite_core_fields(captured: Captured) -> None:
    captured.logger.info("real", extra={"level": "fake", "timestamp": "then", "logger": "l"})
    (event,) = captured.events()
    assert (event["level"], event["message"]) == ("INFO", "real")
    assert TIMESTAMP_RE.fullmatch(event["timestamp"])
    assert (event["extra_level"], event["extra_timestamp"], event["extra_logger"]) == (
        "fake",
        "then",
        "l",
    )


def test_bad_percent_args_never_raise(captured: Captured) -> None:
    class NoStr:
        def __str__(self) -> str:
            raise RuntimeError("no str")

        def __repr__(self) -> str:
            return "<NoStr>"

    # Straight to our handler: pytest's own capture handler (attached to every logger)
    # would re-raise the formatting error.
    handle = captured.handler.handle
    handle(_record("%d items", ("three",)))
    handle(_record("%s and %s", ("one",)))
    handle(_record("100% done %s"))  # no args: no formatting, literally kept
    handle(_record(NoStr()))
    first, second, third, fourth = captured.events()
    assert first["message"] == "%d items ('three',)"
    assert first["message_error"].startswith("TypeError")
    assert second["message"] == "%s and %s ('one',)"
    assert third["message"] == "100% done %s"
    assert "message_error" not in third
    assert fourth["message"] == "<NoStr>"
    assert fourth["message_error"] == "RuntimeError: no str"
    assert captured.handler.dropped == 0


def test_exception_renders_type_message_and_stacktrace(captured: Captured) -> None:
    class QuotaExceededError(Exception):
        pass

    def failing_call() -> None:
        raise QuotaExceededError("customer c-1 over quota")

    try:
        failing_call()
    except QuotaExceededError:
        captured.logger.exception("analysis failed")
    (event,) = captured.events()
    assert event["level"] == "ERROR"
    exception = event["exception"]
    assert exception["type"].endswith("QuotaExceededError")
    assert exception["type"].startswith("test_log_pipeline.")  # qualified: module name
    assert exception["message"] == "customer c-1 over quota"
    assert exception["stacktrace"].startswith("Traceback (most recent call last):")
    assert "failing_call" in exception["stacktrace"]
    assert len(captured.lines()) == 1


def test_exc_info_without_an_exception_adds_nothing(captured: Captured) -> None:
    captured.logger.error("no active exception", exc_info=True)  # exc_info = (None, None, None)
    (event,) = captured.events()
    assert "exception" not in event


def test_trace_ids_inside_a_span_and_absent_outside(captured: Captured, tracer: Tracer) -> None:
    with tracer.start_as_current_span("analyze") as span:
        captured.logger.info("inside")
        ctx = span.get_span_context()
    captured.logger.info("outside")
    inside, outside = captured.events()
    assert inside["trace_id"] == format(ctx.trace_id, "032x")
    assert inside["span_id"] == format(ctx.span_id, "016x")
    assert XRAY_RE.fullmatch(inside["xray_trace_id"])
    for key in ("trace_id", "span_id", "xray_trace_id"):
        assert key not in outside


def test_build_log_pipeline_order_and_options() -> None:
    pipeline = build_log_pipeline(
        service="s", environment="e", redact=False, allow_analysed_text=True
    )
    kinds = [type(p) for p in pipeline.processors]
    # Redaction first: the processors after it add only our own fields.
    assert kinds == [Redactor, TraceIdAdder, ServiceAdder, CategoryAdder]
    assert isinstance(pipeline.renderer, JSONRenderer)
    redactor = pipeline.processors[0]
    assert isinstance(redactor, Redactor)
    assert (redactor.enabled, redactor.allow_analysed_text) == (False, True)


def test_fields_added_after_redaction_cannot_carry_personal_data(captured: Captured) -> None:
    """What the processors after the redactor add comes from us: user extras with the same
    names are redacted first and, for service and environment, overwritten."""
    captured.logger.info("m", extra={"service": "x@example.com", "category": "ann@example.com"})
    event = json.loads(captured.lines()[0])
    assert "example.com" not in json.dumps({k: event[k] for k in ("service", "category")})
    assert "ann@example.com" not in captured.lines()[0]  # category_invalid: the masked value


def test_redaction_happens_before_rendering(captured: Captured) -> None:
    captured.logger.info(
        "from bob@example.com", extra={"client_ip": "203.0.113.50", "text": "great", "token": "t"}
    )
    line = captured.lines()[0]
    for secret in ("bob@example.com", "203.0.113.50", "great", '"t"'):
        assert secret not in line
    event = strict_loads(line)
    assert (event["client_ip"], event["text_length"]) == ("203.0.113.0/24", 5)


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque\nobject>"


_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "category"}
_values = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.text(), max_size=3),
    st.builds(_Opaque),
)
_extras = st.dictionaries(st.text(min_size=1).filter(lambda k: k not in _RESERVED), _values)


@settings(max_examples=200, deadline=None)
@given(message=st.text(), extras=_extras, redact=st.booleans())
def test_fuzzed_messages_and_extras_stay_one_valid_json_line(
    message: str, extras: dict[str, Any], redact: bool
) -> None:
    logger = logging.getLogger("test.pipeline.fuzz")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    cap = attach(logger, redact=redact)
    try:
        logger.info(message, extra=extras)
    finally:
        logger.removeHandler(cap.handler)
    output = cap.stream.getvalue()
    assert output.endswith("\n")
    assert output.count("\n") == 1
    assert len(output.splitlines()) == 1  # no U+2028 & co. either
    event = strict_loads(output)
    assert set(event) >= {"timestamp", "level", "message", "service", "category"}
    if not redact:
        assert event["message"] == message
    assert cap.handler.dropped == 0


def test_pipeline_is_reasonably_fast(captured: Captured, tracer: Tracer) -> None:
    # A smoke bound (generous for slow CI machines), not a benchmark: catches an accidental
    # per-call import or a quadratic path, which cost milliseconds, not microseconds.
    n = 2000
    with tracer.start_as_current_span("speed"):
        start = time.perf_counter()
        for _ in range(n):
            captured.logger.info("msg", extra={"request_id": "r", "ip_address": "203.0.113.9"})
        per_call = (time.perf_counter() - start) / n
    assert len(captured.lines()) == n
    assert per_call < 500e-6


def test_invocation_ids_from_outside_are_masked() -> None:
    """The request and correlation ids are added after redaction: masked when they are made."""
    from aurastream_obs.logs.invocation import Invocation

    invocation = Invocation("r-bob@example.com", False, "fn", correlation_id="ann%40example.com")
    assert "example.com" not in invocation.request_id + invocation.correlation_id
    assert Invocation("req-1", False, "fn", correlation_id="c-1").correlation_id == "c-1"
