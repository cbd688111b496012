"""A real Alertmanager (Debian's 0.25) → our router (bearer token from a credentials file)
→ a Slack peer (a real loopback HTTP server, support.alert_peers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from support.alert_peers import AlertPeer
from support.alert_router import WatchedCounters
from support.promstack import start_alertmanager

pytestmark = pytest.mark.integration
TOKEN = "am-bearer-7c1d2e9f"


@pytest.fixture
def router() -> Iterator[tuple[AlertServer, AlertPeer]]:
    with AlertPeer() as slack:
        settings = RouterSettings(
            slack_webhook_url=Secret(slack.url + "/services/T/B/secret"), alerts_token=Secret(TOKEN)
        )
        server = AlertServer(AlertRouter(settings), port=0).start()
        yield server, slack
        server.close()


def am_config(url: str, token_file: Path) -> str:
    return f"""
route:
  receiver: router
  group_by: [alertname, signal]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: router
  webhook_configs:
  - url: {url}/alertmanager
    send_resolved: true
    http_config:
      authorization:
        type: Bearer
        credentials_file: {token_file}
"""


def alert(name: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "severity": "warning", "signal": "latency-p99",
                   "service": "aurastream-api"},
        "annotations": {"summary": "latency-p99 > 1 seconds"},
    }  # fmt: skip


def test_alertmanager_webhook_reaches_slack_through_the_router(
    router: tuple[AlertServer, AlertPeer], tmp_path: Path
) -> None:
    server, slack = router
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    with start_alertmanager(am_config(server.url, token_file)) as am:
        am.post_alerts([alert("aurastream-local-latency-p99-warning")])
        assert slack.wait_for(lambda: bool(slack.requests), timeout=30), "no Slack message"
    text = slack.bodies[0]["text"]
    assert "[FIRING] WARNING aurastream-local-latency-p99-warning" in text
    assert "threshold 1 ·" in text  # from the definitions (latency-p99 warning: 1 s)
    assert server.router.counters.snapshot()["rejected"] == 0


def test_alertmanager_with_a_wrong_token_is_refused(
    router: tuple[AlertServer, AlertPeer], tmp_path: Path
) -> None:
    server, slack = router
    token_file = tmp_path / "token"
    token_file.write_text("not-the-token")
    server.router.counters = counters = WatchedCounters()
    with start_alertmanager(am_config(server.url, token_file)) as am:
        am.post_alerts([alert("aurastream-local-latency-p99-warning")])
        assert counters.wait_for(lambda c: c["rejected"] > 0, timeout=30), (
            "the router did not reject Alertmanager's wrong token"
        )
    assert slack.bodies == []
