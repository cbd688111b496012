"""Shared test constants and the `Rig` (router + server + stand-ins) for the alert tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts_standin import StandIn

from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer

TOKEN = "tok-3f9a0c1e5b7d-secret"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
SLACK_PATH = "/services/T000/B000/XXXXslacksecretXXXX"
SECRETS = (TOKEN, ROUTING_KEY, SLACK_PATH, "slacksecret")


@dataclass
class Rig:
    router: AlertRouter
    server: AlertServer
    slack: StandIn
    pagerduty: StandIn
    fetched: list[str]
    confirmed: list[str]
    sleeps: list[float] = field(default_factory=list)
