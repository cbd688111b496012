"""The reference service as AWS Lambda behind an HTTP API, in both telemetry shapes (SAM).

- `CollectorlessFunction`: `AURASTREAM_TELEMETRY_MODE=lambda`, Active tracing. Spans go as
  X-Ray segments over UDP to the daemon Lambda runs, metrics as EMF on stdout, logs as JSON
  on stdout: no layer, no extension, the fastest cold start.
- `AdotFunction`: the ADOT Python layer (`AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument`) and
  its collector extension, configured by `collector/adot-lambda.yaml` packaged as
  `/var/task/collector.yaml` (`OPENTELEMETRY_COLLECTOR_CONFIG_URI`); the function sends OTLP
  to localhost:4318 and flushes before each return.

Each function has its own role with only what it does: X-Ray segments, Comprehend
DetectSentiment, GetItem/PutItem on the cache table, its own log group (and, for the ADOT
shape, the EMF log group and AMP remote write the collector exports to). Log group retention
comes from the `application` log category.
"""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.deploy_templates.common import APP_NAME, yaml_artifact
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES, log_group_name

PATH: Final = "deploy/sam/aurastream-lambda.yaml"
HANDLER: Final = "aurastream_obs.service.lambda_entry.handler"
RUNTIME: Final = "python3.11"
COLLECTOR_CONFIG_URI: Final = "/var/task/collector.yaml"
ROUTES: Final = (("POST", "/v1/analyze"), ("GET", "/v1/health"))
NOTES: Final = """\
# Build: the function package is the aurastream_obs distribution and its dependencies, plus
# the ADOT collector config at its root (read by the ADOT shape only):
#   pip install --target build/lambda '.[aws]' && cp collector/adot-lambda.yaml \\
#     build/lambda/collector.yaml
# Deploy: sam deploy --template-file deploy/sam/aurastream-lambda.yaml \\
#   --stack-name aurastream-lambda-dev --capabilities CAPABILITY_IAM \\
#   --parameter-overrides Environment=dev AdotLayerArn=<aws-otel-python layer ARN of the region>
# Choose: CollectorlessFunction for cold start and cost (no extension); AdotFunction when the
# telemetry must go through a collector (AMP remote write, OTLP to another backend).
"""

Doc = dict[str, Any]
SHAPES: Final = {
    # logical-id prefix: (function-name suffix, description)
    "Collectorless": ("", "collectorless: X-Ray UDP, EMF and JSON logs on stdout"),
    "Adot": ("-adot", "ADOT layer: OTLP to the collector extension on localhost:4318"),
}


def _sub(text: str) -> Doc:
    return {"Fn::Sub": text}


def _ref(name: str) -> Doc:
    return {"Ref": name}


def _function_name(shape: str) -> str:
    return f"{APP_NAME}{SHAPES[shape][0]}-${{Environment}}"


def _log_group_arn(name: str) -> Doc:
    return _sub(
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}:*"
    )


def _parameters() -> Doc:
    return {
        "Environment": {"Type": "String", "Default": "dev", "AllowedPattern": "^[a-z0-9-]+$",
                        "Description": "Environment name (resource names, log groups)"},
        "CodeUri": {"Type": "String", "Default": "../../build/lambda",
                    "Description": "Function package (see the build note at the top)"},
        "AdotLayerArn": {"Type": "String",
                         "AllowedPattern": "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:.+",
                         "Description": "ADOT Python layer (aws-otel-python-<arch>-ver-<version>)"
                                        " ARN of the region"},
        "AmpWorkspaceId": {"Type": "String", "Default": "ws-unset",
                           "Description": "Output WorkspaceId of deploy/amp/aurastream-amp.yaml"},
        "ApiKeys": {"Type": "String", "Default": "", "NoEcho": True,
                    "Description": "AURASTREAM_API_KEYS: key1=customer_a,key2=customer_b"},
        "CreateEmfLogGroup": {"Type": "String", "Default": "true",
                              "AllowedValues": ["true", "false"],
                              "Description": "false when another stack (ECS) owns "
                                             "/aurastream/<env>/emf"},
    }  # fmt: skip


def _statements(shape: str) -> list[Doc]:
    function_group = f"/aws/lambda/{_function_name(shape)}"
    statements: list[Doc] = [
        # X-Ray and Comprehend have no resource-level permissions for these actions.
        {"Sid": "XRay", "Effect": "Allow", "Resource": "*",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]},
        {"Sid": "Sentiment", "Effect": "Allow", "Resource": "*",
         "Action": ["comprehend:DetectSentiment"]},
        {"Sid": "Cache", "Effect": "Allow", "Resource": {"Fn::GetAtt": ["CacheTable", "Arn"]},
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem"]},
        {"Sid": "FunctionLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": _log_group_arn(function_group)},
    ]  # fmt: skip
    if shape == "Adot":  # what collector/adot-lambda.yaml exports to (awsemf, AMP)
        statements += [
            {"Sid": "EmfLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
             "Resource": _log_group_arn(log_group_name("emf", "${Environment}"))},
            {"Sid": "AmpRemoteWrite", "Effect": "Allow", "Action": ["aps:RemoteWrite"],
             "Resource": _sub("arn:${AWS::Partition}:aps:${AWS::Region}:${AWS::AccountId}"
                              ":workspace/${AmpWorkspaceId}")},
        ]  # fmt: skip
    return statements


def _role(shape: str) -> Doc:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "lambda.amazonaws.com"}}],
    }  # fmt: skip
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"AuraStream Lambda ({SHAPES[shape][1]})",
            "AssumeRolePolicyDocument": trust,
            "Policies": [
                {
                    "PolicyName": "aurastream-lambda",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": _statements(shape)},
                }
            ],
        },
    }


def _environment(shape: str) -> Doc:
    common = {
        "OTEL_SERVICE_NAME": APP_NAME,
        "AURASTREAM_ENVIRONMENT": _ref("Environment"),
        "AURASTREAM_ANALYZER": "comprehend",
        "AURASTREAM_CACHE_TABLE": _ref("CacheTable"),
        "AURASTREAM_API_KEYS": _ref("ApiKeys"),
    }
    if shape == "Collectorless":
        return {"AURASTREAM_TELEMETRY_MODE": "lambda", **common}
    return {
        "AURASTREAM_TELEMETRY_MODE": "otlp",
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument",
        "OPENTELEMETRY_COLLECTOR_CONFIG_URI": COLLECTOR_CONFIG_URI,
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318",
        "AURASTREAM_AMP_WORKSPACE_ID": _ref("AmpWorkspaceId"),
        **common,
    }


def _function(shape: str) -> Doc:
    events = {
        f"{method.title()}{path.rsplit('/', 1)[-1].title()}": {
            "Type": "HttpApi",
            "Properties": {"ApiId": _ref(f"{shape}Api"), "Method": method, "Path": path},
        }
        for method, path in ROUTES
    }
    properties: Doc = {
        "FunctionName": _sub(_function_name(shape)),
        "Description": f"AuraStream API, {SHAPES[shape][1]}",
        "CodeUri": _ref("CodeUri"),
        "Handler": HANDLER,
        "Runtime": RUNTIME,
        "Architectures": ["x86_64"],
        "MemorySize": 512,
        "Timeout": 10,
        "Tracing": "Active",
        "Role": {"Fn::GetAtt": [f"{shape}Role", "Arn"]},
        "Environment": {"Variables": _environment(shape)},
        "Events": events,
    }
    if shape == "Adot":
        properties["Layers"] = [_ref("AdotLayerArn")]
    return {
        "Type": "AWS::Serverless::Function",
        "DependsOn": [f"{shape}LogGroup"],  # ours (with retention), not Lambda's implicit one
        "Properties": properties,
    }


def template() -> Doc:
    retention = LOG_CATEGORIES[DEFAULT_CATEGORY].retention_days
    resources: Doc = {
        "CacheTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": _sub("aurastream-cache-${Environment}"),
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
                "LogGroupName": _sub(log_group_name("emf", "${Environment}")),
                "RetentionInDays": retention,
            },
        },
    }
    for shape in SHAPES:
        resources[f"{shape}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _sub(f"/aws/lambda/{_function_name(shape)}"),
                "RetentionInDays": retention,
            },
        }
        resources[f"{shape}Role"] = _role(shape)
        resources[f"{shape}Api"] = {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {"Description": f"AuraStream API ({SHAPES[shape][1]})"},
        }
        resources[f"{shape}Function"] = _function(shape)
    outputs = {
        f"{shape}Url": {
            "Description": f"Base URL, {SHAPES[shape][1]}",
            "Value": _sub(
                f"https://${{{shape}Api}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
            ),
        }
        for shape in SHAPES
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "AuraStream API on AWS Lambda behind an HTTP API: collectorless "
        "(mode=lambda) and ADOT layer shapes",
        "Parameters": _parameters(),
        "Conditions": {"WithEmfLogGroup": {"Fn::Equals": [_ref("CreateEmfLogGroup"), "true"]}},
        "Resources": resources,
        "Outputs": outputs,
    }


def artifact() -> Artifact:
    return yaml_artifact(PATH, template(), NOTES)
