"""Argument types with their ranges (argparse refuses a bad value with a usage error, exit 2)
and the subcommand parser factory: every subcommand has a description and examples."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from typing import Final

from aurastream_obs.commands._types import SubParsers

_DURATION: Final = re.compile(r"^[1-9][0-9]*[smhdw]$")


def int_range(low: int, high: int | None = None) -> Callable[[str], int]:
    """An integer within [low, high] (high None: no upper bound)."""
    wanted = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text} is not {wanted}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def float_range(
    low: float, high: float = math.inf, *, low_open: bool = False
) -> Callable[[str], float]:
    """A finite number within [low, high] (or (low, high] with `low_open`)."""
    bound = f"> {low:g}" if low_open else f">= {low:g}"
    wanted = f"a number {bound}" + (f" and <= {high:g}" if high != math.inf else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            raise argparse.ArgumentTypeError(f"{text} is not {wanted}")
        return value

    parse.__name__ = "number"
    return parse


def duration(text: str) -> str:
    """A Prometheus duration with one unit: 30s, 5m, 1h, 14d, 2w."""
    if not _DURATION.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration such as 30s, 5m, 1h, 7d or 2w"
        )
    return text


PORT: Final = int_range(0, 65535)
_ENVIRONMENT: Final = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def environment_name(text: str) -> str:
    """An environment name as the templates allow it (lower case, digits, hyphens): it is part
    of every deployed name and alert name."""
    if not _ENVIRONMENT.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an environment name such as prod")
    return text


def command_parser(
    sub: SubParsers, name: str, *, summary: str, description: str, examples: Sequence[str]
) -> argparse.ArgumentParser:
    """A subcommand with its one-line summary (in the command list), a description and
    examples (in its own --help), laid out as written."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
