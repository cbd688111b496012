"""`EventSink`: forwards every event to the events module; a failing one is dropped and
counted, never raised (the request must not fail because its log line did)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from aurastream_obs.asgi import EventSink


class FakeEvents:
    """The events module's signatures; records calls, or raises when `fail` is set."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        if self.fail:
            raise RuntimeError(f"{name} broke")
        self.calls.append((name, args, kwargs))

    def api_request(self, **kwargs: Any) -> None:
        self._record("api_request", **kwargs)

    def api_response(self, **kwargs: Any) -> None:
        self._record("api_response", **kwargs)

    def error(self, **kwargs: Any) -> None:
        self._record("error", **kwargs)

    def business_event(self, event_type: str, **kwargs: Any) -> None:
        self._record("business_event", event_type, **kwargs)

    def security_event(self, event_type: str, **kwargs: Any) -> None:
        self._record("security_event", event_type, **kwargs)


def _emit_all(sink: EventSink) -> None:
    sink.api_request(
        request_id="r1", method="POST", path="/v1/analyze", customer_id="acme",
        user_agent="ua", ip_address="10.0.0.1",
    )  # fmt: skip
    sink.api_response(request_id="r1", status_code=200, response_time_ms=1.5, cache_hit=True,
                      customer_id="acme", method="POST", path="/v1/analyze", user_agent="ua",
                      ip_address="10.0.0.1")  # fmt: skip
    sink.error(request_id="r1", error_type="ValueError", error_message="bad")
    sink.business_event("analysis", customer_id="acme", data={"chars": 3})
    sink.security_event("auth_failed", reason="bad key")


def test_every_event_is_forwarded_with_its_fields() -> None:
    module = FakeEvents()
    sink = EventSink(module)  # type: ignore[arg-type]  # a structural fake of the module
    _emit_all(sink)
    assert sink.available and sink.dropped == 0
    assert module.calls == [
        ("api_request", (), {"request_id": "r1", "method": "POST", "path": "/v1/analyze",
                             "customer_id": "acme", "user_agent": "ua",
                             "ip_address": "10.0.0.1"}),
        ("api_response", (), {"request_id": "r1", "status_code": 200,
                              "response_time_ms": 1.5, "cache_hit": True,
                              "customer_id": "acme", "method": "POST", "path": "/v1/analyze",
                              "user_agent": "ua", "ip_address": "10.0.0.1"}),
        ("error", (), {"request_id": "r1", "error_type": "ValueError", "error_message": "bad",
                       "client_error": False, "exc": None}),
        ("business_event", ("analysis",), {"customer_id": "acme", "data": {"chars": 3}}),
        ("security_event", ("auth_failed",), {"reason": "bad key"}),
    ]  # fmt: skip


def test_a_failing_event_is_counted_and_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = EventSink(FakeEvents(fail=True))  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="aurastream_obs"):
        _emit_all(sink)
    assert sink.dropped == 5
    failed = [r.getMessage() for r in caplog.records if r.getMessage().endswith("event failed")]
    assert failed == [
        "api_request event failed", "api_response event failed", "error event failed",
        "business event failed", "security event failed",
    ]  # fmt: skip
