"""CloudWatch metric sources -> CloudFormation `Metrics` entries and dashboard metric arrays.

Dimension values are the deployment's name patterns (definitions/deployment.py): a pattern
over `${Environment}` becomes an `Fn::Sub`, `${ApiId}` the import of the application stack's
export of its HTTP API id (the one name that is not derivable from the environment)."""

from __future__ import annotations

import re
from typing import Any

from aurastream_obs.definitions.aws_metrics import PERCENTILE
from aurastream_obs.definitions.deployment import API_ID, API_ID_EXPORT
from aurastream_obs.definitions.spec import CwExpression, CwMetric

__all__ = ["PERCENTILE", "alarm_metrics", "dimension_value", "metric_stat", "widget_metrics"]

_PARAM = re.compile(r"\$\{(\w+)\}")
# Fn::Sub variables the dashboards' bodies need besides the parameters.
SUB_VARIABLES: dict[str, Any] = {"ApiId": {"Fn::ImportValue": {"Fn::Sub": API_ID_EXPORT}}}


def dimension_value(value: str) -> Any:
    if value == API_ID:
        return SUB_VARIABLES["ApiId"]
    return {"Fn::Sub": value} if _PARAM.search(value) else value


def metric_stat(metric: CwMetric, period_s: int) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": metric.namespace,
            "MetricName": metric.name,
            "Dimensions": [{"Name": k, "Value": dimension_value(v)} for k, v in metric.dimensions],
        },
        "Period": period_s,
        "Stat": metric.stat,
    }


def alarm_metrics(source: CwExpression, period_s: int) -> list[dict[str, Any]]:
    """Metric math `Metrics` for an alarm: every metric hidden, the expression returned."""
    entries: list[dict[str, Any]] = [
        {"Id": metric_id, "MetricStat": metric_stat(metric, period_s), "ReturnData": False}
        for metric_id, metric in source.metrics
    ]
    entries.append({"Id": "result", "Expression": source.expression, "ReturnData": True})
    return entries


def widget_metrics(source: CwMetric | CwExpression, index: int = 0) -> list[list[Any]]:
    """Dashboard `metrics` rows of a widget's `index`-th source; `${Param}` stays literal for
    the body's Fn::Sub. Ids must be unique in a widget (CloudWatch's MetricDataQuery): the
    second expression's get a suffix, in its expression too."""
    if isinstance(source, CwMetric):
        return [_widget_row(source, None, visible=True)]
    suffix = f"_{index}" if index else ""
    expression = source.expression
    if suffix:
        names = "|".join(re.escape(metric_id) for metric_id, _ in source.metrics)
        expression = re.sub(rf"\b({names})\b", rf"\g<1>{suffix}", expression)
    rows = [_widget_row(m, metric_id + suffix, visible=False) for metric_id, m in source.metrics]
    rows.append([{"expression": expression, "label": source.label, "id": f"e{index + 1}"}])
    return rows


def _widget_row(metric: CwMetric, metric_id: str | None, *, visible: bool) -> list[Any]:
    row: list[Any] = [metric.namespace, metric.name]
    for key, value in metric.dimensions:
        row += [key, value]
    options: dict[str, Any] = {"stat": metric.stat}
    if metric.label:
        options["label"] = metric.label
    if metric_id:
        options["id"] = metric_id
    if not visible:
        options["visible"] = False
    return [*row, options]
