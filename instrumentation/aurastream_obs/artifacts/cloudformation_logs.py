"""Log groups per category (KMS for sensitive ones), the security events metric filter, saved
Logs Insights queries and X-Ray sampling rules.

Every deployment shape delivers a category's events to `/aurastream/<env>/<category>` (the
sidecar collector's awscloudwatchlogs exporters, as their structured record; on Lambda the log
forwarder, as the stdout JSON line: deploy/sam), so the queries here read those groups in both
shapes (`SavedQuery.text`, definitions/log_fields.py). The key of the sensitive groups and the
groups themselves are retained when the stack goes: security and audit lines must outlive it
(7 years), and a deleted key would make them unreadable."""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.core.conventions import cloudformation_id
from aurastream_obs.core.sampling_rules import DEFAULT_RULE_PRIORITY, SamplingRule
from aurastream_obs.definitions import Definitions
from aurastream_obs.definitions.deployment import (
    SECURITY_EVENT_TYPES,
    SECURITY_NAMESPACE,
    SERVICE_NAME,
    category_log_group,
    environment_parameter,
    log_group,
    security_metric,
)
from aurastream_obs.definitions.spec import SavedQuery


def log_group_ref(category: str) -> dict[str, str]:
    return {"Fn::Sub": category_log_group(category)}


def query_definition(query: SavedQuery) -> dict[str, Any]:
    return {
        "Type": "AWS::Logs::QueryDefinition",
        "Properties": {
            "Name": {"Fn::Sub": f"aurastream-${{Environment}}/{query.name}"},
            "QueryString": query.text,
            "LogGroupNames": [{"Fn::Sub": log_group(s)} for s in query.sources],
        },
    }


def security_metric_filter(event_type: str) -> dict[str, Any]:
    """The lines of one security event type (its name as a quoted term) counted as one
    metric: the failed-authentication alarms' source."""
    return {
        "Type": "AWS::Logs::MetricFilter",
        "DependsOn": [cloudformation_id("security", "log", "group")],
        "Properties": {
            "LogGroupName": log_group_ref("security"),
            "FilterPattern": f'"{event_type}"',
            "MetricTransformations": [{
                "MetricNamespace": SECURITY_NAMESPACE, "MetricName": security_metric(event_type),
                "MetricValue": "1", "Unit": "Count",
            }],
        },
    }  # fmt: skip


_ROOT = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
_LOG_GROUPS_ARN = (
    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aurastream/*"
)


def _kms_key() -> dict[str, Any]:
    # CloudWatch Logs may use the key only for this account's log groups (encryption context).
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": "AuraStream sensitive log categories",
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdmin",
                        "Effect": "Allow",
                        "Principal": {"AWS": {"Fn::Sub": _ROOT}},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "CloudWatchLogs",
                        "Effect": "Allow",
                        "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
                                   "kms:GenerateDataKey*", "kms:Describe*"],
                        "Resource": "*",
                        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {
                            "Fn::Sub": _LOG_GROUPS_ARN}}},
                    },
                ],
            },
        },
    }  # fmt: skip


# X-Ray sampling rules belong to the account and region, not to an environment: a rule name is
# unique there (it ends the rule's ARN, .../sampling-rule/<name>) and a rule matches requests by
# service, host, method and path, never by environment. So one stack per account creates them
# (parameter SamplingRules=true, the default), the other environments' stacks say false.
_SAMPLING_PARAMETER: Final = "SamplingRules"
_SAMPLING_CONDITION: Final = "CreateSamplingRules"
# X-Ray's own rule is named "Default" (priority 10000) in every account: ours, the seed's
# catch-all, needs a name of its own and comes just before it. A rule's "*" service (any
# service, in the local rules of one process) becomes ours: in the account, "*" would also
# set the sampling of every other team's services.
CATCH_ALL_RULE_NAME: Final = "aurastream-default"


def _sampling_rule(rule: SamplingRule) -> dict[str, Any]:
    catch_all = rule.priority == DEFAULT_RULE_PRIORITY
    priority = 9999 if catch_all else min(rule.priority, 9999)
    return {
        "Type": "AWS::XRay::SamplingRule",
        "Condition": _SAMPLING_CONDITION,
        "Properties": {
            "SamplingRule": {
                "RuleName": CATCH_ALL_RULE_NAME if catch_all else rule.name[:32],
                "Priority": priority,
                "FixedRate": rule.rate,
                "ReservoirSize": rule.fixed_target,
                "ServiceName": SERVICE_NAME if rule.service_name == "*" else rule.service_name,
                "ServiceType": rule.service_type,
                "Host": rule.host,
                "HTTPMethod": rule.http_method,
                "URLPath": rule.url_path,
                "ResourceARN": rule.resource_arn,
                "Version": 1,
                **({"Attributes": dict(rule.attributes)} if rule.attributes else {}),
            }
        },
    }


def logs_template(defs: Definitions) -> dict[str, Any]:
    resources: dict[str, Any] = {"SensitiveLogsKey": _kms_key()}
    for group in defs.log_groups:
        props: dict[str, Any] = {
            "LogGroupName": log_group_ref(group.category),
            "RetentionInDays": group.retention_days,
        }
        if group.sensitive:
            props["KmsKeyId"] = {"Fn::GetAtt": ["SensitiveLogsKey", "Arn"]}
        resources[cloudformation_id(group.category, "log", "group")] = {
            "Type": "AWS::Logs::LogGroup",
            # Audit and security logs must outlive a deleted stack (7-year retention).
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": props,
        }
    for event_type in SECURITY_EVENT_TYPES:
        resources[cloudformation_id(event_type, "metric", "filter")] = security_metric_filter(
            event_type
        )
    # Queries over a shape's own groups (the Lambda function's) live in that shape's stack.
    for query in defs.saved_queries:
        if not query.groups:
            resources[cloudformation_id(query.name, "query")] = query_definition(query)
    for rule in defs.sampling_rules:
        resources[cloudformation_id(rule.name, "sampling")] = _sampling_rule(rule)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AuraStream log groups (retention per category), saved queries, "
        "X-Ray sampling rules.",
        "Parameters": {
            "Environment": environment_parameter(),
            _SAMPLING_PARAMETER: {
                "Type": "String", "Default": "true", "AllowedValues": ["true", "false"],
                "Description": "Create the X-Ray sampling rules (account-wide): true in one "
                "environment's stack per account and region, false in the others.",
            },
        },
        "Conditions": {
            _SAMPLING_CONDITION: {"Fn::Equals": [{"Ref": _SAMPLING_PARAMETER}, "true"]},
        },
        "Resources": resources,
    }  # fmt: skip
