"""`aurastream-obs` command line: one module per subcommand under `commands/`.

Adding a command: write `commands/<name>.py` with `register(sub)` (which sets `handler`) and
list the module here. Subcommands import their dependencies lazily, inside `handler`.

Errors a user can fix (AWS, files, a backend) are one line on stderr with the fix and a
documented exit code (`commands/errors.py`, `core/exit_codes.py`); anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Final

from aurastream_obs.core.exit_codes import EXIT_CODE_TABLE, ExitCode
from aurastream_obs.core.version import __version__

COMMAND_MODULES: Final = (
    "aurastream_obs.commands.demo",
    "aurastream_obs.commands.render",
    "aurastream_obs.commands.kpi",
    "aurastream_obs.commands.traces",
    "aurastream_obs.commands.health",
    "aurastream_obs.commands.analytics",
    "aurastream_obs.commands.alerts",
    "aurastream_obs.commands.runbook",
)

EXAMPLES: Final = (
    "aurastream-obs demo",
    "aurastream-obs kpi --prometheus http://localhost:9090 --window 1h",
    "aurastream-obs health --api-url http://localhost:8080 --timeout 3",
    "aurastream-obs render --check && aurastream-obs validate",
    "aurastream-obs <command> --help",
)


def _epilog() -> str:
    codes = "\n".join(f"  {int(code):>3}  {text}" for code, text in EXIT_CODE_TABLE)
    examples = "\n".join(f"  {line}" for line in EXAMPLES)
    return f"exit codes:\n{codes}\n\nexamples:\n{examples}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aurastream-obs",
        description="AuraStream observability tools: the demo, artifacts rendered from the "
        "definitions, and the operations tools (KPIs, traces, health, analytics, alerts, "
        "runbooks).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(build_parser().parse_args(argv))


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed subcommand; an error the user can fix becomes one line on stderr and its
    exit code (tests that build a parser of their own run commands through this too)."""
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print(f"aurastream-obs {args.command}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as error:
        from aurastream_obs.commands.errors import explain

        explained = explain(error)
        if explained is None:
            raise  # a bug of ours: its traceback is what a report needs
        message, code = explained
        print(f"aurastream-obs {args.command}: {message}", file=sys.stderr)
        return int(code)


if __name__ == "__main__":
    sys.exit(main())
