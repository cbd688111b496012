"""Fixtures: Slack/PagerDuty stand-ins (real loopback servers), a signing certificate, a
router whose certificate fetcher serves that certificate (recording what was fetched), and
for the runbooks a real moto server (fake credentials) with a Lambda function and a WAF IP set."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alerts_rig import ROUTING_KEY, SLACK_PATH, TOKEN, Rig
from alerts_snskit import Signer
from alerts_standin import StandIn

from aurastream_obs.ops.alerts.delivery import Poster, RetryPolicy
from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from aurastream_obs.ops.alerts.sns import SnsVerifier


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture
def standins() -> Iterator[tuple[StandIn, StandIn]]:
    slack, pagerduty = StandIn(), StandIn(default=202)
    yield slack, pagerduty
    slack.close()
    pagerduty.close()


@pytest.fixture
def make_rig(signer: Signer, standins: tuple[StandIn, StandIn]) -> Iterator[Callable[..., Rig]]:
    servers: list[AlertServer] = []

    def make(
        *,
        policy: RetryPolicy | None = None,
        pem: bytes | None = None,
        dedup_window_s: float = 300.0,
        on_alert: Callable[..., None] | None = None,
    ) -> Rig:
        slack, pagerduty = standins
        fetched: list[str] = []
        confirmed: list[str] = []
        sleeps: list[float] = []

        def fetch(url: str) -> bytes:
            fetched.append(url)
            return pem or signer.pem

        settings = RouterSettings(
            slack_webhook_url=Secret(slack.url + SLACK_PATH),
            pagerduty_routing_key=Secret(ROUTING_KEY),
            pagerduty_events_url=pagerduty.url + "/v2/enqueue",
            alerts_token=Secret(TOKEN),
            runbook_base_url="https://runbooks.example.com/aurastream",
            dedup_window_s=dedup_window_s,
        )
        poster = Poster(
            policy or RetryPolicy(base_delay_s=0.01, max_delay_s=0.05, budget_s=2.0),
            sleep=sleeps.append,
        )
        router = AlertRouter(
            settings,
            poster=poster,
            verifier=SnsVerifier(fetch=fetch),
            confirm=confirmed.append,
            on_alert=on_alert,
        )
        server = AlertServer(router, port=0).start()
        servers.append(server)
        return Rig(router, server, slack, pagerduty, fetched, confirmed, sleeps)

    yield make
    for server in servers:
        server.close()


REGION = "eu-west-1"
FUNCTION = "aurastream-sync-handler"


@pytest.fixture
def aws_region() -> str:
    """The runbook tests work in REGION (the shared `clients` and `moto_url`: tests/conftest.py)."""
    return REGION


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


@pytest.fixture
def aws(clients: Callable[[str], Any]) -> dict[str, Any]:
    """Fresh resources per test (a unique function name each time)."""
    iam = clients("iam")
    role_name = f"role-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = f"{FUNCTION}-{uuid.uuid4().hex[:6]}"
    clients("lambda").create_function(
        FunctionName=function, Runtime="python3.11", Role=role, Handler="handler.handler",
        Code={"ZipFile": _zip()}, MemorySize=512,
        Environment={"Variables": {"KEEP": "me"}},
    )  # fmt: skip
    ip_set = clients("wafv2").create_ip_set(
        Name=f"blocked-{uuid.uuid4().hex[:6]}", Scope="REGIONAL", IPAddressVersion="IPV4",
        Addresses=["192.0.2.1/32"],
    )["Summary"]  # fmt: skip
    return {"function": function, "ip_set": ip_set, "env": f"t{uuid.uuid4().hex[:6]}"}
