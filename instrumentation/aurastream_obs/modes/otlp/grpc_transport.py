"""OTLP over gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc): the same sender contract as the HTTP one.

`send(body)` takes the serialized export request (the same protobuf bytes the HTTP sender
posts) and calls the collector's `Export` RPC with it, so the encoders are shared. Needs the
`grpc` extra (`pip install 'aurastream-observability[grpc]'`, grpcio); imported only when a
signal uses gRPC, because grpcio costs tens of milliseconds at import.

Retries follow the OTLP specification ("OTLP/gRPC Throttling", "Failures"): UNAVAILABLE,
RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, DATA_LOSS, CANCELLED and DEADLINE_EXCEEDED are
retried with exponential backoff within the timeout; every call runs under the export deadline
of a flush or shutdown (`core.batching.export_deadline`), and `close()` cancels a call in
flight. Never raises.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from aurastream_obs.core.batching import export_deadline

_log = logging.getLogger("aurastream_obs.exporters")

SERVICES: Final = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
_RETRYABLE: Final = frozenset(
    {"UNAVAILABLE", "RESOURCE_EXHAUSTED", "ABORTED", "OUT_OF_RANGE", "DATA_LOSS", "CANCELLED",
     "DEADLINE_EXCEEDED"}
)  # fmt: skip
_MAX_BACKOFF_S: Final = 32.0


def _identity(data: bytes) -> bytes:
    return data


class GrpcSender:
    """Calls `Export` of one signal's service on one channel; `send` returns True on success."""

    def __init__(
        self,
        endpoint: str,
        *,
        signal: str,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        compression: str = "gzip",
        ca_file: str | None = None,
    ) -> None:
        import grpc  # the `grpc` extra; only signals that use gRPC pay for the import

        url = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
        target = f"{url.hostname or 'localhost'}:{url.port or 4317}"
        if url.scheme == "https":
            root = None
            if ca_file:
                with open(ca_file, "rb") as handle:
                    root = handle.read()
            self._channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root))
        else:
            self._channel = grpc.insecure_channel(target)
        self._call = self._channel.unary_unary(
            SERVICES[signal], request_serializer=_identity, response_deserializer=_identity
        )
        self._grpc = grpc
        # gRPC metadata keys must be lower case.
        self._metadata = tuple((k.lower(), v) for k, v in (headers or {}).items())
        self._compression = grpc.Compression.Gzip if compression == "gzip" else None
        self._timeout = timeout_s
        self._signal = signal
        self._endpoint = target
        self._closed = threading.Event()
        self._failing = False

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def send(self, body: bytes) -> bool:
        """Export `body` (a serialized Export*ServiceRequest), retrying within the timeout."""
        deadline = time.monotonic() + self._timeout
        outer = export_deadline()
        if outer is not None and outer < deadline:
            deadline = outer
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if self._closed.is_set():
                return self._failed("shut down")
            if remaining <= 0:
                return self._failed("timed out")
            code = self._attempt(body, remaining)
            if code == "OK":
                if self._failing:
                    self._failing = False
                    _log.info("aurastream_obs: %s export recovered", self._signal)
                return True
            if code not in _RETRYABLE:
                return self._failed(code)
            backoff = min(_MAX_BACKOFF_S, 2.0**attempt) * random.uniform(0.8, 1.2)
            attempt += 1
            if backoff > deadline - time.monotonic():
                return self._failed(f"{code}; no time left to retry")
            if self._closed.wait(backoff):
                return self._failed("shut down while retrying")

    def _attempt(self, body: bytes, timeout: float) -> str:
        try:
            self._call(
                body, timeout=timeout, metadata=self._metadata, compression=self._compression
            )
        except self._grpc.RpcError as error:
            code: Any = error.code() if hasattr(error, "code") else None
            return str(getattr(code, "name", "UNKNOWN"))
        except Exception as exc:  # noqa: BLE001 - e.g. a closed channel: a failure, not a raise
            return f"error {exc!r}"
        return "OK"

    def _failed(self, reason: str) -> bool:
        if not self._failing:  # once per outage, not once per batch
            self._failing = True
            _log.warning(
                "aurastream_obs: %s export to %s (gRPC) failed (%s); counting dropped items",
                self._signal,
                self._endpoint,
                reason,
            )
        return False

    def close(self) -> None:
        """Cancel a call in flight and refuse later sends. Never blocks."""
        self._closed.set()
        try:
            self._channel.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            _log.debug("closing the gRPC channel failed", exc_info=True)
