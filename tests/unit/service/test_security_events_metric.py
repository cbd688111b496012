"""A failed authentication is counted by type (`aurastream.security.events`), next to its
security log line: the series the failed-authentication alert rule reads."""

from __future__ import annotations

from typing import Any

from aurastream_obs.core import conventions as c
from aurastream_obs.service import (
    Customer,
    CustomerDirectory,
    LexiconAnalyzer,
    TTLCache,
    create_app,
)
from support.asgi_client import request


def test_failed_authentications_are_counted_by_type(telemetry: Any, events: Any) -> None:
    app = create_app(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider,
        events=events, analyzer=LexiconAnalyzer(), cache=TTLCache(),
        customers=CustomerDirectory({"good-key": Customer("cust-a", 0.002)}),
    )  # fmt: skip
    for headers in ([], [("x-api-key", "wrong")], [("x-api-key", "wrong")]):
        assert (
            request(app, "POST", "/v1/analyze", json={"text": "hi"}, headers=headers).status == 401
        )
    ok = request(
        app, "POST", "/v1/analyze", json={"text": "hi"}, headers=[("x-api-key", "good-key")]
    )
    assert ok.status == 200
    (point,) = telemetry.points(c.SECURITY_EVENTS.name)
    assert point.value == 3
    assert dict(point.attributes) == {c.SECURITY_EVENT: "failed_authentication"}
    assert len(events.named("security_event")) == 3
