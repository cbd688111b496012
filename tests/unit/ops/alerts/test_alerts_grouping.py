"""Grouping: one Slack message per Alertmanager group listing its alerts with their measured
value and runbook; one PagerDuty event per alert, keyed by a stable dedup key."""

from __future__ import annotations

from collections.abc import Callable

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.channels import MAX_LISTED, slack_message
from aurastream_obs.ops.alerts.sources import AlertGroup, parse_alertmanager
from support.alert_router import RUNBOOK_BASE, RouterHarness, am_alert, am_payload, bearer, post
from support.sns import Signer, alarm_message, notification

PAGE = f"{RUNBOOK_BASE}/docs/runbooks.md#high-error-rate"


def three(status: str = "firing") -> list[dict[str, object]]:
    return [am_alert(status, value=f"{5 + n}.5 %", instance=f"i-{n}") for n in range(3)]


def test_a_group_of_three_is_one_slack_message_and_three_pagerduty_events(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    status, body = post(harness.server.url + "/alertmanager", am_payload(alerts=three()), bearer())
    assert status == 200, body
    assert len(harness.slack.requests) == 1
    text = harness.slack.bodies[0]["text"]
    assert text.splitlines()[0] == ":rotating_light: [FIRING:3] signal=error-rate"
    for n in range(3):
        assert f"value {5 + n}.5 %" in text
    assert text.count(f"<{PAGE}|runbook>") == 3
    events = harness.pagerduty.bodies
    assert len(events) == 3 and len({e["dedup_key"] for e in events}) == 3
    values = sorted(e["payload"]["custom_details"]["value"] for e in events)  # sent concurrently
    assert values == ["5.5 %", "6.5 %", "7.5 %"]
    assert all(e["links"] == [{"href": PAGE, "text": "Runbook"}] for e in events)

    # The group resolves: one Slack message, three resolves with the same keys.
    post(harness.server.url + "/alertmanager", am_payload("resolved", alerts=three("resolved")),
         bearer())  # fmt: skip
    assert len(harness.slack.requests) == 2 and "[RESOLVED:3]" in harness.slack.bodies[1]["text"]
    resolves = harness.pagerduty.bodies[3:]
    assert [e["event_action"] for e in resolves] == ["resolve"] * 3
    assert {e["dedup_key"] for e in resolves} == {e["dedup_key"] for e in events}


def test_a_group_that_grows_repeats_the_list_but_pages_only_the_new_alert(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    post(harness.server.url + "/alertmanager", am_payload(alerts=three()), bearer())
    grown = [*three(), am_alert(value="9.5 %", instance="i-3")]
    status, body = post(harness.server.url + "/alertmanager", am_payload(alerts=grown), bearer())
    assert status == 200
    assert [a["channels"]["pagerduty"] for a in body["alerts"]] == ["duplicate"] * 3 + ["sent"]
    assert len(harness.pagerduty.requests) == 4
    assert len(harness.slack.requests) == 2 and "[FIRING:4]" in harness.slack.bodies[1]["text"]
    # The same group again: nothing new anywhere.
    post(harness.server.url + "/alertmanager", am_payload(alerts=grown), bearer())
    assert len(harness.slack.requests) == 2 and len(harness.pagerduty.requests) == 4


def test_dedup_keys_are_stable_across_values_and_notifications() -> None:
    first = parse_alertmanager(am_payload(alerts=three()))
    later = parse_alertmanager(
        am_payload(alerts=[am_alert(value="42 %", instance=f"i-{n}") for n in range(3)])
    )
    assert [a.dedup_key for a in first.alerts] == [a.dedup_key for a in later.alerts]
    assert [a.shown_value for a in later.alerts] == ["42 %"] * 3
    assert first.alerts[0].value == 5.5  # the number behind the annotation text


def test_a_large_group_lists_twenty_and_counts_the_rest() -> None:
    alerts = tuple(
        Alert(f"a{n}", "warning", "firing", "s", "alertmanager", labels={"i": str(n)})
        for n in range(MAX_LISTED + 5)
    )
    text = str(slack_message(AlertGroup(alerts, "signal=x", truncated=2))["text"])
    assert text.count("• [FIRING]") == MAX_LISTED
    assert text.endswith("… and 7 more")  # 5 not listed + 2 Alertmanager truncated


def test_cloudwatch_alarm_without_annotations_gets_the_runbook_page(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    status, _ = post(harness.server.url + "/sns", signer.sign(notification(alarm_message())))
    assert status == 200
    assert f"<{PAGE}|runbook>" in harness.slack.bodies[0]["text"]
    assert harness.pagerduty.bodies[0]["links"] == [{"href": PAGE, "text": "Runbook"}]


def test_text_from_the_sources_cannot_write_slack_markup() -> None:
    alert = Alert("x<!channel>", "warning", "firing", "see <https://evil.example|here> & co",
                  "alertmanager", runbook_url="https://r.example/a|b")  # fmt: skip
    text = str(slack_message(AlertGroup((alert,)))["text"])
    assert "<!channel>" not in text and "<https://evil.example|" not in text
    assert "x&lt;!channel&gt;" in text and "&amp; co" in text
    assert "<https://r.example/a%7Cb|runbook>" in text
