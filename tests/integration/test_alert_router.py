"""A real Alertmanager (Debian's 0.25) → our router (bearer token from a credentials file)
→ a Slack stand-in (a real loopback HTTP server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from support.promstack import start_alertmanager, wait_until

pytestmark = pytest.mark.integration
TOKEN = "am-bearer-7c1d2e9f"


class SlackStandIn:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/services/T/B/secret"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def router() -> Iterator[tuple[AlertServer, SlackStandIn]]:
    slack = SlackStandIn()
    settings = RouterSettings(slack_webhook_url=Secret(slack.url), alerts_token=Secret(TOKEN))
    server = AlertServer(AlertRouter(settings), port=0).start()
    yield server, slack
    server.close()
    slack.close()


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
    router: tuple[AlertServer, SlackStandIn], tmp_path: Path
) -> None:
    server, slack = router
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    with start_alertmanager(am_config(server.url, token_file)) as am:
        am.post_alerts([alert("aurastream-local-latency-p99-warning")])
        wait_until(lambda: bool(slack.bodies), timeout=30, what="Slack stand-in message")
    text = slack.bodies[0]["text"]
    assert "[FIRING] WARNING aurastream-local-latency-p99-warning" in text
    assert "threshold 1 ·" in text  # from the definitions (latency-p99 warning: 1 s)
    assert server.router.counters.snapshot()["rejected"] == 0


def test_alertmanager_with_a_wrong_token_is_refused(
    router: tuple[AlertServer, SlackStandIn], tmp_path: Path
) -> None:
    server, slack = router
    token_file = tmp_path / "token"
    token_file.write_text("not-the-token")
    with start_alertmanager(am_config(server.url, token_file)) as am:
        am.post_alerts([alert("aurastream-local-latency-p99-warning")])
        wait_until(
            lambda: server.router.counters.snapshot()["rejected"] > 0,
            timeout=30,
            what="router rejecting Alertmanager's wrong token",
        )
    assert slack.bodies == []
