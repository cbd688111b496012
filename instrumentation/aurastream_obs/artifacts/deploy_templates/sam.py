"""The reference service as AWS Lambda behind an HTTP API (SAM), in one of two telemetry shapes.

- `TelemetryShape=collectorless` (default): `AURASTREAM_TELEMETRY_MODE=lambda`, Active tracing.
  Spans go as X-Ray segments over UDP to the daemon Lambda runs, metrics as EMF on stdout,
  logs as JSON on stdout: no layer, no extension, the fastest cold start.
- `TelemetryShape=adot`: the ADOT Python layer (`AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument`)
  and its collector extension, configured by `collector/adot-lambda.yaml` packaged as
  `/var/task/collector.yaml`; the function sends traces and metrics as OTLP to localhost:4318
  and flushes before each return; its logs go to stdout only (`OTEL_LOGS_EXPORTER=none`: the
  layer's collector has no logs pipeline).

One stack per environment, every name from `definitions/deployment.py`: the function, the HTTP
API (named, its id exported for the alarm and dashboard stacks), its `$default` stage, the
cache table, the log groups.

Log categories on Lambda. Lambda writes everything a function prints to the function's log
group; the ADOT layer's collector has no logs pipeline. So a subscription filter on that group
sends every line that has a log category to the log forwarder (ops/log_forwarder.py), which
writes it to `/aurastream/<env>/<category>`: security and audit lines land in their 7-year,
KMS-encrypted groups, and every saved query, dashboard widget and `analytics --cloudwatch`
reads the same groups as on ECS/EKS. (Chosen over a Firehose-to-S3 archive: the lines stay
queryable with Logs Insights for the whole retention, the groups are the ones the collector
shapes already write, and the path is testable end to end; the cost is ingesting the
categorised lines twice, function group + category group.) Failed batches go to an SQS
dead-letter queue after Lambda's two retries; the alarms watch both.

Each function has its own least-privilege role.
"""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.cloudformation_logs import query_definition
from aurastream_obs.artifacts.deploy_templates.common import (
    flags_env,
    flags_read_statement,
    yaml_artifact,
)
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.core.conventions import cloudformation_id
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES, log_group_name
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.deployment import (
    API_ID_EXPORT,
    CATEGORY_LINES_PATTERN,
    ENV,
    LAMBDA_CODE_URI,
    LAMBDA_RUNTIME,
    SERVICE_NAME,
    STAGE,
    category_log_group,
    environment_parameter,
    function_log_group,
    resource,
)

PATH: Final = "deploy/sam/aurastream-lambda.yaml"
HANDLER: Final = "aurastream_obs.service.lambda_entry.handler"
FORWARDER_HANDLER: Final = "aurastream_obs.ops.log_forwarder.handler"
RUNTIME: Final = LAMBDA_RUNTIME
COLLECTOR_CONFIG_URI: Final = "/var/task/collector.yaml"
ROUTES: Final = (("POST", "/v1/analyze"), ("GET", "/v1/health"))
# Lines that carry a known category (what the forwarder routes; EMF documents and Lambda's
# own START/END/REPORT lines have none and stay in the function's group).
NOTES: Final = """\
# Build: the function package is the aurastream_obs distribution and its dependencies, plus
# the ADOT collector config at its root (read by the ADOT shape only):
#   pip install --target build/lambda '.[aws]' && cp collector/adot-lambda.yaml \\
#     build/lambda/collector.yaml
# Deploy (after deploy/cloudformation/aurastream-logs.yaml, which owns /aurastream/<env>/*):
#   sam deploy --template-file deploy/sam/aurastream-lambda.yaml \\
#     --stack-name aurastream-lambda-dev --capabilities CAPABILITY_IAM --resolve-s3 \\
#     --parameter-overrides Environment=dev [TelemetryShape=adot AdotLayerArn=<layer ARN>]
# Choose: collectorless for cold start and cost (no extension); adot when the telemetry must
# go through a collector (AMP remote write, OTLP to another backend).
"""

Doc = dict[str, Any]
_LAYER_ARN: Final = "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:.+$"
# AdotLayerArn's default: a well-formed ARN that names no layer (the collectorless shape needs
# none); the AdotNeedsItsLayer rule refuses it with TelemetryShape=adot.
NO_LAYER: Final = "arn:aws:lambda:us-east-1:000000000000:layer:unset:1"
_FUNCTION, _TABLE, _API = resource("function"), resource("table"), resource("api")
_FORWARDER, _FORWARDER_DLQ = resource("log-forwarder"), resource("log-forwarder-dlq")


def _sub(text: str) -> Doc:
    return {"Fn::Sub": text}


def _ref(name: str) -> Doc:
    return {"Ref": name}


def _if_adot(then: Any, otherwise: Any) -> Doc:
    return {"Fn::If": ["IsAdot", then, otherwise]}


def _log_group_arn(name: str) -> Doc:
    return _sub(
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}:*"
    )


def _parameters() -> Doc:
    return {
        "Environment": environment_parameter("Environment name (resource names, log groups)"),
        "TelemetryShape": {"Type": "String", "Default": "collectorless",
                           "AllowedValues": ["collectorless", "adot"],
                           "Description": "collectorless (mode=lambda) or adot (ADOT layer)"},
        "AdotLayerArn": {"Type": "String", "Default": NO_LAYER,
                         "AllowedPattern": _LAYER_ARN,
                         "Description": "TelemetryShape=adot: ADOT Python layer "
                                        "(aws-otel-python-<arch>-ver-<version>) ARN of the region"},
        "AmpWorkspaceId": {"Type": "String", "Default": "ws-unset",
                           "Description": "Output WorkspaceId of deploy/amp/aurastream-amp.yaml"},
        "ApiKeys": {"Type": "String", "Default": "", "NoEcho": True,
                    "Description": "AURASTREAM_API_KEYS: key1=customer_a,key2=customer_b"},
        "CreateEmfLogGroup": {"Type": "String", "Default": "true",
                              "AllowedValues": ["true", "false"],
                              "Description": "adot: false when another stack (ECS) owns "
                                             "/aurastream/<env>/emf"},
    }  # fmt: skip


def _statements() -> list[Doc]:
    emf_group = log_group_name("emf", ENV)
    adot_only = [
        # What collector/adot-lambda.yaml exports to (awsemf, AMP).
        {"Sid": "EmfLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": _log_group_arn(emf_group)},
        {"Sid": "AmpRemoteWrite", "Effect": "Allow", "Action": ["aps:RemoteWrite"],
         "Resource": _sub("arn:${AWS::Partition}:aps:${AWS::Region}:${AWS::AccountId}"
                          ":workspace/${AmpWorkspaceId}")},
    ]  # fmt: skip
    return [
        # X-Ray and Comprehend have no resource-level permissions for these actions.
        {"Sid": "XRay", "Effect": "Allow", "Resource": "*",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]},
        {"Sid": "Sentiment", "Effect": "Allow", "Resource": "*",
         "Action": ["comprehend:DetectSentiment"]},
        {"Sid": "Cache", "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [_TABLE.logical_id, "Arn"]},
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem"]},
        {"Sid": "FunctionLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": _log_group_arn(function_log_group())},
        flags_read_statement(),
        *(_if_adot(s, {"Ref": "AWS::NoValue"}) for s in adot_only),
    ]  # fmt: skip


def _role(description: str, statements: list[Doc]) -> Doc:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "lambda.amazonaws.com"}}],
    }  # fmt: skip
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": trust,
            "Policies": [
                {
                    "PolicyName": "aurastream-lambda",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _environment() -> Doc:
    common = {
        "OTEL_SERVICE_NAME": SERVICE_NAME,
        "AURASTREAM_ENVIRONMENT": _ref("Environment"),
        "AURASTREAM_ANALYZER": "comprehend",
        "AURASTREAM_CACHE_TABLE": _ref(_TABLE.logical_id),
        "AURASTREAM_API_KEYS": _ref("ApiKeys"),
        **flags_env(),
    }
    adot = {
        "AURASTREAM_TELEMETRY_MODE": "otlp",
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument",
        "OPENTELEMETRY_COLLECTOR_CONFIG_URI": COLLECTOR_CONFIG_URI,
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318",
        # The layer's collector has no logs pipeline (collector/adot-lambda.yaml): OTLP logs
        # would get HTTP 404 and be counted dropped. The JSON lines reach CloudWatch by stdout.
        "OTEL_LOGS_EXPORTER": "none",
        "AURASTREAM_AMP_WORKSPACE_ID": _ref("AmpWorkspaceId"),
        **common,
    }
    return _if_adot(adot, {"AURASTREAM_TELEMETRY_MODE": "lambda", **common})


def _function() -> Doc:
    events = {
        f"{method.title()}{path.rsplit('/', 1)[-1].title()}": {
            "Type": "HttpApi",
            "Properties": {"ApiId": _ref(_API.logical_id), "Method": method, "Path": path},
        }
        for method, path in ROUTES
    }
    return {
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["FunctionLogGroup"],  # ours (with retention), not Lambda's implicit one
        "Properties": {
            "FunctionName": _sub(_FUNCTION.name),
            "Description": "AuraStream API",
            "CodeUri": LAMBDA_CODE_URI,
            "Handler": HANDLER,
            "Runtime": RUNTIME,
            "Architectures": ["x86_64"],
            "MemorySize": 512,
            "Timeout": 10,
            "Tracing": "Active",
            "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
            "Environment": {"Variables": _environment()},
            "Layers": _if_adot([_ref("AdotLayerArn")], _ref("AWS::NoValue")),
            "Events": events,
        },
    }


def _forwarder() -> Doc:
    """The log forwarder, its role, dead-letter queue and the subscription filter feeding it."""
    own_group = function_log_group("log-forwarder")
    retention = LOG_CATEGORIES[DEFAULT_CATEGORY].retention_days
    statements: list[Doc] = [
        {"Sid": "CategoryLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [_log_group_arn(category_log_group(c)) for c in LOG_CATEGORIES]},
        {"Sid": "OwnLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": _log_group_arn(own_group)},
        {"Sid": "DeadLetters", "Effect": "Allow", "Action": ["sqs:SendMessage"],
         "Resource": {"Fn::GetAtt": [_FORWARDER_DLQ.logical_id, "Arn"]}},
    ]  # fmt: skip
    source_arn = _log_group_arn(function_log_group())
    return {
        _FORWARDER_DLQ.logical_id: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": _sub(_FORWARDER_DLQ.name), "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 1209600}},
        "LogForwarderLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": _sub(own_group), "RetentionInDays": retention}},
        "LogForwarderRole": _role("AuraStream log forwarder: category log groups", statements),
        _FORWARDER.logical_id: {"Type": "AWS::Serverless::Function",
            "DependsOn": ["LogForwarderLogGroup"], "Properties": {
                "FunctionName": _sub(_FORWARDER.name),
                "Description": "Function log lines -> /aurastream/<env>/<category>",
                "CodeUri": LAMBDA_CODE_URI, "Handler": FORWARDER_HANDLER, "Runtime": RUNTIME,
                "Architectures": ["x86_64"], "MemorySize": 256, "Timeout": 60,
                "Role": {"Fn::GetAtt": ["LogForwarderRole", "Arn"]},
                "DeadLetterQueue": {"Type": "SQS", "TargetArn": {
                    "Fn::GetAtt": [_FORWARDER_DLQ.logical_id, "Arn"]}},
                "Environment": {"Variables": {"AURASTREAM_ENVIRONMENT": _ref("Environment")}}}},
        "LogForwarderPermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "Principal": "logs.amazonaws.com",
            "FunctionName": _ref(_FORWARDER.logical_id), "SourceArn": source_arn,
            "SourceAccount": _ref("AWS::AccountId")}},
        "CategorySubscriptionFilter": {"Type": "AWS::Logs::SubscriptionFilter",
            "DependsOn": ["LogForwarderPermission"], "Properties": {
                "LogGroupName": _ref("FunctionLogGroup"), "FilterPattern": CATEGORY_LINES_PATTERN,
                "DestinationArn": {"Fn::GetAtt": [_FORWARDER.logical_id, "Arn"]}}},
    }  # fmt: skip


def template() -> Doc:
    retention = LOG_CATEGORIES[DEFAULT_CATEGORY].retention_days
    resources: Doc = {
        _TABLE.logical_id: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": _sub(_TABLE.name),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "text_hash", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "text_hash", "KeyType": "HASH"}],
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            },
        },
        "EmfLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Condition": "WithEmfLogGroup",
            "Properties": {
                "LogGroupName": _sub(log_group_name("emf", ENV)),
                "RetentionInDays": retention,
            },
        },
        "FunctionLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _sub(function_log_group()),
                "RetentionInDays": retention,
            },
        },
        "FunctionRole": _role("AuraStream API on Lambda", _statements()),
        _API.logical_id: {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Name": _sub(_API.name),
                "StageName": STAGE,
                "Description": "AuraStream API",
            },
        },
        _FUNCTION.logical_id: _function(),
        **_forwarder(),
    }
    for query in load_definitions().saved_queries:
        if query.groups:  # over this stack's groups (the function's)
            query_id = cloudformation_id(query.name, "query")
            resources[query_id] = {**query_definition(query), "DependsOn": ["FunctionLogGroup"]}
    outputs = {
        "ApiId": {"Description": "HTTP API id (imported by the alarm and dashboard stacks)",
                  "Value": _ref(_API.logical_id), "Export": {"Name": _sub(API_ID_EXPORT)}},
        "ApiUrl": {"Value": _sub(f"https://${{{_API.logical_id}}}.execute-api.${{AWS::Region}}"
                                 ".${AWS::URLSuffix}")},
        "Stage": {"Value": STAGE},
        "FunctionName": {"Value": _ref(_FUNCTION.logical_id)},
        "TableName": {"Value": _ref(_TABLE.logical_id)},
        "Environment": {"Value": _ref("Environment")},
    }  # fmt: skip
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "AuraStream API on AWS Lambda behind an HTTP API (collectorless or ADOT "
        "layer), its cache table and the log forwarder",
        "Parameters": _parameters(),
        "Rules": {
            "AdotNeedsItsLayer": {
                "RuleCondition": {"Fn::Equals": [_ref("TelemetryShape"), "adot"]},
                "Assertions": [
                    {
                        "Assert": {"Fn::Not": [{"Fn::Equals": [_ref("AdotLayerArn"), NO_LAYER]}]},
                        "AssertDescription": "TelemetryShape=adot needs AdotLayerArn",
                    }
                ],
            }
        },
        "Conditions": {
            "IsAdot": {"Fn::Equals": [_ref("TelemetryShape"), "adot"]},
            "WithEmfLogGroup": {
                "Fn::And": [
                    {"Condition": "IsAdot"},
                    {"Fn::Equals": [_ref("CreateEmfLogGroup"), "true"]},
                ]
            },
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def artifact() -> Artifact:
    return yaml_artifact(PATH, template(), NOTES)
