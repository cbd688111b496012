"""`runbook run --alert-file F`: every way the file can be unusable is one line on stderr and
exit code 4, before anything is planned (no traceback, nothing logged, AWS untouched)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurastream_obs.ops.runbooks.alert_file import AlertFileError, load_alert_file
from support.cli import run_command
from support.runbooks import alert

GOOD = alert("error-rate").to_dict()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps([GOOD]), "the alert must be a JSON object, not a list"),
        ('"just a string"', "not a string"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 32 levels"),
        ('{"name": ' * 50 + "1" + "}" * 50, "nested deeper than 32 levels"),
        ("{not json", "is not valid JSON"),
        ("", "is not valid JSON"),
        (json.dumps({**GOOD, "labels": ["a", "b"]}), "'labels' must be an object of strings"),
        (json.dumps({**GOOD, "labels": {"signal": 5}}), "'labels' must be an object of strings"),
        (json.dumps({**GOOD, "value": "high"}), "'value' must be a number or null"),
        (json.dumps({**GOOD, "value": True}), "'value' must be a number or null"),
        (json.dumps({**GOOD, "name": 123}), "'name' must be a non-empty string"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "name"}), "'name' must be"),
        (json.dumps({**GOOD, "status": "exploded"}), "'status' must be firing or resolved"),
        (json.dumps({**GOOD, "summary": {"x": 1}}), "'summary' must be a string, not an object"),
        (json.dumps({**GOOD, "severity": None, "source": "pager"}), "'source' must be one of"),
        ("1" * 5000, "is not valid JSON"),  # an integer past Python's digit limit
        (" " * (300 * 1024), "over 262144 bytes"),
    ],
)
def test_every_unusable_file_is_one_line_and_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "alert.json"
    path.write_text(content)
    code, stdout = run_command("runbook", ["run", "high-error-rate", "--alert-file", str(path)])
    err = capsys.readouterr().err
    assert code == 4 and stdout == ""
    assert err.count("\n") == 1 and err.startswith(f"runbook: {path}: "), err
    assert message in err and "Traceback" not in err


def test_missing_and_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (tmp_path / "absent.json", tmp_path):  # absent; a directory
        code, _ = run_command("runbook", ["run", "service-down", "--alert-file", str(path)])
        err = capsys.readouterr().err
        assert code == 4 and err.count("\n") == 1 and "cannot read" in err, err


def test_a_good_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "alert.json"
    path.write_text(json.dumps(GOOD))
    assert load_alert_file(path) == alert("error-rate")
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(AlertFileError, match="not valid JSON"):
        load_alert_file(path)
