"""`aurastream-obs traces`: critical path, self-time, bottlenecks, top operations, waterfall."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from aurastream_obs.commands._args import command_parser, duration, float_range, int_range
from aurastream_obs.commands._ops import add_deployment_args, deployment_choice, print_json
from aurastream_obs.commands._types import SubParsers

if TYPE_CHECKING:
    from aurastream_obs.ops.deployment_lookup import ClientFactory


def register(sub: SubParsers) -> None:
    traces = command_parser(
        sub,
        "traces",
        summary="trace analysis: bottlenecks, top operations by self-time, waterfall",
        description="Critical path and self-time per span, the seed's bottleneck rules and the "
        "top operations, from AWS X-Ray or local-mode files; --waterfall draws the slowest "
        "traces as SVG or HTML.",
        examples=(
            "aurastream-obs traces --telemetry-dir .telemetry --waterfall waterfall.html",
            "aurastream-obs traces --telemetry-dir .telemetry --top 5 --threshold-ms 250",
            "AWS_DEFAULT_REGION=eu-west-1 aurastream-obs traces --xray --environment prod "
            "--since 30m",
        ),
    )
    group = traces.add_mutually_exclusive_group(required=True)
    group.add_argument("--xray", action="store_true", help="AWS X-Ray (boto3)")
    group.add_argument("--telemetry-dir", metavar="DIR", help="local-mode OTLP/JSON files")
    traces.add_argument(
        "--since", default="1h", type=duration, help="X-Ray time range back from now (1h)"
    )
    traces.add_argument(
        "--threshold-ms", type=float_range(0), default=1000.0, help="slow span, ms (1000)"
    )
    traces.add_argument(
        "--top", type=int_range(1), default=10, help="operations/traces to show (10)"
    )
    traces.add_argument("--json", action="store_true", help="machine-readable output")
    traces.add_argument(
        "--waterfall", metavar="OUT", help="write the slowest traces as OUT (.svg or .html)"
    )
    traces.add_argument(
        "--service",
        help="with --xray: the X-Ray service to read (default: the deployment's function, "
        "which names Lambda's segments; aurastream-api on ECS/EKS)",
    )
    traces.add_argument(
        "--all-services", action="store_true", help="with --xray: every trace, no filter"
    )
    add_deployment_args(traces, skip=("api_id", "stage", "table"))
    traces.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.commands.errors import CommandError, check_writable
    from aurastream_obs.ops.traces.analysis import analyze
    from aurastream_obs.ops.traces.sources import LocalTraceSource, TraceSource
    from aurastream_obs.ops.traces.text import render_text
    from aurastream_obs.ops.traces.waterfall import write_waterfall

    if args.waterfall:
        check_writable(args.waterfall)  # before reading X-Ray, not after
    source: TraceSource
    if args.xray:
        from aurastream_obs.core.conventions import window_seconds
        from aurastream_obs.ops.deployment_lookup import DeploymentLookupError, resolve
        from aurastream_obs.ops.traces.xray import XRaySource

        try:
            service = args.service or resolve(deployment_choice(args), _clients()).function
        except DeploymentLookupError as error:
            raise CommandError(str(error)) from error
        expression = None if args.all_services else f'service("{service}")'
        source = XRaySource(since_s=window_seconds(args.since), filter_expression=expression)
    else:
        source = LocalTraceSource(args.telemetry_dir)
    try:
        spans = source.spans()
    except (RuntimeError, ValueError) as error:
        raise CommandError(str(error)) from error
    analysis = analyze(spans, threshold_ms=args.threshold_ms, source=source.name)
    written = None
    if args.waterfall:
        written = write_waterfall(
            args.telemetry_dir or ".",
            args.waterfall,
            top=min(args.top, 10),
            threshold_ms=args.threshold_ms,
            spans=spans,
        )
    if args.json:
        document = analysis.to_dict(args.top)
        document["waterfall"] = written
        print_json(document)
    else:
        print(render_text(analysis, args.top))
        if written:
            print(f"\nwaterfall: {written}")
    return 0


def _clients() -> ClientFactory:
    from aurastream_obs.ops.deployment_lookup import boto3_clients

    return boto3_clients()
