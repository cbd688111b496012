"""Lambda per invocation, flush included: aurastream_obs against Powertools, side by side.

Both sides do the same work in a simulated Lambda environment (`_X_AMZN_TRACE_ID` with
Sampled=1, a fresh root and request id per invocation, a context object with the remaining
time, stdout wrapped as awslambdaric wraps it: every write flushed, awslambdaric/bootstrap.py
`Unbuffered`), each in its own subprocess, rounds alternating the order:

  aurastream   `@instrument_handler` (mode lambda): the invocation span and one child span,
               `record_cache_lookup` + `record_sentiment_analysis` (4 metric points), one log
               line; X-Ray UDP, EMF and the JSON line written before the handler returns
  powertools   Logger `inject_lambda_context` + Tracer `capture_lambda_handler` with one
               `in_subsegment` + Metrics `log_metrics` with the same 4 metrics, one log line

The X-Ray daemon is a UDP socket in this (parent) process; the worker's stdout is a pipe read
here. A figure counts only if everything arrived: every (sub)segment, every log line and every
metric value (counted across the EMF documents) — a faster figure that lost data is void.

Every write to the pipe and every datagram wakes its reader, as Lambda's log capture and the
X-Ray daemon are woken in AWS: that cost is part of the figure. `--quiet-sinks` takes it out
(stdout goes to a regular file, the datagrams queue in the socket and are read after the run),
which leaves the Python work of each side, still with every item checked.

    .venv/bin/python bench/lambda_invocation.py [--invocations 2000] [--rounds 3]
    .venv/bin/python bench/lambda_invocation.py --quiet-sinks   # the Python work alone
    .venv/bin/python bench/lambda_invocation.py --rounds 1 --profile /tmp/prof   # py-spy
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIDES = ("aurastream", "powertools")
SERVICE = "aurastream-bench"
ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": SERVICE,
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/08/[$LATEST]bench",
    "AWS_REGION": "eu-west-1",
    "LAMBDA_TASK_ROOT": str(HERE),  # the X-Ray SDK's "running on Lambda" test
    "AURASTREAM_SERVICE_NAME": SERVICE,
    "POWERTOOLS_SERVICE_NAME": SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": "AuraStream/Application",
}
EVENT = json.loads((HERE.parent / "tests/data/lambda_events/http_api_v2.json").read_text())
MESSAGE = "analysed"
CHILD = "sentiment.analyze"
# The 4 metrics both sides record per invocation: name -> (Powertools unit, counter?).
METRICS = {
    "aurastream.cache.lookups": ("Count", True),
    "aurastream.sentiment.analyses": ("Count", True),
    "aurastream.sentiment.confidence": ("None", False),
    "aurastream.sentiment.duration": ("Seconds", False),
}


class Unbuffered:
    """stdout as awslambdaric's bootstrap leaves it: every write flushed at once."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.stream, attr)

    def write(self, msg: str) -> int:
        n = self.stream.write(msg)
        self.stream.flush()
        return int(n)


class Context:
    """Lambda's context object (what both libraries read from it)."""

    function_name = SERVICE
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{SERVICE}"
    aws_request_id = ""

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def _ours() -> Any:
    import logging

    from opentelemetry import trace

    import aurastream_obs

    telemetry = aurastream_obs.configure(mode="lambda")
    metrics, tracer = telemetry.metrics, trace.get_tracer("bench")
    log = logging.getLogger("bench")

    @aurastream_obs.instrument_handler
    def handler(event: Any, context: Any) -> Any:
        with tracer.start_as_current_span(CHILD):
            metrics.record_cache_lookup(hit=False)
            metrics.record_sentiment_analysis("POSITIVE", 0.93, 0.0012, analyzer="lexicon")
            log.info(MESSAGE)
        return {"statusCode": 200, "body": "{}"}

    return handler


def _powertools() -> Any:
    from aws_lambda_powertools import Logger, Metrics, Tracer

    logger, tracer, metrics = Logger(), Tracer(), Metrics()

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: Any, context: Any) -> Any:
        with tracer.provider.in_subsegment(CHILD):
            for name, (unit, counter) in METRICS.items():
                metrics.add_metric(name=name, unit=unit, value=1 if counter else 0.93)
            logger.info(MESSAGE)
        return {"statusCode": 200, "body": "{}"}

    return handler


def worker(side: str, invocations: int, warmup: int, result: Path) -> None:
    sys.stdout = Unbuffered(sys.stdout)
    handler = _ours() if side == "aurastream" else _powertools()
    context = Context()
    total = warmup + invocations
    headers = [
        f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};"
        f"Parent={os.urandom(8).hex()};Sampled=1"
        for _ in range(total)
    ]
    samples = []
    cpu = 0
    for i in range(total):
        os.environ["_X_AMZN_TRACE_ID"] = headers[i]  # Lambda sets it per invocation
        context.aws_request_id = f"req-{i:08d}"
        c0, t0 = time.process_time_ns(), time.perf_counter_ns()
        handler(EVENT, context)
        t1, c1 = time.perf_counter_ns(), time.process_time_ns()
        if i >= warmup:
            samples.append(t1 - t0)
            cpu += c1 - c0
    result.write_text(
        json.dumps(
            {
                "median_us": statistics.median(samples) / 1000,
                "mean_us": statistics.fmean(samples) / 1000,
                "cpu_us": cpu / invocations / 1000,
                "total": total,
            }
        )
    )


class Daemon:
    """The X-Ray daemon stand-in: keeps every datagram (decoded after the run). `reader=False`
    leaves them queued in the socket until `close` (no reader woken per datagram)."""

    def __init__(self, reader: bool = True) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # as root: past rmem_max, so a burst is never dropped by the kernel
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True) if reader else None
        if self._thread is not None:
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.datagrams.append(self.sock.recv(70_000))
            except TimeoutError:
                continue

    def close(self) -> list[bytes]:
        time.sleep(0.3)  # loopback UDP is queued at sendto(): what is left arrives now
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sock.setblocking(False)
        while True:  # what is still queued (everything, without a reader)
            try:
                self.datagrams.append(self.sock.recv(70_000))
            except BlockingIOError:
                break
        self.sock.close()
        return self.datagrams


def _spans(datagrams: list[bytes]) -> tuple[list[dict[str, Any]], int]:
    """Every (sub)segment, nested ones included, and the datagrams whose header is wrong."""
    found, bad = [], 0
    for data in datagrams:
        header, _, body = data.partition(b"\n")
        if json.loads(header) != {"format": "json", "version": 1}:
            bad += 1
            continue
        stack = [json.loads(body)]
        while stack:
            doc = stack.pop()
            found.append(doc)
            stack.extend(doc.get("subsegments", []))
    return found, bad


def check(side: str, total: int, stdout: str, datagrams: list[bytes]) -> dict[str, Any]:
    """What arrived, against what the invocations recorded."""
    spans, bad = _spans(datagrams)
    names = [s.get("name") for s in spans]
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    emf = [doc for doc in lines if "_aws" in doc]
    logs = [doc for doc in lines if doc.get("message") == MESSAGE]
    values = {}
    for name, (_, counter) in METRICS.items():
        got = [doc[name] for doc in emf if name in doc]
        flat = [v for g in got for v in (g if isinstance(g, list) else [g])]
        values[name] = sum(flat) if counter else len(flat)
    roots = sum(1 for n in names if n != CHILD)
    delivered = (
        bad == 0
        and names.count(CHILD) == total
        and roots == total
        and len(logs) == total
        and all(round(v) == total for v in values.values())
    )
    return {
        "datagrams": len(datagrams),
        "spans": len(spans),
        "emf_docs": len(emf),
        "log_lines": len(logs),
        "metric_values": min(values.values()),
        "delivered": delivered,
    }


def run_side(side: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    daemon = Daemon(reader=not args.quiet_sinks)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AURASTREAM_"))}
    env |= ENV | {"AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.port}"}
    result = tmp / f"{side}.json"
    command = [sys.executable, __file__, "--worker", side, "--result", str(result)]
    command += ["--invocations", str(args.invocations), "--warmup", str(args.warmup)]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        out = args.profile / f"{side}.txt"
        command = ["py-spy", "record", "-r", "400", "-f", "raw", "-o", str(out), "--", *command]
        command[0] = str(Path(sys.executable).parent / "py-spy")
    if args.quiet_sinks:  # a regular file: a write wakes no reader
        stdout_file = tmp / f"{side}.stdout"
        with stdout_file.open("w") as out:
            proc = subprocess.run(
                command, env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False
            )
        stdout = stdout_file.read_text()
    else:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        stdout = proc.stdout
    datagrams = daemon.close()
    if proc.returncode != 0:
        raise SystemExit(f"{side} failed:\n{proc.stderr[-3000:]}")
    timing = json.loads(result.read_text())
    return timing | check(side, timing["total"], stdout, datagrams)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invocations", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="py-spy raw profiles into this folder")
    parser.add_argument(
        "--quiet-sinks",
        action="store_true",
        help="stdout to a file, datagrams read after the run: the Python work alone",
    )
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.invocations, args.warmup, args.result)
        return 0
    import tempfile

    rows: list[tuple[int, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(1, args.rounds + 1):
            order = SIDES if round_no % 2 else SIDES[::-1]
            for side in order:
                rows.append((round_no, side, run_side(side, args, Path(tmp))))
                print(f"round {round_no} {side}: {rows[-1][2]}", file=sys.stderr)
    print(report(rows, args))
    return 0 if all(r["delivered"] for _, _, r in rows) else 1


def report(rows: list[tuple[int, str, dict[str, Any]]], args: argparse.Namespace) -> str:
    by = {(n, side): r for n, side, r in rows}
    rounds = sorted({n for n, _, _ in rows})
    lines = [
        f"{args.invocations} invocations per side and round (after {args.warmup} warm-up), "
        f"{len(rounds)} rounds, "
        + (
            "quiet sinks (stdout to a file, datagrams read after the run):"
            if args.quiet_sinks
            else "stdout a pipe read and datagrams received as they come:"
        ),
        "",
        "| round | side | median µs | mean µs | CPU µs | ratio (median) | ratio (CPU) "
        "| EMF docs/inv | datagrams/inv | delivered |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n in rounds:
        base = by[(n, "powertools")]
        for side in SIDES:
            r = by[(n, side)]
            lines.append(
                f"| {n} | {side} | {r['median_us']:.1f} | {r['mean_us']:.1f} | "
                f"{r['cpu_us']:.1f} | {r['median_us'] / base['median_us']:.2f} | "
                f"{r['cpu_us'] / base['cpu_us']:.2f} | {r['emf_docs'] / r['total']:.2f} | "
                f"{r['datagrams'] / r['total']:.2f} | "
                f"{'yes' if r['delivered'] else 'NO'} ({r['spans']} spans, "
                f"{r['log_lines']} lines, {r['metric_values']} values/metric) |"
            )
    ratios = [
        by[(n, "aurastream")]["median_us"] / by[(n, "powertools")]["median_us"] for n in rounds
    ]
    cpu = [by[(n, "aurastream")]["cpu_us"] / by[(n, "powertools")]["cpu_us"] for n in rounds]
    lines += [
        "",
        f"aurastream / powertools per invocation: median ratio {statistics.median(ratios):.2f} "
        f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); CPU "
        f"{statistics.median(cpu):.2f} ({', '.join(f'{x:.2f}' for x in cpu)}); "
        f"target ≤ 0.5: {'met' if statistics.median(ratios) <= 0.5 else 'MISSED'}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
