"""Options shared by the operations commands (backend choice, JSON output)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.commands._args import duration
from aurastream_obs.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from aurastream_obs.ops.deployment_lookup import DeploymentChoice

# Which deployment the AWS-reading tools look at: each flag, else its environment variable.
DEPLOYMENT_FLAGS: Final = {
    "environment": ("AURASTREAM_ENVIRONMENT", "environment of the deployment (default dev)"),
    "stack": ("AURASTREAM_STACK", "application CloudFormation stack: its outputs name the "
              "API id, function, table, stage and environment"),
    "api_id": ("AURASTREAM_API_ID", "HTTP API id (default: the stack's, else the API named "
               "aurastream-api-<env>)"),
    "stage": ("AURASTREAM_API_STAGE", "HTTP API stage (default $default)"),
    "function": ("AURASTREAM_FUNCTION_NAME", "Lambda function (default aurastream-api-<env>)"),
    "table": ("AURASTREAM_CACHE_TABLE", "DynamoDB cache table (default aurastream-cache-<env>)"),
}  # fmt: skip


def add_metrics_backend(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--prometheus", metavar="URL", help="Prometheus server (HTTP API)")
    group.add_argument(
        "--cloudwatch", action="store_true", help="CloudWatch (boto3, default credentials)"
    )
    group.add_argument("--telemetry-dir", metavar="DIR", help="local-mode OTLP/JSON files")
    parser.add_argument(
        "--window", default="1h", type=duration, help="report window, e.g. 30m, 1h, 7d (1h)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def print_json(document: Any) -> None:
    try:
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `... --json | head` closed the pipe: not an error of ours
        sys.stderr.close()


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> int:
    """One line on stderr; the exit code (default: a usage error, which argparse cannot see,
    such as a flag that applies only with another)."""
    print(f"aurastream-obs: {message}", file=sys.stderr)
    return int(code)


def add_deployment_args(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    """--environment, --stack, --api-id, --stage, --function, --table (each also read from
    its environment variable): the deployment the command reads."""
    group = parser.add_argument_group("deployment (flags win over environment variables)")
    for dest, (variable, text) in DEPLOYMENT_FLAGS.items():
        if dest not in skip:
            flag = "--" + dest.replace("_", "-")
            group.add_argument(flag, dest=dest, metavar="NAME", help=f"{text} [${variable}]")


def deployment_choice(args: argparse.Namespace) -> DeploymentChoice:
    from aurastream_obs.ops.deployment_lookup import DeploymentChoice

    def value(dest: str) -> str | None:
        given = getattr(args, dest, None)
        return given or os.environ.get(DEPLOYMENT_FLAGS[dest][0]) or None

    return DeploymentChoice(**{dest: value(dest) for dest in DEPLOYMENT_FLAGS})
