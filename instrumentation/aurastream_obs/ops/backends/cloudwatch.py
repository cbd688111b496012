"""`CloudWatchBackend`: the KPI interface over CloudWatch GetMetricData (boto3, lazily).

It reads one deployment (`DeployedNames`: the function, table, HTTP API id and stage of an
environment, definitions/deployment.py) with the queries of definitions/kpi_queries.py, the
ones `aurastream-obs validate` checks against the metric catalog.

The SLOs' CloudWatch expressions (`FILL(errors, 0) / total`, `1 - fast / 100`, ...) are
evaluated here over one period spanning the window: GetMetricData returns each MetricStat
(including percentile stats such as PR(:1000), computed by CloudWatch), and the arithmetic is
done client-side by a small AST evaluator. One code path for AWS and for moto, which returns
MetricStat data but does not evaluate metric math.

Per-customer values are deliberately not CloudWatch dimensions (cost): `counter_by` on the
customer attribute (usage, revenue) is answered by CloudWatch Logs Insights over the business
events in the business log group (`logs_insights.LogsInsightsCustomers`)."""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import InstrumentSpec, window_seconds
from aurastream_obs.definitions import kpi_queries as k
from aurastream_obs.definitions.deployment import DEFAULT_ENVIRONMENT, RESOURCES, DeployedNames
from aurastream_obs.definitions.deployment import names as deployment_names
from aurastream_obs.definitions.spec import SLO, CwExpression, CwMetric
from aurastream_obs.ops.backends.base import CustomerRequests, LoadSeries, RequestTotals
from aurastream_obs.ops.backends.logs_insights import LogsInsightsCustomers
from aurastream_obs.ops.deployment_lookup import DeploymentLookupError

_OPS: Final[Mapping[type[ast.operator], Callable[[float, float], float]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FILL: Final = re.compile(r"FILL\((\w+),\s*0\)")


def evaluate(expression: str, values: Mapping[str, float | None]) -> float | None:
    """Arithmetic over metric ids; `FILL(x, 0)` reads a missing x as 0; None when a needed
    id has no data or a division by zero occurs."""
    filled = set(_FILL.findall(expression))
    tree = ast.parse(_FILL.sub(r"\1", expression), mode="eval")

    def walk(node: ast.AST) -> float | None:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            value = values.get(node.id)
            return 0.0 if value is None and node.id in filled else value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = walk(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
                return None
            return _OPS[type(node.op)](left, right)
        raise ValueError(f"unsupported metric math: {expression!r}")

    return walk(tree)


class CloudWatchBackend:
    def __init__(
        self,
        client: Any = None,
        *,
        deployment: DeployedNames | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        logs_client: Any = None,
        log_group: str | None = None,
        customers: LogsInsightsCustomers | None = None,
        requests_log_group: str | None = None,
    ) -> None:
        """`deployment` is what to read (default: the default environment's names; its HTTP
        API id is needed for the API metrics). `customers` (or `logs_client`/`log_group` for
        one built on first use) answers the per-customer counters; `log_group` defaults to the
        deployment's business category group."""
        if client is None:
            import boto3

            client = boto3.client("cloudwatch")
        self.client = client
        self.deployment = deployment or deployment_names(DEFAULT_ENVIRONMENT)
        self.now = now
        self._logs_client = logs_client
        self._log_group = log_group or self.deployment.log_group("business")
        self._requests_log_group = requests_log_group or self.deployment.log_group("application")
        self._customers = customers

    @property
    def customers(self) -> LogsInsightsCustomers:
        if self._customers is None:
            self._customers = LogsInsightsCustomers(
                self._logs_client,
                log_group=self._log_group,
                requests_log_group=self._requests_log_group,
                now=self.now,
            )
        return self._customers

    @property
    def name(self) -> str:
        return "cloudwatch"

    def dimensions(self, metric: CwMetric) -> list[dict[str, str]]:
        """The metric's dimensions in this deployment: the resource's identity (overridden
        names win), then the metric's own."""
        identity = RESOURCES[metric.resource].dimensions if metric.resource else ()
        own = metric.dimensions[len(identity) :]
        resolved = [*self.deployment.dimensions(metric.resource), *own] if identity else own
        if any(k == "ApiId" for k, _ in identity) and not self.deployment.api_id:
            raise DeploymentLookupError(
                f"{metric.namespace} {metric.name} is a metric of the HTTP API, whose id is "
                "unknown: pass --api-id or --stack"
            )
        return [{"Name": k, "Value": self.deployment.resolve(v)} for k, v in resolved]

    def fetch(self, metrics: Mapping[str, CwMetric], window: str) -> dict[str, float | None]:
        """One value per id: the statistic over a single period covering the window."""
        seconds = max(60, window_seconds(window) // 60 * 60)  # periods are multiples of 60
        end = self.now()
        queries = [
            {
                "Id": mid,
                "ReturnData": True,
                "MetricStat": {
                    "Metric": {
                        "Namespace": m.namespace,
                        "MetricName": m.name,
                        "Dimensions": self.dimensions(m),
                    },
                    "Period": seconds,
                    "Stat": m.stat,
                },
            }
            for mid, m in metrics.items()
        ]
        answer = self.client.get_metric_data(
            MetricDataQueries=queries, StartTime=end - dt.timedelta(seconds=seconds), EndTime=end
        )
        out: dict[str, float | None] = dict.fromkeys(metrics)
        for result in answer.get("MetricDataResults", []):
            values = result.get("Values") or []
            if values:  # one period: aggregate defensively if CloudWatch split it anyway
                stat = metrics[result["Id"]].stat
                out[result["Id"]] = sum(values) if stat == "Sum" else max(values)
        return out

    def _expression(self, expr: CwExpression, window: str) -> float | None:
        return evaluate(expr.expression, self.fetch(dict(expr.metrics), window))

    def request_totals(self, window: str) -> RequestTotals | None:
        got = self.fetch({"total": k.REQUESTS, "errors": k.REQUESTS_5XX}, window)
        if got["total"] is None:
            return None
        total = got["total"]
        return RequestTotals(total, got["errors"] or 0.0, total / window_seconds(window))

    def latency_quantile(self, q: float, window: str) -> float | None:
        stat = f"p{100 * q:g}"
        value = self.fetch({"latency": k.latency(stat)}, window)["latency"]
        return None if value is None else value / 1000  # API Gateway Latency is in ms

    def cache_hit_ratio(self, window: str) -> float | None:
        got = self.fetch({"hits": k.CACHE_HITS, "misses": k.CACHE_MISSES}, window)
        return evaluate("FILL(hits, 0) / (FILL(hits, 0) + misses)", got)

    def sli_error_ratio(self, slo: SLO, window: str) -> float | None:
        return self._expression(slo.cloudwatch, window)

    def counter_by(
        self, spec: InstrumentSpec, attribute: str, window: str, offset: str | None = None
    ) -> Mapping[str, float]:
        if attribute != c.CUSTOMER_ID or spec.name not in (c.USAGE.name, c.REVENUE.name):
            raise ValueError(
                f"{spec.name} by {attribute} is not answered from CloudWatch (only usage and "
                f"revenue by {c.CUSTOMER_ID}, from Logs Insights)"
            )
        totals = self.customers.totals(window, offset)
        return totals.analyses if spec.name == c.USAGE.name else totals.revenue

    def end_time(self) -> float:
        return self.now().timestamp()

    def customer_requests(
        self, window: str, offset: str | None = None
    ) -> Mapping[str, CustomerRequests]:
        return self.customers.requests(window, offset)

    def series(
        self, metrics: Mapping[str, CwMetric], window: str, period_s: int
    ) -> dict[str, dict[float, float]]:
        """Each metric's datapoints over the window at `period_s` ({epoch s: value})."""
        end = self.now()
        queries = [
            {"Id": mid, "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": m.namespace, "MetricName": m.name,
                           "Dimensions": self.dimensions(m)},
                "Period": period_s, "Stat": m.stat}}
            for mid, m in metrics.items()
        ]  # fmt: skip
        kwargs: dict[str, Any] = {
            "MetricDataQueries": queries,
            "StartTime": end - dt.timedelta(seconds=window_seconds(window)),
            "EndTime": end,
        }
        out: dict[str, dict[float, float]] = {mid: {} for mid in metrics}
        while True:
            answer = self.client.get_metric_data(**kwargs)
            for result in answer.get("MetricDataResults", []):
                stamps = result.get("Timestamps") or []
                for stamp, value in zip(stamps, result.get("Values") or [], strict=False):
                    out[result["Id"]][stamp.timestamp()] = float(value)
            if not answer.get("NextToken"):
                return out
            kwargs["NextToken"] = answer["NextToken"]

    def data_since(self, window: str) -> float | None:
        """The first period (at most 720 over the window) with usage in the EMF namespace."""
        period = max(60, -(-window_seconds(window) // 720 // 60) * 60)
        usage = self.series({"usage": k.USAGE}, window, period)["usage"]
        stamps = [stamp for stamp, value in usage.items() if value > 0]
        return min(stamps) if stamps else None

    def load_series(self, window: str, step_s: int) -> LoadSeries | None:
        """API Gateway `Count` per period as a rate, and Lambda's own ConcurrentExecutions
        (Maximum) of the API function."""
        period = max(60, step_s // 60 * 60)
        got = self.series({"count": k.REQUESTS, "busy": k.CONCURRENCY}, window, period)
        if not got["count"]:
            return None
        times = tuple(sorted(got["count"]))
        busy = got["busy"]
        return LoadSeries(
            times,
            tuple(got["count"][t] / period for t in times),
            tuple(busy.get(t, 0.0) for t in times) if busy else None,
        )
