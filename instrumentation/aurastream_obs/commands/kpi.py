"""`aurastream-obs kpi`: KPIs vs targets, error budget and burn rate per SLO (exit 3 on breach)."""

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
    kpi = sub.add_parser(
        "kpi",
        help="KPI/SLO report: availability, p99, error rate, throughput, cache hit rate; "
        "exit 3 when an SLO is breached",
    )
    add_metrics_backend(kpi)
    add_deployment_args(kpi)
    kpi.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.ops.backends import metrics_backend
    from aurastream_obs.ops.deployment_lookup import boto3_clients, resolve
    from aurastream_obs.ops.kpi import build_kpi_report, render_kpi_table

    try:
        deployment = None
        if args.cloudwatch:  # the deployment whose API, function and table CloudWatch reads
            deployment = resolve(deployment_choice(args), boto3_clients(), need_api_id=True)
        backend = metrics_backend(
            prometheus=args.prometheus,
            cloudwatch=args.cloudwatch,
            telemetry_dir=args.telemetry_dir,
            deployment=deployment,
        )
        report = build_kpi_report(backend, args.window)
    except (OSError, RuntimeError, ValueError) as error:  # unreachable backend, bad window
        return fail(str(error))
    except Exception as error:
        if type(error).__module__.startswith("botocore"):  # AWS said no: one line
            return fail(f"AWS error: {error}")
        raise
    if args.json:
        print_json(report.to_dict())
    else:
        print(render_kpi_table(report))
    return report.exit_code
