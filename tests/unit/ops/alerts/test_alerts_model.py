"""Alert model and parsers: stable fingerprints, names, runbooks."""

from __future__ import annotations

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.channels import pagerduty_event
from aurastream_obs.ops.alerts.delivery import retry_after_seconds
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from aurastream_obs.ops.alerts.sources import parse_cloudwatch_alarm
from support.sns import alarm_message


def test_fingerprint_ignores_value_and_status() -> None:
    firing = parse_cloudwatch_alarm(alarm_message(value=7.5))
    resolved = parse_cloudwatch_alarm(alarm_message(state="OK", value=0.5))
    assert firing and resolved
    assert (firing.status, resolved.status) == ("firing", "resolved")
    assert firing.value == 7.5 and firing.threshold == 5.0 and firing.severity == "critical"
    assert firing.dedup_key == resolved.dedup_key
    assert firing.runbook == "high-error-rate"
    other = parse_cloudwatch_alarm(alarm_message(name="aurastream-prod-error-rate-warning"))
    assert other and other.dedup_key != firing.dedup_key


def test_alert_round_trips_through_a_dict() -> None:
    alert = Alert("a", "critical", "firing", "s", "alertmanager", 1.0, 2.0,
                  labels={"signal": "latency-p99"})  # fmt: skip
    again = Alert.from_dict(alert.to_dict())
    assert again == alert and again.runbook == "high-latency"


def test_pagerduty_resolve_carries_only_what_the_api_needs() -> None:
    alert = Alert("a", "critical", "resolved", "s", "cloudwatch")
    assert pagerduty_event(alert, "k") == {
        "routing_key": "k", "event_action": "resolve", "dedup_key": alert.dedup_key,
    }  # fmt: skip


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("garbage") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_settings_from_env_wrap_secrets() -> None:
    settings = RouterSettings.from_env(
        {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/SECRET", "PAGERDUTY_ROUTING_KEY":
         "KEY", "AURASTREAM_ALERTS_DEDUP_WINDOW_S": "bad"}
    )  # fmt: skip
    assert settings.slack_webhook_url == Secret("https://hooks.slack.com/services/SECRET")
    assert "SECRET" not in repr(settings) and "KEY" not in f"{settings}"
    assert settings.dedup_window_s == 300.0 and settings.alerts_token is None
    assert settings.pagerduty_events_url == "https://events.pagerduty.com/v2/enqueue"


def test_the_deadline_stays_under_the_callers_timeouts() -> None:
    for raw, expected in (("60", 9.0), ("abc", 8.0), ("nan", 8.0), ("0", 0.5), ("3", 3.0)):
        settings = RouterSettings.from_env({"AURASTREAM_ALERTS_DEADLINE_S": raw})
        assert settings.deadline_s == expected, raw
    assert RouterSettings().deadline_s == 8.0
    assert RouterSettings.from_env({}).sns_topic_arns == frozenset()  # refuse every SNS message


def test_the_signal_of_an_alarm_name_with_hyphens_in_env_and_thing() -> None:
    """`aurastream-<env>-<thing>-<severity>`: hyphens in both parts still find the runbook."""
    cases = {
        "aurastream-prod-error-rate-critical": "error-rate",
        "aurastream-eu-prod-error-rate-critical": "error-rate",
        "aurastream-us-east-staging-latency-budget-burn-warning": "latency-budget-burn",
        "aurastream-eu-prod-something-new-warning": "prod-something-new",  # unknown: as before
    }
    for name, signal in cases.items():
        alert = parse_cloudwatch_alarm(alarm_message(name=name))
        assert alert is not None
        assert alert.signal == signal, name
    known = parse_cloudwatch_alarm(alarm_message(name="aurastream-eu-prod-error-rate-critical"))
    assert known is not None and known.runbook is not None
    assert Alert.from_dict({**known.to_dict(), "labels": {}}).signal == "error-rate"
    assert parse_cloudwatch_alarm(alarm_message(name="other-prod-error-rate-critical")) is not None
