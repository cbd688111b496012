"""`aurastream-obs validate`: the committed templates work once deployed on AWS.

- Metrics exist: every alarm, dashboard widget and KPI query reads a metric that the resource
  it points at publishes (the metric catalog, definitions/aws_metrics.py), with exactly one of
  its published dimension sets and a meaningful statistic. The resource is found by reading
  the dimension values back to a deployed resource (a function by name, the HTTP API by the
  id its stack exports...).
- Alarms reach people: every alert topic is encrypted with a customer managed key whose
  policy lets CloudWatch use it (or says why it is unencrypted), has a subscription in every
  configuration, and every alarm action names a topic some template exports.
- Retained data stays readable: every KMS key and every log group of a 7-year category has
  DeletionPolicy and UpdateReplacePolicy Retain; log groups keep their category's retention.
- Logs land where they are read: every saved query and log widget reads a log group that
  receives lines in every deployment shape (on Lambda: only if a subscription filter forwards
  the function's category lines to the category groups).
Each problem is one line naming the file and what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aurastream_obs.artifacts.cloudformation import PATHS as CFN_PATHS
from aurastream_obs.artifacts.deploy_index import (
    IDENTITY,
    Index,
    MetricRef,
    Template,
    alarm_metrics,
    dashboard_bodies,
    load_templates,
    widget_log_groups,
    widget_metrics,
)
from aurastream_obs.core.conventions import EMF_NAMESPACE
from aurastream_obs.core.log_categories import LOG_CATEGORIES
from aurastream_obs.definitions.aws_metrics import KIND_NAMES, describe_kind, publishers
from aurastream_obs.definitions.metric_check import kind_problem, metric_problem, metrics_of

APP_PATHS = ["deploy/sam/aurastream-lambda.yaml", "deploy/ecs/aurastream-ecs.yaml"]
TEMPLATE_PATHS = [*CFN_PATHS.values(), *APP_PATHS]
_RETAIN = ("DeletionPolicy", "UpdateReplacePolicy")


def check_deployment(root: Path) -> list[str]:
    missing = [p for p in TEMPLATE_PATHS if not (root / p).exists()]
    if missing:
        return [f"{p}: missing (run `aurastream-obs render`)" for p in missing]
    return deployment_problems(load_templates(root, TEMPLATE_PATHS))


def deployment_problems(templates: list[Template]) -> list[str]:
    index = Index(templates)
    problems: list[str] = []
    for t in templates:
        for ref in (*alarm_metrics(t), *widget_metrics(t)):
            if problem := metric_ref_problem(ref, index):
                problems.append(f"{ref.where}: {problem}")
        problems += topic_problems(t, index) + retention_problems(t) + query_id_problems(t)
    problems += kpi_problems()
    problems += log_source_problems(templates, index)
    return problems


def metric_ref_problem(ref: MetricRef, index: Index) -> str | None:
    dims = ref.dimensions
    shown = ", ".join(f"{k}={v}" for k, v in dims.items()) or "no dimension"
    for key, kind in IDENTITY:
        if key not in dims:
            continue
        target = index.resolve(dims[key], None if key == "ApiId" else kind)
        if target is None:
            deployed = index.of_kind(kind)
            what = f"{ref.namespace} {ref.name} by {shown}: no template deploys {KIND_NAMES[kind]}"
            if kind in ("rest-api", "http-api"):  # the classic mix-up: say what is deployed
                others = index.of_kind("http-api" if kind == "rest-api" else "rest-api")
                if others:
                    return f"{what} ({others[0].path} deploys {describe_kind(others[0].kind)})"
            names = ", ".join(str(d.name) for d in deployed) or "none"
            return f"{what} named {dims[key]} (deployed: {names})"
        problem = kind_problem(target.kind, ref.namespace, ref.name, dims, ref.stat)
        return None if problem is None else f"{problem} (it points at {target.ref})"
    if ref.namespace == EMF_NAMESPACE:
        return kind_problem("emf", ref.namespace, ref.name, dims, ref.stat)
    filters = index.metric_filters.get((ref.namespace, ref.name))
    if filters is not None:
        if frozenset(dims) != filters:
            return f"{ref.namespace} {ref.name} by {shown}: its metric filter has {sorted(filters)}"
        return None
    kinds = {s.kind for s in publishers(ref.namespace, ref.name)}
    for kind in kinds:  # a Region-wide metric (no resource dimension): its service is deployed
        if index.of_kind(kind):
            return kind_problem(kind, ref.namespace, ref.name, dims, ref.stat)
    return f"{ref.namespace} {ref.name} by {shown}: published by nothing the templates deploy"


def query_id_problems(t: Template) -> list[str]:
    """Metric ids repeated within one alarm's `Metrics` or one dashboard widget's `metrics`:
    CloudWatch requires them unique in a query set (MetricDataQuery, `Id`)."""
    sets: list[tuple[str, list[str]]] = []
    for logical, res in t.resources.items():
        if res.get("Type") == "AWS::CloudWatch::Alarm":
            props = res.get("Properties") or {}
            ids = [str(q["Id"]) for q in props.get("Metrics") or [] if "Id" in q]
            sets.append((f"alarm {t.text(props.get('AlarmName')) or logical}", ids))
    for dashboard, body, _ in dashboard_bodies(t):
        for widget in body.get("widgets", []):
            props = widget.get("properties") or {}
            ids = [str(row[-1]["id"]) for row in props.get("metrics") or []
                   if row and isinstance(row[-1], dict) and "id" in row[-1]]  # fmt: skip
            sets.append((f"dashboard {dashboard} widget {props.get('title')!r}", ids))
    problems = []
    for where, ids in sets:
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            problems.append(f"{t.path}: {where}: metric ids {', '.join(repeated)} repeated "
                            "(ids must be unique in one query set)")  # fmt: skip
    return problems


def kpi_problems() -> list[str]:
    from aurastream_obs.definitions.kpi_queries import kpi_queries

    out = []
    for name, source in kpi_queries().items():
        for _, metric in metrics_of(source):
            if problem := metric_problem(metric):
                out.append(f"kpi query {name}: {problem}")
    return out


def _key_of(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def _grants_cloudwatch(key: dict[str, Any]) -> bool:
    for st in ((key.get("Properties") or {}).get("KeyPolicy") or {}).get("Statement", []):
        services = (st.get("Principal") or {}).get("Service")
        services = services if isinstance(services, list) else [services]
        actions = st.get("Action")
        actions = set(actions if isinstance(actions, list) else [actions])
        if (st.get("Effect") == "Allow" and "cloudwatch.amazonaws.com" in services
                and "kms:Decrypt" in actions
                and actions & {"kms:GenerateDataKey*", "kms:GenerateDataKey"}):  # fmt: skip
            return True
    return False


def topic_problems(t: Template, index: Index) -> list[str]:
    out: list[str] = []
    resources = t.resources
    for logical, res in resources.items():
        if res.get("Type") != "AWS::SNS::Topic":
            continue
        where = f"{t.path}: topic {logical}"
        key = (res.get("Properties") or {}).get("KmsMasterKeyId")
        reason = ((res.get("Metadata") or {}).get("aurastream") or {}).get("unencrypted")
        key_id = _key_of(key)
        if key is None and not reason:
            out.append(f"{where}: unencrypted without a reason (Metadata aurastream.unencrypted)")
        elif isinstance(key, str) and "alias/aws/" in key:
            out.append(
                f"{where}: encrypted with the AWS managed key {key}: CloudWatch alarms cannot "
                "publish to it; use a customer managed key whose policy lets "
                "cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey*)"
            )
        elif (
            key_id is not None and key_id in resources and not _grants_cloudwatch(resources[key_id])
        ):
            out.append(
                f"{where}: key {key_id}'s policy does not let cloudwatch.amazonaws.com use it "
                "(kms:Decrypt, kms:GenerateDataKey*): alarms cannot publish"
            )
        if not _subscribed(t, logical):
            out.append(f"{where}: no subscription in every configuration: alarm notifications "
                       "reach nobody (subscribe the alert router)")  # fmt: skip
    for ref in _alarm_actions(t):
        if ref.startswith("import:") and ref.removeprefix("import:") not in index.exports:
            out.append(f"{t.path}: alarm action {ref}: no template exports it")
    return out


def _subscribed(t: Template, topic: str) -> bool:
    conditions = t.doc.get("Conditions") or {}
    found: set[str | None] = set()
    for res in t.resources.values():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::SNS::Subscription" and _key_of(props.get("TopicArn")) == topic:
            found.add(res.get("Condition"))
    if None in found:
        return True
    for name in found:  # `X` and `not X`: one of them always holds
        negation = {"Fn::Not": [{"Condition": name}]}
        if any(conditions.get(other) == negation for other in found if other):
            return True
    return False


def _alarm_actions(t: Template) -> Iterable[str]:
    for res in t.resources.values():
        if res.get("Type") in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
            props = res.get("Properties") or {}
            for action in (*props.get("AlarmActions", []), *props.get("OKActions", [])):
                text = t.text(action)
                if text is not None:
                    yield text


def retention_problems(t: Template) -> list[str]:
    out = []
    for logical, res in t.resources.items():
        kind = res.get("Type")
        props = res.get("Properties") or {}
        name = t.text(props.get("LogGroupName")) or ""
        category = name.rsplit("/", 1)[-1] if name.startswith("/aurastream/") else None
        spec = LOG_CATEGORIES.get(category or "")
        days = props.get("RetentionInDays")
        if kind == "AWS::Logs::LogGroup" and spec is not None and days != spec.retention_days:
            out.append(
                f"{t.path}: log group {name}: retention {days}, the {category} category keeps "
                f"{spec.retention_days} days"
            )
        retained = kind == "AWS::KMS::Key" or (
            kind == "AWS::Logs::LogGroup" and spec and spec.sensitive
        )
        if retained and any(res.get(p) != "Retain" for p in _RETAIN):
            out.append(f"{t.path}: {kind} {logical}: no DeletionPolicy and UpdateReplacePolicy "
                       "Retain: deleting the stack would destroy retained data")  # fmt: skip
    return out


def log_source_problems(templates: list[Template], index: Index) -> list[str]:
    """Every query's and log widget's group receives lines in every deployment shape."""
    created = {t.text((r.get("Properties") or {}).get("LogGroupName")): t.path
               for t in templates for r in t.resources.values()
               if r.get("Type") == "AWS::Logs::LogGroup"}  # fmt: skip
    lambda_forwards = any(_forwards_categories(t, index) for t in templates)
    out = []
    for t in templates:
        sources = list(widget_log_groups(t))
        for logical, res in t.resources.items():
            if res.get("Type") == "AWS::Logs::QueryDefinition":
                groups = (res.get("Properties") or {}).get("LogGroupNames") or []
                sources += [(f"{t.path}: saved query {logical}", t.text(g) or "") for g in groups]
        for where, group in sources:
            if group not in created:
                out.append(f"{where}: reads {group}, which no template creates")
            elif group.startswith("/aurastream/") and not lambda_forwards:
                out.append(
                    f"{where}: reads {group}, which receives nothing on Lambda (no subscription "
                    "filter forwards the function's category lines)"
                )
    return out


def _forwards_categories(t: Template, index: Index) -> bool:
    for res in t.resources.values():
        props = res.get("Properties") or {}
        if res.get("Type") != "AWS::Logs::SubscriptionFilter":
            continue
        target = index.resolve(t.text({"Ref": _key_of(props.get("DestinationArn")) or ""}))
        if (
            target is not None
            and target.kind == "lambda"
            and "$.category" in str(props.get("FilterPattern", ""))
        ):
            return True
    return False
