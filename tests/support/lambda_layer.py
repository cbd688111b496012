"""The ADOT Lambda layer's shape for the real runtime (support/lambda_rie.py): our collector
distribution as an external extension, and a Prometheus remote-write stand-in.

`collector_layer(folder, config)` lays out in `folder/opt` what the layer puts in /opt —
`extensions/aurastream-collector` (the wrapper of scripts/lambda-extension, built by
`make lambda-rie`: it registers with the Extensions API, starts the collector, waits for its
OTLP receiver, stops it on SHUTDOWN) and `aurastream/otelcol-aurastream` (our collector, a
link to .build/) — writes `config` (a committed config through `loopback_config`) as the
function's collector.yaml, and returns the folder to bind over /opt with the function's
environment: ADOT's OPENTELEMETRY_COLLECTOR_CONFIG_URI, the wrapper's ready address and the
collector's test environment (dummy credentials, no instance metadata: nothing reaches AWS).

`RemoteWriteSink` answers every remote-write POST with 204 and keeps the decoded bodies
(snappy, decoded here: no dependency), so a test can look for a metric name in them.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
from aurastream_obs.artifacts.collector_configs.otelcol import collector_env
from support.lambda_rie import EXTENSION
from support.otelcol import require_collector

EXTENSION_NAME = "aurastream-collector"  # /opt/extensions/<name>: its Extensions API name
WRAPPER_LOG = "aurastream-lambda-extension:"  # the prefix of the wrapper's own lines


def collector_layer(
    folder: Path, config: Mapping[str, Any], otlp_http_port: int
) -> tuple[Path, dict[str, str]]:
    """(the folder to mount over /opt, the function's environment); see the module doc."""
    collector = require_collector()
    opt = folder / "opt"
    (opt / "extensions").mkdir(parents=True)
    (opt / "aurastream").mkdir()
    shutil.copy2(EXTENSION, opt / "extensions" / EXTENSION_NAME)  # registers under this name
    (opt / "aurastream" / "otelcol-aurastream").symlink_to(collector)
    config_path = folder / "collector.yaml"
    config_path.write_text(dump_yaml(dict(config)))
    env = collector_env()  # PATH, the placeholders' test values, dummy AWS credentials
    env.pop("PATH")
    env.update(
        OPENTELEMETRY_COLLECTOR_CONFIG_URI=str(config_path),
        AURASTREAM_COLLECTOR_READY_ADDRESS=f"127.0.0.1:{otlp_http_port}",
    )
    return opt, env


def snappy_decode(data: bytes) -> bytes:
    """Snappy's block format (what Prometheus remote write sends): a varint length, then
    literals and back-references."""
    length, shift, pos = 0, 0, 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            out += data[pos : pos + size + 1]
            pos += size + 1
            continue
        if kind == 1:
            size, offset = 4 + ((tag >> 2) & 7), ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            width = 2 if kind == 2 else 4
            size, offset = (tag >> 2) + 1, int.from_bytes(data[pos : pos + width], "little")
            pos += width
        for _ in range(size):  # byte by byte: a copy may overlap what it produces
            out.append(out[-offset])
    if len(out) != length:
        raise ValueError(f"snappy: {len(out)} bytes decoded, {length} announced")
    return bytes(out)


class RemoteWriteSink:
    """A remote-write endpoint on 127.0.0.1 that accepts everything (204)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.bodies.append(snappy_decode(body))
                self.send_response(204)
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v1/write"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RemoteWriteSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
