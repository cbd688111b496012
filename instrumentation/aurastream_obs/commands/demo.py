"""`aurastream-obs demo`: the reference service in local mode, traffic, a report."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._types import SubParsers


def register(sub: SubParsers) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the reference service in local mode, drive traffic, report from telemetry",
    )
    demo.add_argument("--requests", type=int, default=600, help="requests to send (600)")
    demo.add_argument("--concurrency", type=int, default=8, help="concurrent clients (8)")
    demo.add_argument(
        "--serve", action="store_true", help="keep the service running after the report"
    )
    demo.add_argument("--port", type=int, default=8080, help="service port (8080; 0 = any)")
    demo.add_argument("--telemetry-dir", default=None, help="where OTLP/JSON files go (.telemetry)")
    demo.add_argument("--seed", type=int, default=7, help="traffic mix seed (7)")
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
