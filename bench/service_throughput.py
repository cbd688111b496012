"""Reference service throughput under load, side by side: telemetry off, local, otlp, plain SDK.

The reference service (`python -m aurastream_obs.service`, uvicorn) answers `POST /v1/analyze`
for 200 distinct texts from three customers, driven by wrk (Debian package `wrk`, its own
process) over 8 keep-alive connections. Configs:

- off: `AURASTREAM_TELEMETRY_MODE=none` (the service code runs, the providers are no-ops)
- local: full telemetry to the OTLP/JSON files, JSON log lines on stdout
- otlp: full telemetry over OTLP/HTTP to a decoding receiver (`otlp_sink.py`), lines on stdout
- plain: the same service through the contrib `OpenTelemetryMiddleware`, SDK providers with
  their OTLP/HTTP exporters and `LoggingHandler` (`plain_service.py`), to the same receiver

Every request is sampled. Rounds alternate the order of configs to spread machine noise. A
figure counts only if every request's server span arrived (after the graceful stop), and no
request failed. The service's stdout is a pipe drained by this process, as a log driver would.

Settings an operator may choose, outside the goal's configuration (named in `--configs` only):

- otlp-nostdout: otlp with `AURASTREAM_LOG_STDOUT=false` (log records exported, no lines)
- otlp-sampled: otlp with `OTEL_TRACES_SAMPLER=parentbased_traceidratio`, 10 % of new traces
- otlp-lean: both

A sampled run counts if 8-12 % of the requests' server spans arrived and the service dropped
nothing (its stop summary), since which requests were sampled is not known here.

    .venv/bin/python bench/service_throughput.py [--duration 10] [--rounds 3]
    .venv/bin/python bench/service_throughput.py \
        --configs off,otlp,otlp-nostdout,otlp-sampled,otlp-lean
    .venv/bin/python bench/service_throughput.py --memory 100000   # dead collector: RSS
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONFIGS = ("off", "local", "otlp", "plain")
SAMPLED_RATIO = 0.1
# Operator settings on top of otlp mode: the environment each adds.
VARIANTS: dict[str, dict[str, str]] = {
    "otlp-nostdout": {"AURASTREAM_LOG_STDOUT": "false"},
    "otlp-sampled": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": str(SAMPLED_RATIO),
    },
}
VARIANTS["otlp-lean"] = {**VARIANTS["otlp-nostdout"], **VARIANTS["otlp-sampled"]}

BASELINE = "off"
CONNECTIONS = 8
TEXTS = 200
API_KEYS = "demo-key-acme=acme-corp,demo-key-globex=globex,demo-key-initech=initech"


def _sampled(config: str) -> bool:
    """Only a share of the requests is traced in this config."""
    return "OTEL_TRACES_SAMPLER_ARG" in VARIANTS.get(config, {})


WRK_SCRIPT = """
-- Built in init(): at load time wrk.headers has no Host yet (HTTP/1.1 requires it).
local requests = {}
local n = 0
init = function(args)
  local keys = {"demo-key-acme", "demo-key-globex", "demo-key-initech"}
  for i = 1, %(texts)d do
    local body = string.format(
      '{"text": "review %%d: the product is great and the support team was helpful"}', i)
    local headers = {["Host"] = wrk.headers["Host"], ["Content-Type"] = "application/json",
                     ["x-api-key"] = keys[i %% 3 + 1]}
    requests[i] = wrk.format("POST", "/v1/analyze", headers, body)
  end
end
request = function()
  n = n %% %(texts)d + 1
  return requests[n]
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, method: str = "GET") -> bytes:
    data = b"" if method == "POST" else None
    with urllib.request.urlopen(urllib.request.Request(url, data, method=method), timeout=5) as r:
        return bytes(r.read())


def _drain(stream: Any, sink: list[int]) -> None:
    """Read the service's stdout as a log driver would (and count its bytes)."""
    while chunk := stream.read(65536):
        sink[0] += len(chunk)


class Service:
    """One service process for one config; `stop()` is a graceful SIGTERM (telemetry flushed)."""

    def __init__(self, config: str, endpoint: str, folder: str) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "AURASTREAM_TELEMETRY_DIR": folder,
            "AURASTREAM_PROMETHEUS_PORT": "0",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_SERVICE_NAME": "aurastream-api",
            "OTEL_TRACES_SAMPLER": "always_on",  # every request traced, in every config
        }
        env.pop("AURASTREAM_API_KEYS_FILE", None)
        env["AURASTREAM_API_KEYS"] = API_KEYS
        if config == "plain":
            cmd = [sys.executable, str(HERE / "plain_service.py"), "--port", str(self.port)]
        else:
            mode = "otlp" if config == "otlp-dead" or config in VARIANTS else config
            env["AURASTREAM_TELEMETRY_MODE"] = "none" if config == "off" else mode
            env.update(VARIANTS.get(config, {}))
            cmd = [sys.executable, "-m", "aurastream_obs.service", "--port", str(self.port)]
        self.stderr_path = Path(folder, "service.stderr")
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=stderr)
        self.stdout_bytes = [0]
        self._drainer = threading.Thread(
            target=_drain, args=(self.proc.stdout, self.stdout_bytes), daemon=True
        )
        self._drainer.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"http://127.0.0.1:{self.port}/v1/health")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{config}: the service did not start") from None
                time.sleep(0.1)

    def drops(self) -> dict[str, int]:
        """Per signal, what the shutdown summary on stderr says was dropped (and counted)."""
        text = self.stderr_path.read_text(errors="replace")
        match = re.search(r"(?:server stop|shutdown): dropped (.*)", text)
        if match is None:
            return {}
        dropped, _, queued = match.group(1).partition("; still queued ")
        counts: dict[str, int] = {}
        for kind, n in re.findall(r"(traces|logs|metrics) (\d+) \(", dropped):
            counts[kind] = int(n)
        for kind, n in re.findall(r"(traces|logs) (\d+)", queued):  # lost at exit, named
            counts[kind] = counts.get(kind, 0) + int(n)
        return counts

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        self._drainer.join(10)
        return code


def wrk(port: int, duration: int, script: str) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s", script,
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    total = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    if total is None or rps is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return {
        "requests": int(total.group(1)),
        "rps": float(rps.group(1)),
        "failed": (int(non2xx.group(1)) if non2xx else 0)
        + (sum(int(g) for g in errors.groups()) if errors else 0),
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan"),
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
    }


def _server_spans_in_files(folder: str) -> int:
    path = Path(folder, "traces.jsonl")
    count = 0
    if path.exists():
        for line in path.read_text().splitlines():
            for res in json.loads(line).get("resourceSpans", []):
                for scope in res.get("scopeSpans", []):
                    count += sum(
                        1
                        for s in scope.get("spans", [])
                        if s.get("kind") in (2, "SPAN_KIND_SERVER")
                    )
    return count


def run_one(
    config: str, endpoint: str, duration: float, warmup: float, script: str
) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="bench-throughput-")
    try:
        _get(f"{endpoint}/reset", "POST")
        service = Service(config, endpoint, folder)
        try:
            warm = wrk(service.port, warmup, script)
            run = wrk(service.port, duration, script)
            rss = service.rss_mib()
        finally:
            code = service.stop()
        requests = warm["requests"] + run["requests"] + 1  # + the readiness health check
        if config == "local":
            delivered = _server_spans_in_files(folder)
        elif config == "off":
            delivered = requests
        else:
            delivered = json.loads(_get(f"{endpoint}/stats"))["server_spans"]
        if _sampled(config):
            share = delivered / requests
            complete = 0.8 * SAMPLED_RATIO <= share <= 1.2 * SAMPLED_RATIO and not service.drops()
        else:
            complete = delivered >= requests
        return {
            **run,
            "config": config,
            "rss_mib": rss,
            "exit_code": code,
            "server_spans": delivered,
            "expected_spans": requests,
            "stdout_mib": service.stdout_bytes[0] / 2**20,
            "complete": complete and run["failed"] == 0 and warm["failed"] == 0,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def memory(requests: int, script: str) -> int:
    """RSS after `requests` requests: the bare service against otlp mode to a dead collector
    (a closed port): bounded queues must hold memory, no request may fail, every drop counted."""
    rows = []
    for config in ("off", "otlp-dead"):
        folder = tempfile.mkdtemp(prefix="bench-memory-")
        service = Service(config, f"http://127.0.0.1:{_free_port()}", folder)
        done = failed = 0
        try:
            while done < requests:
                run = wrk(service.port, 5, script)
                done += run["requests"]
                failed += run["failed"]
            rss = service.rss_mib()
        finally:
            service.stop()
        drops = service.drops()
        shutil.rmtree(folder, ignore_errors=True)
        rows.append((config, done, failed, rss, drops))
        print(f"{config}: {done} requests, {failed} failed, RSS {rss:.0f} MiB, dropped {drops}",
              file=sys.stderr)  # fmt: skip
    bare = rows[0][3]
    print("\n| config | requests | failed | RSS MiB | over bare MiB | dropped (counted) |")
    print("|---|---:|---:|---:|---:|---|")
    for config, done, failed, rss, drops in rows:
        counted = ", ".join(f"{k} {v:,}" for k, v in drops.items()) or "-"
        print(f"| {config} | {done:,} | {failed} | {rss:.0f} | {rss - bare:+.0f} | {counted} |")
    dead = rows[1]
    ok = dead[2] == 0 and dead[4].get("traces", 0) >= dead[1] and dead[4].get("logs", 0) >= dead[1]
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before it")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--json", action="store_true", help="print raw results as JSON")
    parser.add_argument(
        "--memory",
        type=int,
        metavar="N",
        help="instead: RSS after N requests, bare vs otlp mode to a dead collector",
    )
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS and c not in VARIANTS]
    if unknown:
        known = ", ".join([*CONFIGS, *VARIANTS])
        parser.error(f"unknown config {', '.join(unknown)}: one of {known}")
    if shutil.which("wrk") is None:
        print("wrk missing: apt-get install -y wrk", file=sys.stderr)
        return 2

    script = Path(tempfile.mkdtemp(prefix="bench-wrk-"), "analyze.lua")
    script.write_text(WRK_SCRIPT % {"texts": TEXTS})
    if args.memory:
        try:
            return memory(args.memory, str(script))
        finally:
            shutil.rmtree(script.parent, ignore_errors=True)
    sink = subprocess.Popen(
        [sys.executable, str(HERE / "otlp_sink.py")], stdout=subprocess.PIPE, text=True
    )
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    try:
        assert sink.stdout is not None
        endpoint = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        for rnd in range(args.rounds):
            order = configs if rnd % 2 == 0 else list(reversed(configs))
            for config in order:
                run = run_one(config, endpoint, args.duration, args.warmup, str(script))
                results[config].append(run)
                print(
                    f"round {rnd + 1} {config:6s} {run['rps']:8.0f} req/s"
                    f"  p50 {run['p50_ms']:.2f} ms  p99 {run['p99_ms']:.2f} ms"
                    f"  RSS {run['rss_mib']:.0f} MiB  server spans "
                    f"{run['server_spans']}/{run['expected_spans']}  failed {run['failed']}",
                    file=sys.stderr,
                )
    finally:
        sink.terminate()
        sink.wait(5)
        shutil.rmtree(script.parent, ignore_errors=True)
    report(results, args)
    # Ours must deliver everything; the plain SDK's default 2,048-span queue may drop under
    # load: its row says how much arrived instead of failing the run.
    ours = [r for config, runs in results.items() if config != "plain" for r in runs]
    return 0 if all(r["complete"] for r in ours) else 1


def _delivered(runs: list[dict[str, Any]]) -> str:
    if all(r["complete"] for r in runs):
        return "yes"
    if _sampled(runs[0]["config"]):
        shares = ", ".join(f"{r['server_spans'] / r['expected_spans']:.1%}" for r in runs)
        return f"NO: server spans of {shares} of the requests, or drops at stop"
    got = sum(min(r["server_spans"], r["expected_spans"]) for r in runs)
    expected = sum(r["expected_spans"] for r in runs)
    return f"NO: {got / expected:.1%} of server spans"


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(results, indent=2))
        return
    base = statistics.median(r["rps"] for r in results[BASELINE]) if results.get(BASELINE) else None
    sampled = [c for c in results if _sampled(c)]
    but = f" (but in {', '.join(sampled)}: {SAMPLED_RATIO:.0%})" if sampled else ""
    print(
        f"\nwrk, {CONNECTIONS} connections, {args.duration:g} s x {args.rounds} rounds "
        f"(median), every request sampled{but}:\n"
    )
    print("| config | req/s | ratio to off | p50 ms | p99 ms | RSS MiB | all delivered |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for config, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        ratio = f"{rps / base:.2f}" if base else "-"
        print(
            f"| {config} | {rps:,.0f} | {ratio} | "
            f"{statistics.median(r['p50_ms'] for r in runs):.2f} | "
            f"{statistics.median(r['p99_ms'] for r in runs):.2f} | "
            f"{statistics.median(r['rss_mib'] for r in runs):.0f} | "
            f"{_delivered(runs)} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
