"""`aurastream-obs analytics`: customers at risk (health from usage trend, own error rate and
support tickets), revenue with its period, churn estimate, capacity forecast, cost per analysis
and per customer, cost/scaling recommendations (dry run unless --apply), an HTML page."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._args import command_parser, duration, float_range
from aurastream_obs.commands._ops import (
    add_deployment_args,
    add_metrics_backend,
    deployment_choice,
    fail,
    print_json,
)
from aurastream_obs.commands._types import SubParsers


def register(sub: SubParsers) -> None:
    analytics = command_parser(
        sub,
        "analytics",
        summary="customers at risk, MRR/CLV with their period, churn, capacity forecast, cost "
        "per analysis and per customer, recommendations (--apply to act), --html page",
        description="Business and cost figures from Prometheus, CloudWatch (per-customer "
        "figures from Logs Insights) or local-mode files: customer health and the at-risk "
        "list, revenue run-rates, churn, the capacity forecast, cost per analysis and per "
        "customer, and recommendations (a dry run unless --apply; exit 1 when --apply could "
        "not act). With --prometheus, --environment (or AURASTREAM_ENVIRONMENT) reads only "
        "that environment's series.",
        examples=(
            "aurastream-obs analytics --telemetry-dir .telemetry --html business.html",
            "aurastream-obs analytics --prometheus http://localhost:9090 --window 30d --json",
            "AWS_DEFAULT_REGION=eu-west-1 aurastream-obs analytics --cloudwatch --environment prod "
            "--tickets tickets.csv",
        ),
    )
    add_metrics_backend(analytics)
    analytics.add_argument(
        "--lifetime-months",
        type=float_range(0, low_open=True),
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
        "--apply",
        action="store_true",
        help="apply the recommendations (within hard limits); default: dry run",
    )
    analytics.add_argument(
        "--log-group",
        help="with --cloudwatch: the log group of the business events read by Logs Insights "
        "for per-customer figures (default: the deployment's /aurastream/<env>/business, "
        "which receives them on every deployment shape)",
    )
    analytics.add_argument(
        "--requests-log-group",
        help="with --cloudwatch: the log group of the api_response lines that give each "
        "customer's error rate (default: the deployment's /aurastream/<env>/application)",
    )
    analytics.add_argument(
        "--tickets",
        metavar="SOURCE",
        help="support tickets: a CSV or JSON file (customer_id, opened_at), or "
        "package.module:factory for any other source (see README)",
    )
    analytics.add_argument(
        "--health-thresholds", metavar="FILE", help="JSON overriding the guide's health table"
    )
    analytics.add_argument(
        "--min-run-rate-days",
        type=float_range(0, low_open=True),
        default=7.0,
        help="days of data a monthly run-rate (MRR, CLV) needs; fewer: insufficient data (7)",
    )
    analytics.add_argument("--prices", metavar="FILE", help="JSON {price key: USD} overrides")
    analytics.add_argument(
        "--forecast-window",
        default="14d",
        type=duration,
        help="history for the capacity forecast (14d)",
    )
    analytics.add_argument(
        "--bucket", help="S3 bucket to review (lifecycle, compression, archiving)"
    )
    analytics.add_argument(
        "--html", metavar="FILE", help="also write the report as one self-contained HTML page"
    )
    analytics.add_argument(
        "--end",
        metavar="TIME",
        type=_end,
        help="end of the window: ISO 8601 (UTC when no offset) or epoch seconds (default: "
        "now; local files: the newest point)",
    )
    analytics.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.commands.errors import CommandError, check_writable
    from aurastream_obs.definitions.deployment import SERVICE_NAME
    from aurastream_obs.definitions.promql import Scope
    from aurastream_obs.ops.analytics.figures import build_analytics
    from aurastream_obs.ops.analytics.health import GUIDE_THRESHOLDS, load_thresholds
    from aurastream_obs.ops.analytics.html_report import write_html
    from aurastream_obs.ops.analytics.prices import DEFAULT_PRICES, load_prices
    from aurastream_obs.ops.analytics.render_text import render_analytics
    from aurastream_obs.ops.analytics.tickets import load_ticket_source
    from aurastream_obs.ops.backends import metrics_backend
    from aurastream_obs.ops.deployment_lookup import boto3_clients, resolve

    for option in ("log_group", "requests_log_group"):
        if getattr(args, option) and not args.cloudwatch:
            return fail(f"--{option.replace('_', '-')} applies to --cloudwatch only")
    if args.html:
        check_writable(args.html)  # before the analysis, not after
    choice = deployment_choice(args)
    try:
        deployment = None
        if args.cloudwatch:  # the API's metrics: request rate, latency, the load forecast
            deployment = resolve(choice, boto3_clients(), need_api_id=True)
        backend = metrics_backend(
            prometheus=args.prometheus,
            cloudwatch=args.cloudwatch,
            telemetry_dir=args.telemetry_dir,
            log_group=args.log_group,
            deployment=deployment,
            requests_log_group=args.requests_log_group,
            end=args.end,
            scope=Scope(SERVICE_NAME, choice.environment) if choice.environment else None,
        )
        report = build_analytics(
            backend,
            args.window,
            lifetime_months=args.lifetime_months,
            min_run_rate_days=args.min_run_rate_days,
            tickets=load_ticket_source(args.tickets) if args.tickets else None,
            thresholds=(
                load_thresholds(args.health_thresholds)
                if args.health_thresholds
                else GUIDE_THRESHOLDS
            ),
            prices=load_prices(args.prices) if args.prices else DEFAULT_PRICES,
            forecast_window=args.forecast_window,
            cost_explorer=args.cost_explorer,
            function=args.function,
            table=args.table,
            bucket=args.bucket,
            apply=args.apply,
        )
        page = write_html(report, args.html) if args.html else None
    except (RuntimeError, ValueError) as error:  # a backend, a source file's content
        # Files and AWS errors (access denied, throttling) reach cli.main: one line with the fix.
        raise CommandError(str(error)) from error
    if args.json:
        print_json(report.to_dict())
    else:
        print(render_analytics(report))
        if page:
            print(f"HTML report: {page}")
    # An --apply that could not act (an API the endpoint lacks) fails the command; the lines
    # above name what is missing.
    return 1 if report.failed_actions else 0


def _end(text: str) -> float:
    """--end as epoch seconds; a usage error (argparse) when it is neither form."""
    try:
        return float(text)
    except ValueError:
        pass
    from aurastream_obs.ops.analytics.tickets import parse_time

    try:
        return parse_time(text).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not ISO 8601 nor epoch seconds") from None
