"""`aurastream-obs demo`: the reference service in local mode, traffic, a report."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._args import PORT, command_parser, int_range
from aurastream_obs.commands._types import SubParsers


def register(sub: SubParsers) -> None:
    demo = command_parser(
        sub,
        "demo",
        summary="run the reference service in local mode, drive traffic, report from telemetry",
        description="Starts the reference AuraStream service in local mode, sends seeded "
        "traffic, and prints a report computed from the exported telemetry, the KPI/SLO "
        "report and the top bottlenecks; writes the waterfall next to the telemetry files. "
        "Exit 1 when the telemetry is incomplete or inconsistent.",
        examples=(
            "aurastream-obs demo",
            "aurastream-obs demo --requests 200 --telemetry-dir /tmp/telemetry",
            "aurastream-obs demo --serve --port 8080",
            "aurastream-obs demo --collector   # after make collector",
        ),
    )
    demo.add_argument("--requests", type=int_range(1), default=600, help="requests to send (600)")
    demo.add_argument(
        "--concurrency", type=int_range(1, 256), default=8, help="concurrent clients (8)"
    )
    demo.add_argument(
        "--serve", action="store_true", help="keep the service running after the report"
    )
    demo.add_argument("--port", type=PORT, default=8080, help="service port (8080; 0 = any)")
    demo.add_argument("--telemetry-dir", default=None, help="where OTLP/JSON files go (.telemetry)")
    demo.add_argument("--seed", type=int_range(0), default=7, help="traffic mix seed (7)")
    demo.add_argument(
        "--collector",
        action="store_true",
        help="send the telemetry through our collector (make collector): sidecar and gateway "
        "configs, Prometheus by remote write; the report reads what the collector wrote",
    )
    demo.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aurastream_obs.demo.runner import run_demo

    return int(
        run_demo(
            requests=args.requests,
            concurrency=args.concurrency,
            serve=args.serve,
            port=args.port,
            telemetry_dir=args.telemetry_dir,
            seed=args.seed,
            collector=args.collector,
        )
    )
