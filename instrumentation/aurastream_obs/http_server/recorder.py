"""`HttpServerRecorder`: what every HTTP server request records besides its span, in one place
for the ASGI middleware and the Lambda HTTP API adapter.

- `http.server.request.duration` with the semconv attributes (`http.request.method` as
  `_OTHER` for unknown methods, `http.route` when known, `http.response.status_code`,
  `error.type` = the exception's qualified name, or the status for a 5xx without one);
- `aurastream.customer.requests` for authenticated requests (failed: 5xx or 429);
- one `api_response` event per request when it ends, with what was asked (method, path,
  customer, user agent, client address) and how it went (status, time, cache hit) — one
  record instead of a request/response pair halves the logging cost of a request, no field
  lost —, and the `error` event when the app raised.

The span stays the caller's (the middleware's SERVER span; `instrument_handler`'s invocation
span on Lambda): `finish` returns the error type to put on it. Never raises.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics

from aurastream_obs.core import conventions as c
from aurastream_obs.core.errors import error_type
from aurastream_obs.core.version import __version__
from aurastream_obs.http_server.event_sink import EventSink
from aurastream_obs.http_server.request import KNOWN_METHODS

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider

    from aurastream_obs.http_server.info import RequestInfo

_log = logging.getLogger("aurastream_obs")


@dataclass(slots=True)
class ServerRequest:
    """One request between `start` and `finish`."""

    info: RequestInfo
    method: str  # as sent (the log event keeps it; metrics use the semconv form)
    path: str
    metric_attributes: dict[str, Any]
    start_ns: int


def semconv_method(method: str) -> str:
    """`http.request.method`: the method if it is a known one, else `_OTHER` (semconv)."""
    return method if method in KNOWN_METHODS else "_OTHER"


class HttpServerRecorder:
    """Records the duration histogram and the request events of HTTP server requests."""

    def __init__(
        self,
        *,
        meter_provider: MeterProvider | None = None,
        events: EventSink | None = None,
        scope_name: str = "aurastream_obs.http_server",
    ) -> None:
        # get_meter without a provider returns a proxy that follows the global provider once
        # configure() installs it, so a recorder made before configure() is fine.
        meter = metrics.get_meter(scope_name, __version__, meter_provider=meter_provider)
        spec = c.HTTP_SERVER_DURATION
        self._duration = meter.create_histogram(
            spec.name,
            unit=spec.unit,
            description=spec.description,
            explicit_bucket_boundaries_advisory=list(spec.buckets or ()),
        )
        requests = c.CUSTOMER_REQUESTS
        self._customer_requests = meter.create_counter(
            requests.name, unit=requests.unit, description=requests.description
        )
        self.events = events if events is not None else EventSink()

    def start(
        self,
        info: RequestInfo,
        *,
        method: str,
        path: str,
        route: str | None,
        scheme: str = "https",
        protocol_version: str = "1.1",
    ) -> ServerRequest:
        attributes: dict[str, Any] = {
            c.HTTP_METHOD: semconv_method(method),
            "url.scheme": scheme,
            "network.protocol.version": protocol_version,
        }
        if route is not None:
            attributes[c.HTTP_ROUTE] = route
        return ServerRequest(info, method, path, attributes, time.perf_counter_ns())

    def finish(
        self, request: ServerRequest, status: int | None, error: BaseException | None = None
    ) -> str | None:
        """Record the duration and the closing events; the `error.type` (or None)."""
        elapsed_s = (time.perf_counter_ns() - request.start_ns) / 1e9
        attributes = request.metric_attributes
        error_name: str | None = None
        if error is not None:
            error_name = error_type(error)
            if isinstance(error, Exception):  # cancellation is not an application error
                self.events.error(
                    request_id=request.info.request_id,
                    error_type=error_name,
                    error_message=str(error),
                    client_error=False,
                    exc=error,
                )
        elif status is not None and status >= 500:
            error_name = str(status)
        if status is not None:
            attributes[c.HTTP_STATUS] = status
        if error_name is not None:
            attributes[c.ERROR_TYPE] = error_name
        try:
            self._duration.record(elapsed_s, attributes)
        except Exception:  # noqa: BLE001 - telemetry boundary: never fail the request
            _log.debug("recording the request duration failed", exc_info=True)
        customer = request.info.customer_id
        if customer is not None:  # the customer's own error rate (customer health)
            failed = error_name is not None or (status is not None and c.is_failed_status(status))
            try:
                self._customer_requests.add(1, {c.CUSTOMER_ID: customer, c.REQUEST_FAILED: failed})
            except Exception:  # noqa: BLE001 - telemetry boundary: never fail the request
                _log.debug("recording the customer request failed", exc_info=True)
        info = request.info
        self.events.api_response(
            request_id=info.request_id,
            status_code=status,
            response_time_ms=round(elapsed_s * 1000.0, 3),
            cache_hit=info.cache_hit,
            customer_id=customer,
            method=request.method,
            path=request.path,
            user_agent=info.user_agent,
            ip_address=info.client_ip,
        )
        return error_name
