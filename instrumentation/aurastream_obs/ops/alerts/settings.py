"""Alert router settings: every environment variable is one constant here, read once by
`RouterSettings.from_env` (never at import). Secrets are wrapped so no repr, f-string or log
line can show them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

# Slack incoming-webhook URL (a credential: the path is the token). Unset: Slack is skipped.
ENV_SLACK_WEBHOOK_URL: Final = "SLACK_WEBHOOK_URL"
# PagerDuty Events API v2 integration (routing) key. Unset: PagerDuty is skipped.
ENV_PAGERDUTY_ROUTING_KEY: Final = "PAGERDUTY_ROUTING_KEY"
# Events API endpoint; default the public one (tests point it at a local stand-in).
ENV_PAGERDUTY_EVENTS_URL: Final = "PAGERDUTY_EVENTS_URL"
# Bearer token Alertmanager must send on POST /alertmanager. Unset: every webhook is refused.
ENV_ALERTS_TOKEN: Final = "AURASTREAM_ALERTS_TOKEN"
# Base URL of the runbook pages; `<base>/<runbook>` is linked from each alert. Optional.
ENV_RUNBOOK_BASE_URL: Final = "AURASTREAM_RUNBOOK_BASE_URL"
# Comma-separated SNS topic ARNs accepted on /sns and in the Lambda. Empty: any topic.
ENV_SNS_TOPIC_ARNS: Final = "AURASTREAM_SNS_TOPIC_ARNS"
# Seconds during which the same alert with the same status is not re-sent (default 300).
ENV_DEDUP_WINDOW_S: Final = "AURASTREAM_ALERTS_DEDUP_WINDOW_S"

DEFAULT_PAGERDUTY_EVENTS_URL: Final = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_DEDUP_WINDOW_S: Final = 300.0


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


@dataclass(frozen=True)
class RouterSettings:
    slack_webhook_url: Secret | None = None
    pagerduty_routing_key: Secret | None = None
    pagerduty_events_url: str = DEFAULT_PAGERDUTY_EVENTS_URL
    alerts_token: Secret | None = None
    runbook_base_url: str | None = None
    sns_topic_arns: frozenset[str] = field(default_factory=frozenset)
    dedup_window_s: float = DEFAULT_DEDUP_WINDOW_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RouterSettings:
        env = os.environ if env is None else env
        try:
            window = float(env.get(ENV_DEDUP_WINDOW_S, DEFAULT_DEDUP_WINDOW_S))
        except ValueError:
            window = DEFAULT_DEDUP_WINDOW_S  # a bad value falls back (and is not fatal)
        arns = frozenset(a.strip() for a in env.get(ENV_SNS_TOPIC_ARNS, "").split(",") if a.strip())
        return cls(
            slack_webhook_url=_secret(env, ENV_SLACK_WEBHOOK_URL),
            pagerduty_routing_key=_secret(env, ENV_PAGERDUTY_ROUTING_KEY),
            pagerduty_events_url=env.get(ENV_PAGERDUTY_EVENTS_URL) or DEFAULT_PAGERDUTY_EVENTS_URL,
            alerts_token=_secret(env, ENV_ALERTS_TOKEN),
            runbook_base_url=env.get(ENV_RUNBOOK_BASE_URL) or None,
            sns_topic_arns=arns,
            dedup_window_s=max(0.0, window),
        )
