"""Every code block in README.md runs, as a user would run it (placeholders are real values).

Python blocks run in a fresh process each (then their handler, if they define one, is
called); shell blocks run line by line: `make <target>` as `make -n` (the target exists and
its recipe resolves; `make test` itself is what runs this), a long-running server line is
started, seen ready and stopped, every other command runs for real. A block this test does
not know how to run fails it: add it to RUNNERS rather than leave a snippet untested.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.paths import ROOT
from support.processes import clean_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
README = (ROOT / "README.md").read_text()


def _blocks() -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in FENCE.findall(README) if lang]  # "": diagrams


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{shlex.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _env(**extra: str) -> dict[str, str]:
    env = clean_env({"AURASTREAM_PROMETHEUS_PORT": "0", **extra})
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_python(body: str, tmp_path: Path) -> None:
    env = _env(AWS_LAMBDA_FUNCTION_NAME="readme") if "instrument_handler" in body else _env()
    code = textwrap.dedent(body)
    if "def handler(" in code:  # a Lambda handler snippet: invoke it once, as Lambda would
        code += "\nassert handler({'rawPath': '/', 'requestContext': {}}, None)\n"
    _run([sys.executable, "-c", code], tmp_path, env)


HEALTH_URL = "http://127.0.0.1:13133/"  # the health_check extension of the collector configs


def _long_running(args: list[str], tmp_path: Path, env: dict[str, str]) -> None:
    """Start a server command, wait until its health endpoint answers, stop it."""
    import urllib.request

    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                urllib.request.urlopen(HEALTH_URL, timeout=1).read()
            except OSError:
                time.sleep(0.1)  # polling another process's readiness
                continue
            # Healthy, and it is ours: a collector that failed to bind would have exited.
            assert proc.poll() is None, f"{shlex.join(args)} exited: another process answered"
            return
        output = proc.stdout.read() if proc.poll() is not None and proc.stdout else ""
        pytest.fail(f"{shlex.join(args)} did not become healthy: {output[-2000:]}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_shell(body: str, tmp_path: Path) -> None:
    env = _env(OTEL_SERVICE_NAME="aurastream-api")
    (tmp_path / "app.py").write_text(  # the `app.py` of the opentelemetry-instrument line
        "import logging\nlogging.getLogger('app').warning('hello from app.py')\n"
    )
    for raw in body.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = shlex.split(line)
        assignments = {}
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            key, _, value = words.pop(0).partition("=")
            assignments[key] = value
        command_env = {**env, **assignments}
        if words[0] == "make":
            _run(["make", "-n", *words[1:]], ROOT, command_env)
            continue
        cwd = tmp_path
        if words[0].startswith(".build/"):  # a binary `make` builds: run from the checkout
            _require_built(ROOT / words[0])
            words[0], cwd = str(ROOT / words[0]), ROOT
            if len(words) == 2 and words[1].startswith("--config="):
                _long_running(words, ROOT, command_env)
                continue
        _run(words, cwd, command_env)


def _require_built(binary: Path) -> None:
    if binary.exists():
        return
    message = f"{binary.relative_to(ROOT)} is not built (`make collector`; make test builds it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


RUNNERS: dict[str, Callable[[str, Path], None]] = {"python": run_python, "bash": run_shell}


@pytest.mark.parametrize(
    "lang,body", _blocks(), ids=[f"block{i}-{lang}" for i, (lang, _) in enumerate(_blocks(), 1)]
)
def test_readme_block_runs(lang: str, body: str, tmp_path: Path) -> None:
    runner = RUNNERS.get(lang)
    assert runner is not None, f"README has a {lang!r} block this test cannot run: add a runner"
    runner(body, tmp_path)


def test_the_readme_has_runnable_blocks() -> None:
    assert len([lang for lang, _ in _blocks() if lang == "python"]) >= 3
