"""CloudWatch metric sources -> CloudFormation `Metrics` entries and dashboard metric arrays.
Dimension values written `${Param}` become template parameter references."""

from __future__ import annotations

import re
from typing import Any

from aurastream_obs.definitions.spec import CwExpression, CwMetric

_PARAM = re.compile(r"^\$\{(\w+)\}$")
PERCENTILE = re.compile(r"^(p\d+(\.\d+)?|PR\(.*\)|TM\(.*\)|TC\(.*\))$")


def dimension_value(value: str) -> Any:
    match = _PARAM.match(value)
    return {"Ref": match.group(1)} if match else value


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


def widget_metrics(source: CwMetric | CwExpression) -> list[list[Any]]:
    """Dashboard `metrics` rows; `${Param}` stays literal for the body's Fn::Sub."""
    if isinstance(source, CwMetric):
        return [_widget_row(source, None, visible=True)]
    rows = [_widget_row(m, metric_id, visible=False) for metric_id, m in source.metrics]
    rows.append([{"expression": source.expression, "label": "value", "id": "e1"}])
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
