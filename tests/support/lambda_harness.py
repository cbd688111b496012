"""A hand-written Lambda execution environment, kept only for what AWS's emulator cannot do
(the real runtime is support/lambda_rie.py; everything else is tested under it):

- **Lambda's trace header.** The emulator sets neither `_X_AMZN_TRACE_ID` nor the
  Lambda-Runtime-Trace-Id header, so under it an invocation never has Lambda's function
  segment as parent, and `Sampled=0` (Active tracing off) cannot happen. Here each
  invocation gets the header the test gives, as Lambda's runtime sets it.
- **Freeze.** The emulator never freezes the process between invocations; here the
  environment is watched for a while after the handler returned ("frozen"): nothing may be
  sent then.

`LambdaEnvironment` runs support/lambda_runtime.py in a subprocess with the function in
support/lambda_task/, a UDP socket on 127.0.0.1 standing in for the X-Ray daemon; per
invocation the captured stdout and datagrams (`Invocation`, decoded as in
support/lambda_output.py), including what was sent while frozen. `new_trace_header()` makes the
header; `assert_delivered_before_return` is the check every test here makes.

Not here either: concurrent invocations. Lambda never runs two in one environment (Lambda
Managed Instances aside), and the emulator crashes on them (upstream issue #97).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.lambda_output import EVENTS, Emitted, assert_within_limits, drain, xray_daemon
from support.paths import ROOT
from support.processes import clean_env

HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "lambda_runtime.py"
TASK_ROOT = HERE / "lambda_task"  # the function's code, as Lambda unpacks it
# How long a returned invocation is watched for late output: "frozen" means nothing may be
# sent, and absence can only be observed over a window (the one sleep that is the scenario).
FROZEN_CHECK_S = 0.3
__all__ = [
    "EVENTS",
    "Invocation",
    "LambdaEnvironment",
    "assert_delivered_before_return",
    "new_trace_header",
]


@dataclass
class Invocation(Emitted):
    request_id: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)
    frozen_stdout: list[str] = field(default_factory=list)
    frozen_datagrams: list[bytes] = field(default_factory=list)
    at_end: Any = None  # what `invoke(at_end=...)` returned when the handler had returned


class LambdaEnvironment:
    def __init__(self, handler: str = "lambda_app.handler", **env: str) -> None:
        self.daemon = xray_daemon()
        port = self.daemon.getsockname()[1]
        environ = clean_env(
            {
                "AWS_LAMBDA_FUNCTION_NAME": "aurastream-analyze",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/aurastream-analyze",
                "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/27/[$LATEST]0123456789abcdef",
                "AWS_REGION": "eu-west-1",
                "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                "_HANDLER": handler,
                "LAMBDA_TASK_ROOT": str(TASK_ROOT),
                "PYTHONUNBUFFERED": "1",
            }
        )
        environ.update(env)
        self.process = subprocess.Popen(
            # -P: the runtime's own folder (support/) stays off sys.path, as /var/runtime's
            # modules are not importable as the function's; only LAMBDA_TASK_ROOT is added.
            [sys.executable, "-P", str(RUNTIME)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=str(ROOT),
        )
        self._stdout: queue.Queue[str] = queue.Queue()
        self._results: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.init = self._result()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._stdout.put(line.rstrip("\n"))

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if line.startswith("@@RESULT "):
                self._results.put(json.loads(line[len("@@RESULT ") :]))
            else:
                self.stderr.append(line)

    def _result(self, timeout: float = 20.0) -> dict[str, Any]:
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"runtime gave no result; stderr: {''.join(self.stderr)}"
            ) from None

    def invoke(
        self,
        event: Any,
        *,
        trace_header: str | None = None,
        timeout_ms: int = 3000,
        at_end: Callable[[], Any] | None = None,
    ) -> Invocation:
        """Invoke the handler with `event` under Lambda's `trace_header`; returns once the
        handler returned and the frozen window passed. `at_end()` runs as soon as the handler
        returned (at `@@END`): e.g. a snapshot of a receiver, to compare with later."""
        request_id = str(uuid.uuid4())
        request = {
            "event": event,
            "request_id": request_id,
            "trace_header": trace_header,
            "timeout_ms": timeout_ms,
        }
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        lines = []
        while True:
            line = self._stdout.get(timeout=20)
            if line == f"@@END {request_id}":
                break
            lines.append(line)
        snapshot = at_end() if at_end is not None else None
        outcome = self._result()
        # Loopback UDP is delivered at sendto(): what the function sent before returning is
        # already queued on the socket when @@END arrives.
        invocation = Invocation(
            lines, drain(self.daemon), request_id=request_id, outcome=outcome, at_end=snapshot
        )
        time.sleep(FROZEN_CHECK_S)  # the scenario: "frozen", nothing may be sent now
        invocation.frozen_datagrams = drain(self.daemon)
        while not self._stdout.empty():
            invocation.frozen_stdout.append(self._stdout.get_nowait())
        return invocation

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.daemon.close()

    def __enter__(self) -> LambdaEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def new_trace_header(sampled: str = "1") -> tuple[str, str, str]:
    """(header, X-Ray trace id, parent id) as Lambda sets `_X_AMZN_TRACE_ID`."""
    trace_id = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    parent = uuid.uuid4().hex[:16]
    return f"Root={trace_id};Parent={parent};Sampled={sampled}", trace_id, parent


def assert_delivered_before_return(inv: Invocation) -> None:
    """Segments sent before return, within AWS's limits; nothing while frozen."""
    assert_within_limits(inv)
    assert inv.frozen_datagrams == [], "a datagram was sent while frozen"
    assert inv.frozen_stdout == [], f"stdout written while frozen: {inv.frozen_stdout}"
