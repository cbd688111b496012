"""Real Prometheus and Alertmanager processes for integration tests.

    with start_prometheus(config_text, rules=[path]) as prom:
        prom.wait_for_target_up()
        prom.query("up")                      # -> list of result dicts (data.result)
    with start_alertmanager(config_path) as am:
        am.alerts()                           # -> list of alert dicts (API v2)

Both use Debian's binaries (/usr/bin/prometheus, /usr/bin/prometheus-alertmanager), a free
loopback port, a temporary storage directory, wait for /-/ready with a bounded timeout and
always kill the process on exit (also when the body raises). A missing binary skips the test
with the package name, or fails it under CI=true (`tools.require_tool`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# free_port and wait_until live in support.processes; importing them from here still works.
from support.processes import free_port, wait_until
from support.tools import require_tool

READY_TIMEOUT_S = 30.0


def http_get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def http_post(url: str, body: bytes = b"", timeout: float = 5.0) -> bytes:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


class _Process:
    """A started server process with its temp dir; `stop()` is idempotent."""

    def __init__(self, name: str, argv: list[str], workdir: Path, port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.workdir = workdir
        self._log = (workdir / f"{name}.log").open("wb")
        self._proc = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
        )

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = (self.workdir / f"{self.name}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        def ready() -> bool:
            if self._proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self._proc.returncode}")
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return bool(response.status == 200)

        try:
            wait_until(ready, timeout=timeout, what=f"{self.name} /-/ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log_tail()}") from None

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


class PrometheusHandle(_Process):
    def query(self, promql: str, *, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query (now, or at Unix time `at`); the `data.result` list (vector results
        are dicts with metric/value)."""
        params = {"query": promql} if at is None else {"query": promql, "time": f"{at:.3f}"}
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode(params)
        body = http_get_json(url)
        if body.get("status") != "success":
            raise AssertionError(f"query {promql!r} failed: {body}")
        return list(body["data"]["result"])

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets (each with labels, health 'up'/'down'/'unknown', lastError)."""
        return list(http_get_json(f"{self.url}/api/v1/targets")["data"]["activeTargets"])

    def rules(self) -> list[dict[str, Any]]:
        """Loaded rule groups (each with name, file, rules)."""
        return list(http_get_json(f"{self.url}/api/v1/rules")["data"]["groups"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(http_get_json(f"{self.url}/api/v1/alerts")["data"]["alerts"])

    def wait_for_evaluations_after(
        self, moment: float, seconds: float, timeout: float = 30.0
    ) -> None:
        """Until every rule group's last evaluation is `seconds` past `moment` (epoch seconds):
        with a 1 s evaluation interval, `seconds=2` means at least two evaluations since."""

        def evaluated() -> bool:
            groups = self.rules()
            return bool(groups) and all(
                _epoch(group.get("lastEvaluation", "")) >= moment + seconds for group in groups
            )

        wait_until(evaluated, timeout=timeout, what=f"rule evaluations {seconds}s after {moment}")

    def reload(self) -> None:
        """Re-read config and rules (started with --web.enable-lifecycle)."""
        http_post(f"{self.url}/-/reload")

    def wait_for_target_up(self, job: str | None = None, timeout: float = 20.0) -> None:
        def up() -> bool:
            found = [
                t for t in self.targets() if job is None or t.get("labels", {}).get("job") == job
            ]
            return bool(found) and all(t.get("health") == "up" for t in found)

        wait_until(up, timeout=timeout, what=f"target {job or '(all)'} up; {self.targets()}")

    def wait_for_series(self, promql: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Poll until `promql` returns a non-empty result, then return it."""
        result: list[dict[str, Any]] = []

        def present() -> bool:
            nonlocal result
            result = self.query(promql)
            return bool(result)

        wait_until(present, timeout=timeout, what=f"series for {promql!r}")
        return result


class AlertmanagerHandle(_Process):
    def alerts(self) -> list[dict[str, Any]]:
        """Current alerts (API v2), each with labels, annotations, status, receivers."""
        return list(http_get_json(f"{self.url}/api/v2/alerts"))

    def post_alerts(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Push alerts as Prometheus would (API v2 list of {labels, annotations, ...})."""
        http_post(f"{self.url}/api/v2/alerts", json.dumps(list(alerts)).encode())

    def status(self) -> dict[str, Any]:
        return dict(http_get_json(f"{self.url}/api/v2/status"))


def _materialize(text_or_path: str | Path, workdir: Path, name: str) -> Path:
    """A config given as a path is used as is; text is written into the temp dir."""
    if isinstance(text_or_path, Path):
        return text_or_path.resolve()
    target = workdir / name
    target.write_text(text_or_path)
    return target


@contextlib.contextmanager
def start_prometheus(
    config: str | Path,
    *,
    rules: Sequence[Path] = (),
    port: int | None = None,
    extra_args: Sequence[str] = (),
    ready_timeout: float = READY_TIMEOUT_S,
) -> Iterator[PrometheusHandle]:
    """Run /usr/bin/prometheus with `config` (YAML text or a Path).

    `rules` are copied next to the config and appended to its `rule_files` (so the config
    text needs none); relative `rule_files` in a config given as a Path resolve against that
    file's directory, as Prometheus does.
    """
    binary = require_tool("prometheus")
    workdir = Path(tempfile.mkdtemp(prefix="aurastream-prom-"))
    config_path = _materialize(config, workdir, "prometheus.yml")
    if rules:
        config_path = _with_rules(config_path, [Path(r) for r in rules], workdir)
    port = port or free_port()
    argv = [
        binary,
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1h",
        *extra_args,
    ]
    handle = PrometheusHandle("prometheus", argv, workdir, port)
    try:
        handle.wait_ready(ready_timeout)
        yield handle
    finally:
        handle.stop()


def _with_rules(config_path: Path, rules: list[Path], workdir: Path) -> Path:
    """A copy of the config whose top-level `rule_files:` also lists `rules` (absolute).

    Plain text editing keeps this helper free of a YAML dependency. Relative rule paths of
    the original config are made absolute so they still resolve from the temp dir.
    """
    extra = [f"  - {json.dumps(str(r.resolve()))}\n" for r in rules]
    out: list[str] = []
    in_rules = found = False
    for original in config_path.read_text().splitlines(keepends=True):
        line, stripped = original, original.strip()
        if line.rstrip() == "rule_files:":
            in_rules = found = True
            out.append(line)
            out.extend(extra)
            continue
        if in_rules and stripped.startswith("- "):
            value = stripped[2:].strip().strip("'\"")
            if not os.path.isabs(value):
                line = f"  - {json.dumps(str(config_path.parent / value))}\n"
        elif stripped and not line.startswith((" ", "\t")):
            in_rules = False
        out.append(line)
    if not found:
        if out and not out[-1].endswith("\n"):
            out.append("\n")
        out.extend(["rule_files:\n", *extra])
    target = workdir / "prometheus-with-rules.yml"
    target.write_text("".join(out))
    return target


@contextlib.contextmanager
def start_alertmanager(
    config: str | Path,
    *,
    port: int | None = None,
    extra_args: Sequence[str] = (),
    ready_timeout: float = READY_TIMEOUT_S,
) -> Iterator[AlertmanagerHandle]:
    """Run Debian's /usr/bin/prometheus-alertmanager with `config` (YAML text or a Path)."""
    binary = require_tool("prometheus-alertmanager")
    workdir = Path(tempfile.mkdtemp(prefix="aurastream-am-"))
    config_path = _materialize(config, workdir, "alertmanager.yml")
    port = port or free_port()
    argv = [
        binary,
        f"--config.file={config_path}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        # No gossip: a single test instance must not bind the default cluster port 9094.
        "--cluster.listen-address=",
        *extra_args,
    ]
    handle = AlertmanagerHandle("alertmanager", argv, workdir, port)
    try:
        handle.wait_ready(ready_timeout)
        yield handle
    finally:
        handle.stop()


def _epoch(rfc3339: str) -> float:
    """Prometheus's RFC 3339 time (nanoseconds, `Z`) as epoch seconds; 0 when absent."""
    if not rfc3339 or rfc3339.startswith("0001-"):
        return 0.0
    whole, _, rest = rfc3339.rstrip("Z").partition(".")
    digits = "".join(c for c in rest if c.isdigit())[:6]  # datetime takes microseconds
    stamp = dt.datetime.fromisoformat(whole).replace(tzinfo=dt.UTC)
    return stamp.timestamp() + (int(digits.ljust(6, "0")) / 1e6 if digits else 0.0)
