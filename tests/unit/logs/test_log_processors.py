"""Each processor called directly, outside any pipeline."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Tracer

from aurastream_obs.logs import CategoryAdder, JSONRenderer, ServiceAdder, TraceIdAdder
from aurastream_obs.logs.processors import escape_non_ascii
from support.log_capture import strict_loads

XRAY_RE = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")


# --- TraceIdAdder ---------------------------------------------------------------------------


def test_trace_ids_of_the_current_span(tracer: Tracer) -> None:
    with tracer.start_as_current_span("op") as span:
        event = TraceIdAdder()({"message": "m"})
        ctx = span.get_span_context()
    assert event["trace_id"] == format(ctx.trace_id, "032x")
    assert event["span_id"] == format(ctx.span_id, "016x")
    assert re.fullmatch(r"[0-9a-f]{32}", event["trace_id"])
    assert re.fullmatch(r"[0-9a-f]{16}", event["span_id"])
    assert XRAY_RE.fullmatch(event["xray_trace_id"])
    assert event["xray_trace_id"].replace("-", "")[1:] == event["trace_id"]


def test_no_trace_ids_outside_a_span() -> None:
    event = TraceIdAdder()({"message": "m"})
    assert event == {"message": "m"}


def test_trace_ids_from_an_injected_span_getter() -> None:
    ctx = trace.SpanContext(trace_id=0x5F0000001234567890ABCDEF01234567, span_id=1, is_remote=False)
    adder = TraceIdAdder(lambda: trace.NonRecordingSpan(ctx))
    event = adder({})
    assert event["xray_trace_id"] == "1-5f000000-1234567890abcdef01234567"
    assert event["span_id"] == "0000000000000001"
    assert TraceIdAdder(lambda: trace.INVALID_SPAN)({}) == {}


# --- ServiceAdder / CategoryAdder -----------------------------------------------------------


def test_service_adder_sets_service_and_environment_over_extras() -> None:
    event = ServiceAdder("aurastream-api", "prod")({"service": "spoofed"})
    assert event == {"service": "aurastream-api", "environment": "prod"}


def test_category_known_is_kept() -> None:
    assert CategoryAdder()({"category": "security"}) == {"category": "security"}


def test_category_missing_becomes_application() -> None:
    assert CategoryAdder()({}) == {"category": "application"}


def test_category_unknown_becomes_application_and_keeps_the_original() -> None:
    event = CategoryAdder()({"category": "secruity"})
    assert event == {"category": "application", "category_invalid": "secruity"}


def test_category_case_and_spaces_are_normalised() -> None:
    assert CategoryAdder()({"category": " Audit "})["category"] == "audit"


def test_category_unhashable_value_does_not_raise() -> None:
    event = CategoryAdder()({"category": ["security"]})
    assert event == {"category": "application", "category_invalid": ["security"]}


# --- JSONRenderer ---------------------------------------------------------------------------


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_renders_one_line_with_control_chars_quotes_and_unicode() -> None:
    message = 'line1\nline2\r\t"quoted" \\ \x00\x1b\x1f é 日本 😀 \u2028\u2029\x85 end'
    line = JSONRenderer()({"message": message})
    assert "\n" not in line
    assert len(line.splitlines()) == 1  # also catches U+2028/U+2029/U+0085
    assert strict_loads(line)["message"] == message
    assert "日本" in line  # ensure_ascii=False keeps text readable


def test_non_serialisable_values_fall_back_to_repr() -> None:
    event: dict[str, Any] = {
        "obj": _Opaque(),
        "broken": _BrokenRepr(),
        "when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "tags": {"a"},
        "raw": b"\x00\xff",
    }
    parsed = strict_loads(JSONRenderer()(event))
    assert parsed["obj"] == "<opaque>"
    assert parsed["broken"] == "<unrepresentable _BrokenRepr>"
    assert parsed["when"] == "2026-01-02T03:04:05+00:00"
    assert parsed["tags"] == ["a"]
    assert parsed["raw"] == "b'\\x00\\xff'"


def test_nan_infinity_non_str_keys_and_cycles_still_render_valid_json() -> None:
    cyclic: dict[str, Any] = {"name": "loop"}
    cyclic["self"] = cyclic
    event: dict[str, Any] = {
        "message": "m",
        "ratio": math.nan,
        "limit": math.inf,
        "by_pair": {("a", 1): "x"},
        "cyclic": cyclic,
    }
    line = JSONRenderer()(event)
    parsed = strict_loads(line)
    assert "\n" not in line
    assert parsed["ratio"] == "nan"
    assert parsed["limit"] == "inf"
    assert parsed["by_pair"] == {"('a', 1)": "x"}
    assert parsed["cyclic"]["name"] == "loop"


def test_renderer_never_raises_even_when_everything_fails() -> None:
    class Evil(dict[str, Any]):
        def items(self) -> Any:
            raise RuntimeError("boom")

    line = JSONRenderer()(Evil(level="INFO", message="m"))
    parsed = strict_loads(line)
    assert parsed["message"] == "m"
    assert parsed["render_error"].startswith("RuntimeError")


def test_escape_non_ascii_turns_lone_surrogates_into_valid_ascii_json() -> None:
    line = JSONRenderer()({"message": "bad \ud800 é 😀"})
    escaped = escape_non_ascii(line)
    assert escaped.isascii()
    assert json.loads(escaped)["message"] == "bad \ud800 é 😀"
