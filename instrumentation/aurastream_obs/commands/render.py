"""`aurastream-obs render [--check]` and `aurastream-obs validate`."""

from __future__ import annotations

import argparse
import sys

from aurastream_obs.commands._args import command_parser, environment_name
from aurastream_obs.commands._types import SubParsers
from aurastream_obs.core.exit_codes import ExitCode


def register(sub: SubParsers) -> None:
    render = command_parser(
        sub,
        "render",
        summary="render definitions into collector/, deploy/ and grafana/",
        description="Writes every generated artifact (collector configs, deploy templates, "
        "Prometheus rules and their promtool tests, Alertmanager config, Grafana dashboards) "
        "from the definitions, then prints the custom-metric cost. --check writes nothing and "
        "exits 1 when a committed artifact differs from what the definitions render. The "
        "committed Prometheus rules are for the local stack (environment local); --environment "
        "ENV --out DIR writes them for ENV instead (alert names aurastream-ENV-*, every query "
        "and label scoped to ENV), e.g. to load into Amazon Managed Prometheus.",
        examples=(
            "aurastream-obs render",
            "aurastream-obs render --check",
            "aurastream-obs render --environment prod --out rules-prod",
        ),
    )
    render.add_argument(
        "--check", action="store_true", help="exit 1 if committed artifacts are stale"
    )
    render.add_argument("--root", default=".", help="repository root (.)")
    render.add_argument(
        "--environment",
        type=environment_name,
        metavar="ENV",
        help="with --out: render the Prometheus rules for ENV only",
    )
    render.add_argument("--out", metavar="DIR", help="with --environment: where they go")
    render.set_defaults(handler=run_render)
    validate = command_parser(
        sub,
        "validate",
        summary="check collector configs, templates, rules and dashboards",
        description="Checks the committed artifacts with the real tools (promtool, amtool, "
        "cfn-lint, the collector build) and the metric catalogs; one line per problem, exit "
        "1 when there is any.",
        examples=("aurastream-obs validate", "aurastream-obs validate --root /path/to/checkout"),
    )
    validate.add_argument("--root", default=".", help="repository root (.)")
    validate.set_defaults(handler=run_validate)


def run_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.environment or args.out:
        return _render_environment(args)
    from aurastream_obs.artifacts import check_artifacts, render_all, write_artifacts

    try:
        artifacts = render_all()
    except ValueError as exc:  # an invalid definition: say which, write nothing
        print(f"render: {exc}", file=sys.stderr)
        return ExitCode.PROBLEM
    if args.check:
        problems = check_artifacts(Path(args.root), artifacts)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"render --check: {len(artifacts)} artifacts, {len(problems)} stale")
        return ExitCode.PROBLEM if problems else ExitCode.OK
    written = write_artifacts(Path(args.root), artifacts)
    for path in written:
        print(f"wrote {path}")
    print(f"render: {len(artifacts)} artifacts, {len(written)} changed")
    from aurastream_obs.artifacts.cost import print_cost

    print(print_cost())
    return 0


def run_validate(args: argparse.Namespace) -> int:
    import importlib
    from pathlib import Path

    from aurastream_obs.artifacts.registry import VALIDATORS

    failures = 0
    for spec in VALIDATORS:
        module_name, _, func_name = spec.partition(":")
        problems = getattr(importlib.import_module(module_name), func_name)(Path(args.root))
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{func_name}: {status}")
        for problem in problems:
            print(f"  {problem}")
        failures += len(problems)
    return ExitCode.PROBLEM if failures else ExitCode.OK


def _render_environment(args: argparse.Namespace) -> int:
    """The Prometheus rules for one environment, as files in --out."""
    import importlib
    from pathlib import Path

    from aurastream_obs.artifacts.registry import ENVIRONMENT_SOURCES
    from aurastream_obs.commands._ops import fail

    if not (args.environment and args.out) or args.check:
        return fail("render: --environment and --out go together, without --check")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for spec in ENVIRONMENT_SOURCES:
        module_name, _, func_name = spec.partition(":")
        for artifact in getattr(importlib.import_module(module_name), func_name)(args.environment):
            target = out / Path(artifact.path).name
            target.write_text(artifact.text, encoding="utf-8")
            print(f"wrote {target}")
    return ExitCode.OK
