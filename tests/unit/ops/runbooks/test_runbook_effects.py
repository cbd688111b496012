"""Each runbook step's effect, end to end: the runbook writes its flag on SSM (moto) and the
reference service, reading its flags from there, changes behaviour — the breaker sheds the
analyzer with a 503 and one log line, failover switches the analyzer, a warm-up re-analyzes the
most requested recent texts; notifications reach Slack through the alert router."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aurastream_obs.definitions.runbook_flags import CIRCUIT_BREAKER, flag_parameter
from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from aurastream_obs.ops.runbooks import Executor, RunbookSettings, plan_for
from aurastream_obs.ops.runbooks.notify import RouterNotifier
from aurastream_obs.service.cache import cache_key
from support.alert_peers import AlertPeer
from support.runbooks import FlaggedService, alert

TOKEN = "runbook-notify-token-8d1e"
TTL = 10.0


def settings(aws: dict[str, Any], **kw: Any) -> RunbookSettings:
    return RunbookSettings(environment=aws["env"], function_name=aws["function"], **kw)


def test_circuit_breaker_sheds_the_analyzer(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    svc = FlaggedService(clients, aws["env"])
    assert svc.analyze("the usual question")[0] == 200
    Executor(clients=clients).run(plan_for(alert("error-rate"), settings(aws)), execute=True)
    svc.tick(TTL + 1)  # the service's flag cache expires
    status, payload = svc.analyze("a question never seen")
    assert (status, payload["error"]["code"]) == (503, "circuit_open")
    assert svc.primary.texts == ["the usual question"]  # the analyzer was not called
    (shed,) = svc.events.named("error")  # one log line
    assert shed["error_type"] == "circuit_open" and shed["client_error"] is False
    status, payload = svc.analyze("the usual question")
    assert (status, payload["cached"]) == (200, True)  # hits are still served
    assert svc.service.health()["checks"]["analyzer"]["status"] == "shed"

    clients("ssm").put_parameter(Name=flag_parameter(aws["env"], CIRCUIT_BREAKER),
                                 Value="closed", Type="String", Overwrite=True)  # fmt: skip
    svc.tick(TTL + 1)
    assert svc.analyze("a question never seen")[0] == 200
    assert svc.primary.texts[-1] == "a question never seen"


def test_failover_switches_the_analyzer(clients: Callable[[str], Any], aws: dict[str, Any]) -> None:
    svc = FlaggedService(clients, aws["env"])
    plan = plan_for(alert("availability"), settings(aws, aws_healthy=lambda: False))
    results = Executor(clients=clients).run(plan, execute=True)
    assert results[0].detail.endswith("analyzer-failover = lexicon (was unset)")
    svc.tick(TTL + 1)
    status, payload = svc.analyze("I love this product, it is wonderful")
    assert (status, payload["sentiment"]) == (200, "POSITIVE")  # VADER, not the stand-in
    assert svc.primary.texts == []
    assert svc.service.health()["checks"]["analyzer"] == {"status": "ok", "name": "lexicon"}


def test_within_the_flag_ttl_nothing_changes_yet(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    svc = FlaggedService(clients, aws["env"])
    svc.analyze("first")  # flags read now
    Executor(clients=clients).run(plan_for(alert("error-rate"), settings(aws)), execute=True)
    svc.tick(TTL - 1)
    assert svc.analyze("second")[0] == 200  # the cached flags still say closed
    svc.tick(2)
    assert svc.analyze("third")[0] == 503


def test_cache_warming_re_analyzes_the_most_requested_recent_texts(
    clients: Callable[[str], Any], aws: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    svc = FlaggedService(clients, aws["env"])
    for text, times in (("popular alpha", 3), ("popular beta", 2), ("rare gamma", 1)):
        for _ in range(times):
            assert svc.analyze(text)[0] == 200
    svc.tick(3601)  # every cached result has expired
    keys = [cache_key(t, "en") for t in ("popular alpha", "popular beta", "rare gamma")]
    assert [svc.cache.get(k) for k in keys] == [None] * 3
    plan = plan_for(alert("latency-p99"), settings(aws, cache_hit_rate=lambda: 0.2))
    warm = Executor(clients=clients).run(plan, execute=True)[0]
    assert warm.action.kind == "cache.warm" and warm.outcome == "succeeded"
    assert "warm requested" in warm.detail
    svc.tick(TTL + 1)
    assert svc.analyze("")[0] == 400  # any request reads the flags (this one is refused)
    assert svc.controls.warmed.wait(10), "the warm-up did not finish"
    assert svc.controls.last_warmed == 3
    assert all(svc.cache.get(k) is not None for k in keys)
    assert svc.analyze("popular alpha")[1]["cached"] is True
    (line,) = [r.getMessage() for r in caplog.records if "warm-up" in r.getMessage()]
    assert line == "cache warm-up: re-analyzed 3 of the 3 most requested recent texts"
    assert not any("popular" in r.getMessage() or "gamma" in r.getMessage()
                   for r in caplog.records)  # customer texts are never logged  # fmt: skip


@pytest.fixture
def router() -> Iterator[tuple[AlertServer, AlertPeer]]:
    with AlertPeer() as slack:
        settings = RouterSettings(slack_webhook_url=Secret(slack.url + "/services/T/B/x"),
                                  alerts_token=Secret(TOKEN), deadline_s=2.0)  # fmt: skip
        router = AlertRouter(settings)
        server = AlertServer(router, port=0).start()
        yield server, slack
        server.close()
        router.close()


def test_notify_goes_through_the_router(
    clients: Callable[[str], Any], aws: dict[str, Any], router: tuple[AlertServer, AlertPeer]
) -> None:
    server, slack = router
    executor = Executor(clients=clients, notify=RouterNotifier(server.url, Secret(TOKEN)))
    plan = plan_for(alert("error-rate"), settings(aws))
    notified = executor.run(plan, execute=True)[-1]
    assert (notified.outcome, notified.detail) == (
        "succeeded", "notified through the alert router (slack sent)")  # fmt: skip
    (body,) = slack.bodies
    assert "High error rate detected: aurastream-prod-error-rate-critical" in body["text"]
    assert "docs/runbooks.md#high-error-rate" in body["text"]
    again = executor.run(plan, execute=True)[-1]  # the same notification: not posted twice
    assert again.detail.endswith("(slack duplicate)") and len(slack.bodies) == 1

    slack.default = 500  # Slack down: the router says 502, the step fails
    other = plan_for(alert("latency-p99"), settings(aws, cache_hit_rate=lambda: 0.9))
    failed = executor.run(other, execute=True)[-1]
    assert (failed.outcome, failed.detail) == (
        "failed",
        "NotifyError: alert router answered HTTP 502",
    )
    wrong = Executor(clients=clients, notify=RouterNotifier(server.url, Secret("wrong")))
    refused = wrong.run(other, execute=True)[-1]
    assert refused.detail == "NotifyError: alert router answered HTTP 401"
