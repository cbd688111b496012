"""`aurastream-obs` command line. Subcommands import their dependencies lazily."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _demo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _render_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = sub.add_parser(
        "render", help="render definitions into collector/, deploy/ and grafana/"
    )
    render.add_argument(
        "--check", action="store_true", help="exit 1 if committed artifacts are stale"
    )
    render.add_argument("--root", default=".", help="repository root (.)")
    validate = sub.add_parser(
        "validate", help="check collector configs, templates, rules and dashboards"
    )
    validate.add_argument("--root", default=".", help="repository root (.)")


def _render(check: bool, root: str) -> int:
    from pathlib import Path

    from aurastream_obs.render import check_artifacts, render_all, write_artifacts

    try:
        artifacts = render_all()
    except ValueError as exc:  # an invalid definition: say which, write nothing
        print(f"render: {exc}", file=sys.stderr)
        return 2
    if check:
        problems = check_artifacts(Path(root), artifacts)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"render --check: {len(artifacts)} artifacts, {len(problems)} stale")
        return 1 if problems else 0
    written = write_artifacts(Path(root), artifacts)
    for path in written:
        print(f"wrote {path}")
    print(f"render: {len(artifacts)} artifacts, {len(written)} changed")
    from aurastream_obs.render.cost import print_cost

    print(print_cost())
    return 0


def _validate(root: str) -> int:
    import importlib
    from pathlib import Path

    from aurastream_obs.render.registry import VALIDATORS

    failures = 0
    for spec in VALIDATORS:
        module_name, _, func_name = spec.partition(":")
        problems = getattr(importlib.import_module(module_name), func_name)(Path(root))
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{func_name}: {status}")
        for problem in problems:
            print(f"  {problem}")
        failures += len(problems)
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aurastream-obs", description="AuraStream observability tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _demo_parser(sub)
    _render_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from aurastream_obs.demo.runner import run_demo

        return int(
            run_demo(
                requests=args.requests,
                concurrency=args.concurrency,
                serve=args.serve,
                port=args.port,
                telemetry_dir=args.telemetry_dir,
                seed=args.seed,
            )
        )
    if args.command == "render":
        return _render(args.check, args.root)
    if args.command == "validate":
        return _validate(args.root)
    return 2


if __name__ == "__main__":
    sys.exit(main())
