"""Where the middleware and the service send structured events.

`EventSink` forwards to `aurastream_obs.logs.events` with the same signatures, resolved once and
lazily (it pulls in the logging pipeline); when that module is unavailable every call is a
no-op. A failing event is logged at debug level, never raised, and counted. Tests inject a
recording subclass (or a fake module) instead of patching.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol, cast

_log = logging.getLogger("aurastream_obs")
_MODULE = "aurastream_obs.logs.events"


class _EventsModule(Protocol):
    def api_request(
        self,
        *,
        request_id: str,
        method: str,
        path: str,
        customer_id: str | None,
        user_agent: str,
        ip_address: str,
    ) -> None: ...

    def api_response(
        self,
        *,
        request_id: str,
        status_code: int | None,
        response_time_ms: float,
        cache_hit: bool | None,
        customer_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        user_agent: str | None = None,
        ip_address: str | None = None,
    ) -> None: ...

    def error(
        self,
        *,
        request_id: str,
        error_type: str,
        error_message: str,
        client_error: bool = False,
        exc: BaseException | None = None,
    ) -> None: ...

    def business_event(
        self, event_type: str, *, customer_id: str, data: dict[str, Any]
    ) -> None: ...

    def security_event(self, event_type: str, **fields: Any) -> None: ...


class EventSink:
    """Facade over the events module: same signatures, but a failure is logged at debug only
    and counted in `dropped`.

    `module` replaces the lazily imported events module (tests pass a fake)."""

    def __init__(self, module: _EventsModule | None = None) -> None:
        self._module = module
        self._resolved = module is not None
        self.dropped = 0

    def _get(self) -> _EventsModule | None:
        if not self._resolved:
            self._resolved = True
            try:
                self._module = cast(_EventsModule, importlib.import_module(_MODULE))
            except ImportError:
                _log.debug("%s unavailable; structured events disabled", _MODULE)
        return self._module

    @property
    def available(self) -> bool:
        return self._get() is not None

    def _emit(self, event: str, call: Callable[[_EventsModule], None]) -> None:
        module = self._get()
        if module is None:
            return
        try:
            call(module)
        except Exception:  # noqa: BLE001 - telemetry boundary: never fail the request
            self.dropped += 1
            _log.debug("%s event failed", event, exc_info=True)

    def api_request(
        self,
        *,
        request_id: str,
        method: str,
        path: str,
        customer_id: str | None,
        user_agent: str,
        ip_address: str,
    ) -> None:
        self._emit(
            "api_request",
            lambda m: m.api_request(
                request_id=request_id,
                method=method,
                path=path,
                customer_id=customer_id,
                user_agent=user_agent,
                ip_address=ip_address,
            ),
        )

    def api_response(
        self,
        *,
        request_id: str,
        status_code: int | None,
        response_time_ms: float,
        cache_hit: bool | None,
        customer_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        user_agent: str | None = None,
        ip_address: str | None = None,
    ) -> None:
        self._emit(
            "api_response",
            lambda m: m.api_response(
                request_id=request_id,
                status_code=status_code,
                response_time_ms=response_time_ms,
                cache_hit=cache_hit,
                customer_id=customer_id,
                method=method,
                path=path,
                user_agent=user_agent,
                ip_address=ip_address,
            ),
        )

    def error(
        self,
        *,
        request_id: str,
        error_type: str,
        error_message: str,
        client_error: bool = False,
        exc: BaseException | None = None,
    ) -> None:
        self._emit(
            "error",
            lambda m: m.error(
                request_id=request_id,
                error_type=error_type,
                error_message=error_message,
                client_error=client_error,
                exc=exc,
            ),
        )

    def business_event(self, event_type: str, *, customer_id: str, data: dict[str, Any]) -> None:
        self._emit(
            "business",
            lambda m: m.business_event(event_type, customer_id=customer_id, data=data),
        )

    def security_event(self, event_type: str, **fields: Any) -> None:
        self._emit("security", lambda m: m.security_event(event_type, **fields))
