"""`aurastream-obs demo --collector`: the demo's telemetry through our collector distribution
(`.build/otelcol-aurastream`, `make collector`) instead of straight into files:

    service (otlp mode) -> sidecar (committed adot-sidecar-gateway config)
        traces  -> gateway (committed adot-gateway config: loadbalancing -> tail_sampling)
        metrics -> prometheusremotewrite -> Prometheus (Debian's `prometheus`, remote-write
                   receiver, the rendered SLO and alert rules)

The collector's `file` exporter writes the OTLP/JSON files the report reads, in the form local
mode writes them, so the report's figures are the ones a run without --collector gives.

A demo has no AWS account: the AWS exporters are taken out of the committed configs and every
pipeline that had one writes a file instead: the sidecar its traces (next to the forward to the
gateway: every span, as the report needs), metrics and logs; the gateway the traces that tail
sampling kept (`traces-sampled.jsonl`). All else is the committed config at loopback addresses
(`loopback_config`).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aurastream_obs.artifacts.collector_configs import pieces as p
from aurastream_obs.artifacts.collector_configs.components import component_type
from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
from aurastream_obs.artifacts.collector_configs.loopback import (
    AWS_EXPORTERS,
    Loopback,
    loopback_config,
    shape_config,
)
from aurastream_obs.artifacts.collector_configs.otelcol import (
    BINARY,
    BUILD_HINT,
    CollectorProcess,
    ServerProcess,
    all_traces_decided,
    binary_path,
    metric_sum,
    own_metrics,
)
from aurastream_obs.core.conventions import LOGS_FILE, METRICS_FILE, TRACES_FILE

SAMPLED_TRACES_FILE: Final = "traces-sampled.jsonl"
DECISION_TIMEOUT_S: Final = 60.0  # the gateway's decision_wait is 10 s
REQUESTS_PROMQL: Final = "sum(http_server_request_duration_seconds_count)"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None
    )


def missing_prerequisites(root: Path) -> str | None:
    """Why --collector cannot run here, or None."""
    if binary_path(root) is None:
        return f"{BINARY} is not built: {BUILD_HINT}"
    if prometheus_binary() is None:
        return "Prometheus is not installed (Debian package 'prometheus'; `make tools`)"
    return None


def files_instead_of_aws(config: p.Config, files: dict[str, str]) -> p.Config:
    """`config` without its AWS exporters; `files` maps a pipeline name to the file its new
    `file/<pipeline signal>` exporter writes (pipelines sharing a signal share the file)."""
    exporters = {
        k: v for k, v in config["exporters"].items() if component_type(k) not in AWS_EXPORTERS
    }
    pipelines = config["service"]["pipelines"]
    for name, pipeline in pipelines.items():
        pipeline["exporters"] = [
            e for e in pipeline["exporters"] if component_type(e) not in AWS_EXPORTERS
        ]
        if name in files:
            exporter = f"file/{name.split('/', 1)[0]}"
            exporters[exporter] = {"path": files[name]}
            pipeline["exporters"].append(exporter)
    return {**config, "exporters": exporters}


def demo_sidecar_config(folder: str, lb: Loopback) -> p.Config:
    config = shape_config("sidecar-gateway")
    files = {
        name: os.path.join(folder, {"traces": TRACES_FILE, "metrics": METRICS_FILE}.get(
            name.split("/", 1)[0], LOGS_FILE))
        for name in config["service"]["pipelines"]
    }  # fmt: skip
    return loopback_config(files_instead_of_aws(config, files), lb)


def demo_gateway_config(folder: str, lb: Loopback) -> p.Config:
    config = shape_config("gateway")
    sampled = {"traces/sample": os.path.join(folder, SAMPLED_TRACES_FILE)}
    return loopback_config(files_instead_of_aws(config, sampled), lb)


@dataclass
class CollectorStack:
    """Prometheus, the gateway and the sidecar, started; `otlp_endpoint` is the sidecar's."""

    workdir: Path
    prometheus_url: str
    otlp_endpoint: str
    sidecar: CollectorProcess
    gateway: CollectorProcess
    gateway_telemetry_port: int

    def drain(self) -> list[str]:
        """Stop the sidecar (it flushes to the files, Prometheus and the gateway), wait for
        the gateway to decide every trace, stop it; lines saying what went where."""
        self.sidecar.stop()
        deadline = time.monotonic() + DECISION_TIMEOUT_S
        samples = own_metrics(self.gateway_telemetry_port)
        while not all_traces_decided(samples) and time.monotonic() < deadline:
            time.sleep(0.25)
            samples = own_metrics(self.gateway_telemetry_port)
        self.gateway.stop()
        received = metric_sum(samples, "otelcol_processor_tail_sampling_new_trace_id_received")
        kept = metric_sum(
            samples, "otelcol_processor_tail_sampling_global_count_traces_sampled", sampled="true"
        )
        from aurastream_obs.ops.backends.prometheus import PrometheusBackend, PrometheusError

        try:
            requests = PrometheusBackend(self.prometheus_url).scalar(REQUESTS_PROMQL)
        except (PrometheusError, OSError) as exc:
            requests, note = None, f" (query failed: {exc})"
        else:
            note = ""
        return [
            f"Collector path: gateway tail sampling kept {kept:.0f} of {received:.0f} traces "
            f"({SAMPLED_TRACES_FILE}); the report reads what the sidecar received.",
            f"Prometheus {self.prometheus_url} (remote write): "
            f"{'no data' if requests is None else f'{requests:.0f}'} requests "
            f"({REQUESTS_PROMQL}){note}",
        ]


def _prometheus_config(workdir: Path) -> Path:
    from aurastream_obs.artifacts.prometheus_rules import alert_rules, slo_rules
    from aurastream_obs.artifacts.yamltext import dump_yaml as dump_rules
    from aurastream_obs.core.settings import resolve_settings
    from aurastream_obs.definitions import load_definitions

    defs = load_definitions()
    env = resolve_settings().environment  # the demo service's: the rules read its series
    rules = []
    for name, document in (("slo", slo_rules(defs, env)), ("alerts", alert_rules(defs, env))):
        path = workdir / f"{name}.rules.yaml"
        path.write_text(dump_rules(document))
        rules.append(str(path))
    config = workdir / "prometheus.yml"
    config.write_text(dump_rules({"global": {"evaluation_interval": "15s"}, "rule_files": rules}))
    return config


@contextmanager
def start_collector_stack(root: Path, folder: str) -> Iterator[CollectorStack]:
    """Start Prometheus, the gateway and the sidecar (logs in `folder`); stop all on exit."""
    binary = binary_path(root)
    prometheus = prometheus_binary()
    if binary is None or prometheus is None:
        raise RuntimeError(missing_prerequisites(root) or "prerequisites missing")
    logs = Path(folder)
    (logs / SAMPLED_TRACES_FILE).unlink(missing_ok=True)  # the file exporter appends
    workdir = Path(tempfile.mkdtemp(prefix="aurastream-demo-collector-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        port = _port()
        argv = [
            prometheus,
            f"--config.file={_prometheus_config(workdir)}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-remote-write-receiver",
        ]
        ready = f"http://127.0.0.1:{port}/-/ready"
        prom = stack.enter_context(
            ServerProcess(argv, logs / "prometheus.log", env=os.environ, ready_url=ready)
        )
        prom.wait_ready()
        prometheus_url = f"http://127.0.0.1:{port}"
        peer, telemetry = _port(), _port()
        gw = Loopback(_port(), _port(), health_port=_port(), peer_port=peer,
                      peers=(f"127.0.0.1:{peer}",), telemetry_port=telemetry)  # fmt: skip
        gateway = stack.enter_context(
            _collector(binary, demo_gateway_config(folder, gw), logs, "gateway")
        )
        sc = Loopback(_port(), _port(), health_port=_port(), prometheus_port=_port(),
                      remote_write_url=f"{prometheus_url}/api/v1/write",
                      gateway_endpoint=f"127.0.0.1:{gw.otlp_grpc_port}")  # fmt: skip
        sidecar = stack.enter_context(
            _collector(binary, demo_sidecar_config(folder, sc), logs, "sidecar")
        )
        endpoint = f"http://127.0.0.1:{sc.otlp_http_port}"
        yield CollectorStack(workdir, prometheus_url, endpoint, sidecar, gateway, telemetry)


def _collector(binary: Path, config: p.Config, logs: Path, name: str) -> CollectorProcess:
    path = logs / f"{name}.yaml"
    path.write_text(dump_yaml(config))
    port = int(str(config["extensions"]["health_check"]["endpoint"]).rsplit(":", 1)[1])
    process = CollectorProcess(binary, path, ready_port=port, health_check=True)
    process.wait_ready()
    return process
