"""One Lambda execution environment in a subprocess (`LambdaEnvironment`, running
support/lambda_runtime.py with the function in support/lambda_task/), an X-Ray daemon stand-in
(a UDP socket on 127.0.0.1), and per invocation the captured stdout and datagrams
(`Invocation`), including what was sent while the environment was "frozen" after it returned.

Also the checks every e2e Lambda test makes: `assert_delivered_before_return` (spans sent
before return, nothing while frozen, EMF documents valid against AWS's schema and limits) and
`root_segment`; and `EVENTS`, the sample events of tests/data/lambda_events."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from support.paths import EMF_SCHEMA, ROOT, lambda_events
from support.processes import clean_env

HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "lambda_runtime.py"
TASK_ROOT = HERE / "lambda_task"  # the function's code, as Lambda unpacks it
# How long a returned invocation is watched for late output: "frozen" means nothing may be
# sent, and absence can only be observed over a window (the one sleep that is the scenario).
FROZEN_CHECK_S = 0.3
EVENTS = lambda_events()
# The published schema uses draft-07 `$id` fragments (no $schema key): validate as draft 7.
EMF_VALIDATOR = jsonschema.Draft7Validator(json.loads(EMF_SCHEMA.read_text()))


@dataclass
class Invocation:
    request_id: str
    outcome: dict[str, Any]
    stdout: list[str]
    datagrams: list[bytes]
    frozen_stdout: list[str] = field(default_factory=list)
    frozen_datagrams: list[bytes] = field(default_factory=list)
    at_end: Any = None  # what `invoke(at_end=...)` returned when the handler had returned

    @property
    def documents(self) -> list[dict[str, Any]]:
        docs = []
        for data in self.datagrams:
            header, _, body = data.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            docs.append(json.loads(body))
        return docs

    def spans(self) -> list[dict[str, Any]]:
        """Every (sub)segment, nested ones included."""
        found: list[dict[str, Any]] = []
        stack = list(self.documents)
        while stack:
            doc = stack.pop()
            found.append(doc)
            stack.extend(doc.get("subsegments", []))
        return found

    @property
    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout if line.startswith("{")]

    @property
    def emf(self) -> list[dict[str, Any]]:
        return [doc for doc in self.json_lines if "_aws" in doc]

    @property
    def logs(self) -> list[dict[str, Any]]:
        return [doc for doc in self.json_lines if "_aws" not in doc]


class LambdaEnvironment:
    def __init__(self, handler: str = "lambda_app.handler", **env: str) -> None:
        self.daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.daemon.bind(("127.0.0.1", 0))
        self.daemon.setblocking(False)
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

    def _drain_udp(self) -> list[bytes]:
        found = []
        while True:
            try:
                found.append(self.daemon.recv(70_000))
            except BlockingIOError:
                return found

    def invoke(
        self,
        event: Any,
        *,
        trace_header: str | None = None,
        context: bool = True,
        timeout_ms: int = 3000,
        at_end: Callable[[], Any] | None = None,
    ) -> Invocation:
        """Invoke the handler with `event`; returns once the handler returned and the frozen
        window passed. `at_end()` runs as soon as the handler returned (at `@@END`): e.g. a
        snapshot of a receiver, to compare with its state after the frozen window."""
        request_id = str(uuid.uuid4())
        request = {
            "event": event,
            "request_id": request_id,
            "trace_header": trace_header,
            "context": context,
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
        invocation = Invocation(request_id, outcome, lines, self._drain_udp(), at_end=snapshot)
        time.sleep(FROZEN_CHECK_S)  # the scenario: "frozen", nothing may be sent now
        invocation.frozen_datagrams = self._drain_udp()
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
    """Segments sent before return, nothing while frozen, every datagram and EMF document
    within AWS's limits (and the EMF schema), no zero metric values."""
    assert inv.datagrams, f"no segment before return; stdout: {inv.stdout}"
    assert inv.frozen_datagrams == [], "a datagram was sent while frozen"
    assert inv.frozen_stdout == [], f"stdout written while frozen: {inv.frozen_stdout}"
    for data in inv.datagrams:
        assert len(data) <= 64_000
    for doc in inv.emf:
        EMF_VALIDATOR.validate(doc)
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert len(directive["Metrics"]) <= 100
            for metric in directive["Metrics"]:
                value = doc[metric["Name"]]
                assert not isinstance(value, list) or 0 < len(value) <= 100
                assert value != 0, "a zero was emitted"


def root_segment(inv: Invocation) -> dict[str, Any]:
    """The invocation's one root (sub)segment: the one carrying the faas_trigger annotation."""
    roots = [d for d in inv.documents if "faas_trigger" in d.get("annotations", {})]
    assert len(roots) == 1, inv.documents
    return roots[0]
