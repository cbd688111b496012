"""Our collector distribution (`.build/otelcol-aurastream`, `make collector`) in tests.

`require_collector()` gives the binary, or skips with the reason on a laptop without it (fails
under CI=true, like `tools.require_tool`); `start_collector(config, workdir, name)` runs one
config (a committed one through `loopback_config`) until the block ends, ready when its
health check answers; `loopback()` picks free ports; `post_otlp_json()` sends an OTLP/JSON
export request to a collector's OTLP/HTTP receiver; `own_metrics()`/`metric_sum()` read a
collector's own metrics (re-exported from the package, where the demo uses them too).
"""

from __future__ import annotations

import contextlib
import os
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
from aurastream_obs.artifacts.collector_configs.loopback import Loopback
from aurastream_obs.artifacts.collector_configs.otelcol import (
    BINARY,
    BUILD_HINT,
    CollectorProcess,
    all_traces_decided,
    binary_path,
    metric_sum,
    own_metrics,
)
from support.paths import ROOT
from support.processes import free_port


def require_collector() -> Path:
    """The built distribution, or skip (fail under CI=true) saying how to build it."""
    binary = binary_path(ROOT)
    if binary is None:
        message = f"{BINARY} is not built: {BUILD_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def loopback(**endpoints: Any) -> Loopback:
    """A `Loopback` with free ports for every listener, plus the given endpoints."""
    ports = {
        "otlp_grpc_port": free_port(),
        "otlp_http_port": free_port(),
        "health_port": free_port(),
        "prometheus_port": free_port(),
        "peer_port": free_port(),
    }
    return Loopback(**{**ports, **endpoints})


def _ready_port(config: Mapping[str, Any]) -> tuple[int, bool]:
    """The health_check port, else the OTLP/HTTP receiver's port (the Lambda config)."""
    health = config.get("extensions", {}).get("health_check")
    if health is not None:
        return int(str(health["endpoint"]).rsplit(":", 1)[1]), True
    http = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    return int(str(http).rsplit(":", 1)[1]), False


@contextlib.contextmanager
def start_collector(
    config: Mapping[str, Any],
    workdir: Path,
    name: str,
    *,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
) -> Iterator[CollectorProcess]:
    """Run `config` (written to workdir/<name>.yaml, log in workdir/<name>.log) until the
    block ends; SIGTERM on exit lets it flush. The log is printed when the block raises."""
    binary = require_collector()
    path = workdir / f"{name}.yaml"
    path.write_text(dump_yaml(dict(config)))
    port, health_check = _ready_port(config)
    process = CollectorProcess(binary, path, ready_port=port, health_check=health_check, env=env)
    try:
        process.wait_ready(ready_timeout)
        yield process
    except BaseException:
        print(f"--- {name} log ---\n{process.log_text()[-6000:]}")
        raise
    finally:
        process.stop()


def post_otlp_json(port: int, signal: str, body: str) -> None:
    """POST an OTLP/JSON export request to 127.0.0.1:port/v1/<signal>; raises unless 200."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/{signal}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise AssertionError(f"OTLP/HTTP {signal}: {response.status}")


__all__ = [
    "all_traces_decided",
    "loopback",
    "metric_sum",
    "own_metrics",
    "post_otlp_json",
    "require_collector",
    "start_collector",
]
