"""Alert router: CloudWatch alarms via SNS (signature, topic and freshness verified),
Alertmanager webhooks and runbook notifications become alert groups, delivered by severity to
Slack (one message per group) and PagerDuty (one event per alert) at least once, within one
deadline per request, with honest answers (2xx only once delivered). Runs as
`aurastream-obs alerts serve` or as a Lambda (`lambda_handler.handler`).
"""

from __future__ import annotations

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.router import AlertRouter, Reply
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret

__all__ = ["Alert", "AlertRouter", "Reply", "RouterSettings", "Secret"]
