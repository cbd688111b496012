"""Runbook notifications go through the alert router (`POST <router>/notify` with its bearer
token), so they reach the team's channels with the router's retries, deadline and
deduplication instead of a log line nobody reads."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Final

from aurastream_obs.ops.alerts.settings import ENV_ALERTS_TOKEN, Secret

# Base URL of the alert router (`aurastream-obs alerts serve`) that runbooks notify through.
ENV_ROUTER_URL: Final = "AURASTREAM_ALERTS_ROUTER_URL"
TIMEOUT_S: Final = 10.0  # the router answers within its own deadline (at most 9 s)


class NotifyError(Exception):
    """The router did not take the notification (text names the status, never the token)."""


class RouterNotifier:
    """`notifier(message, runbook=..., alert=...)`: POST to the router; NotifyError unless 2xx."""

    def __init__(self, router_url: str, token: Secret, timeout_s: float = TIMEOUT_S) -> None:
        self.url = router_url.rstrip("/") + "/notify"
        self._token = token
        self._timeout_s = timeout_s

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RouterNotifier | None:
        url, token = env.get(ENV_ROUTER_URL, "").strip(), env.get(ENV_ALERTS_TOKEN, "").strip()
        return cls(url, Secret(token)) if url and token else None

    def __call__(self, message: str, *, runbook: str = "", alert: str = "") -> str:
        body = json.dumps({"message": message, "runbook": runbook, "alert": alert}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {self._token.reveal()}"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                reply = json.loads(response.read(64 * 1024) or b"{}")
        except urllib.error.HTTPError as exc:
            exc.close()
            raise NotifyError(f"alert router answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NotifyError(f"alert router unreachable ({type(exc).__name__})") from None
        channels = [c for a in reply.get("alerts", []) for c in a.get("channels", {}).items()]
        return ", ".join(f"{name} {outcome}" for name, outcome in channels) or "accepted"
