"""The Lambda handler with an SNS event (SNS→Lambda record shape), posting to the peers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from aurastream_obs.logs.handler import JsonLogHandler
from aurastream_obs.ops.alerts.lambda_handler import UndeliveredError, build_handler
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


def test_an_undelivered_record_fails_the_invocation_so_lambda_retries_it(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    handler = build_handler(lambda: harness.router)
    harness.pagerduty.default = 500
    event = sns_event(signer.sign(notification(alarm_message(), message_id="m-lambda")))
    with pytest.raises(UndeliveredError, match="1 of 1 SNS record"):
        handler(event, None)
    harness.pagerduty.default = 202  # Lambda's retry of the same event, PagerDuty back
    result = handler(event, None)
    (record,) = result["results"]  # type: ignore[misc]
    assert record["alerts"][0]["channels"] == {"pagerduty": "sent", "slack": "duplicate"}
    assert len(harness.slack.requests) == 1


def test_records_refused_for_good_do_not_fail_the_invocation(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    handler = build_handler(lambda: harness.router)
    stale = signer.sign(notification(alarm_message(), at=datetime(2020, 1, 1, tzinfo=UTC)))
    result = handler(sns_event(stale), None)
    assert [r["status"] for r in result["results"]] == [403]  # type: ignore[union-attr]


def test_the_entry_point_logs_a_forged_record_as_a_security_line(
    make_harness: Callable[..., RouterHarness],
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On Lambda the runtime's handler writes plain text; the entry point installs the JSON
    lines first, so the refusal carries `"category": "security"` and the log forwarder's
    subscription filter takes it to the security group."""
    import logging

    from aurastream_obs.ops.alerts import lambda_handler

    harness = make_harness()
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    monkeypatch.setattr(lambda_handler, "_handler", None)
    monkeypatch.setattr(lambda_handler, "_default_router", lambda: harness.router)
    monkeypatch.setenv("AURASTREAM_ENVIRONMENT", "prod")
    try:
        root.handlers = [h for h in root.handlers if not isinstance(h, JsonLogHandler)]
        forged = dict(signer.sign(notification(alarm_message(), message_id="m-9")), MessageId="x")
        result = lambda_handler.handler(sns_event(forged), None)
        assert [r["status"] for r in result["results"]] == [403]  # type: ignore[index]
    finally:
        root.handlers, root.level = saved, level
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    (refusal,) = [x for x in lines if x.get("event_type") == "sns_signature_rejected"]
    assert refusal["category"] == "security" and refusal["environment"] == "prod"
    assert refusal["service"] == "aurastream-alert-router"
