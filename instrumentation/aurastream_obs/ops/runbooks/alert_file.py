"""`runbook run --alert-file F`: the alert as JSON (`Alert.to_dict`), read strictly. Any problem
— unreadable, too large, not JSON, nested too deeply, a list instead of an object, a field of
the wrong type — is one `AlertFileError` whose text is a single line naming the file and the
problem (the CLI prints it and exits 4, "could not run": 2 is only argparse's usage error), never
a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.jsonlimits import load_json
from aurastream_obs.ops.alerts.sources import PayloadError

MAX_FILE_BYTES: Final = 256 * 1024
_KINDS: Final = {list: "a list", str: "a string", int: "a number", float: "a number",
                 bool: "a boolean", type(None): "null"}  # fmt: skip


class AlertFileError(Exception):
    """One line: `<file>: <what is wrong>`."""


def load_alert_file(path: str | Path) -> Alert:
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise AlertFileError(f"{name}: cannot read ({why})") from None
    try:
        data = load_json(raw, max_bytes=MAX_FILE_BYTES, what="the alert file")
        if not isinstance(data, dict):
            raise PayloadError(f"the alert must be a JSON object, not {_KINDS.get(type(data))}")
        return Alert.from_dict(data)
    except (PayloadError, ValueError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message held
        raise AlertFileError(f"{name}: {message}"[:300]) from None
