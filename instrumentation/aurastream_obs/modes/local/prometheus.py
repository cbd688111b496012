"""Local-mode Prometheus endpoint: an SDK MetricReader served as text on /metrics.

Each endpoint gets a private `CollectorRegistry` (not prometheus_client's global REGISTRY):
several endpoints can coexist (tests, several providers), nothing leaks between them, and the
process/platform/gc collectors that the global registry carries are not mixed into the
service's metrics. Resource attributes appear in `target_info` (the OTel Prometheus
compatibility spec's place for them); only the identity (`identity_labels`: `service_name` and
`deployment_environment_name`) is also a label of every series, as the collector's exporters
write it with resource_to_telemetry_conversion and as Go's and Java's Prometheus exporters do
with their resource-as-constant-labels option: the rules and dashboards filter on it, and a
constant per process adds no series.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

if TYPE_CHECKING:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry

METRICS_PATH: Final = "/metrics"

_StartResponse = Callable[..., Any]
_WsgiApp = Callable[[dict[str, Any], _StartResponse], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not news: keep stderr for the service's own output."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a stuck scraper must never keep the process alive


class _IPv6ThreadingWSGIServer(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


def _metrics_only(app: _WsgiApp) -> _WsgiApp:
    """Serve `app` on /metrics, 404 elsewhere, one scrape at a time.

    Serialised because the exporter's collector is not safe for overlapping collections: two
    concurrent scrapes can queue two snapshots and emit duplicated families (invalid text).
    """
    lock = threading.Lock()

    def wrapped(environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/").rstrip("/") != METRICS_PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Prometheus metrics are served on /metrics\n"]
        with lock:
            return list(app(environ, start_response))

    return wrapped


class _IdentityLabels:
    """A prometheus_client collector: the reader's families, each sample with the identity
    labels added (`target_info` already carries the whole resource, identity included)."""

    def __init__(self, inner: CollectorRegistry, labels: Mapping[str, str]) -> None:
        self._inner = inner
        self._labels = dict(labels)

    def collect(self) -> Iterator[Any]:
        for family in self._inner.collect():
            if family.name != "target_info":
                family.samples = [
                    sample._replace(labels={**self._labels, **sample.labels})
                    for sample in family.samples
                ]
            yield family


class PrometheusEndpoint:
    """Handle of a running /metrics server; `close()` stops it within a bound."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self._closed = False
        self.host: str = str(server.server_address[0])
        self.port: int = int(server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{METRICS_PATH}"

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop serving and release the port (idempotent).

        The reader is not shut down here: it belongs to the MeterProvider, whose shutdown
        shuts it down.
        """
        if self._closed:
            return
        self._closed = True
        # shutdown() waits for serve_forever's loop (0.05 s poll) to exit; run it aside so a
        # wedged loop cannot hold the caller past timeout_s.
        stopper = threading.Thread(target=self._server.shutdown, daemon=True)
        stopper.start()
        stopper.join(timeout_s)
        self._server.server_close()
        self._thread.join(max(0.0, timeout_s / 2))

    def __enter__(self) -> PrometheusEndpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_prometheus_endpoint(
    host: str,
    port: int,
    *,
    registry: CollectorRegistry | None = None,
    disable_target_info: bool = False,
    identity_labels: Mapping[str, str] | None = None,
) -> tuple[PrometheusMetricReader, PrometheusEndpoint]:
    """Create a PrometheusMetricReader and serve it on http://host:port/metrics.

    Port 0 picks a free port (see `endpoint.port`). Register the reader with a MeterProvider
    (`MeterProvider(metric_readers=[reader])`); each scrape collects from it. Raises OSError
    if the address cannot be bound - the caller decides whether that is fatal.
    `identity_labels` are added to every series but `target_info`.
    """
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry, make_wsgi_app

    class LatestSnapshotReader(PrometheusMetricReader):
        """Keeps only the newest collection. Every stream is cumulative, so the newest snapshot
        supersedes older ones; the SDK's collector queues each (a MeterProvider.force_flush
        between scrapes adds one) and then yields every family once per queued snapshot,
        which is invalid exposition text (duplicate families)."""

        def _receive_metrics(
            self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any
        ) -> None:
            if metrics_data is None:
                return
            queued = self._collector._metrics_datas
            queued.clear()
            queued.append(metrics_data)

    registry = registry if registry is not None else CollectorRegistry()
    if identity_labels:  # the reader writes into its own registry; the served one relabels
        inner = CollectorRegistry(auto_describe=False)
        reader = LatestSnapshotReader(disable_target_info=disable_target_info, registry=inner)
        registry.register(_IdentityLabels(inner, identity_labels))
    else:
        reader = LatestSnapshotReader(disable_target_info=disable_target_info, registry=registry)
    server_class = _IPv6ThreadingWSGIServer if ":" in host else _ThreadingWSGIServer
    try:
        server = make_server(
            host,
            port,
            _metrics_only(make_wsgi_app(registry)),
            server_class=server_class,
            handler_class=_QuietHandler,
        )
    except OSError:
        reader.shutdown()  # unregister from the registry; the caller gets the error
        raise
    # A short poll: `close()` (inside a shutdown budget) waits for the loop to notice.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"aurastream-prometheus-{port}",
        daemon=True,
    )
    thread.start()
    return reader, PrometheusEndpoint(server, thread)
