"""`aurastream-obs` command line: one module per subcommand under `commands/`.

Adding a command: write `commands/<name>.py` with `register(sub)` (which sets `handler`) and
list the module here. Subcommands import their dependencies lazily, inside `handler`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Final

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aurastream-obs", description="AuraStream observability tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
