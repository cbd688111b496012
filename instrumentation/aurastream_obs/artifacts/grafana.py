"""Grafana dashboards (grafana-foundation-sdk builders) from the same panel definitions as the
CloudWatch dashboards, and the provisioning files for datasources and dashboards.

Two variables choose whose data every panel shows: `service` and `environment`, listed from the
Prometheus series' identity labels. Prometheus targets go to the Prometheus datasource, every
raw selector scoped to them (definitions/promql.py `scoped`); panels that exist only in
CloudWatch (Lambda, DynamoDB, logs) use the CloudWatch datasource, with the deployment's names
(definitions/deployment.py) written over `$environment` and the `$ApiId` and `$Stage`
variables (the CloudFormation parameters and the imported API id)."""

from __future__ import annotations

import json
import re
from typing import Any

from grafana_foundation_sdk.builders import cloudwatch as cw
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard as DashboardBuilder
from grafana_foundation_sdk.builders.dashboard import QueryVariable, TextBoxVariable
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import cloudwatch as cwm
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    GridPos,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from aurastream_obs.artifacts.cloudformation_alarms import PARAMETERS
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import ENVIRONMENT_NAME_LABEL, SERVICE_NAME_LABEL
from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.deployment import DEFAULT_ENVIRONMENT, SERVICE_NAME, log_group
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
# The CloudWatch names' template parameters as dashboard variables: the environment is the one
# the Prometheus panels use too; the API id has no default (it is the deployment's).
_CW_VARIABLES = {"ApiId": "", "Stage": str(PARAMETERS["Stage"]["Default"])}
_VARIABLE_OF_PARAMETER = {"Environment": "environment"}
# The series every identity label value is listed from (one every service exposes).
_LISTED_FROM = q.HTTP_COUNT
# What each dashboard variable stands for when a query is checked outside Grafana.
CHECK_VALUES = {
    "$__rate_interval": "1m",
    "$service": SERVICE_NAME,
    "$environment": DEFAULT_ENVIRONMENT,
}


def _grafana_value(value: str) -> str:
    return _PARAM.sub(lambda m: "$" + _VARIABLE_OF_PARAMETER.get(m[1], m[1]), value)


def expand(expr: str, values: dict[str, str] | None = None) -> str:
    """A panel's PromQL with the dashboard variables replaced (`CHECK_VALUES` by default): what
    Grafana sends to Prometheus, for promtool and the end-to-end tests."""
    for name, value in sorted((values or CHECK_VALUES).items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(name, value)
    return expr


def _identity_variables() -> list[QueryVariable]:
    """`service`, then `environment` (of that service), from the series' identity labels."""
    service = f"label_values({_LISTED_FROM}, {SERVICE_NAME_LABEL})"
    environment = (
        f'label_values({_LISTED_FROM}{{{SERVICE_NAME_LABEL}="$service"}}, {ENVIRONMENT_NAME_LABEL})'
    )
    return [
        QueryVariable(name).label(name).datasource(PROMETHEUS).query(query)
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD).sort(VariableSort.ALPHABETICAL_ASC)
        .current(VariableOption(selected=True, text=default, value=default))
        for name, query, default in (("service", service, SERVICE_NAME),
                                     ("environment", environment, DEFAULT_ENVIRONMENT))
    ]  # fmt: skip


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
            prometheus.Dataquery().expr(q.scoped(t.expr, q.GRAFANA_SCOPE))
            .legend_format(t.legend or "__auto").ref_id(chr(ord("A") + i)).datasource(PROMETHEUS)
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
    for variable in _identity_variables():
        builder = builder.with_variable(variable)
    for name, default in _CW_VARIABLES.items():
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
