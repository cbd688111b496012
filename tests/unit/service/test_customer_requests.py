"""Each authenticated request is counted per customer, failed (5xx or 429) or not, and its
`api_response` line names the customer: the two sources of a customer's own error rate."""

from __future__ import annotations

from typing import Any

from aurastream_obs.core import conventions as c
from aurastream_obs.service import (
    AnalysisResult,
    Customer,
    CustomerDirectory,
    LexiconAnalyzer,
    TTLCache,
    create_app,
)
from support.asgi_client import request


class Exploding(LexiconAnalyzer):
    """Fails on texts containing "boom": a 500 on demand."""

    def analyze(self, text: str, language_code: str) -> AnalysisResult:
        if "boom" in text:
            raise RuntimeError("analyzer exploded")
        return super().analyze(text, language_code)


def _counts(telemetry: Any) -> dict[tuple[str, bool], int]:
    return {
        (p.attributes[c.CUSTOMER_ID], p.attributes[c.REQUEST_FAILED]): p.value
        for p in telemetry.points(c.CUSTOMER_REQUESTS.name)
    }


def test_requests_and_failures_per_customer(telemetry: Any, events: Any) -> None:
    app = create_app(
        analyzer=Exploding(), cache=TTLCache(),
        customers=CustomerDirectory({"k-a": Customer("acme"), "k-b": Customer("globex")}),
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider,
        events=events,
    )  # fmt: skip

    def analyze(key: str, text: str) -> int:
        headers = [("x-api-key", key)]
        return int(request(app, "POST", "/v1/analyze", json={"text": text}, headers=headers).status)

    assert [analyze("k-a", text) for text in ("great", "fine", "awful")] == [200, 200, 200]
    assert [analyze("k-b", text) for text in ("boom", "ok", "")] == [500, 200, 400]
    assert analyze("nope", "x") == 401
    # 400 is the caller's mistake, not a failure; a 401 has no customer to count it for.
    assert _counts(telemetry) == {("acme", False): 3, ("globex", True): 1, ("globex", False): 2}
    responses = events.named("api_response")
    assert [(r["status_code"], r.get("customer_id")) for r in responses] == [
        (200, "acme"), (200, "acme"), (200, "acme"), (500, "globex"), (200, "globex"),
        (400, "globex"), (401, None),
    ]  # fmt: skip


def test_a_throttled_request_is_a_failure() -> None:
    assert c.is_failed_status(429) and c.is_failed_status(503)
    assert not c.is_failed_status(400) and not c.is_failed_status(404)
