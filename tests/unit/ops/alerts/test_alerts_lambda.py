"""The Lambda handler with an SNS event (SNS→Lambda record shape), posting to the peers."""

from __future__ import annotations

from collections.abc import Callable

from aurastream_obs.ops.alerts.lambda_handler import build_handler
from support.alert_router import RouterHarness
from support.sns import Signer, alarm_message, notification


def sns_event(*records: dict[str, object]) -> dict[str, object]:
    out = []
    for sns in records:
        record = dict(sns)
        record["SigningCertUrl"] = record.pop("SigningCertURL")  # the Lambda spelling
        out.append({"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": record})
    return {"Records": out}


def test_lambda_routes_a_signed_record_and_rejects_a_forged_one(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    handler = build_handler(lambda: harness.router)
    good = signer.sign(notification(alarm_message()))
    forged = dict(signer.sign(notification(alarm_message(), message_id="m-2")), MessageId="m-3")
    result = handler(sns_event(good, forged), None)
    statuses = [r["status"] for r in result["results"]]  # type: ignore[index]
    assert statuses == [200, 403]
    assert len(harness.pagerduty.requests) == 1 and len(harness.slack.requests) == 1
    resolved = signer.sign(notification(alarm_message(state="OK"), message_id="m-4"))
    handler(sns_event(resolved), None)
    trigger, resolve = harness.pagerduty.bodies
    assert resolve["event_action"] == "resolve" and resolve["dedup_key"] == trigger["dedup_key"]


def test_lambda_ignores_insufficient_data(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    handler = build_handler(lambda: harness.router)
    message = signer.sign(notification(alarm_message(state="INSUFFICIENT_DATA")))
    result = handler(sns_event(message), None)
    assert result["results"][0]["status"] == 200  # type: ignore[index]
    assert harness.slack.requests == []
