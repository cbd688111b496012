"""The seed's structured events as a small typed API on stdlib logging ("aurastream.events").

Each call emits one record whose message is the `event_type` and whose fields travel as
`extra=`; the JSON pipeline turns them into top-level fields, so the seed's Logs Insights
queries work as written (`filter event_type = "failed_authentication"`,
`filter response_time > 1000`). Redaction (client IP, e-mails, secrets) happens in the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Final, cast

_logger: Final = logging.getLogger("aurastream.events")

# LogRecord attribute names (logging raises KeyError if `extra=` reuses them) and our own
# two fields: a caller's field with one of these names is kept, renamed with a trailing "_".
_RESERVED: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName", "event_type", "category"}
)


def _emit(
    level: int,
    event_type: str,
    category: str,
    fields: Mapping[str, object],
    exc: BaseException | None = None,
) -> None:
    if not _logger.isEnabledFor(level):
        return
    extra: dict[str, object] = {"event_type": event_type}
    for key, value in fields.items():
        extra[f"{key}_" if key in _RESERVED else key] = value
    if exc is None:
        emit_event = _direct_emitter(level)
        if emit_event is not None:
            emit_event(level, _logger.name, event_type, category, extra)
            return
    extra["category"] = category
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    # stacklevel=3: funcName/lineno of the service code, not of this module.
    _logger.log(level, event_type, extra=extra, exc_info=exc_info, stacklevel=3)


def _direct_emitter(level: int) -> Callable[[int, str, str, str, dict[str, object]], None] | None:
    """The JSON handler's `emit_event` when it is the only place a record of ours could reach.

    Then an event skips stdlib logging's per-record machinery (LogRecord, findCaller, the
    handler chain: about a third of an event's cost) and yields the same line and OTLP record.
    Anyone else listening (a handler or filter on the way, a second root handler such as
    pytest's caplog, a Lambda log gate) gets the records through `logging`, as before.
    """
    root = logging.root
    handlers = root.handlers
    if len(handlers) != 1 or _logger.filters:  # logging applies only the origin's filters
        return None
    handler = handlers[0]
    emit_event = getattr(handler, "emit_event", None)
    if emit_event is None or handler.filters or level < handler.level:
        return None
    if getattr(handler, "gate", None) is not None:  # Lambda sampling/buffering: a LogRecord
        return None
    logger: logging.Logger = _logger
    while logger is not root:
        if logger.handlers or not logger.propagate:
            return None
        parent = logger.parent
        if parent is None:
            return None
        logger = parent
    return cast("Callable[[int, str, str, str, dict[str, object]], None]", emit_event)


def api_request(
    *,
    request_id: str,
    method: str,
    path: str,
    customer_id: str | None,
    user_agent: str | None,
    ip_address: str | None,
) -> None:
    _emit(
        logging.INFO,
        "api_request",
        "application",
        {
            "request_id": request_id,
            "method": method,
            "path": path,
            "customer_id": customer_id,
            "user_agent": user_agent,
            "ip_address": ip_address,
        },
    )


def api_response(
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
    """The one record of a finished request: what was asked (method, path, the customer,
    user agent, client address) and how it went (status, time, cache). `customer_id` lets
    Logs Insights count each customer's requests and failures from these lines alone
    (customer health, ops/analytics). `status_code` is None when no response was sent."""
    fields: dict[str, object] = {"request_id": request_id}
    for key, value in (("method", method), ("path", path), ("customer_id", customer_id),
                       ("user_agent", user_agent), ("ip_address", ip_address)):  # fmt: skip
        if value is not None:
            fields[key] = value
    fields["status_code"] = status_code
    fields["response_time"] = response_time_ms  # milliseconds, as the seed's queries expect
    fields["cache_hit"] = cache_hit
    _emit(logging.INFO, "api_response", "application", fields)


def error(
    *,
    request_id: str | None,
    error_type: str,
    error_message: str,
    client_error: bool = False,
    exc: BaseException | None = None,
) -> None:
    """WARNING for client errors (4xx: the caller's fault), ERROR otherwise."""
    _emit(
        logging.WARNING if client_error else logging.ERROR,
        "error",
        "application",
        {
            "request_id": request_id,
            "error_type": error_type,
            "error_message": error_message,
            "client_error": client_error,
        },
        exc,
    )


def business_event(event_type: str, *, customer_id: str, data: Mapping[str, object]) -> None:
    _emit(
        logging.INFO,
        f"business_{event_type}",
        "business",
        {"customer_id": customer_id, "data": dict(data)},
    )


def security_event(event_type: str, /, **fields: object) -> None:
    """E.g. `security_event("failed_authentication", customer_id=..., ip_address=...)`."""
    _emit(logging.WARNING, event_type, "security", fields)


def audit_event(event_type: str, /, **fields: object) -> None:
    """An operator or automation action (runbooks): kept 7 years in the audit category."""
    _emit(logging.INFO, event_type, "audit", fields)
