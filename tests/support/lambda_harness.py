"""Test harness: one Lambda execution environment in a subprocess, an X-Ray daemon stand-in
(a UDP socket on 127.0.0.1) and the captured stdout, split per invocation."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FROZEN_CHECK_S = 0.3


@dataclass
class Invocation:
    request_id: str
    outcome: dict[str, Any]
    stdout: list[str]
    datagrams: list[bytes]
    frozen_stdout: list[str] = field(default_factory=list)
    frozen_datagrams: list[bytes] = field(default_factory=list)

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
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AURASTREAM_"))
        }
        environ.update(
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
                "LAMBDA_TASK_ROOT": str(HERE),
                "PYTHONUNBUFFERED": "1",
            }
        )
        environ.update(env)
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "lambda_runtime_emulator.py")],
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
    ) -> Invocation:
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
        outcome = self._result()
        # Loopback UDP is delivered at sendto(): what the function sent before returning is
        # already queued on the socket when @@END arrives.
        invocation = Invocation(request_id, outcome, lines, self._drain_udp())
        time.sleep(FROZEN_CHECK_S)  # "frozen": nothing may be sent now
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
