"""`aurastream-obs kpi`: KPIs vs targets, error budget and burn rate per SLO (exit 1 on breach)."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._args import command_parser
from aurastream_obs.commands._ops import (
    add_deployment_args,
    add_metrics_backend,
    deployment_choice,
    print_json,
)
from aurastream_obs.commands._types import SubParsers


def register(sub: SubParsers) -> None:
    kpi = command_parser(
        sub,
        "kpi",
        summary="KPI/SLO report: availability, p99, error rate, throughput, cache hit rate; "
        "exit 1 when an SLO is breached",
        description="Availability, p99 latency, error rate, throughput and cache hit rate "
        "against their targets, and per SLO the error budget left and the burn rate, read "
        "from Prometheus, CloudWatch or local-mode files with the rules' own expressions. "
        "With --prometheus, --environment (or AURASTREAM_ENVIRONMENT) reads only that "
        "environment's series. Exit 0 when every SLO is met, 1 when one is breached, 4 when "
        "the backend cannot be read.",
        examples=(
            "aurastream-obs kpi --telemetry-dir .telemetry",
            "aurastream-obs kpi --prometheus http://localhost:9090 --environment prod --window 6h",
            "AWS_DEFAULT_REGION=eu-west-1 aurastream-obs kpi --cloudwatch --environment prod",
        ),
    )
    add_metrics_backend(kpi)
    add_deployment_args(kpi)
    kpi.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.commands.errors import CommandError
    from aurastream_obs.definitions.deployment import SERVICE_NAME
    from aurastream_obs.definitions.promql import Scope
    from aurastream_obs.ops.backends import metrics_backend
    from aurastream_obs.ops.deployment_lookup import boto3_clients, resolve
    from aurastream_obs.ops.kpi import build_kpi_report, render_kpi_table

    environment = deployment_choice(args).environment
    try:
        deployment = None
        if args.cloudwatch:  # the deployment whose API, function and table CloudWatch reads
            deployment = resolve(deployment_choice(args), boto3_clients(), need_api_id=True)
        backend = metrics_backend(
            prometheus=args.prometheus,
            cloudwatch=args.cloudwatch,
            telemetry_dir=args.telemetry_dir,
            deployment=deployment,
            scope=Scope(SERVICE_NAME, environment) if environment else None,
        )
        report = build_kpi_report(backend, args.window)
    except (RuntimeError, ValueError) as error:  # an unreachable backend, a lookup that failed
        raise CommandError(str(error)) from error
    if args.json:
        print_json(report.to_dict())
    else:
        print(render_kpi_table(report))
    return report.exit_code
