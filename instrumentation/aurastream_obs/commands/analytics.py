"""`aurastream-obs analytics`: customer health, revenue, cost per analysis and per customer,
and cost/scaling recommendations (recommend-only unless --apply)."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._ops import (
    add_deployment_args,
    add_metrics_backend,
    deployment_choice,
    fail,
    print_json,
)
from aurastream_obs.commands._types import SubParsers


def register(sub: SubParsers) -> None:
    analytics = sub.add_parser(
        "analytics",
        help="customer health and at-risk list, MRR/CLV, cost per analysis and "
        "per customer, recommendations (--apply to act)",
    )
    add_metrics_backend(analytics)
    analytics.add_argument(
        "--lifetime-months",
        type=float,
        default=24.0,
        help="expected customer lifetime for CLV (24)",
    )
    analytics.add_argument(
        "--cost-explorer", action="store_true", help="also read actual AWS costs from Cost Explorer"
    )
    analytics.add_argument(
        "--function",
        help="Lambda function to right-size (recommendations; with --cloudwatch "
        "also the deployment's function) [$AURASTREAM_FUNCTION_NAME for the latter]",
    )
    analytics.add_argument(
        "--table",
        help="DynamoDB table to review (recommendations; with --cloudwatch also the "
        "deployment's table) [$AURASTREAM_CACHE_TABLE for the latter]",
    )
    add_deployment_args(analytics, skip=("function", "table"))
    analytics.add_argument(
        "--apply", action="store_true", help="apply the recommendations (within hard limits)"
    )
    analytics.add_argument(
        "--log-group",
        help="with --cloudwatch: the log group of the business events read by Logs Insights "
        "for per-customer figures (default: the deployment's /aurastream/<env>/business, "
        "which receives them on every deployment shape)",
    )
    analytics.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.ops.analytics.figures import build_analytics, render_analytics
    from aurastream_obs.ops.backends import metrics_backend
    from aurastream_obs.ops.deployment_lookup import boto3_clients, resolve

    if args.log_group and not args.cloudwatch:
        return fail("--log-group applies to --cloudwatch only")
    try:
        deployment = None
        if args.cloudwatch:  # the API id only matters to the --function recommendations
            choice = deployment_choice(args)
            deployment = resolve(choice, boto3_clients(), need_api_id=bool(args.function))
        backend = metrics_backend(
            prometheus=args.prometheus,
            cloudwatch=args.cloudwatch,
            telemetry_dir=args.telemetry_dir,
            log_group=args.log_group,
            deployment=deployment,
        )
        report = build_analytics(
            backend,
            args.window,
            lifetime_months=args.lifetime_months,
            cost_explorer=args.cost_explorer,
            function=args.function,
            table=args.table,
            apply=args.apply,
        )
    except (OSError, RuntimeError, ValueError) as error:
        return fail(str(error))
    except Exception as error:
        # AWS API errors (access denied, throttling) from boto3: one clear line, not a trace.
        if type(error).__module__.startswith("botocore"):
            return fail(f"AWS error: {error}")
        raise
    if args.json:
        print_json(report.to_dict())
    else:
        print(render_analytics(report))
    return 0
