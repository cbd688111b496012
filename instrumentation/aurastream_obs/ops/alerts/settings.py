"""Alert router settings: every environment variable is one constant here, read once by
`RouterSettings.from_env` (never at import). Secrets are wrapped so no repr, f-string or log
line can show them."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

# Slack incoming-webhook URL (a credential: the path is the token). Unset: Slack is skipped.
ENV_SLACK_WEBHOOK_URL: Final = "SLACK_WEBHOOK_URL"
# The security channel's own incoming webhook (#aurastream-security): a Slack app's webhook
# posts to the one channel it was created for, so a team channel needs its own URL. Alerts of
# team "security" go there. Unset: they go to the default channel (never dropped).
ENV_SECURITY_SLACK_WEBHOOK_URL: Final = "SLACK_SECURITY_WEBHOOK_URL"
# Secrets Manager secret (name or ARN) holding the channel secrets as JSON: keys
# `slack_webhook_url`, `pagerduty_routing_key`. Read once when the router starts (a Lambda
# cold start) and kept for the life of the process; its values win over the variables above.
ENV_SECRET_ID: Final = "AURASTREAM_ALERTS_SECRET_ID"
# Secrets Manager secret of the security channel: key `slack_webhook_url`.
ENV_SECURITY_SECRET_ID: Final = "AURASTREAM_ALERTS_SECURITY_SECRET_ID"
# PagerDuty Events API v2 integration (routing) key. Unset: PagerDuty is skipped.
ENV_PAGERDUTY_ROUTING_KEY: Final = "PAGERDUTY_ROUTING_KEY"
# Events API endpoint; default the public one (tests point it at a local stand-in).
ENV_PAGERDUTY_EVENTS_URL: Final = "PAGERDUTY_EVENTS_URL"
# Bearer token Alertmanager must send on POST /alertmanager. Unset: every webhook is refused.
ENV_ALERTS_TOKEN: Final = "AURASTREAM_ALERTS_TOKEN"
# Base URL the runbook pages' repo paths (`docs/runbooks.md#<runbook>`) resolve against, e.g.
# the repository's web address. Unset: the repo path is shown as it is.
ENV_RUNBOOK_BASE_URL: Final = "AURASTREAM_RUNBOOK_BASE_URL"
# Comma-separated SNS topic ARNs accepted on /sns and in the Lambda. Unset: every SNS message
# (subscription confirmations included) is refused.
ENV_SNS_TOPIC_ARNS: Final = "AURASTREAM_SNS_TOPIC_ARNS"
# Seconds during which the same alert with the same status is not re-sent (default 300).
ENV_DEDUP_WINDOW_S: Final = "AURASTREAM_ALERTS_DEDUP_WINDOW_S"
# Seconds one request may take, retries included (default 8, at most 9). Below what the callers
# wait: Alertmanager gives a notification `max(group_interval, notify.MinTimeout = 10 s)`
# (notify/notify.go; its webhook_config `timeout` defaults to 0s, no timeout of its own), and
# SNS times an HTTP/S delivery out after 15 s (SNS developer guide, "Make sure your endpoint is
# ready to process Amazon SNS messages").
ENV_DEADLINE_S: Final = "AURASTREAM_ALERTS_DEADLINE_S"

DEFAULT_PAGERDUTY_EVENTS_URL: Final = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_DEDUP_WINDOW_S: Final = 300.0
DEFAULT_DEADLINE_S: Final = 8.0
MAX_DEADLINE_S: Final = 9.0
MIN_DEADLINE_S: Final = 0.5


class Secret:
    """A string that shows as `***` everywhere; `reveal()` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "").strip()
    return Secret(value) if value else None


# The team whose alerts have a channel of their own (definitions.aurastream.ROUTES).
SECURITY_TEAM: Final = "security"


@dataclass(frozen=True)
class RouterSettings:
    slack_webhook_url: Secret | None = None
    pagerduty_routing_key: Secret | None = None
    security_slack_webhook_url: Secret | None = None
    pagerduty_events_url: str = DEFAULT_PAGERDUTY_EVENTS_URL
    alerts_token: Secret | None = None
    runbook_base_url: str | None = None
    sns_topic_arns: frozenset[str] = field(default_factory=frozenset)
    dedup_window_s: float = DEFAULT_DEDUP_WINDOW_S
    deadline_s: float = DEFAULT_DEADLINE_S
    secret_id: str | None = None  # the channel secrets come from Secrets Manager (secrets.py)
    security_secret_id: str | None = None

    def __post_init__(self) -> None:
        bounded = min(max(self.deadline_s, MIN_DEADLINE_S), MAX_DEADLINE_S)
        object.__setattr__(self, "deadline_s", bounded)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RouterSettings:
        env = os.environ if env is None else env
        window = _number(env, ENV_DEDUP_WINDOW_S, DEFAULT_DEDUP_WINDOW_S)
        arns = frozenset(a.strip() for a in env.get(ENV_SNS_TOPIC_ARNS, "").split(",") if a.strip())
        return cls(
            slack_webhook_url=_secret(env, ENV_SLACK_WEBHOOK_URL),
            pagerduty_routing_key=_secret(env, ENV_PAGERDUTY_ROUTING_KEY),
            security_slack_webhook_url=_secret(env, ENV_SECURITY_SLACK_WEBHOOK_URL),
            pagerduty_events_url=env.get(ENV_PAGERDUTY_EVENTS_URL) or DEFAULT_PAGERDUTY_EVENTS_URL,
            alerts_token=_secret(env, ENV_ALERTS_TOKEN),
            runbook_base_url=env.get(ENV_RUNBOOK_BASE_URL) or None,
            sns_topic_arns=arns,
            dedup_window_s=max(0.0, window),
            deadline_s=_number(env, ENV_DEADLINE_S, DEFAULT_DEADLINE_S),
            secret_id=env.get(ENV_SECRET_ID, "").strip() or None,
            security_secret_id=env.get(ENV_SECURITY_SECRET_ID, "").strip() or None,
        )

    def team_webhooks(self) -> dict[str, Secret]:
        """Team -> the Slack webhook of its own channel (only the configured ones)."""
        webhook = self.security_slack_webhook_url
        return {SECURITY_TEAM: webhook} if webhook else {}


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError:
        return default  # a bad value falls back (and is not fatal)
    return default if math.isnan(value) else value
