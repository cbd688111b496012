"""The alerting stack (deploy/cloudformation/aurastream-alerting.yaml): where alarms notify.

- One SNS topic per route (critical, warning, security), encrypted with a customer managed KMS
  key. CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key
  `alias/aws/sns` (its policy cannot be changed to let the service use it): the key policy
  here grants `cloudwatch.amazonaws.com` `kms:Decrypt` and `kms:GenerateDataKey*`, only for
  this account's `aurastream-<env>-*` alarms (AWS SNS guide, "Key management": compatibility
  between event sources from AWS services and encrypted topics). The key is retained when the
  stack goes (DeletionPolicy/UpdateReplacePolicy Retain): a deleted key makes whatever it
  encrypted unreadable.
- Every topic is subscribed to the alert router: by default the router deployed here as a
  Lambda function (SNS invokes it asynchronously; what fails after Lambda's retries lands in
  its dead-letter queue), or an existing router's HTTPS endpoint (`RouterEndpoint`). An
  e-mail address per route is an extra subscription, the fallback if the router fails:
  required for critical, whose alarms include the router's own failures.
- The router's channel secrets stay in Secrets Manager (`aurastream/<env>/alert-router`, keys
  `slack_webhook_url`, `pagerduty_routing_key`; `aurastream/<env>/alert-router-security`, key
  `slack_webhook_url` of the security channel): the function's environment names them and the
  router reads them at a cold start (ops/alerts/secrets.py). A dynamic reference would resolve
  them into plaintext environment variables, visible to anyone who can read the function's
  configuration. The role may `secretsmanager:GetSecretValue` these two secrets only: their
  ARNs end in `-??????`, the six characters Secrets Manager appends to a secret's name
  (AWS Secrets Manager guide, "Permissions policy examples": the wildcard keeps out secrets
  whose names merely start with the same text). Never a template parameter or a repo file.
"""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.core.conventions import PREFIX, cloudformation_id
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES
from aurastream_obs.definitions.deployment import (
    CATEGORY_LINES_PATTERN,
    ENV,
    LAMBDA_CODE_URI,
    LAMBDA_RUNTIME,
    ROUTER_SECRET,
    ROUTER_SECURITY_SECRET,
    TOPIC_ROUTES,
    environment_parameter,
    function_log_group,
    resource,
    topic_export,
    topic_name,
)

PATH: Final = "deploy/cloudformation/aurastream-alerting.yaml"
ROUTER_HANDLER: Final = "aurastream_obs.ops.alerts.lambda_handler.handler"
KEY: Final = "AlertsKey"
_ROUTER, _DLQ = resource("alert-router"), resource("alert-router-dlq")
_ACCOUNT_ROOT: Final = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
_OUR_ALARMS: Final = (
    "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}"
    f":alarm:{PREFIX}-{ENV}-*"
)
Doc = dict[str, Any]


def topic_id(route: str) -> str:
    return cloudformation_id(route, "alerts", "topic")


def _sub(text: str) -> Doc:
    return {"Fn::Sub": text}


def _key() -> Doc:
    statements = [
        {"Sid": "EnableIamPolicies", "Effect": "Allow", "Principal": {"AWS": _sub(_ACCOUNT_ROOT)},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
         "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                       "ArnLike": {"aws:SourceArn": _sub(_OUR_ALARMS)}}},
    ]  # fmt: skip
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": _sub(f"{PREFIX}-{ENV} alert topics (CloudWatch alarms publish)"),
            "EnableKeyRotation": True,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def _parameters() -> Doc:
    email = {"Type": "String", "Default": "", "AllowedPattern": r"^([^@\s]+@[^@\s]+)?$"}
    params: Doc = {
        "Environment": environment_parameter(),
        "RouterEndpoint": {"Type": "String", "Default": "", "AllowedPattern": "^(https://.+)?$",
                           "Description": "Empty: deploy the router as a Lambda function. "
                                          "Else the HTTPS /sns URL of a running router"},
        "RunbookBaseUrl": {"Type": "String", "Default": "",
                           "Description": "AURASTREAM_RUNBOOK_BASE_URL of the router"},
    }  # fmt: skip
    # Required for critical: the alarms about the alert path itself (the router failing, its
    # dead letters) notify the critical topic, whose other subscriber is the failing router.
    required = {
        "Type": "String", "AllowedPattern": r"^[^@\s]+@[^@\s]+$",
        "ConstraintDescription": "an e-mail address (required: it is the fallback when the "
                                 "alert router itself fails)",
        "Description": f"E-mail for {FALLBACK_ROUTE} alerts (required)",
    }  # fmt: skip
    for route in TOPIC_ROUTES:
        optional = {**email, "Description": f"E-mail for {route} alerts"}
        params[_email_param(route)] = required if route == FALLBACK_ROUTE else optional
    return params


# The route whose e-mail subscription is not optional (see _parameters).
FALLBACK_ROUTE: Final = "critical"
_OPTIONAL_EMAIL_ROUTES: Final = tuple(r for r in TOPIC_ROUTES if r != FALLBACK_ROUTE)


def _email_param(route: str) -> str:
    return cloudformation_id(route, "alert", "email")


def _conditions() -> Doc:
    conditions: Doc = {
        "UseRouterFunction": {"Fn::Equals": [{"Ref": "RouterEndpoint"}, ""]},
        "UseRouterEndpoint": {"Fn::Not": [{"Condition": "UseRouterFunction"}]},
    }
    for route in _OPTIONAL_EMAIL_ROUTES:
        conditions[f"Has{_email_param(route)}"] = {
            "Fn::Not": [{"Fn::Equals": [{"Ref": _email_param(route)}, ""]}]
        }
    return conditions


ROUTER_SECRETS: Final = (ROUTER_SECRET, ROUTER_SECURITY_SECRET)


def secret_arn(name: str) -> Doc:
    """The ARN of the secret called `name`, whatever six characters Secrets Manager added."""
    return _sub(
        f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}"
        f":secret:{name}-??????"
    )


def _router() -> Doc:
    group = function_log_group("alert-router")
    log_arn = (
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}:*"
    )
    policy = [
        {"Sid": "OwnLogs", "Effect": "Allow", "Resource": _sub(log_arn),
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"]},
        {"Sid": "DeadLetters", "Effect": "Allow", "Action": ["sqs:SendMessage"],
         "Resource": {"Fn::GetAtt": [_DLQ.logical_id, "Arn"]}},
        {"Sid": "ChannelSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
         "Resource": [secret_arn(name) for name in ROUTER_SECRETS]},
    ]  # fmt: skip
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    topics = [{"Ref": topic_id(r)} for r in TOPIC_ROUTES]
    conditional: Doc = {
        _DLQ.logical_id: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": _sub(_DLQ.name), "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 1209600}},
        "AlertRouterLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": _sub(group),
            "RetentionInDays": LOG_CATEGORIES[DEFAULT_CATEGORY].retention_days}},
        "AlertRouterRole": {"Type": "AWS::IAM::Role", "Properties": {
            "Description": "AuraStream alert router: its logs, its dead-letter queue and "
                           "its channel secrets",
            "AssumeRolePolicyDocument": trust,
            "Policies": [{"PolicyName": "alert-router", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": policy}}]}},
        _ROUTER.logical_id: {
            "Type": "AWS::Serverless::Function", "DependsOn": ["AlertRouterLogGroup"],
            "Properties": {
                "FunctionName": _sub(_ROUTER.name), "CodeUri": LAMBDA_CODE_URI,
                "Handler": ROUTER_HANDLER, "Runtime": LAMBDA_RUNTIME, "Architectures": ["x86_64"],
                "MemorySize": 256, "Timeout": 60,
                "Role": {"Fn::GetAtt": ["AlertRouterRole", "Arn"]},
                "DeadLetterQueue": {"Type": "SQS",
                                    "TargetArn": {"Fn::GetAtt": [_DLQ.logical_id, "Arn"]}},
                "Environment": {"Variables": {
                    "AURASTREAM_ENVIRONMENT": {"Ref": "Environment"},
                    "AURASTREAM_SNS_TOPIC_ARNS": {"Fn::Join": [",", topics]},
                    "AURASTREAM_RUNBOOK_BASE_URL": {"Ref": "RunbookBaseUrl"},
                    "AURASTREAM_ALERTS_SECRET_ID": _sub(ROUTER_SECRET),
                    "AURASTREAM_ALERTS_SECURITY_SECRET_ID": _sub(ROUTER_SECURITY_SECRET),
                }}}},
    }  # fmt: skip
    # The router's own security lines (an SNS signature or a webhook token refused) belong in
    # /aurastream/<env>/security like the API's: the application stack's log forwarder (step
    # 2, before this stack) gets the router group's category lines too.
    forwarder = resource("log-forwarder").name
    conditional["RouterLinesForwarderPermission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {"Action": "lambda:InvokeFunction", "Principal": "logs.amazonaws.com",
                       "FunctionName": _sub(forwarder),
                       "SourceArn": _sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:"
                                         f"${{AWS::AccountId}}:log-group:{group}:*"),
                       "SourceAccount": {"Ref": "AWS::AccountId"}},
    }  # fmt: skip
    conditional["RouterCategorySubscriptionFilter"] = {
        "Type": "AWS::Logs::SubscriptionFilter",
        "DependsOn": ["RouterLinesForwarderPermission"],
        "Properties": {"LogGroupName": {"Ref": "AlertRouterLogGroup"},
                       "FilterPattern": CATEGORY_LINES_PATTERN,
                       "DestinationArn": _sub(f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:"
                                              f"${{AWS::AccountId}}:function:{forwarder}")},
    }  # fmt: skip
    for route in TOPIC_ROUTES:
        topic = {"Ref": topic_id(route)}
        conditional[cloudformation_id(route, "router", "permission")] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {"Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com",
                           "FunctionName": {"Ref": _ROUTER.logical_id}, "SourceArn": topic},
        }  # fmt: skip
        conditional[cloudformation_id(route, "router", "subscription")] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": topic, "Protocol": "lambda",
                           "Endpoint": {"Fn::GetAtt": [_ROUTER.logical_id, "Arn"]}},
        }  # fmt: skip
    return {k: {**v, "Condition": "UseRouterFunction"} for k, v in conditional.items()}


def _subscriptions() -> Doc:
    out: Doc = {}
    for route in TOPIC_ROUTES:
        topic = {"Ref": topic_id(route)}
        out[cloudformation_id(route, "endpoint", "subscription")] = {
            "Type": "AWS::SNS::Subscription", "Condition": "UseRouterEndpoint",
            "Properties": {"TopicArn": topic, "Protocol": "https",
                           "Endpoint": {"Ref": "RouterEndpoint"}},
        }  # fmt: skip
        email: Doc = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": topic, "Protocol": "email",
                           "Endpoint": {"Ref": _email_param(route)}},
        }  # fmt: skip
        if route != FALLBACK_ROUTE:
            email["Condition"] = f"Has{_email_param(route)}"
        out[cloudformation_id(route, "email", "subscription")] = email
    return out


def alerting_template() -> Doc:
    resources: Doc = {
        KEY: _key(),
        "AlertsKeyAlias": {"Type": "AWS::KMS::Alias", "Properties": {
            "AliasName": _sub(f"alias/{PREFIX}-{ENV}-alerts"), "TargetKeyId": {"Ref": KEY}}},
    }  # fmt: skip
    for route in TOPIC_ROUTES:
        resources[topic_id(route)] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": _sub(topic_name(route)),
                "KmsMasterKeyId": {"Fn::GetAtt": [KEY, "Arn"]},
            },
        }
    resources |= _router() | _subscriptions()
    outputs: Doc = {
        f"{topic_id(route)}Arn": {
            "Value": {"Ref": topic_id(route)},
            "Export": {"Name": _sub(topic_export(route))},
        }
        for route in TOPIC_ROUTES
    }
    outputs["AlertsKeyArn"] = {"Value": {"Fn::GetAtt": [KEY, "Arn"]}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "AuraStream alerting: encrypted alert topics, their subscriptions and "
        "the alert router (deploy before the alarm stacks)",
        "Parameters": _parameters(),
        "Conditions": _conditions(),
        "Resources": resources,
        "Outputs": outputs,
    }
