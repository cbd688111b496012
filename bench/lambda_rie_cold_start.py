"""Lambda cold start under the real runtime, side by side: AWS's runtime interface emulator
(`.build/aws-lambda-rie`, `make lambda-rie`) running AWS's Python runtime client
(`python -m awslambdaric`), from the emulator's start to the first invocation's response.

    .venv/bin/python bench/lambda_rie_cold_start.py [--rounds 10] [--markdown FILE]

Scenarios: one function each, doing the same work (one invocation span, one counter point,
one log line, every signal out before the handler returns), with the sample HTTP API event:

  bare             no telemetry at all: the floor (emulator, runtime client, python)
  aurastream       `@instrument_handler`, mode lambda: X-Ray UDP to a local socket, EMF and
                   JSON logs on stdout
  otel-sdk         the plain OTel SDK: traces, metrics and logs with the SDK's OTLP/HTTP
                   exporters to a local counting receiver (otlp_sink.py), force_flush before
                   returning
  powertools       aws-lambda-powertools Logger + Metrics + Tracer (aws-xray-sdk, UDP to the
                   local socket), with their decorators (the `bench` extra)
  otlp+collector   `@instrument_handler`, mode otlp, to our collector run as an external
                   extension (the wrapper of scripts/lambda-extension, the committed `lambda`
                   config, its exporters to a local stub): the ADOT layer's shape. Needs root and
                   unshare(1) (a private /opt) and `make collector`; skipped otherwise.

Per round every scenario runs once in a fresh emulator, the order rotated from round to
round; a warm-up round (not counted) writes the bytecode (`PYTHONPYCACHEPREFIX`, as a
deployed package has it). Per run: `ready` (emulator start → its invoke endpoint accepts),
`init` and `invoke` (the emulator's INIT REPORT and INVOKE RTDONE durations), `total`
(emulator start → first response), `over bare` (total minus bare's total of the same round) and
`warm` (a second invocation, client side). A run counts only if its telemetry arrived by the
response (last column). Ratios: per round against otel-sdk of the same round, then the median
over the rounds (with their range).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lambda_rie_functions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
RIE = ROOT / ".build" / "aws-lambda-rie"
EXTENSION = ROOT / ".build" / "aurastream-lambda-extension"
COLLECTOR = ROOT / ".build" / "otelcol-aurastream"
EVENT = json.loads((ROOT / "tests" / "data" / "lambda_events" / "http_api_v2.json").read_text())
INIT = re.compile(r"INIT REPORT\(durationMs: ([\d.]+)\)")
RTDONE = re.compile(r"INVOKE RTDONE\(status: \w+, produced bytes: \d+, duration: ([\d.]+)ms\)")
SCENARIOS = ("bare", "aurastream", "otel-sdk", "powertools", "otlp+collector")
BASE = "otel-sdk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stub:
    """A local HTTP endpoint answering every POST with 200 `{}` (AWS JSON APIs, remote write),
    counting requests by path: the collector's exporters write here."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stub.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.daemon.bind(("127.0.0.1", 0))
        self.daemon.setblocking(False)
        self.sink = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "otlp_sink.py")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.sink.stdout is not None
        self.sink_url = f"http://127.0.0.1:{self.sink.stdout.readline().strip()}"
        self.stub = Stub()
        self.pycache = work / "pycache"
        for name, code in FUNCTIONS.items():
            (work / name).mkdir()
            (work / name / "function.py").write_text(code)

    def env(self, name: str) -> dict[str, str]:
        """A whole Lambda environment (the emulator forwards its own to the function)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/tmp",
            "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "aurastream-bench",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{self.daemon.getsockname()[1]}",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "LAMBDA_TASK_ROOT": str(self.work / name),
            "PYTHONPATH": str(self.work / name),
            "PYTHONPYCACHEPREFIX": str(self.pycache),
            "OTEL_SERVICE_NAME": "aurastream-bench",
            "POWERTOOLS_SERVICE_NAME": "aurastream-bench",
            "POWERTOOLS_METRICS_NAMESPACE": "AuraStream",
        }
        if name == "aurastream":
            env["AURASTREAM_TELEMETRY_MODE"] = "lambda"
        elif name == "otel-sdk":
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.sink_url
        return env

    def collector_layer(self) -> tuple[list[str], dict[str, str]]:
        """(the command prefix mounting a private /opt, the function's environment): our
        collector as an external extension, on fresh ports."""
        from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
        from aurastream_obs.artifacts.collector_configs.loopback import (
            Loopback,
            loopback_config,
            shape_config,
        )
        from aurastream_obs.artifacts.collector_configs.otelcol import collector_env

        http_port = free_port()
        loopback = Loopback(
            otlp_grpc_port=free_port(),
            otlp_http_port=http_port,
            aws_endpoint=self.stub.url,
            remote_write_url=f"{self.stub.url}/api/v1/write",
        )
        opt = Path(tempfile.mkdtemp(dir=self.work, prefix="opt-"))
        (opt / "extensions").mkdir()
        (opt / "aurastream").mkdir()
        shutil.copy2(EXTENSION, opt / "extensions" / "aurastream-collector")
        (opt / "aurastream" / "otelcol-aurastream").symlink_to(COLLECTOR)
        config = opt / "collector.yaml"
        config.write_text(dump_yaml(dict(loopback_config(shape_config("lambda"), loopback))))
        env = {k: v for k, v in collector_env().items() if k != "PATH"}
        env.update(
            AURASTREAM_TELEMETRY_MODE="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://localhost:{http_port}",
            OTEL_LOGS_EXPORTER="none",  # the `lambda` config has no logs pipeline
            OPENTELEMETRY_COLLECTOR_CONFIG_URI=str(config),
            AURASTREAM_COLLECTOR_READY_ADDRESS=f"127.0.0.1:{http_port}",
        )
        mount = 'mount --bind "$0" /opt && exec "$@"'
        return ["unshare", "-m", "--", "sh", "-c", mount, str(opt)], env

    def delivered(self, name: str, stdout: list[str]) -> Callable[[], bool]:
        """What must have arrived by the first response, checked right after it."""
        if name == "otel-sdk":

            def received() -> bool:
                with urllib.request.urlopen(self.sink_url, timeout=5) as response:
                    stats = json.loads(response.read())
                ok = stats["spans"] and stats["logs"] and stats["metric_requests"]
                urllib.request.urlopen(
                    urllib.request.Request(f"{self.sink_url}/reset", b"", method="POST"),
                    timeout=5,
                ).close()
                return bool(ok)

            return received
        if name == "otlp+collector":
            return lambda: any(p.endswith("TraceSegments") for p in self.stub.paths)
        if name == "powertools":  # the X-Ray SDK sends nothing without Lambda's trace header,
            # which the emulator never sets: EMF and the log line only
            return lambda: bool(self.drain_daemon() >= 0 and emf_and_log(stdout))
        if name == "bare":
            return lambda: True
        return lambda: self.drain_daemon() > 0 and emf_and_log(stdout)

    def drain_daemon(self) -> int:
        """How many datagrams the X-Ray daemon socket held (now empty)."""
        datagrams = 0
        while True:
            try:
                self.daemon.recv(70_000)
                datagrams += 1
            except BlockingIOError:
                return datagrams

    def run(self, name: str) -> dict[str, Any]:
        """One cold start: a fresh emulator, two invocations, then SIGTERM."""
        port, runtime_api = free_port(), free_port()
        prefix, env = [], self.env(name)
        if name == "otlp+collector":
            prefix, layer_env = self.collector_layer()
            env.update(layer_env)
        self.stub.paths.clear()
        self.drain_daemon()
        argv = [*prefix, str(RIE), "--runtime-interface-emulator-address", f"127.0.0.1:{port}"]
        argv += ["--runtime-api-address", f"127.0.0.1:{runtime_api}"]
        argv += [sys.executable, "-m", "awslambdaric", "function.handler"]
        stdout: list[str] = []
        stderr: list[str] = []
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, cwd=self.work / name, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        readers = [
            threading.Thread(target=lambda: stdout.extend(proc.stdout or ()), daemon=True),
            threading.Thread(target=lambda: stderr.extend(proc.stderr or ()), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            while True:  # the emulator's own start: poll its port (another process's state)
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.perf_counter() - start > 30:
                        raise RuntimeError(f"{name}: emulator did not start") from None
                    time.sleep(0.002)
            ready = time.perf_counter()
            status, body = invoke(port)
            total = time.perf_counter()
            delivered = self.delivered(name, stdout)()
            warm_start = time.perf_counter()
            invoke(port)
            warm = time.perf_counter() - warm_start
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            for reader in readers:
                reader.join(timeout=5)
        log = "".join(stderr)
        if status != 200 or b'"statusCode": 200' not in body:
            raise RuntimeError(f"{name}: {status} {body[:300]!r}\n{log[-2000:]}")
        init, invoked = INIT.search(log), RTDONE.search(log)
        return {
            "ready": (ready - start) * 1000,
            "init": float(init.group(1)) if init else float("nan"),
            "invoke": float(invoked.group(1)) if invoked else float("nan"),
            "total": (total - start) * 1000,
            "warm": warm * 1000,
            "delivered": delivered,
        }

    def close(self) -> None:
        self.sink.terminate()
        self.sink.wait(timeout=10)
        self.stub.server.shutdown()
        self.daemon.close()


def emf_and_log(stdout: list[str]) -> bool:
    return any('"_aws"' in line for line in stdout) and any("hello" in x for x in stdout)


def invoke(port: int) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations",
        data=json.dumps(EVENT).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


def available() -> list[str]:
    """The scenarios this machine can run; the others are named on stderr."""
    if not RIE.exists():
        sys.exit(f"{RIE} is missing: run `make lambda-rie`")
    names = []
    for name in SCENARIOS:
        missing = {
            "powertools": [m for m in ("aws_lambda_powertools", "aws_xray_sdk") if not _has(m)],
            "otel-sdk": [m for m in ("opentelemetry.exporter.otlp.proto.http",) if not _has(m)],
            "otlp+collector": [str(p) for p in (EXTENSION, COLLECTOR) if not p.exists()]
            + ([] if os.geteuid() == 0 and shutil.which("unshare") else ["root + unshare"]),
        }.get(name, [])
        if missing:
            print(f"skipping {name}: missing {', '.join(missing)}", file=sys.stderr)
        else:
            names.append(name)
    return names


def _has(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def table(runs: dict[str, list[dict[str, Any]]]) -> str:
    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    lines = [
        "| scenario | start → first response ms | ratio to plain OTel SDK | over bare ms "
        "| emulator ready ms | init ms | first invoke ms | warm invoke ms | delivered |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, measured in runs.items():
        base = runs.get(BASE, [])
        ratios = [r["total"] / b["total"] for r, b in zip(measured, base, strict=bool(base))]
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "n/a"
        spread = f" ({min(ratios):.2f}-{max(ratios):.2f})" if ratios and name != BASE else ""
        ok = sum(r["delivered"] for r in measured)
        floor = runs.get("bare", [])
        extra = [r["total"] - b["total"] for r, b in zip(measured, floor, strict=bool(floor))]
        over = f"{statistics.median(extra):.0f}" if extra else "n/a"
        lines.append(
            f"| {name} | {med(name, 'total'):.0f} | {ratio}{spread} | {over} "
            f"| {med(name, 'ready'):.0f} "
            f"| {med(name, 'init'):.0f} | {med(name, 'invoke'):.1f} | {med(name, 'warm'):.1f} "
            f"| {ok}/{len(measured)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    names = available()
    with tempfile.TemporaryDirectory(prefix="lambda-rie-bench-") as tmp:
        bench = Bench(Path(tmp))
        try:
            for name in names:  # warm-up: bytecode written, page cache filled
                bench.run(name)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
            for round_no in range(args.rounds):
                shift = round_no % len(names)
                for name in names[shift:] + names[:shift]:
                    runs[name].append(bench.run(name))
                print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            bench.close()
    result = table(runs)
    print(result)
    if args.markdown:
        args.markdown.write_text(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
