"""`aurastream-obs health`: concurrent health checks; exit 0 healthy, 3 degraded, 1 unhealthy."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._args import command_parser, float_range
from aurastream_obs.commands._ops import add_deployment_args, deployment_choice, fail, print_json
from aurastream_obs.commands._types import SubParsers


def register(sub: SubParsers) -> None:
    health = command_parser(
        sub,
        "health",
        summary="health checks (API, Lambda, DynamoDB, Comprehend, S3, collector, "
        "Prometheus); exit 0 healthy, 3 degraded, 1 unhealthy",
        description="Runs the checks you name concurrently, each within --timeout, and folds "
        "them: a failing critical check (API, Lambda, Comprehend) is unhealthy (exit 1), any "
        "other failing check degraded (exit 3), all passing healthy (exit 0).",
        examples=(
            "aurastream-obs health --api-url http://localhost:8080 --timeout 3",
            "aurastream-obs health --collector http://localhost:13133 --prometheus "
            "http://localhost:9090",
            "AWS_DEFAULT_REGION=eu-west-1 aurastream-obs health --deployment --environment prod "
            "--json",
        ),
    )
    health.add_argument("--api-url", help="service base URL (GETs /v1/health)")
    health.add_argument("--prometheus", metavar="URL", help="Prometheus (GETs /-/ready)")
    health.add_argument("--collector", metavar="URL", help="collector health_check endpoint")
    health.add_argument("--function", help="Lambda function name")
    health.add_argument("--table", help="DynamoDB table name")
    health.add_argument(
        "--deployment", action="store_true",
        help="check the deployment's function and table (names from --environment/--stack "
        "and their variables; --stack also gives the API URL)",
    )  # fmt: skip
    add_deployment_args(health, skip=("function", "table", "api_id", "stage"))
    health.add_argument("--bucket", help="S3 bucket name")
    health.add_argument("--comprehend", action="store_true", help="a fixed DetectSentiment call")
    health.add_argument(
        "--timeout",
        type=float_range(0, 300, low_open=True),
        default=5.0,
        help="per check, seconds, at most 300 (5)",
    )
    health.add_argument("--json", action="store_true", help="machine-readable output")
    health.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.ops import health_probes as p
    from aurastream_obs.ops.health import HealthCheck, render_health, run_checks

    checks: list[HealthCheck] = []
    if args.deployment or args.stack or args.environment:
        from aurastream_obs.ops.deployment_lookup import DeploymentLookupError, resolve

        choice = deployment_choice(args)
        try:
            names = resolve(choice, p.boto3_clients(args.timeout))
            if choice.stack and not args.api_url:
                args.api_url = _stack_api_url(choice.stack, args.timeout)
        except DeploymentLookupError as error:
            from aurastream_obs.commands.errors import CommandError

            raise CommandError(str(error)) from error
        args.function = args.function or names.function
        args.table = args.table or names.table
    if args.api_url:
        checks.append(p.api_check(args.api_url, args.timeout))
    if args.prometheus:
        checks.append(p.prometheus_check(args.prometheus, args.timeout))
    if args.collector:
        checks.append(p.collector_check(args.collector, args.timeout))
    if args.function or args.table or args.bucket or args.comprehend:
        from aurastream_obs.commands.errors import require_aws

        require_aws()  # else every AWS check would fail alike, and "unhealthy" would be wrong
        clients = p.boto3_clients(args.timeout)
        if args.function:
            checks.append(p.lambda_check(args.function, clients))
        if args.table:
            checks.append(p.dynamodb_check(args.table, clients))
        if args.bucket:
            checks.append(p.s3_check(args.bucket, clients))
        if args.comprehend:
            checks.append(p.comprehend_check(clients))
    if not checks:
        return fail(
            "nothing to check: give --api-url, --prometheus, --collector, --function, "
            "--table, --bucket or --comprehend"
        )
    report = run_checks(checks, timeout_s=args.timeout)
    if args.json:
        print_json(report.to_dict())
    else:
        print(render_health(report))
    return report.exit_code


def _stack_api_url(stack: str, timeout: float) -> str | None:
    from aurastream_obs.ops import health_probes as p
    from aurastream_obs.ops.deployment_lookup import stack_outputs

    return stack_outputs(p.boto3_clients(timeout)("cloudformation"), stack).get("ApiUrl")
