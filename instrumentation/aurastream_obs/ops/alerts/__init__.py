"""Alert router: CloudWatch alarms via SNS (signature verified) and Alertmanager
webhooks become one `Alert` model, routed by severity to Slack and PagerDuty with retries and
deduplication. Runs as `aurastream-obs alerts serve` or as a Lambda (`lambda_handler.handler`).
"""

from __future__ import annotations

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.router import AlertRouter, Reply
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret

__all__ = ["Alert", "AlertRouter", "Reply", "RouterSettings", "Secret"]
