"""The typed events API: event_type, category, level and fields as documented."""

from __future__ import annotations

import logging

from aurastream_obs.logs import events
from support.log_capture import Captured


def test_api_request(events_log: Captured) -> None:
    events.api_request(
        request_id="req-1",
        method="POST",
        path="/v1/sentiment",
        customer_id="cust-9",
        user_agent="curl/8",
        ip_address="198.51.100.77",
    )
    ((event, record),) = events_log.sunk
    assert (event["event_type"], event["category"], event["level"]) == (
        "api_request",
        "application",
        "INFO",
    )
    assert event["logger"] == "aurastream.events"
    assert event["method"] == "POST"
    assert event["path"] == "/v1/sentiment"
    assert event["customer_id"] == "cust-9"
    assert event["ip_address"] == "198.51.100.0/24"  # redacted by the pipeline
    assert record.funcName == "test_api_request"  # the caller, not the events module


def test_api_response_has_response_time_in_ms(events_log: Captured) -> None:
    events.api_response(
        request_id="req-1", status_code=200, response_time_ms=1234.5, cache_hit=True
    )
    (event,) = events_log.events()
    assert (event["event_type"], event["category"]) == ("api_response", "application")
    assert event["response_time"] == 1234.5
    assert (event["status_code"], event["cache_hit"]) == (200, True)


def test_error_levels_and_stack_trace(events_log: Captured) -> None:
    events.error(
        request_id="r", error_type="ValidationError", error_message="empty", client_error=True
    )
    try:
        raise TimeoutError("comprehend timed out")
    except TimeoutError as exc:
        events.error(request_id=None, error_type="Timeout", error_message=str(exc), exc=exc)
    client, server = events_log.events()
    assert (client["level"], client["client_error"], client["event_type"]) == (
        "WARNING",
        True,
        "error",
    )
    assert "exception" not in client
    assert (server["level"], server["category"]) == ("ERROR", "application")
    assert server["exception"]["type"] == "TimeoutError"
    assert "comprehend timed out" in server["exception"]["stacktrace"]


def test_business_event(events_log: Captured) -> None:
    data = {"plan": "pro", "contact": "owner@example.com"}
    events.business_event("subscription_started", customer_id="cust-9", data=data)
    (event,) = events_log.events()
    assert event["event_type"] == "business_subscription_started"
    assert event["category"] == "business"
    assert event["customer_id"] == "cust-9"
    assert event["data"] == {"plan": "pro", "contact": "[EMAIL]"}
    assert data["contact"] == "owner@example.com"  # the caller's mapping is untouched


def test_security_event(events_log: Captured) -> None:
    events.security_event(
        "failed_authentication",
        customer_id="cust-9",
        ip_address="203.0.113.8",
        name="login",
        category="application",
        api_key="sk-live-123",
    )
    (event,) = events_log.events()
    assert (event["event_type"], event["category"], event["level"]) == (
        "failed_authentication",
        "security",
        "WARNING",
    )
    assert event["ip_address"] == "203.0.113.0/24"
    assert event["api_key"] == "[REDACTED]"
    # Names logging reserves (or our own fields) are kept under a trailing "_".
    assert (event["name_"], event["category_"]) == ("login", "application")


def test_nothing_is_built_when_the_level_is_disabled(events_log: Captured) -> None:
    events_log.logger.setLevel(logging.ERROR)
    events.api_request(
        request_id="r", method="GET", path="/", customer_id=None, user_agent=None, ip_address=None
    )
    events.error(request_id="r", error_type="E", error_message="m")
    assert [e["event_type"] for e in events_log.events()] == ["error"]
