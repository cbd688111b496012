"""The `aurastream-obs` console script as a user runs it (a real process, the installed entry
point): `--version`, `--help` for every command with a description and examples, argument
ranges refused as usage errors, and every AWS, file or backend error one line on stderr with
the fix, no traceback, the documented exit code (core/exit_codes.py, README "Exit codes")."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aurastream_obs.cli import build_parser
from aurastream_obs.core.exit_codes import EXIT_CODE_TABLE, ExitCode
from aurastream_obs.core.version import __version__
from support.otlp_data import NOW_NS, latency_histogram, metrics_line, write_lines
from support.paths import ROOT
from support.processes import free_port
from support.runbooks import alert

SCRIPT = Path(sys.executable).parent / "aurastream-obs"
SUBCOMMANDS = ("demo", "render", "validate", "kpi", "traces", "health", "analytics", "alerts",
               "runbook")  # fmt: skip


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No AWS configuration at all (no profile, no instance metadata), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AURASTREAM_"))}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "absent-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "absent-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        **extra,
    )
    return env


def run(
    tmp_path: Path, *argv: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv], capture_output=True, text=True, timeout=timeout, check=False,
        cwd=tmp_path, env=dict(env) if env is not None else clean_env(tmp_path),
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str], code: ExitCode, *needles: str) -> str:
    """The process exited with `code` after exactly one stderr line holding every needle."""
    err = done.stderr
    assert done.returncode == code, (done.returncode, err, done.stdout)
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def usage_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    """argparse's usage error: exit 2, the usage and one error line naming the argument."""
    assert done.returncode == ExitCode.USAGE, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert "error: " in last and message in last, last


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists(), f"{SCRIPT}: pip install -e . (the console script)"


def test_version(tmp_path: Path) -> None:
    done = run(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout == f"aurastream-obs {__version__}\n"


def test_help_lists_every_exit_code_and_command(tmp_path: Path) -> None:
    done = run(tmp_path, "--help")
    assert done.returncode == 0
    for code, meaning in EXIT_CODE_TABLE:
        assert f"{int(code):>3}  {meaning[:40]}" in " ".join(done.stdout.split("\n  ")), code
    for name in SUBCOMMANDS:
        assert name in done.stdout


@pytest.mark.parametrize("command", [*SUBCOMMANDS, "alerts serve", "runbook run"])
def test_every_command_has_a_description_and_examples(tmp_path: Path, command: str) -> None:
    done = run(tmp_path, *command.split(), "--help")
    assert done.returncode == 0, done.stderr
    usage, _, rest = done.stdout.partition("\n\n")
    description = rest.partition("\n\n")[0]
    assert usage.startswith("usage: aurastream-obs") and len(description) > 40, done.stdout
    examples = done.stdout.partition("examples:\n")[2]
    assert examples.strip().startswith("aurastream-obs") or "aurastream-obs" in examples


def test_readme_exit_code_table_is_the_code() -> None:
    readme = (ROOT / "README.md").read_text().partition("### Exit codes")[2]
    rows = [line for line in readme.splitlines() if line.startswith("| ") and "code" not in line]
    table = [(int(r.split("|")[1]), r.split("|")[2].strip()) for r in rows[: len(EXIT_CODE_TABLE)]]
    assert table == [(int(code), text) for code, text in EXIT_CODE_TABLE]


# --- usage errors: ranges checked by argparse ------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["traces", "--telemetry-dir", ".", "--top", "-3"], "argument --top: -3 is not"),
        (["traces", "--telemetry-dir", ".", "--top", "x"], "argument --top: 'x' is not"),
        (["traces", "--telemetry-dir", ".", "--threshold-ms", "-1"], "--threshold-ms: -1"),
        (["traces", "--xray", "--since", "yesterday"], "--since: 'yesterday' is not a duration"),
        (["health", "--api-url", "http://x", "--timeout", "-1"], "--timeout: -1 is not"),
        (["health", "--api-url", "http://x", "--timeout", "0"], "--timeout: 0 is not"),
        (["health", "--api-url", "http://x", "--timeout", "nan"], "--timeout: nan is not"),
        (["kpi", "--telemetry-dir", ".", "--window", "5x"], "--window: '5x' is not a duration"),
        (["analytics", "--telemetry-dir", ".", "--end", "yesterday"], "--end: 'yesterday'"),
        (["analytics", "--telemetry-dir", ".", "--lifetime-months", "0"], "--lifetime-months"),
        (["demo", "--port", "70000"], "--port: 70000 is not an integer from 0 to 65535"),
        (["demo", "--requests", "0"], "--requests: 0 is not an integer >= 1"),
        (["alerts", "serve", "--port", "-1"], "--port: -1 is not"),
        (["runbook", "run", "service-down", "--alert-file", "a.json", "--memory", "64"],
         "--memory: 64 is not an integer from 128 to 10240"),
        (["kpi"], "one of the arguments --prometheus --cloudwatch --telemetry-dir is required"),
        (["nosuch"], "invalid choice: 'nosuch'"),
    ],
)  # fmt: skip
def test_out_of_range_arguments_are_usage_errors(
    tmp_path: Path, argv: list[str], message: str
) -> None:
    usage_error(run(tmp_path, *argv), message)


def test_a_flag_for_another_backend_is_a_usage_error(tmp_path: Path) -> None:
    done = run(tmp_path, "analytics", "--telemetry-dir", ".", "--log-group", "g")
    one_line_error(done, ExitCode.USAGE, "--log-group applies to --cloudwatch only")


# --- could not run (4): AWS ------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [["kpi", "--cloudwatch"], ["analytics", "--cloudwatch"], ["traces", "--xray"],
     ["health", "--function", "f"], ["health", "--deployment"]],
)  # fmt: skip
def test_no_region(tmp_path: Path, argv: list[str]) -> None:
    one_line_error(run(tmp_path, *argv), ExitCode.UNAVAILABLE, "no AWS region",
                   "AWS_DEFAULT_REGION")  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [["kpi", "--cloudwatch"], ["analytics", "--cloudwatch"], ["traces", "--xray"],
     ["health", "--table", "t"]],
)  # fmt: skip
def test_no_credentials(tmp_path: Path, argv: list[str]) -> None:
    env = clean_env(tmp_path, AWS_DEFAULT_REGION="eu-west-1")
    done = run(tmp_path, *argv, env=env)
    one_line_error(done, ExitCode.UNAVAILABLE, "no AWS credentials", "AWS_PROFILE", "aws configure")


def test_unknown_profile(tmp_path: Path) -> None:
    env = clean_env(tmp_path, AWS_DEFAULT_REGION="eu-west-1", AWS_PROFILE="nosuch")
    done = run(tmp_path, "traces", "--xray", env=env)
    one_line_error(done, ExitCode.UNAVAILABLE, "nosuch", "check AWS_PROFILE")


def test_unreachable_endpoint(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path, AWS_DEFAULT_REGION="eu-west-1", AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        AWS_MAX_ATTEMPTS="1",
    )  # fmt: skip
    for argv in (["kpi", "--cloudwatch"], ["traces", "--xray", "--stack", "s"]):
        done = run(tmp_path, *argv, env=env)
        one_line_error(done, ExitCode.UNAVAILABLE, "Could not connect to the endpoint URL",
                       "AWS_ENDPOINT_URL")  # fmt: skip


def test_aws_refusals_on_moto(tmp_path: Path, moto_url: str) -> None:
    """A ClientError from a real endpoint (moto): AWS answered and said no."""
    env = clean_env(
        tmp_path, AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL=moto_url,
    )  # fmt: skip
    done = run(tmp_path, "traces", "--xray", "--stack", "no-such-stack", env=env)
    one_line_error(done, ExitCode.UNAVAILABLE, "DescribeStacks: ValidationError",
                   "no-such-stack", "check --environment, --stack")  # fmt: skip
    done = run(tmp_path, "kpi", "--cloudwatch", "--environment", "absent", env=env)
    one_line_error(done, ExitCode.UNAVAILABLE, "no HTTP API named aurastream-api-absent",
                   "pass --api-id or --stack")  # fmt: skip


# --- could not run (4): files and backends ---------------------------------------------------
def test_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    one_line_error(
        run(tmp_path, "traces", "--telemetry-dir", str(missing), "--waterfall", "/no/dir/x.html"),
        ExitCode.UNAVAILABLE, "/no/dir/x.html: folder /no/dir does not exist", "create it",
    )  # fmt: skip
    one_line_error(
        run(tmp_path, "traces", "--telemetry-dir", str(missing)),
        ExitCode.UNAVAILABLE, "no traces.jsonl", "give --telemetry-dir the folder",
    )  # fmt: skip
    one_line_error(
        run(tmp_path, "kpi", "--telemetry-dir", str(missing)),
        ExitCode.UNAVAILABLE, "no metrics.jsonl", "give --telemetry-dir the folder",
    )  # fmt: skip
    one_line_error(
        run(tmp_path, "analytics", "--telemetry-dir", str(tmp_path), "--html", str(tmp_path)),
        ExitCode.UNAVAILABLE, "is a folder: give a file path",
    )  # fmt: skip
    one_line_error(
        run(tmp_path, "analytics", "--telemetry-dir", str(tmp_path), "--prices", str(tmp_path)),
        ExitCode.UNAVAILABLE, f"prices {tmp_path}", "Is a directory",
    )  # fmt: skip
    one_line_error(
        run(tmp_path, "analytics", "--telemetry-dir", str(tmp_path), "--prices", str(missing)),
        ExitCode.UNAVAILABLE, f"prices {missing}", "No such file",
    )  # fmt: skip
    one_line_error(
        run(tmp_path, "runbook", "run", "service-down", "--alert-file", str(missing)),
        ExitCode.UNAVAILABLE, "cannot read",
    )  # fmt: skip


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = run(tmp_path, "alerts", "serve", "--port", str(taken.getsockname()[1]))
    one_line_error(done, ExitCode.UNAVAILABLE, "Address already in use", "choose another --port")


def test_unreachable_prometheus(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = run(tmp_path, "kpi", "--prometheus", url)
    one_line_error(done, ExitCode.UNAVAILABLE, f"cannot query Prometheus at {url}",
                   "check the --prometheus URL")  # fmt: skip


# --- findings: 0, 1, 3, 5 --------------------------------------------------------------------
class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "ok", "health": "healthy"}).encode()
        self.send_response(200 if self.path == "/v1/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def healthy_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_health_exit_codes(tmp_path: Path, healthy_api: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert run(tmp_path, "health", "--api-url", healthy_api).returncode == ExitCode.OK
    degraded = run(tmp_path, "health", "--api-url", healthy_api, "--prometheus", dead)
    assert degraded.returncode == ExitCode.DEGRADED and "overall: degraded" in degraded.stdout
    unhealthy = run(tmp_path, "health", "--api-url", dead, "--timeout", "2")
    assert unhealthy.returncode == ExitCode.PROBLEM and "overall: unhealthy" in unhealthy.stdout
    assert "Traceback" not in degraded.stderr + unhealthy.stderr


def test_a_breached_slo_is_exit_1(tmp_path: Path) -> None:
    failed = {"http.request.method": "POST", "http.route": "/v1/analyze",
              "http.response.status_code": 500}  # fmt: skip
    ok = {**failed, "http.response.status_code": 200}
    line = metrics_line(
        latency_histogram([(ok, NOW_NS, [0.02] * 90), (failed, NOW_NS, [0.02] * 10)])
    )
    write_lines(tmp_path / "metrics.jsonl", line)
    done = run(tmp_path, "kpi", "--telemetry-dir", str(tmp_path))
    assert done.returncode == ExitCode.PROBLEM and "SLO breached" in done.stdout, done.stderr


def test_stale_artifacts_are_exit_1(tmp_path: Path) -> None:
    done = run(tmp_path, "render", "--check", "--root", str(tmp_path), timeout=120)
    assert done.returncode == ExitCode.PROBLEM and "stale" in done.stdout, done.stderr


def test_a_hard_limit_is_exit_5_and_nothing_runs(tmp_path: Path) -> None:
    alert_file = tmp_path / "alert.json"
    alert_file.write_text(json.dumps(alert("error-rate").to_dict()))
    done = run(tmp_path, "runbook", "run", "high-error-rate", "--alert-file", str(alert_file),
               "--concurrency", "5000")  # fmt: skip
    assert done.returncode == ExitCode.REFUSED, done.stdout + done.stderr
    assert "REFUSED" in done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_is_exit_130_without_a_traceback(tmp_path: Path) -> None:
    """SIGINT while waiting on a backend that never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections (the backlog), never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        process = subprocess.Popen(
            [str(SCRIPT), "kpi", "--prometheus", url], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path),
        )  # fmt: skip
        time.sleep(1.5)  # imported and waiting on the socket
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, err
    assert err == "aurastream-obs kpi: interrupted\n"


def test_the_parser_is_the_one_documented() -> None:
    """Every subcommand the parser knows is in this test's list (a new one gets its checks)."""
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert choices is not None and tuple(choices) == SUBCOMMANDS
