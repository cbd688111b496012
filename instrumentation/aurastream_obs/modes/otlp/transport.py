"""A small OTLP/HTTP sender: one keep-alive connection, gzip, bounded retries. Never raises.

Why not `requests` (what the SDK exporters use): importing it costs ≈80 ms of cold start
(`python -X importtime` on the 2-core reference machine, 2026-11) and each POST ≈1 ms of CPU
through its adapters, against ≈0.2 ms for `http.client` on a kept-alive connection. Retry rules
follow the OTLP/HTTP specification (opentelemetry-proto docs/specification.md, "Failures"): 429,
502, 503 and 504 are retried with exponential backoff and jitter, honouring `Retry-After`; a
dropped connection is retried once at once (a stale keep-alive) and then with backoff;
everything ends by `timeout_s`."""

from __future__ import annotations

import contextlib
import http.client
import logging
import math
import random
import socket
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from aurastream_obs.core.batching import export_deadline
from aurastream_obs.core.forking import after_fork_in_child

if TYPE_CHECKING:
    import ssl

_log = logging.getLogger("aurastream_obs.exporters")

RETRYABLE_STATUS: Final = frozenset({429, 502, 503, 504})
_MAX_BACKOFF_S: Final = 32.0
# gzip level 1: on OTLP batches it is ≈7x cheaper in CPU than the level 9 `gzip.compress`
# default the SDK uses, for output ≈2-5 % larger (measured on span batches, bench/).
GZIP_LEVEL: Final = 1


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE / CLIENT_CERTIFICATE / CLIENT_KEY."""

    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None


def gzip_compress(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """gzip framing (wbits 31) in one zlib call."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


class OtlpHttpSender:
    """POSTs serialized OTLP export requests to one URL; `send` returns True on success."""

    def __init__(
        self,
        endpoint: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        compression: str = "gzip",
        tls: TlsFiles | None = None,
        signal: str = "telemetry",
        proxy: str | None = None,
        content_type: str | None = None,
    ) -> None:
        url = urlsplit(endpoint)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port or (443 if self._https else 80)
        self._path = url.path or "/"
        if url.query:
            self._path += "?" + url.query
        self._timeout = timeout_s
        self._gzip = compression == "gzip"
        self.content_type = content_type or "application/x-protobuf"
        self._headers = {"Content-Type": self.content_type, **dict(headers or {})}
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._tls = tls or TlsFiles()
        self._signal = signal
        self._proxy = proxy  # checked by the caller (env_values.check_proxy)
        if self._proxy is not None and not self._https:
            self._path = endpoint  # plain-HTTP proxies take the absolute URL
        self._ssl_context: ssl.SSLContext | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._failing = False
        after_fork_in_child(self, OtlpHttpSender._after_fork)

    def _after_fork(self) -> None:
        # The child must not share the parent's TCP connection (their requests would
        # interleave on it), nor a lock some parent thread held at fork time. Forget both;
        # closing the inherited socket is the parent's business.
        self._conn = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        scheme = "https" if self._https else "http"
        return f"{scheme}://{self._host}:{self._port}{self._path}"

    def send(self, body: bytes) -> bool:
        """POST `body` (compressed here), retrying within the timeout. Never raises."""
        if self._closed.is_set():
            return False
        try:
            data = gzip_compress(body) if self._gzip else body
        except Exception as exc:  # noqa: BLE001 - telemetry boundary (e.g. MemoryError)
            return self._failed(f"compression failed: {exc!r}")
        deadline = time.monotonic() + self._timeout
        outer = export_deadline()  # a flush or shutdown budget is tighter than our timeout
        if outer is not None and outer < deadline:
            deadline = outer
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return self._failed("timed out waiting for the connection")
        try:
            return self._send_until(data, deadline)
        finally:
            self._lock.release()

    def _send_until(self, data: bytes, deadline: float) -> bool:
        reconnected = False
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._failed("timed out")
            if self._closed.is_set():
                return self._failed("shut down")
            try:
                status, retry_after = self._post(data, remaining)
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                if self._closed.is_set():
                    return self._failed("shut down while sending")
                if not reconnected:  # most likely a keep-alive the server closed: once, now
                    reconnected = True
                    continue
                reason, retry_after = repr(exc), None
            except Exception as exc:  # noqa: BLE001 - e.g. a header or URL http.client refuses
                self._drop_connection()
                return self._failed(repr(exc))
            else:
                if 200 <= status < 300:
                    if self._failing:
                        self._failing = False
                        _log.info("aurastream_obs: %s export recovered", self._signal)
                    return True
                reason = f"HTTP {status}"
                if status not in RETRYABLE_STATUS:
                    return self._failed(reason)
            backoff = retry_after
            if backoff is None:
                backoff = min(_MAX_BACKOFF_S, 2.0**attempt) * random.uniform(0.8, 1.2)
            attempt += 1
            if backoff > deadline - time.monotonic():
                return self._failed(f"{reason}; no time left to retry")
            if self._closed.wait(backoff):
                return self._failed("shut down while retrying")

    def _post(self, data: bytes, timeout: float) -> tuple[int, float | None]:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._connect(timeout)
        elif conn.sock is not None:
            conn.sock.settimeout(timeout)
        else:
            conn.timeout = timeout
        conn.request("POST", self._path, body=data, headers=self._headers)
        response = conn.getresponse()
        response.read()  # drain, so the connection can be reused
        if response.will_close:
            self._drop_connection()
        retry_after = response.getheader("Retry-After")
        return response.status, _parse_retry_after(retry_after)

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        host, port = self._host, self._port
        if self._proxy is not None:
            proxy = urlsplit(self._proxy)
            host, port = proxy.hostname or host, proxy.port or 80
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        if self._proxy is not None and self._https:
            conn.set_tunnel(self._host, self._port)
        return conn

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            import ssl  # only https endpoints pay for it

            tls = self._tls
            context = ssl.create_default_context(cafile=tls.ca_file)
            if tls.client_cert_file:
                context.load_cert_chain(tls.client_cert_file, tls.client_key_file)
            self._ssl_context = context
        return self._ssl_context

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken socket is best effort
                conn.close()

    def _failed(self, reason: str) -> bool:
        if not self._failing:  # once per outage, not once per batch
            self._failing = True
            _log.warning(
                "aurastream_obs: %s export to %s failed (%s); counting dropped items",
                self._signal,
                self.endpoint,
                reason,
            )
        return False

    def close(self) -> None:
        """Abort retries and a send in flight; later sends fail at once. Never blocks.

        A send blocked on a silent peer holds the lock: its socket is shut down from here
        (no lock), which wakes the blocked call at once with an error.
        """
        self._closed.set()
        conn = self._conn
        sock = getattr(conn, "sock", None) if conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._lock.acquire(blocking=False):
            try:
                self._drop_connection()
            finally:
                self._lock.release()


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        import email.utils  # an HTTP-date: rare

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # RFC 7231 dates are GMT
            import datetime as dt

            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, when.timestamp() - time.time())
    return max(0.0, seconds) if math.isfinite(seconds) else None
