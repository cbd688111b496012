"""What the committed templates deploy, read back from the files: resources by kind and name,
exports, and every CloudWatch metric an alarm or a dashboard widget reads.

Values are compared as text: `{"Ref": "Environment"}` and `Fn::Sub` patterns keep
`${Environment}` (the one parameter every stack shares), other parameters read as their
default, a resource reference as `ref:<template>#<logical id>`, an import as
`import:<export name>`. Two stacks then agree on a name exactly when their texts are equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aurastream_obs.definitions.deployment import ResourceKind

Doc = dict[str, Any]
_VAR: Final = re.compile(r"\$\{([\w:.]+)\}")
KIND_OF_TYPE: Final[Mapping[str, ResourceKind]] = {
    "AWS::Serverless::HttpApi": "http-api", "AWS::ApiGatewayV2::Api": "http-api",
    "AWS::Serverless::Api": "rest-api", "AWS::ApiGateway::RestApi": "rest-api",
    "AWS::Serverless::Function": "lambda", "AWS::Lambda::Function": "lambda",
    "AWS::DynamoDB::Table": "dynamodb", "AWS::SQS::Queue": "sqs", "AWS::S3::Bucket": "s3",
    "AWS::SNS::Topic": "sns",
}  # fmt: skip
_NAME_PROPERTY: Final[Mapping[ResourceKind, str]] = {
    "http-api": "Name", "rest-api": "Name", "lambda": "FunctionName", "dynamodb": "TableName",
    "sqs": "QueueName", "s3": "BucketName", "sns": "TopicName",
}  # fmt: skip
# The dimension that names the resource a metric belongs to, and that resource's kind.
IDENTITY: Final[tuple[tuple[str, ResourceKind], ...]] = (
    ("ApiId", "http-api"), ("ApiName", "rest-api"), ("FunctionName", "lambda"),
    ("TableName", "dynamodb"), ("QueueName", "sqs"), ("BucketName", "s3"),
    ("TopicName", "sns"),
)  # fmt: skip


@dataclass(frozen=True)
class Template:
    path: str
    doc: Doc

    @property
    def resources(self) -> Mapping[str, Doc]:
        return dict(self.doc.get("Resources") or {})

    def text(self, value: Any, variables: Mapping[str, Any] | None = None) -> str | None:
        """A value as comparable text (None: an expression we do not read)."""
        params = self.doc.get("Parameters") or {}
        if isinstance(value, str | int | float):
            return str(value)
        if not isinstance(value, dict) or len(value) != 1:
            return None
        (fn, arg), = value.items()  # fmt: skip
        if fn == "Ref":
            return self._param(arg, params) if arg in params else f"ref:{self.path}#{arg}"
        if fn == "Fn::ImportValue":
            inner = self.text(arg)
            return None if inner is None else f"import:{inner}"
        if fn == "Fn::Sub":
            body, subs = (arg, {}) if isinstance(arg, str) else (arg[0], dict(arg[1]))
            subs = {**subs, **(variables or {})}

            def sub(match: re.Match[str]) -> str:
                name = match[1]
                if name in subs:
                    return self.text(subs[name]) or match[0]
                return self._param(name, params) if name in params else match[0]

            return _VAR.sub(sub, str(body))
        return None

    @staticmethod
    def _param(name: str, params: Mapping[str, Any]) -> str:
        default = (params.get(name) or {}).get("Default")
        return "${" + name + "}" if name == "Environment" or default is None else str(default)


@dataclass(frozen=True)
class Deployed:
    kind: ResourceKind
    name: str | None  # the name as text
    ref: str  # ref:<path>#<logical id>
    path: str


@dataclass(frozen=True)
class MetricRef:
    """One metric read by an alarm or a widget: where, what, with which dimension values."""

    where: str
    namespace: str
    name: str
    dimensions: Mapping[str, str | None]
    stat: str


class Index:
    def __init__(self, templates: list[Template]) -> None:
        self.templates = templates
        self.deployed: list[Deployed] = []
        self.exports: dict[str, str | None] = {}
        self.metric_filters: dict[tuple[str, str], frozenset[str]] = {}
        for t in templates:
            for logical, res in t.resources.items():
                self._add(t, logical, res)
            for output in (t.doc.get("Outputs") or {}).values():
                name = t.text((output.get("Export") or {}).get("Name"))
                if name is not None:
                    self.exports[name] = t.text(output.get("Value"))

    def _add(self, t: Template, logical: str, res: Doc) -> None:
        props = res.get("Properties") or {}
        kind = KIND_OF_TYPE.get(str(res.get("Type")))
        if kind is not None:
            name = t.text(props.get(_NAME_PROPERTY[kind]))
            self.deployed.append(Deployed(kind, name, f"ref:{t.path}#{logical}", t.path))
        if res.get("Type") == "AWS::Logs::MetricFilter":
            for mt in props.get("MetricTransformations") or []:
                keys = frozenset(d.get("Key") for d in mt.get("Dimensions") or [])
                self.metric_filters[(mt.get("MetricNamespace"), mt.get("MetricName"))] = keys

    def of_kind(self, kind: ResourceKind) -> list[Deployed]:
        return [d for d in self.deployed if d.kind == kind]

    def resolve(self, value: str | None, kind: ResourceKind | None = None) -> Deployed | None:
        """The deployed resource a dimension value names (by name, reference or import);
        a name is looked up among resources of `kind` (a function and an API may share one)."""
        if value is None:
            return None
        if value.startswith("import:"):
            value = self.exports.get(value.removeprefix("import:")) or ""
        by_ref = next((d for d in self.deployed if value == d.ref), None)
        if by_ref is not None:
            return by_ref
        named = [d for d in self.deployed if d.name == value and kind in (None, d.kind)]
        return named[0] if named else None


def load_templates(root: Path, paths: list[str]) -> list[Template]:
    import yaml

    return [Template(p, yaml.safe_load((root / p).read_text())) for p in paths]


def alarm_metrics(t: Template) -> Iterator[MetricRef]:
    for logical, res in t.resources.items():
        if res.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        props = res.get("Properties") or {}
        where = f"{t.path}: alarm {t.text(props.get('AlarmName')) or logical}"
        if "MetricName" in props:
            stat = props.get("ExtendedStatistic") or props.get("Statistic") or ""
            metric = {"Namespace": props["Namespace"], "MetricName": props["MetricName"],
                      "Dimensions": props.get("Dimensions") or []}  # fmt: skip
            yield _ref(t, where, metric, str(stat))
        for query in props.get("Metrics") or []:
            stat = query.get("MetricStat")
            if stat:
                yield _ref(t, where, stat["Metric"], str(stat.get("Stat", "")))


def _ref(t: Template, where: str, metric: Doc, stat: str) -> MetricRef:
    values = {str(d["Name"]): t.text(d.get("Value")) for d in metric.get("Dimensions") or []}
    return MetricRef(where, metric["Namespace"], metric["MetricName"], values, stat)


def dashboard_bodies(t: Template) -> Iterator[tuple[str, Doc, Mapping[str, Any]]]:
    """(dashboard, body, Fn::Sub variables) of every dashboard in a template."""
    for logical, res in t.resources.items():
        if res.get("Type") != "AWS::CloudWatch::Dashboard":
            continue
        body = (res.get("Properties") or {}).get("DashboardBody")
        text, variables = body, {}
        if isinstance(body, dict) and "Fn::Sub" in body:
            sub = body["Fn::Sub"]
            text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], dict(sub[1]))
        yield logical, json.loads(str(text)), variables


def widget_metrics(t: Template) -> Iterator[MetricRef]:
    for dashboard, body, variables in dashboard_bodies(t):
        for widget in body.get("widgets", []):
            props = widget.get("properties") or {}
            where = f"{t.path}: dashboard {dashboard} widget {props.get('title')!r}"
            for row in props.get("metrics") or []:
                if not row or not isinstance(row[0], str):
                    continue  # an expression row
                options = row[-1] if isinstance(row[-1], dict) else {}
                plain = row[:-1] if options else row
                pairs = dict(zip(plain[2::2], plain[3::2], strict=True))
                dims = {str(k): t.text({"Fn::Sub": str(v)}, variables) for k, v in pairs.items()}
                yield MetricRef(where, plain[0], plain[1], dims, str(options.get("stat", "")))


def widget_log_groups(t: Template) -> Iterator[tuple[str, str]]:
    """(where, log group text) of every dashboard log widget."""
    for dashboard, body, variables in dashboard_bodies(t):
        for widget in body.get("widgets", []):
            props = widget.get("properties") or {}
            for group in re.findall(r"SOURCE '([^']+)'", str(props.get("query", ""))):
                text = t.text({"Fn::Sub": group}, variables) or group
                yield f"{t.path}: dashboard {dashboard} widget {props.get('title')!r}", text
