"""What the templates deploy, named once: the one source of truth for every deployed name.

The CloudFormation/SAM templates, the alarms, the dashboard widgets, the saved queries and the
operations tools' defaults all read the names below; nothing else spells a function, table,
API, topic or log group name. Names are patterns over the `${Environment}` template parameter
(one stack set per environment); `names(environment)` resolves them for the CLI.

Each `Resource` says what kind of AWS resource it is (the key into the metric catalog,
`aws_metrics.py`) and how CloudWatch addresses its metrics (its identity dimensions). A value
written `${ApiId}` is not derivable from the environment: templates import it from the
application stack's export, the CLI takes `--api-id`/`--stack` or looks the API up by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from aurastream_obs.core.log_categories import LOG_CATEGORIES, log_group_name

ResourceKind = Literal[
    "http-api", "rest-api", "lambda", "dynamodb", "sqs", "s3", "sns", "emf", "log-metric"
]

ENV: Final = "${Environment}"
# The environment templates and tools assume when none is given (AURASTREAM_ENVIRONMENT's).
DEFAULT_ENVIRONMENT: Final = "dev"
# The longest environment name every deployed name stays valid with: the tightest is a Lambda
# function name (64 characters at most, Lambda API reference, CreateFunction), and
# "aurastream-log-forwarder-<env>" spends 25 of them.
ENVIRONMENT_MAX_LENGTH: Final = 32


# The subscription filter that sends a function's category lines to the log forwarder, which
# writes each to /aurastream/<env>/<category> (ops/log_forwarder.py).
CATEGORY_LINES_PATTERN: Final = (
    "{ " + " || ".join(f'$.category = "{c}"' for c in LOG_CATEGORIES) + " }"
)


def environment_parameter(description: str = "Environment name") -> dict[str, Any]:
    """Every template's `Environment` parameter: CloudFormation refuses a name that would make
    a resource name invalid before anything is created, rather than halfway through."""
    return {
        "Type": "String", "Default": DEFAULT_ENVIRONMENT, "AllowedPattern": "^[a-z0-9-]+$",
        "MinLength": 1, "MaxLength": ENVIRONMENT_MAX_LENGTH, "Description": description,
    }  # fmt: skip


SERVICE_NAME: Final = "aurastream-api"  # service.name: OTEL_SERVICE_NAME and the EMF dimension
APP_TEMPLATE: Final = "deploy/sam/aurastream-lambda.yaml"
ALERTING_TEMPLATE: Final = "deploy/cloudformation/aurastream-alerting.yaml"
LOGS_TEMPLATE: Final = "deploy/cloudformation/aurastream-logs.yaml"
# The HTTP API's stage: SAM's default stage of an AWS::Serverless::HttpApi, named explicitly;
# the alarm and dashboard stacks take it as their `Stage` parameter (default this).
STAGE: Final = "$default"
# The cache table operations the service performs (service/cache.py): DynamoDB publishes
# ThrottledRequests, SystemErrors and SuccessfulRequestLatency per TableName *and* Operation.
TABLE_OPERATIONS: Final = ("GetItem", "PutItem")
# The security log group's metric filters: one metric per security event type the code logs
# (logs.events.security_event callers), matched by its name as a term. A term matches the JSON
# line (Lambda, forwarded) and the record body alone (what the collector's awscloudwatchlogs
# exporter writes with raw_log) alike; a JSON-field pattern would match only the former.
SECURITY_NAMESPACE: Final = "AuraStream/Security"
SECURITY_EVENT_TYPES: Final = (
    "failed_authentication", "alert_webhook_rejected", "sns_signature_rejected",
)  # fmt: skip


def security_metric(event_type: str) -> str:
    """`failed_authentication` -> `FailedAuthentication`: the metric of one event type."""
    return "".join(word.capitalize() for word in event_type.split("_"))


# Lambda runtime of every function we deploy. Lambda's runtime table (AWS Lambda guide,
# "Lambda runtimes"): python3.11 was deprecated on 2026-06-30 and function creation blocked
# from 2026-07-31; python3.13 is supported until 2029-06-30.
LAMBDA_RUNTIME: Final = "python3.13"
# The Lambda functions' package: a local folder relative to the templates (deploy/sam and
# deploy/cloudformation), which `sam deploy` uploads. A literal: SAM cannot read CodeUri
# through an intrinsic function such as a parameter's Ref (AWS SAM developer guide,
# "Intrinsic functions for AWS SAM"), so neither the upload nor the transform would work.
LAMBDA_CODE_URI: Final = "../../build/lambda"
# Routes of the alert topics: one topic per severity, and one for security alerts.
TOPIC_ROUTES: Final = ("critical", "warning", "security")


def topic_name(route: str) -> str:
    """`aurastream-<env>-<route>-alerts`, the SNS topic of one alert route."""
    return f"aurastream-{ENV}-{route}-alerts"


@dataclass(frozen=True)
class Resource:
    """One deployed resource: its kind, the template and logical id that create it, its name
    pattern and the dimensions its CloudWatch metrics carry (values may be `${Param}`)."""

    key: str
    kind: ResourceKind
    template: str
    logical_id: str
    name: str
    dimensions: tuple[tuple[str, str], ...]


def _function(key: str, template: str, logical_id: str, name: str) -> Resource:
    return Resource(key, "lambda", template, logical_id, name, (("FunctionName", name),))


def _queue(key: str, template: str, logical_id: str, name: str) -> Resource:
    return Resource(key, "sqs", template, logical_id, name, (("QueueName", name),))


API_NAME: Final = f"aurastream-api-{ENV}"
FUNCTION_NAME: Final = f"aurastream-api-{ENV}"
TABLE_NAME: Final = f"aurastream-cache-{ENV}"
# Export of the application stack that carries the HTTP API id (alarms and dashboards import it).
API_ID_EXPORT: Final = f"aurastream-{ENV}-api-id"
API_ID: Final = "${ApiId}"

RESOURCES: Final[Mapping[str, Resource]] = MappingProxyType(
    {
        r.key: r
        for r in (
            Resource("api", "http-api", APP_TEMPLATE, "Api", API_NAME,
                     (("ApiId", API_ID), ("Stage", "${Stage}"))),
            _function("function", APP_TEMPLATE, "Function", FUNCTION_NAME),
            Resource("table", "dynamodb", APP_TEMPLATE, "CacheTable", TABLE_NAME,
                     (("TableName", TABLE_NAME),)),
            _function("log-forwarder", APP_TEMPLATE, "LogForwarder",
                      f"aurastream-log-forwarder-{ENV}"),
            _queue("log-forwarder-dlq", APP_TEMPLATE, "LogForwarderDlq",
                   f"aurastream-log-forwarder-dlq-{ENV}"),
            _function("alert-router", ALERTING_TEMPLATE, "AlertRouter",
                      f"aurastream-alert-router-{ENV}"),
            _queue("alert-router-dlq", ALERTING_TEMPLATE, "AlertRouterDlq",
                   f"aurastream-alert-router-dlq-{ENV}"),
            # The alert topics (their failed deliveries: the router's endpoint or function).
            *(Resource(f"{route}-topic", "sns", ALERTING_TEMPLATE,
                       f"{route.capitalize()}AlertsTopic", topic_name(route),
                       (("TopicName", topic_name(route)),))
              for route in TOPIC_ROUTES),
            # DynamoDB's Region-wide metrics (UserErrors): no table dimension.
            Resource("dynamodb-region", "dynamodb", APP_TEMPLATE, "CacheTable", "(Region)", ()),
            # Our own metrics: EMF in namespace AuraStream/Application, service.name in every set.
            Resource("service", "emf", APP_TEMPLATE, "Function", SERVICE_NAME,
                     (("service.name", SERVICE_NAME),)),
            # The security log group's metric filters (deploy/cloudformation/aurastream-logs.yaml).
            Resource("security-events", "log-metric", LOGS_TEMPLATE, "SecurityLogGroup",
                     "security-events", ()),
        )
    }
)  # fmt: skip


def resource(key: str) -> Resource:
    return RESOURCES[key]


_TOPIC_NAME: Final = re.compile(
    re.escape(topic_name("ROUTE"))
    .replace(re.escape(ENV), "[a-z0-9-]+")
    .replace("ROUTE", "(?P<route>[a-z0-9]+)")
)


def topic_route(topic_arn: str) -> str | None:
    """The route of one of our alert topics from its ARN (`...:aurastream-<env>-<route>-alerts`,
    the name `topic_name` gives); None for any other topic."""
    match = _TOPIC_NAME.fullmatch(topic_arn.rsplit(":", 1)[-1])
    return match["route"] if match else None


def topic_export(route: str) -> str:
    """The alerting stack's export of a topic ARN (the alarm stacks import it)."""
    return f"aurastream-{ENV}-{route}-alerts-topic"


def category_log_group(category: str) -> str:
    """`/aurastream/<env>/<category>`: where every deployment shape delivers that category's
    lines (the collector's awscloudwatchlogs exporters; on Lambda the log forwarder)."""
    return log_group_name(category, ENV)


def function_log_group(key: str = "function") -> str:
    return f"/aws/lambda/{RESOURCES[key].name}"


# Log groups a query may read besides the categories: the API function's own group (Lambda's
# REPORT lines: @duration, @initDuration; EMF of the collectorless shape).
EXTRA_LOG_GROUPS: Final[Mapping[str, str]] = MappingProxyType(
    {"function": function_log_group("function")}
)

# Secrets Manager secrets of the alert router, read by the router at a cold start (names in
# its environment, values never): the channels' (Slack webhook, PagerDuty routing key) and the
# security channel's Slack webhook.
ROUTER_SECRET: Final = f"aurastream/{ENV}/alert-router"
ROUTER_SECURITY_SECRET: Final = f"aurastream/{ENV}/alert-router-security"


def log_group(source: str) -> str:
    """A query source (a log category or a key of EXTRA_LOG_GROUPS) -> its log group pattern."""
    if source in LOG_CATEGORIES:
        return category_log_group(source)
    return EXTRA_LOG_GROUPS[source]


_PARAM: Final = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class DeployedNames:
    """The concrete names of one deployment (what the operations tools query)."""

    environment: str
    function: str
    table: str
    api_id: str | None = None
    stage: str = STAGE
    service: str = SERVICE_NAME

    def parameters(self) -> dict[str, str]:
        values = {"Environment": self.environment, "Stage": self.stage}
        if self.api_id:
            values["ApiId"] = self.api_id
        return values

    def resolve(self, text: str) -> str:
        """`${Param}` references replaced by this deployment's values (unknown ones kept)."""
        params = self.parameters()
        return _PARAM.sub(lambda m: params.get(m[1], m[0]), text)

    def dimensions(self, key: str) -> tuple[tuple[str, str], ...]:
        """The identity dimensions of a resource in this deployment; overrides of the
        function, table and stage win over the patterns."""
        overrides = {"function": (("FunctionName", self.function),),
                     "table": (("TableName", self.table),),
                     "service": (("service.name", self.service),)}  # fmt: skip
        if key in overrides:
            return overrides[key]
        return tuple((k, self.resolve(v)) for k, v in RESOURCES[key].dimensions)

    def log_group(self, source: str) -> str:
        if source == "function":
            return f"/aws/lambda/{self.function}"
        return self.resolve(log_group(source))


def names(
    environment: str,
    *,
    function: str | None = None,
    table: str | None = None,
    api_id: str | None = None,
    stage: str | None = None,
    service: str | None = None,
) -> DeployedNames:
    """The deployment of `environment`, with explicit names winning over the patterns."""

    def sub(pattern: str) -> str:
        return pattern.replace(ENV, environment)

    return DeployedNames(
        environment=environment,
        function=function or sub(FUNCTION_NAME),
        table=table or sub(TABLE_NAME),
        api_id=api_id,
        stage=stage or STAGE,
        service=service or SERVICE_NAME,
    )
