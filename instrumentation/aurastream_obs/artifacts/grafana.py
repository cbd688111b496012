"""Grafana dashboards (grafana-foundation-sdk builders) from the same panel definitions as the
CloudWatch dashboards, and the provisioning files for datasources and dashboards.

Prometheus targets go to the Prometheus datasource; panels that exist only in CloudWatch
(Lambda, DynamoDB, logs) use the CloudWatch datasource, with the deployment's names
(definitions/deployment.py) written over `$Environment`, `$ApiId` and `$Stage` dashboard
variables (the CloudFormation parameters and the imported API id)."""

from __future__ import annotations

import json
import re
from typing import Any

from grafana_foundation_sdk.builders import cloudwatch as cw
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard as DashboardBuilder
from grafana_foundation_sdk.builders.dashboard import TextBoxVariable
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import cloudwatch as cwm
from grafana_foundation_sdk.models.dashboard import DataSourceRef, GridPos

from aurastream_obs.artifacts.cloudformation_alarms import PARAMETERS
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.definitions.deployment import log_group
from aurastream_obs.definitions.spec import CwMetric, Dashboard, Panel

# grafana-foundation-sdk 10.1.0 builds schemaVersion 36 models; every field we set exists in
# the current schema, so we stamp the current version (42) and Grafana runs no migration.
SCHEMA_VERSION = 42
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
CLOUDWATCH = DataSourceRef(type_val="cloudwatch", uid="cloudwatch")
DASHBOARD_DIR = "grafana/dashboards"
DATASOURCES_PATH = "grafana/provisioning/datasources/datasources.yaml"
PROVIDERS_PATH = "grafana/provisioning/dashboards/dashboards.yaml"
_PARAM = re.compile(r"\$\{(\w+)\}")
_HEIGHT = 8
# Dashboard variables and their defaults (the API id has none: it is the deployment's).
_VARIABLES = {
    "Environment": str(PARAMETERS["Environment"]["Default"]),
    "ApiId": "",
    "Stage": str(PARAMETERS["Stage"]["Default"]),
}


def _grafana_value(value: str) -> str:
    return _PARAM.sub(r"$\1", value)


def _cw_metric(metric: CwMetric, ref_id: str, hide: bool = False) -> cw.CloudWatchMetricsQuery:
    dims: dict[str, Any] = {k: _grafana_value(v) for k, v in metric.dimensions}
    query = (
        cw.CloudWatchMetricsQuery()
        .datasource(CLOUDWATCH)
        .ref_id(ref_id)
        .id(ref_id)
        .query_mode(cwm.CloudWatchQueryMode.METRICS)
        .metric_query_type(cwm.MetricQueryType.SEARCH)
        .metric_editor_mode(cwm.MetricEditorMode.BUILDER)
        .region("default")
        .namespace(metric.namespace)
        .metric_name(metric.name)
        .dimensions(dims)
        .match_exact(True)
        .statistic(metric.stat)
        .hide(hide)
    )
    return query.label(metric.label) if metric.label else query


def _cw_targets(panel: Panel) -> list[Any]:
    targets: list[Any] = []
    for i, source in enumerate(panel.cloudwatch):
        if isinstance(source, CwMetric):
            targets.append(_cw_metric(source, f"m{i}"))
            continue
        targets += [_cw_metric(m, metric_id, hide=True) for metric_id, m in source.metrics]
        targets.append(
            cw.CloudWatchMetricsQuery().datasource(CLOUDWATCH).ref_id(f"e{i}").id(f"e{i}")
            .query_mode(cwm.CloudWatchQueryMode.METRICS)
            .metric_editor_mode(cwm.MetricEditorMode.CODE)
            .expression(source.expression).region("default")
        )  # fmt: skip
    return targets


def _targets(panel: Panel) -> tuple[DataSourceRef, list[Any]]:
    if panel.prometheus:
        return PROMETHEUS, [
            prometheus.Dataquery().expr(t.expr).legend_format(t.legend or "__auto")
            .ref_id(chr(ord("A") + i)).datasource(PROMETHEUS)
            for i, t in enumerate(panel.prometheus)
        ]  # fmt: skip
    if panel.cloudwatch:
        return CLOUDWATCH, _cw_targets(panel)
    assert panel.logs is not None  # validation: every panel has a query
    groups: list[Any] = [
        cw.LogGroup().name(_grafana_value(log_group(c))) for c in panel.logs.sources
    ]
    query = (
        cw.CloudWatchLogsQuery().datasource(CLOUDWATCH).ref_id("A").id("A")
        .query_mode(cwm.CloudWatchQueryMode.LOGS).region("default")
        .expression(panel.logs.text).log_groups(groups)
    )  # fmt: skip
    return CLOUDWATCH, [query]


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> Any:
    builder: Any = stat.Panel() if panel.kind == "stat" else timeseries.Panel()
    datasource, targets = _targets(panel)
    builder = (
        builder.id(panel_id).title(panel.title).unit(panel.unit).datasource(datasource)
        .grid_pos(GridPos(h=_HEIGHT, w=panel.width, x=x, y=y))
    )  # fmt: skip
    for target in targets:
        builder = builder.with_target(target)
    return builder


def dashboard_document(dashboard: Dashboard) -> dict[str, Any]:
    builder = (
        DashboardBuilder(dashboard.title).uid(f"aurastream-{dashboard.name}")
        .tags(["aurastream", "generated"]).refresh("1m").time("now-6h", "now").readonly()
    )  # fmt: skip
    for name, default in _VARIABLES.items():
        builder = builder.with_variable(TextBoxVariable(name).label(name).default_value(default))
    x = y = 0
    for panel_id, panel in enumerate(dashboard.panels, start=1):
        if x + panel.width > 24:
            x, y = 0, y + _HEIGHT
        builder = builder.with_panel(_panel(panel, panel_id, x, y))
        x += panel.width
    model = builder.build()
    model.schema_version = SCHEMA_VERSION
    document: dict[str, Any] = json.loads(JSONEncoder(sort_keys=True).encode(model))
    return document


def datasources() -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "datasources": [
            {"name": "Prometheus", "uid": PROMETHEUS.uid, "type": "prometheus",
             "access": "proxy", "url": "${PROMETHEUS_URL:-http://prometheus:9090}",
             "isDefault": True, "jsonData": {"timeInterval": "15s"}},
            {"name": "CloudWatch", "uid": CLOUDWATCH.uid, "type": "cloudwatch",
             "jsonData": {"authType": "default", "defaultRegion": "${AWS_REGION:-us-east-1}"}},
            {"name": "X-Ray", "uid": "xray", "type": "grafana-x-ray-datasource",
             "jsonData": {"authType": "default", "defaultRegion": "${AWS_REGION:-us-east-1}"}},
        ],
    }  # fmt: skip


def providers() -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {"name": "aurastream", "folder": "AuraStream", "type": "file",
             "disableDeletion": True, "allowUiUpdates": False,
             "options": {"path": "/var/lib/grafana/dashboards"}},
        ],
    }  # fmt: skip


def grafana_artifacts(defs: Definitions) -> list[Artifact]:
    source = "aurastream_obs.artifacts.grafana"
    out = [
        Artifact.json_file(f"{DASHBOARD_DIR}/{d.name}.json", dashboard_document(d), source=source)
        for d in defs.dashboards
    ]
    out.append(Artifact.text_file(DATASOURCES_PATH, dump_yaml(datasources()), source=source))
    out.append(Artifact.text_file(PROVIDERS_PATH, dump_yaml(providers()), source=source))
    return out


def artifacts() -> list[Artifact]:
    return grafana_artifacts(load_definitions())
