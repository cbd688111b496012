"""`aurastream-obs runbook run` end to end: a real process whose boto3 clients follow
AWS_ENDPOINT_URL to a moto server (fake credentials). Dry-run prints `[planned]` lines and
audit JSON lines and leaves AWS as it was; `--execute` changes it within the limits; a
request over a hard limit is refused (exit 5) before anything runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.runbooks import alert, state


def run_cli(
    moto_url: str, tmp_path: Path, aws: dict[str, Any], *args: str
) -> subprocess.CompletedProcess[str]:
    alert_file = tmp_path / "alert.json"
    alert_file.write_text(json.dumps(alert("error-rate").to_dict()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AURASTREAM_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=os.environ["AWS_DEFAULT_REGION"],  # the region the fixtures used
        AWS_ENDPOINT_URL=moto_url,
        AWS_CONFIG_FILE=str(tmp_path / "absent-config"),  # no profile can redirect the calls
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "absent-credentials"),
    )
    command = [sys.executable, "-m", "aurastream_obs.cli", "runbook", "run", "high-error-rate",
               "--alert-file", str(alert_file), "--function", aws["function"],
               "--environment", aws["env"], *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def audit_records(stderr: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [r for r in records if r.get("category") == "audit"]


def test_dry_run_plans_audits_and_changes_nothing(
    clients: Callable[[str], Any], aws: dict[str, Any], moto_url: str, tmp_path: Path
) -> None:
    before = state(clients, aws)
    done = run_cli(moto_url, tmp_path, aws, "--concurrency", "150")
    assert done.returncode == 0, done.stderr
    assert "DRY-RUN" in done.stdout
    planned = [line for line in done.stdout.splitlines() if line.strip().startswith("[")]
    assert planned == [
        f"  [planned] lambda.raise_concurrency {aws['function']} (concurrency=150)",
        f"  [planned] ssm.put_flag /aurastream/{aws['env']}/circuit-breaker (value=open)",
        "  [planned] notify incident-team (message=High error rate detected: "
        "aurastream-prod-error-rate-critical (critical) boom)",
    ]
    audits = audit_records(done.stderr)
    assert [(a["action"], a["mode"], a["outcome"]) for a in audits] == [
        ("lambda.raise_concurrency", "dry-run", "planned"),
        ("ssm.put_flag", "dry-run", "planned"),
        ("notify", "dry-run", "planned"),
    ]
    assert done.stderr.count('"category":"audit"') == 3  # one JSON line per action
    assert state(clients, aws) == before  # no AWS call changed anything
    assert before["concurrency"] is None and before["params"] == {}


def test_execute_changes_aws_within_the_limits(
    clients: Callable[[str], Any], aws: dict[str, Any], moto_url: str, tmp_path: Path
) -> None:
    done = run_cli(moto_url, tmp_path, aws, "--concurrency", "150", "--execute")
    assert done.returncode == 0, done.stderr
    assert "EXECUTE" in done.stdout
    assert f"  [succeeded] lambda.raise_concurrency {aws['function']} (concurrency=150)" in (
        done.stdout
    )
    after = state(clients, aws)
    assert after["concurrency"] == 150
    assert after["params"] == {f"/aurastream/{aws['env']}/circuit-breaker": "open"}
    audits = audit_records(done.stderr)
    assert [(a["action"], a["mode"], a["outcome"]) for a in audits] == [
        ("lambda.raise_concurrency", "execute", "succeeded"),
        ("ssm.put_flag", "execute", "succeeded"),
        ("notify", "execute", "skipped"),  # no AURASTREAM_ALERTS_ROUTER_URL in this run
    ]


@pytest.mark.parametrize("execute", [True, False])
def test_over_the_limit_is_refused_with_exit_5(
    clients: Callable[[str], Any], aws: dict[str, Any], moto_url: str, tmp_path: Path,
    execute: bool,
) -> None:  # fmt: skip
    before = state(clients, aws)
    done = run_cli(moto_url, tmp_path, aws, "--concurrency", "5000",
                   *(["--execute"] if execute else []))  # fmt: skip
    assert done.returncode == 5, done.stdout + done.stderr
    assert "REFUSED" in done.stderr and "concurrency 5000 outside 1..200" in done.stderr
    assert "[succeeded]" not in done.stdout and "[planned]" not in done.stdout
    assert state(clients, aws) == before
    audits = audit_records(done.stderr)
    assert [(a["action"], a["outcome"]) for a in audits] == [
        ("lambda.raise_concurrency", "refused"),
        ("ssm.put_flag", "skipped"),
        ("notify", "skipped"),
    ]


def test_a_step_refused_at_execution_is_exit_1_and_changes_nothing(
    clients: Callable[[str], Any], aws: dict[str, Any], moto_url: str, tmp_path: Path
) -> None:
    from support.runbooks import put_peak

    put_peak(clients, aws["function"], 190)  # 190 + 20 % needs 228 reserved: over the limit
    done = run_cli(moto_url, tmp_path, aws, "--execute")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"  [refused] lambda.raise_concurrency {aws['function']} (concurrency=100) — peak 190 "
        "over the last 1 h needs at least 228 reserved, over the limit of 200" in done.stdout
    )
    assert state(clients, aws)["concurrency"] is None
