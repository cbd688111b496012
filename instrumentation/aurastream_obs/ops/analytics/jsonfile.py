"""The analytics' small JSON override files (health thresholds, prices): one object with
known keys, read whole; a problem is a ValueError naming the file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any


def read_overrides(path: str | os.PathLike[str], what: str, known: Iterable[str]) -> dict[str, Any]:
    """The JSON object in `path`, whose keys must all be `known`."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as error:
        raise ValueError(f"{what} {os.fspath(path)}: {error}") from error
    if not isinstance(document, dict):
        raise ValueError(f"{what} {os.fspath(path)}: expected a JSON object")
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise ValueError(
            f"{what} {os.fspath(path)}: unknown keys {unknown} (known: {sorted(known)})"
        )
    return document
