"""Amazon Managed Prometheus workspace (+ optional Amazon Managed Grafana), CloudFormation.

For when one Prometheus is not enough: collectors remote-write to the workspace (sigv4auth,
`aps:RemoteWrite`), Grafana reads it (`aps:QueryMetrics`) next to CloudWatch and X-Ray.
"""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.deploy_templates.common import yaml_artifact
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.definitions.deployment import environment_parameter

PATH: Final = "deploy/amp/aurastream-amp.yaml"
NOTES: Final = """\
# Deploy: aws cloudformation deploy --template-file deploy/amp/aurastream-amp.yaml \\
#   --stack-name aurastream-amp-dev --parameter-overrides Environment=dev \\
#   [CreateGrafanaWorkspace=true] --capabilities CAPABILITY_IAM
# Then set AURASTREAM_AMP_WORKSPACE_ID (collector env) / AmpWorkspaceId (ECS stack) to the
# WorkspaceId output. Amazon Managed Grafana needs IAM Identity Center (AWS_SSO) enabled in
# the account; add the AMP workspace as a Prometheus data source (SigV4 auth, region of the
# stack) and import grafana/dashboards/*.json.
"""

Doc = dict[str, Any]


def template() -> Doc:
    grafana_role_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow",
                       "Action": ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels",
                                  "aps:GetMetricMetadata"],
                       "Resource": {"Fn::GetAtt": ["Workspace", "Arn"]}}],
    }  # fmt: skip
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AuraStream second metrics backend: Amazon Managed Prometheus workspace "
        "and (optional) Amazon Managed Grafana",
        "Parameters": {
            "Environment": environment_parameter(),
            "CreateGrafanaWorkspace": {
                "Type": "String",
                "Default": "false",
                "AllowedValues": ["true", "false"],
            },
        },
        "Conditions": {"WithGrafana": {"Fn::Equals": [{"Ref": "CreateGrafanaWorkspace"}, "true"]}},
        "Resources": {
            "Workspace": {
                "Type": "AWS::APS::Workspace",
                "Properties": {
                    "Alias": {"Fn::Sub": "aurastream-${Environment}"},
                    "Tags": [{"Key": "app", "Value": "aurastream"}],
                },
            },
            "GrafanaRole": {
                "Type": "AWS::IAM::Role",
                "Condition": "WithGrafana",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Principal": {"Service": "grafana.amazonaws.com"},
                            }
                        ],
                    },
                    "ManagedPolicyArns": [
                        {
                            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/"
                            "CloudWatchReadOnlyAccess"
                        },
                        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXrayReadOnlyAccess"},
                    ],
                    "Policies": [
                        {"PolicyName": "query-amp", "PolicyDocument": grafana_role_policy}
                    ],
                },
            },
            "Grafana": {
                "Type": "AWS::Grafana::Workspace",
                "Condition": "WithGrafana",
                "Properties": {
                    "Name": {"Fn::Sub": "aurastream-${Environment}"},
                    "AccountAccessType": "CURRENT_ACCOUNT",
                    "AuthenticationProviders": ["AWS_SSO"],
                    "PermissionType": "SERVICE_MANAGED",
                    "RoleArn": {"Fn::GetAtt": ["GrafanaRole", "Arn"]},
                    "DataSources": ["PROMETHEUS", "CLOUDWATCH", "XRAY"],
                },
            },
        },
        "Outputs": {
            "WorkspaceId": {"Value": {"Fn::GetAtt": ["Workspace", "WorkspaceId"]}},
            "WorkspaceArn": {"Value": {"Fn::GetAtt": ["Workspace", "Arn"]}},
            "RemoteWriteUrl": {
                "Value": {"Fn::Sub": "${Workspace.PrometheusEndpoint}api/v1/remote_write"}
            },
            "GrafanaEndpoint": {
                "Condition": "WithGrafana",
                "Value": {"Fn::GetAtt": ["Grafana", "Endpoint"]},
            },
        },
    }


def artifact() -> Artifact:
    return yaml_artifact(PATH, template(), NOTES)
