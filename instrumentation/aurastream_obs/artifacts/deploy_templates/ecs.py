"""ECS Fargate: task definition (app + ADOT sidecar) + service, CloudFormation.

The sidecar reads its config from AOT_CONFIG_CONTENT, injected from an SSM parameter
(aws-otel-collector docs: AOT_CONFIG_CONTENT overrides --config); the container health check
runs the image's `/healthcheck` binary (GETs 127.0.0.1:13133, the health_check extension); the
app container starts only once the collector is HEALTHY (`dependsOn`).
"""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.deploy_templates.common import (
    ADOT_IMAGE,
    APP_NAME,
    APP_OTLP_ENV,
    APP_PORT,
    COLLECTOR_NAME,
    compact_collector_json,
    flags_env,
    flags_read_statement,
    yaml_artifact,
)
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.core.log_categories import LOG_CATEGORIES, log_group_name
from aurastream_obs.definitions.deployment import environment_parameter

PATH: Final = "deploy/ecs/aurastream-ecs.yaml"
SSM_STANDARD_LIMIT: Final = 4096  # bytes; Advanced tier holds 8 KB

Doc = dict[str, Any]


def _sub(text: str) -> Doc:
    return {"Fn::Sub": text}


def _ref(name: str) -> Doc:
    return {"Ref": name}


def _log_group_arn(category: str) -> Doc:
    name = log_group_name(category, "${Environment}")
    return _sub(
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}:*"
    )


def _env(pairs: dict[str, Any]) -> list[Doc]:
    return [{"Name": k, "Value": v} for k, v in pairs.items()]


def _awslogs(prefix: str) -> Doc:
    return {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": _ref("ContainerLogGroup"),
            "awslogs-region": _ref("AWS::Region"),
            "awslogs-stream-prefix": prefix,
        },
    }


def _parameters() -> Doc:
    return {
        "Environment": environment_parameter("Environment name: log groups /aurastream/<env>/"),
        "AppImage": {"Type": "String", "Description": "Image of the AuraStream API container"},
        "ClusterName": {"Type": "String", "Description": "Existing ECS cluster"},
        "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>", "Description": "Private subnets"},
        "SecurityGroups": {"Type": "List<AWS::EC2::SecurityGroup::Id>"},
        "DesiredCount": {"Type": "Number", "Default": 2, "MinValue": 1},
        "AmpWorkspaceId": {"Type": "String", "Default": "ws-unset",
                           "Description": "Output WorkspaceId of deploy/amp/aurastream-amp.yaml"},
    }  # fmt: skip


def _task_role() -> Doc:
    categories = [*LOG_CATEGORIES, "emf"]
    statements = [
        # X-Ray has no resource-level permissions for these actions (IAM service reference).
        {"Sid": "XRay", "Effect": "Allow", "Resource": "*",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules", "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries"]},
        {"Sid": "LogsPerCategory", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": [_log_group_arn(c) for c in categories]},
        {"Sid": "AmpRemoteWrite", "Effect": "Allow", "Action": ["aps:RemoteWrite"],
         "Resource": _sub("arn:${AWS::Partition}:aps:${AWS::Region}:${AWS::AccountId}"
                          ":workspace/${AmpWorkspaceId}")},
        flags_read_statement(),  # the app reads the runbook flags
    ]  # fmt: skip
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": "AuraStream task: ADOT sidecar exports (X-Ray, EMF, logs, AMP), "
                           "the app's runbook flags (SSM)",
            "AssumeRolePolicyDocument": _ecs_trust(),
            "Policies": [{"PolicyName": "adot-sidecar-export",
                          "PolicyDocument": {"Version": "2012-10-17",
                                             "Statement": statements}}],
        },
    }  # fmt: skip


def _ecs_trust() -> Doc:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "ecs-tasks.amazonaws.com"}}],
    }  # fmt: skip


def _execution_role() -> Doc:
    param_arn = _sub(
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
        ":parameter${CollectorConfigParameter}"
    )
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _ecs_trust(),
            "ManagedPolicyArns": [
                _sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                     "AmazonECSTaskExecutionRolePolicy")
            ],
            "Policies": [{"PolicyName": "read-collector-config",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": ["ssm:GetParameters"],
                               "Resource": param_arn}]}}],
        },
    }  # fmt: skip


def _containers() -> list[Doc]:
    collector = {
        "Name": COLLECTOR_NAME,
        "Image": ADOT_IMAGE,
        "Essential": True,
        "Secrets": [{"Name": "AOT_CONFIG_CONTENT", "ValueFrom": _ref("CollectorConfigParameter")}],
        "Environment": _env({"AWS_REGION": _ref("AWS::Region"),
                             "AURASTREAM_ENVIRONMENT": _ref("Environment"),
                             "AURASTREAM_AMP_WORKSPACE_ID": _ref("AmpWorkspaceId")}),
        "HealthCheck": {"Command": ["/healthcheck"], "Interval": 5, "Timeout": 3,
                        "Retries": 5, "StartPeriod": 10},
        "Cpu": 128, "MemoryReservation": 256, "Memory": 512,
        "LogConfiguration": _awslogs("collector"),
    }  # fmt: skip
    app = {
        "Name": APP_NAME,
        "Image": _ref("AppImage"),
        "Essential": True,
        "PortMappings": [{"ContainerPort": APP_PORT, "Protocol": "tcp"}],
        "Environment": _env(
            {**APP_OTLP_ENV, "AURASTREAM_ENVIRONMENT": _ref("Environment"), **flags_env()}
        ),
        "DependsOn": [{"ContainerName": COLLECTOR_NAME, "Condition": "HEALTHY"}],
        "LogConfiguration": _awslogs("app"),
    }
    return [collector, app]


def template() -> Doc:
    config = compact_collector_json("collector/adot-sidecar.yaml")
    tier = "Standard" if len(config.encode()) <= SSM_STANDARD_LIMIT else "Advanced"
    resources: Doc = {
        "CollectorConfigParameter": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": _sub("/aurastream/${Environment}/adot-sidecar-config"),
                "Type": "String",
                "Tier": tier,
                "Description": "collector/adot-sidecar.yaml (compact JSON) for AOT_CONFIG_CONTENT",
                "Value": config,
            },
        },
        "ContainerLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _sub("/aurastream/${Environment}/ecs-containers"),
                "RetentionInDays": 30,
            },
        },
        # awsemf writes EMF here; the per-category groups come from the log group definitions
        # (the log-group stack, deploy/cloudformation/aurastream-logs.yaml) and are only
        # referenced, by name, in the task role.
        "EmfLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _sub(log_group_name("emf", "${Environment}")),
                "RetentionInDays": 30,
            },
        },
        "TaskRole": _task_role(),
        "ExecutionRole": _execution_role(),
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": _sub("aurastream-api-${Environment}"),
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "512",
                "Memory": "1024",
                "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                "ContainerDefinitions": _containers(),
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": _ref("ClusterName"),
                "LaunchType": "FARGATE",
                "DesiredCount": _ref("DesiredCount"),
                "TaskDefinition": _ref("TaskDefinition"),
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "Subnets": _ref("Subnets"),
                        "SecurityGroups": _ref("SecurityGroups"),
                        "AssignPublicIp": "DISABLED",
                    }
                },
            },
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AuraStream API on ECS Fargate with the ADOT collector as sidecar",
        "Parameters": _parameters(),
        "Resources": resources,
        "Outputs": {
            "TaskDefinitionArn": {"Value": _ref("TaskDefinition")},
            "ServiceName": {"Value": {"Fn::GetAtt": ["Service", "Name"]}},
            "TaskRoleArn": {"Value": {"Fn::GetAtt": ["TaskRole", "Arn"]}},
        },
    }


def artifact() -> Artifact:
    return yaml_artifact(PATH, template())
