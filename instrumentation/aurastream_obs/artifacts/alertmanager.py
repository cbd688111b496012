"""Alertmanager configuration from the alert routes: critical -> PagerDuty (Events API v2) and
Slack, warning -> Slack; a team's alerts (label `team`, e.g. security) to that team's channel;
warnings inhibited while the critical for the same signal fires.
Secrets are files (`routing_key_file`, `api_url_file`), never values in the config. A team's
channel has its own webhook file (`slack-<team>-webhook-url`): a Slack app's incoming webhook
posts to the one channel it was created for and ignores `channel`, so the security channel
needs a webhook of its own (the alert router's `SLACK_SECURITY_WEBHOOK_URL`)."""

from __future__ import annotations

from typing import Any

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import SEVERITY_LABEL, SIGNAL_LABEL, TEAM_LABEL
from aurastream_obs.definitions import Definitions, load_definitions

ALERTMANAGER_PATH = "deploy/local/alertmanager.yml"
SECRETS_DIR = "/etc/alertmanager/secrets"
PAGERDUTY_KEY_FILE = "pagerduty-routing-key"
SLACK_URL_FILE = "slack-webhook-url"


def slack_url_file(team: str | None = None) -> str:
    """The webhook file of the default channel, or of a team's own channel."""
    return f"slack-{team}-webhook-url" if team else SLACK_URL_FILE


# What a person reads: each alert's environment, summary, measured value and runbook (the rules'
# `value` and `runbook_url` annotations, README "The alert router"), in Slack and in PagerDuty.
SLACK_TITLE = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}"
SLACK_TEXT = (
    "{{ range .Alerts }}*{{ .Labels.alertname }}* ({{ .Labels.environment }}): "
    "{{ .Annotations.summary }}\nvalue: {{ .Annotations.value }} | runbook: "
    "{{ .Annotations.runbook_url }}\n{{ end }}"
)
PAGERDUTY_DESCRIPTION = (
    "{{ .CommonLabels.alertname }} ({{ .CommonLabels.environment }}): "
    "{{ .CommonAnnotations.summary }}"
)
PAGERDUTY_DETAILS = {
    # Alertmanager's defaults (setting `details` replaces them) ...
    "firing": '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
    "resolved": '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
    "num_firing": "{{ .Alerts.Firing | len }}",
    "num_resolved": "{{ .Alerts.Resolved | len }}",
    # ... and what the responder needs first.
    "environment": "{{ .CommonLabels.environment }}",
    "value": "{{ range .Alerts }}{{ .Annotations.value }} {{ end }}",
    "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
}


def _receiver(name: str, *, pagerduty: bool, channel: str | None, secrets_dir: str,
              pagerduty_url: str | None, team: str | None = None) -> dict[str, Any]:  # fmt: skip
    receiver: dict[str, Any] = {"name": name}
    if pagerduty:
        config: dict[str, Any] = {
            "routing_key_file": f"{secrets_dir}/{PAGERDUTY_KEY_FILE}",
            "severity": "{{ .CommonLabels.severity }}",
            "description": PAGERDUTY_DESCRIPTION,
            "details": dict(PAGERDUTY_DETAILS),
            "send_resolved": True,
        }
        if pagerduty_url:  # tests point the Events API at a local receiver
            config["url"] = pagerduty_url
        receiver["pagerduty_configs"] = [config]
    if channel:
        receiver["slack_configs"] = [
            {
                "api_url_file": f"{secrets_dir}/{slack_url_file(team)}",
                "channel": channel,
                "send_resolved": True,
                "title": SLACK_TITLE,
                "text": SLACK_TEXT,
            }
        ]
    return receiver


def alertmanager_config(
    defs: Definitions, *, secrets_dir: str = SECRETS_DIR, pagerduty_url: str | None = None,
    group_wait: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    receivers = [{"name": "default-slack", "slack_configs": [
        {"api_url_file": f"{secrets_dir}/{SLACK_URL_FILE}", "channel": "#aurastream-alerts",
         "send_resolved": True, "title": SLACK_TITLE, "text": SLACK_TEXT}]}]  # fmt: skip
    routes = []
    # A team's routes first: the first matching route wins (no `continue`).
    for route in sorted(defs.routes, key=lambda r: r.team is None):
        kind = "pagerduty-slack" if route.pagerduty else "slack"
        name = f"{route.team}-{route.severity}-{kind}" if route.team else f"{route.severity}-{kind}"
        receivers.append(
            _receiver(
                name,
                pagerduty=route.pagerduty,
                channel=route.slack_channel,
                secrets_dir=secrets_dir,
                pagerduty_url=pagerduty_url,
                team=route.team,
            )
        )
        routes.append(
            {
                "receiver": name,
                "matchers": [f'{SEVERITY_LABEL}="{route.severity}"']
                + ([f'{TEAM_LABEL}="{route.team}"'] if route.team else []),
                "group_wait": group_wait or route.group_wait,
                "group_interval": route.group_interval,
                "repeat_interval": route.repeat_interval,
            }
        )
    return {
        "route": {
            "receiver": "default-slack",
            "group_by": ["alertname", SIGNAL_LABEL],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "receivers": receivers,
        "inhibit_rules": [
            {
                "source_matchers": [f'{SEVERITY_LABEL}="critical"'],
                "target_matchers": [f'{SEVERITY_LABEL}="warning"'],
                # Every alert carries `signal`, so an unrelated critical never mutes a warning.
                "equal": [SIGNAL_LABEL],
            }
        ],
    }


def artifacts() -> list[Artifact]:
    document = alertmanager_config(load_definitions())
    return [
        Artifact.text_file(
            ALERTMANAGER_PATH, dump_yaml(document), source="aurastream_obs.artifacts.alertmanager"
        )
    ]
