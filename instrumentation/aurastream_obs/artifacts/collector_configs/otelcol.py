"""The real collector: our distribution `otelcol-aurastream` (collector/build/manifest.yaml,
built by `make collector` into .build/).

`validate_with_collector(root)` (an `aurastream-obs validate` entry) runs `otelcol-aurastream
validate --config=...` on every committed config under the documented test environment
(placeholders.py `test_value`s, AWS_SAFETY_ENV); `CollectorProcess` runs one config, for the
end-to-end tests and `aurastream-obs demo --collector` (which runs Prometheus as a
`ServerProcess` too). Nothing here ever reaches AWS: the
instance metadata service is disabled and the credentials are static dummies.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Self

from aurastream_obs.artifacts.collector_configs.components import component_type
from aurastream_obs.artifacts.collector_configs.configs import SHAPES
from aurastream_obs.artifacts.collector_configs.placeholders import documented_test_env

BINARY: Final = ".build/otelcol-aurastream"
BUILD_HINT: Final = "run `make collector` (needs Go and the Go module proxy; cached once built)"
VALIDATE_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 10.0
# Components ADOT ships that our build cannot contain: the Go module proxy here serves no
# version of the awsproxy extension (collector/build/manifest.yaml). A config naming one is
# validated by the binary without it; the static check still covers it.
NOT_IN_BUILD: Final[Mapping[str, frozenset[str]]] = {"extensions": frozenset({"awsproxy"})}
# sigv4auth and the AWS exporters load credentials when they are built (`validate` included):
# static dummies, no shared config or credentials files, and the EC2 instance metadata service
# (169.254.169.254) disabled, so that no run here ever asks a metadata endpoint or AWS.
AWS_SAFETY_ENV: Final[Mapping[str, str]] = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "dummy-secret-for-loopback-runs-only",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def binary_path(root: Path) -> Path | None:
    """The built distribution under `root`, or None when `make collector` has not run."""
    path = root / BINARY
    return path if path.is_file() and os.access(path, os.X_OK) else None


def collector_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A whole environment for the collector: PATH, the documented placeholder test values,
    AWS_SAFETY_ENV, then `extra`. Nothing else leaks in (no OTEL_*, no AWS profile)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(documented_test_env())
    env.update(AWS_SAFETY_ENV)
    env.update(extra or {})
    return env


def validate_config(binary: Path, config: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """`otelcol-aurastream validate --config=FILE`: [] or the collector's own message."""
    try:
        done = subprocess.run(
            [str(binary), "validate", f"--config={config}"],
            env=collector_env(env),
            capture_output=True,
            text=True,
            timeout=VALIDATE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"otelcol-aurastream validate: {exc}"]
    if done.returncode == 0:
        return []
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return [" ".join(lines).removeprefix("Error: ") or f"exit status {done.returncode}"]


def without_unbuilt(text: str) -> str | None:
    """The config without the components our build lacks (NOT_IN_BUILD), or None when it
    names none. Those stay under the static list check (validate.py) only."""
    import yaml

    from aurastream_obs.artifacts.collector_configs.documents import dump_yaml

    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        return None
    service = doc.get("service") or {}
    found = False
    for kind, names in NOT_IN_BUILD.items():
        section = doc.get(kind) or {}
        for component in [c for c in section if component_type(str(c)) in names]:
            found = True
            del section[component]
            if kind == "extensions":
                service["extensions"] = [e for e in service.get("extensions", []) if e != component]
            for pipeline in (service.get("pipelines") or {}).values():
                if isinstance(pipeline, dict) and component in pipeline.get(kind, []):
                    pipeline[kind] = [c for c in pipeline[kind] if c != component]
    return dump_yaml(doc) if found else None


def validate_with_collector(root: Path) -> list[str]:
    """Every committed collector config, loaded by the real binary (components, keys, types);
    components the build lacks (NOT_IN_BUILD) are taken out first."""
    binary = binary_path(root)
    if binary is None:
        return [f"{BINARY} is not built: {BUILD_HINT}"]
    problems = []
    for shape in SHAPES:
        path = root / shape.path
        if not path.exists():  # a missing file is validate_collector's problem
            continue
        stripped = without_unbuilt(path.read_text())
        if stripped is None:
            problems += [f"{shape.path}: {m}" for m in validate_config(binary, path)]
            continue
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_text(stripped)
            problems += [f"{shape.path}: {m}" for m in validate_config(binary, copy)]
    return problems


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
_LABEL_RE: Final = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
TAIL_SAMPLING: Final = "otelcol_processor_tail_sampling"


def own_metrics(port: int) -> Samples:
    """A collector's own metrics (Loopback.telemetry_port), by (name, labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples: Samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            name, _, labels = series.partition("{")
            samples[(name, frozenset(_LABEL_RE.findall(labels)))] = float(value)
    return samples


def metric_sum(samples: Samples, name: str, **labels: str) -> float:
    """Sum of `name` over the series carrying every given label value."""
    wanted = set(labels.items())
    return sum(v for (n, pairs), v in samples.items() if n == name and wanted <= pairs)


def all_traces_decided(samples: Samples) -> bool:
    """The tail-sampling processor decided every trace it received (and received one)."""
    received = metric_sum(samples, f"{TAIL_SAMPLING}_new_trace_id_received")
    decided = metric_sum(samples, f"{TAIL_SAMPLING}_global_count_traces_sampled")
    return received > 0 and decided >= received


class ServerProcess:
    """A child server process, its output in `log_path`, ready when `ready_url` answers 200
    (a health endpoint) or, without one, when `ready_port` accepts a connection."""

    def __init__(
        self,
        argv: list[str],
        log_path: Path,
        *,
        env: Mapping[str, str],
        ready_url: str | None = None,
        ready_port: int | None = None,
    ) -> None:
        if ready_url is None and ready_port is None:
            raise ValueError("give ready_url or ready_port")
        self.name = Path(argv[0]).name
        self.log_path = log_path
        self.ready_url, self.ready_port = ready_url, ready_port
        with log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def running(self) -> bool:
        return self._proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _is_ready(self) -> bool:
        try:
            if self.ready_url is not None:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                    return bool(response.status == 200)
            with socket.create_connection(("127.0.0.1", self.ready_port or 0), timeout=2):
                return True
        except OSError:
            return False

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll until ready; RuntimeError with the log's tail if it exits or times out."""
        deadline = time.monotonic() + timeout
        while not self._is_ready():
            if not self.running() or time.monotonic() > deadline:
                state = "exited" if not self.running() else f"not ready after {timeout:.0f}s"
                tail = "\n".join(self.log_text().splitlines()[-25:])
                self.stop()
                raise RuntimeError(f"{self.name} ({self.log_path.name}) {state}:\n{tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM (a collector flushes its queues and batches), then SIGKILL; idempotent."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=STOP_TIMEOUT_S)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CollectorProcess(ServerProcess):
    """The collector running `config_path` (log next to it, `.log`) in `collector_env(env)`.

    `ready_port`: the health_check extension's port (GET / answers 200 once every pipeline
    started) or, for a config without one (the Lambda layer's), a port to accept a connection.
    """

    def __init__(
        self,
        binary: Path,
        config_path: Path,
        *,
        ready_port: int,
        health_check: bool,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.config_path = config_path
        super().__init__(
            [str(binary), f"--config={config_path}"],
            config_path.with_suffix(".log"),
            env=collector_env(env),
            ready_url=f"http://127.0.0.1:{ready_port}/" if health_check else None,
            ready_port=ready_port,
        )
