"""Run one `aurastream-obs` subcommand in-process (no subprocess): its exit code and stdout.
Errors are reported as the console script reports them (`cli.dispatch`: one line on stderr)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
from collections.abc import Sequence

from aurastream_obs.cli import dispatch


def run_command(module: str, argv: Sequence[str]) -> tuple[int, str]:
    """Run the subcommand that `aurastream_obs.commands.<module>` registers; (exit code, stdout)."""
    parser = argparse.ArgumentParser(prog="aurastream-obs")
    importlib.import_module(f"aurastream_obs.commands.{module}").register(
        parser.add_subparsers(dest="command", required=True)
    )
    args = parser.parse_args([module, *argv])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = dispatch(args)
    return code, out.getvalue()
