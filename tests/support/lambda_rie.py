"""A Lambda function under the real runtime: AWS's Runtime Interface Emulator
(`.build/aws-lambda-rie`, `make lambda-rie`) running AWS's Python runtime interface client
(`python -m awslambdaric module.handler`), invoked over the emulator's HTTP endpoint, with a UDP
socket on 127.0.0.1 standing in for the X-Ray daemon.

`RieFunction(handler, env=...)` starts one execution environment in a whole environment built
here (the emulator forwards its own environment to the function: nothing of the test process
leaks in); `invoke(event)` returns an `RieInvocation`: the HTTP status and body, and what the
function emitted *by the time the response returned*:

- stdout: the lines between the emulator's `START RequestId: <id>` and `END RequestId: <id>`.
  The runtime and its extensions write to the emulator's own stdout (the same pipe), and the
  emulator prints END after the runtime posted its response and before it answers the
  caller, so a line before END was written before the response;
- datagrams: what the daemon socket holds when the response arrived (loopback UDP is queued
  on the receiving socket by sendto() itself);
- `late_stdout`/`late_datagrams`: what came after the response, until the next invocation or
  the end of the environment (filled then). `arrivals_until(t)` watches for anything until t.

The emulator's own log (its stderr) is in `emulator_log`. Invocations are sequential: the
emulator crashes on concurrent invokes (aws-lambda-runtime-interface-emulator issue #97).

Extensions: the emulator starts every executable in /opt/extensions (a fixed path, no flag or
variable). With `opt=<folder>` it runs in its own mount namespace (`unshare -m`) with that
folder bind-mounted over /opt, so nothing is written to the real /opt;
`require_mount_namespace()` skips (fails under CI=true) where that is not allowed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.lambda_output import Emitted, drain, xray_daemon
from support.moto import need
from support.paths import ROOT
from support.processes import free_port, wait_until

RIE = ROOT / ".build" / "aws-lambda-rie"
EXTENSION = ROOT / ".build" / "aurastream-lambda-extension"
BUILD_HINT = "run `make lambda-rie` (needs Go and the Go module proxy; cached once built)"
TASK_ROOT = Path(__file__).resolve().parent / "lambda_task"  # the function's code
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
STOP_TIMEOUT_S = 15.0
START_ATTEMPTS = 3


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_rie() -> Path:
    """The emulator binary and awslambdaric, or skip (fail under CI=true) saying why."""
    if not (RIE.is_file() and os.access(RIE, os.X_OK)):
        _unavailable(f"{RIE.relative_to(ROOT)} is not built: {BUILD_HINT}")
    need("awslambdaric")
    return RIE


def require_mount_namespace() -> None:
    """Root and a working `unshare -m` (for a private /opt), or skip (fail under CI=true)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        _unavailable("extensions need root and unshare(1): /opt is bind-mounted in a namespace")
    probe = subprocess.run(
        ["unshare", "-m", "true"], capture_output=True, text=True, timeout=10, check=False
    )
    if probe.returncode != 0:
        _unavailable(f"unshare -m is not permitted here: {probe.stderr.strip()}")
    if not (EXTENSION.is_file() and os.access(EXTENSION, os.X_OK)):
        _unavailable(f"{EXTENSION.relative_to(ROOT)} is not built: {BUILD_HINT}")


def function_env(
    function_name: str, timeout_s: int, daemon_port: int, task_root: Path
) -> dict[str, str]:
    """What Lambda sets for a Python function (the emulator adds AWS_LAMBDA_RUNTIME_API, the
    log group and stream), from nothing: no variable of the test process leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/tmp",
        "TZ": ":UTC",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_s),
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": str(task_root),
        "PYTHONPATH": str(task_root),  # as Lambda's bootstrap puts the task root on the path
    }


def sample_everything(folder: Path) -> dict[str, str]:
    """The environment for X-Ray rules that sample every trace (written to `folder`): with the
    packaged rules (1/s, then a fraction) a test's second root in a second may be dropped."""
    path = folder / "sample-everything.json"
    path.write_text(
        json.dumps({"version": 2, "rules": [], "default": {"fixed_target": 1, "rate": 1.0}})
    )
    return {"AURASTREAM_SAMPLING_RULES": str(path)}


@dataclass
class RieInvocation(Emitted):
    request_id: str = ""
    status: int = 0
    body: Any = None  # the response, decoded from JSON when it is JSON
    before: list[str] = field(default_factory=list)  # lines before START (extensions, late)
    late_stdout: list[str] = field(default_factory=list)
    late_datagrams: list[bytes] = field(default_factory=list)
    at_response: Any = None  # what `invoke(at_response=...)` returned when the response came

    def late_output(self) -> list[str]:
        """The function's output after the response: JSON lines and our stderr warnings (the
        collector's and the extension's own log lines are not the function's)."""
        return [x for x in self.late_stdout if x.startswith(("{", "aurastream_obs:"))]


class RieFunction:
    """One execution environment under the emulator; see the module docstring."""

    def __init__(
        self,
        handler: str,
        *,
        env: Mapping[str, str] | None = None,
        timeout_s: int = 10,
        task_root: Path = TASK_ROOT,
        opt: Path | None = None,
        function_name: str = "aurastream-analyze",
    ) -> None:
        rie = require_rie()
        if opt is not None:
            require_mount_namespace()
        self.timeout_s = timeout_s
        self.daemon = xray_daemon()
        environ = function_env(function_name, timeout_s, self.daemon.getsockname()[1], task_root)
        environ.update(env or {})
        self._lock = threading.Condition()
        self._last: RieInvocation | None = None
        self._seen = 0  # lines already given to an invocation
        # A port found free can be taken before the emulator binds it (other tests, other
        # processes): that start is retried on new ports; any other failure is reported.
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port, runtime_api = free_port(), free_port()
            argv = [
                str(rie),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{self.port}",
                # Always set: two emulators on the default 127.0.0.1:9001 would collide.
                "--runtime-api-address",
                f"127.0.0.1:{runtime_api}",
                sys.executable,
                "-m",
                "awslambdaric",
                handler,
            ]
            if opt is not None:
                mount = 'mount --bind "$0" /opt && exec "$@"'
                argv = ["unshare", "-m", "--", "sh", "-c", mount, str(opt), *argv]
            self._launch(argv, environ, task_root)
            try:
                wait_until(
                    self._accepts, timeout=20, what="the emulator's invoke endpoint", interval=0.02
                )
                return
            except AssertionError:
                self._stop_process()  # its output read to the end before it is judged
                text = self.log_text()
                if "address already in use" in text and attempt < START_ATTEMPTS:
                    continue
                self.close()
                raise AssertionError(f"emulator did not start: {text}") from None

    def _launch(self, argv: list[str], environ: Mapping[str, str], task_root: Path) -> None:
        self.lines: list[str] = []
        self.emulator_log: list[str] = []
        self.process = subprocess.Popen(
            argv,
            env=dict(environ),
            cwd=task_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._readers = [
            threading.Thread(
                target=self._read, args=(self.process.stdout, self.lines), daemon=True
            ),
            threading.Thread(
                target=self._read, args=(self.process.stderr, self.emulator_log), daemon=True
            ),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            with self._lock:
                into.append(line.rstrip("\n"))
                self._lock.notify_all()

    def _accepts(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"emulator exited: {self.log_text()}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def log_text(self) -> str:
        with self._lock:
            return "\n".join([*self.emulator_log[-30:], "--- stdout ---", *self.lines[-40:]])

    def _settle_previous(self) -> None:
        """What arrived since the previous response is late: give it to that invocation."""
        with self._lock:
            new = self.lines[self._seen :]
            self._seen = len(self.lines)
        if self._last is not None:
            report = f"REPORT RequestId: {self._last.request_id}"
            self._last.late_stdout += [x for x in new if not x.startswith(report)]
            self._last.late_datagrams += drain(self.daemon)

    def _wait_line(self, wanted: str, after: int, timeout: float) -> int:
        """Index of the first line from `after` on that starts with `wanted`."""

        def index() -> int | None:
            return next(
                (i for i in range(after, len(self.lines)) if self.lines[i].startswith(wanted)),
                None,
            )

        with self._lock:
            if not self._lock.wait_for(lambda: index() is not None, timeout=timeout):
                raise AssertionError(f"no {wanted!r} on stdout:\n{self.log_text()}")
            found = index()
            assert found is not None
            return found

    def invoke(self, event: Any, *, at_response: Callable[[], Any] | None = None) -> RieInvocation:
        """POST `event` to the emulator and wait for the response (see the module doc);
        `at_response()` runs as soon as it returned (e.g. a snapshot of a receiver)."""
        self._settle_previous()
        start = self._seen
        request_id = str(uuid.uuid4())
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{INVOKE_PATH}",
            data=json.dumps(event).encode(),
            headers={"X-Amzn-RequestId": request_id, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s + 30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        datagrams = drain(self.daemon)
        snapshot = at_response() if at_response is not None else None
        end = self._wait_line(f"END RequestId: {request_id}", start, timeout=10)
        begin = self._wait_line(f"START RequestId: {request_id}", start, timeout=1)
        with self._lock:
            before, stdout = self.lines[start:begin], self.lines[begin + 1 : end]
            self._seen = end + 1
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        invocation = RieInvocation(
            stdout=stdout,
            datagrams=datagrams,
            request_id=request_id,
            status=status,
            body=body,
            before=before,
            at_response=snapshot,
        )
        self._last = invocation
        return invocation

    def arrivals_until(self, deadline: float) -> list[str | bytes]:
        """Whatever the function sends until `deadline` (time.monotonic()): datagrams and its
        output lines (see `RieInvocation.late_output`). Absence can only be observed over a
        window; this returns as soon as something arrives."""
        with self._lock:
            mark = len(self.lines)
        while True:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self.daemon], [], [], max(0.0, min(remaining, 0.05)))
            arrived: list[str | bytes] = list(drain(self.daemon)) if readable else []
            with self._lock:
                arrived += [x for x in self.lines[mark:] if x.startswith(("{", "aurastream_obs:"))]
            if arrived or remaining <= 0:
                return arrived

    def close(self) -> None:
        """SIGTERM to the emulator (SHUTDOWN to the extensions, then the runtime is killed);
        waits for it to exit and settles the last invocation's late output."""
        self._stop_process()
        self._settle_previous()
        self.daemon.close()

    def _stop_process(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_S)
        for reader in self._readers:
            reader.join(timeout=5)

    def __enter__(self) -> RieFunction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
