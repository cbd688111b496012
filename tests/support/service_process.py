"""The reference service as its container runs it: `python -m aurastream_obs.service --port P`
in its own process, configured by the environment only. `start_service(env, workdir)` waits for
/v1/health and, when the block ends, stops it with SIGTERM (the lifespan shutdown flushes the
last telemetry) and waits for it to exit; stdout and stderr go to workdir/service.log."""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from support.processes import clean_env, free_port, wait_until

STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ServiceProcess:
    url: str
    log: Path
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def start_service(env: Mapping[str, str], workdir: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    log = workdir / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aurastream_obs.service", "--port", str(port)],
            env=clean_env({"AURASTREAM_PROMETHEUS_PORT": "0", **env}),
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"service exited:\n{log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/v1/health")
            return conn.getresponse().status == 200
        finally:
            conn.close()

    try:
        wait_until(healthy, timeout=30, what="the service answering /v1/health", interval=0.05)
        yield ServiceProcess(f"http://127.0.0.1:{port}", log, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
