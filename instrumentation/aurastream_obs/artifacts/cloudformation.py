"""CloudFormation templates from the definitions: alerting (topics, key, router), threshold
alarms, SLO alarms, anomaly-detection alarms (definitions/predictive.py), dashboards, logs —
separate stacks so each template stays under the 51,200-byte limit for an inline
`--template-body`. Deploy order: logs, the application (SAM),
alerting, then the alarm and dashboard stacks (they import the topics and the API id)."""

from __future__ import annotations

import json
from typing import Any

from aurastream_obs.artifacts.cloudformation_alarms import (
    PARAMETERS,
    alarms_template,
    slo_alarms_template,
)
from aurastream_obs.artifacts.cloudformation_alerting import alerting_template
from aurastream_obs.artifacts.cloudformation_anomaly import anomaly_template
from aurastream_obs.artifacts.cloudformation_logs import logs_template
from aurastream_obs.artifacts.cloudwatch_metrics import SUB_VARIABLES, widget_metrics
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import cloudformation_id
from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.definitions.deployment import log_group
from aurastream_obs.definitions.spec import Dashboard, Panel

TEMPLATE_BODY_LIMIT = 51_200  # bytes, CreateStack TemplateBody
PATHS = {
    "alerting": "deploy/cloudformation/aurastream-alerting.yaml",
    "alarms": "deploy/cloudformation/aurastream-alarms.yaml",
    "slo-alarms": "deploy/cloudformation/aurastream-slo-alarms.yaml",
    "anomaly-alarms": "deploy/cloudformation/aurastream-anomaly-alarms.yaml",
    "dashboards": "deploy/cloudformation/aurastream-dashboards.yaml",
    "logs": "deploy/cloudformation/aurastream-logs.yaml",
}
_HEIGHT = 6


def _widget(panel: Panel, x: int, y: int, period_s: int) -> dict[str, Any]:
    place = {"x": x, "y": y, "width": panel.width, "height": _HEIGHT}
    if panel.cloudwatch:
        metrics = [
            row for i, source in enumerate(panel.cloudwatch) for row in widget_metrics(source, i)
        ]
        props: dict[str, Any] = {
            "title": panel.title,
            "metrics": metrics,
            "period": period_s,
            "region": "${AWS::Region}",
            "view": "singleValue" if panel.kind == "stat" else "timeSeries",
        }
        if panel.kind == "stat":
            props["setPeriodToTimeRange"] = True
        return {"type": "metric", **place, "properties": props}
    if panel.logs is not None:
        sources = " | ".join(f"SOURCE '{log_group(c)}'" for c in panel.logs.sources)
        return {"type": "log", **place, "properties": {
            "title": panel.title, "query": f"{sources} | {panel.logs.text}",
            "region": "${AWS::Region}", "view": "table"}}  # fmt: skip
    # Prometheus-only panel: point to Grafana rather than drop it silently.
    return {"type": "text", **place, "properties": {
        "markdown": f"**{panel.title}**: Prometheus only, see the Grafana dashboard."}}  # fmt: skip


def dashboard_body(dashboard: Dashboard) -> str:
    widgets, x, y = [], 0, 0
    for panel in dashboard.panels:
        if x + panel.width > 24:
            x, y = 0, y + _HEIGHT
        widgets.append(_widget(panel, x, y, dashboard.period_s))
        x += panel.width
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


def _sub_body(body: str) -> dict[str, Any]:
    used = {k: v for k, v in SUB_VARIABLES.items() if f"${{{k}}}" in body}
    return {"Fn::Sub": [body, used] if used else body}


def dashboards_template(defs: Definitions) -> dict[str, Any]:
    resources = {
        cloudformation_id(d.name, "dashboard"): {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                # Dashboards are global to the account, not per region (CloudWatch API,
                # PutDashboard): the same environment in two regions needs two names.
                "DashboardName": {
                    "Fn::Sub": f"aurastream-${{Environment}}-${{AWS::Region}}-{d.name}"
                },
                "DashboardBody": _sub_body(dashboard_body(d)),
            },
        }
        for d in defs.dashboards
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AuraStream CloudWatch dashboards (same panels as the Grafana ones).",
        "Parameters": PARAMETERS,
        "Resources": resources,
    }


def templates(defs: Definitions) -> dict[str, dict[str, Any]]:
    return {
        "alerting": alerting_template(),
        "alarms": alarms_template(defs),
        "slo-alarms": slo_alarms_template(defs),
        "anomaly-alarms": anomaly_template(),
        "dashboards": dashboards_template(defs),
        "logs": logs_template(defs),
    }


def artifacts() -> list[Artifact]:
    out = []
    for kind, template in templates(load_definitions()).items():
        artifact = Artifact.text_file(
            PATHS[kind], dump_yaml(template), source="aurastream_obs.artifacts.cloudformation"
        )
        if len(artifact.text.encode()) > TEMPLATE_BODY_LIMIT:
            raise ValueError(f"{artifact.path}: over {TEMPLATE_BODY_LIMIT} bytes; split it")
        out.append(artifact)
    return out
