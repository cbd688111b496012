"""The reference AuraStream service: a plain ASGI app (no framework) behind TelemetryMiddleware.

    POST /v1/analyze  {"text": str, "language_code"?: str}  (header x-api-key)
        → 200 {"sentiment", "scores": {positive, negative, neutral, mixed}, "cached"}
    GET  /v1/health   → 200 {"status": "ok", "version", "checks": {...}}

Bad input is always a 4xx `{"error": {"code", "message"}}` logged as a client error; a failing
cache is a miss; only an analyzer failure (or a bug) is a 5xx, answered by the middleware.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from opentelemetry import metrics as metrics_api
from opentelemetry import trace

from aurastream_obs.asgi import TelemetryMiddleware
from aurastream_obs.asgi.types import Receive, Scope, Send, get_request_info
from aurastream_obs.core import conventions as c
from aurastream_obs.core.version import __version__
from aurastream_obs.http_server.event_sink import EventSink
from aurastream_obs.http_server.info import RequestInfo
from aurastream_obs.http_server.request import new_request_id
from aurastream_obs.service.analyzer import AnalysisResult, Analyzer, analyzer_from_env
from aurastream_obs.service.cache import Cache, cache_from_env, cache_key
from aurastream_obs.service.controls import ServiceControls, controls_from_env
from aurastream_obs.service.customers import (
    API_KEY_HEADER,
    Customer,
    CustomerDirectory,
    key_fingerprint,
)
from aurastream_obs.service.http import (
    MAX_BODY_BYTES,
    ClientDisconnected,
    HttpError,
    parse_analyze_request,
    read_body,
    send_error,
    send_json,
)
from aurastream_obs.signals import AuraStreamMetrics

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

_log = logging.getLogger("aurastream_obs")
_T = TypeVar("_T")

ANALYZE_ROUTE: Final = "/v1/analyze"
HEALTH_ROUTE: Final = "/v1/health"
ROUTES: Final[dict[str, tuple[str, ...]]] = {ANALYZE_ROUTE: ("POST",), HEALTH_ROUTE: ("GET",)}


def resolve_route(path: str) -> str | None:
    """The middleware's route resolver: only known routes become `http.route`."""
    return path if path in ROUTES else None


class AuraStreamService:
    """The ASGI app itself (undecorated); `create_app()` wraps it in TelemetryMiddleware."""

    def __init__(
        self,
        *,
        analyzer: Analyzer,
        cache: Cache,
        customers: CustomerDirectory,
        metrics: AuraStreamMetrics,
        tracer_provider: TracerProvider | None = None,
        events: EventSink | None = None,
        controls: ServiceControls | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.controls = controls or ServiceControls()  # runbook flags (controls.py)
        self.cache = cache
        self.customers = customers
        self._metrics = metrics
        self._tracer = trace.get_tracer("aurastream_obs.service", __version__, tracer_provider)
        self._events = events if events is not None else EventSink()
        self._cache_failures = 0  # exceptions a custom cache raised (DynamoDBCache never does)
        self._cache_errors_seen = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":  # websocket: refuse politely (403 before accept)
            await send({"type": "websocket.close", "code": 1008})
            return
        info = get_request_info(scope) or _bare_info(scope)
        path = str(scope.get("path", ""))
        method = str(scope.get("method", "")).upper()
        try:
            if self.route(method, path) == ANALYZE_ROUTE:
                customer = self.authenticate(info)
                body = await read_body(receive, info.headers)
                # Network/sleeping collaborators go to a worker thread (contextvars, hence the
                # current span, are copied); in-process ones run inline: a hop costs more.
                blocking = self.cache.blocking or self.analyzer.blocking or self.controls.blocking
                payload = await self._run(blocking, self.analyze, info, customer, body)
                await send_json(send, 200, payload)
            else:
                await send_json(send, 200, self.health())
        except HttpError as error:
            self.client_error(info, error)
            await send_error(send, error)
        except ClientDisconnected:
            return

    # -- the request-handling core, shared with the Lambda entry (service/lambda_entry.py) ----
    def handle(
        self, info: RequestInfo, method: str, path: str, body: bytes
    ) -> tuple[int, dict[str, Any], Sequence[tuple[bytes, bytes]]]:
        """One whole request whose body is already read: (status, JSON payload, headers).

        Client errors are answered here; anything else (an analyzer failure) propagates."""
        try:
            if self.route(method, path) == ANALYZE_ROUTE:
                customer = self.authenticate(info)
                if len(body) > MAX_BODY_BYTES:
                    raise HttpError(
                        413, "payload_too_large", f"Request body exceeds {MAX_BODY_BYTES} bytes"
                    )
                return 200, self.analyze(info, customer, body), ()
            return 200, self.health(), ()
        except HttpError as error:
            return error.status, self.client_error(info, error), error.headers

    @staticmethod
    def route(method: str, path: str) -> str:
        """The route of a request, or 404/405."""
        allowed = ROUTES.get(path)
        if allowed is None:
            raise HttpError(404, "not_found", f"No route for {path[:100]}")
        if method not in allowed:
            allow = ", ".join(allowed).encode()
            raise HttpError(
                405, "method_not_allowed", f"{method[:16]} not allowed", [(b"allow", allow)]
            )
        return path

    def client_error(self, info: RequestInfo, error: HttpError) -> dict[str, Any]:
        """Log a 4xx (401s are security events, logged where they happen); its JSON body."""
        if error.status != 401:
            self._events.error(
                request_id=info.request_id,
                error_type=error.code,
                error_message=error.message,
                client_error=error.status < 500,
            )
        return {"error": {"code": error.code, "message": error.message}}

    def analyze(self, info: RequestInfo, customer: Customer, body: bytes) -> dict[str, Any]:
        """`POST /v1/analyze` after authentication: validate, cache, analyze, record."""
        analyzer, shed = self.controls.begin(self.analyzer, self.cache)
        text, language = parse_analyze_request(body, analyzer.languages)
        key = cache_key(text, language)
        self.controls.seen(key, text, language)
        found = self._lookup(key)
        duration_s: float | None = None  # analyzer time; None on a hit
        if found is not None:
            result = found
        elif shed:  # circuit breaker open: no analyzer call, a 503 and a log line
            raise self.controls.shed()
        else:
            result, duration_s = self._analyze_text(analyzer, text, language)
            self._store(key, result)
        cached = duration_s is None
        info.cache_hit = cached
        self._record(
            customer,
            result,
            duration_s=duration_s,
            info=info,
            text_length=len(text),
            language=language,
            analyzer=analyzer.name,
        )
        return {"sentiment": result.sentiment, "scores": result.scores(), "cached": cached}

    def authenticate(self, info: RequestInfo) -> Customer:
        """The customer of the request's API key (noted on `info`), else a security event + 401."""
        api_key = info.headers.get(API_KEY_HEADER)
        customer = self.customers.authenticate(api_key)
        if customer is not None:
            info.customer_id = customer.customer_id
            return customer
        fields: dict[str, Any] = {
            "request_id": info.request_id,
            "reason": "missing_api_key" if not api_key else "invalid_api_key",
            "ip_address": info.client_ip,
            "user_agent": info.user_agent,
            "path": ANALYZE_ROUTE,
        }
        if api_key:
            # Named so the log redactor (which blanks *api_key* fields) keeps it: it is no secret.
            fields["key_fingerprint"] = key_fingerprint(api_key)
        self._events.security_event("failed_authentication", **fields)
        self._metrics.record_security_event("failed_authentication")
        raise HttpError(401, "unauthorized", "Missing or invalid API key")

    @staticmethod
    async def _run(blocking: bool, fn: Callable[..., _T], *args: Any) -> _T:
        if blocking:
            return await asyncio.to_thread(fn, *args)
        return fn(*args)

    def _lookup(self, key: str) -> AnalysisResult | None:
        with self._tracer.start_as_current_span(
            "cache.lookup", attributes={c.CACHE_TYPE: self.cache.name}
        ) as span:
            try:
                result = self.cache.get(key)
            except Exception as exc:  # noqa: BLE001 - a cache failure is a miss, never a 5xx
                result = None
                self._cache_failed("get", exc, span)
            span.set_attribute(c.CACHE_HIT, result is not None)
            return result

    def _store(self, key: str, result: AnalysisResult) -> None:
        try:
            self.cache.put(key, result)
        except Exception as exc:  # noqa: BLE001 - a failed write only costs a future miss
            self._cache_failed("put", exc, trace.get_current_span())

    def _cache_failed(self, operation: str, exc: Exception, span: trace.Span) -> None:
        self._cache_failures += 1
        _log.warning("cache %s failed (%s); serving as a miss", operation, type(exc).__name__)
        span.record_exception(exc)
        span.set_attribute("error.type", type(exc).__name__)

    def _analyze_text(
        self, analyzer: Analyzer, text: str, language: str
    ) -> tuple[AnalysisResult, float]:
        # Never the text itself on the span: it is customer content.
        attributes: dict[str, str | int] = {
            c.ANALYZER: analyzer.name,
            c.TEXT_LENGTH: len(text),
            c.LANGUAGE: language,
        }
        with self._tracer.start_as_current_span("sentiment.analyze", attributes=attributes) as span:
            start = time.perf_counter()
            result = analyzer.analyze(text, language)
            duration_s = time.perf_counter() - start
            span.set_attributes(
                {
                    c.SENTIMENT: result.sentiment,
                    "aurastream.sentiment.confidence": result.confidence,
                }
            )
            return result, duration_s

    def _record(
        self,
        customer: Customer,
        result: AnalysisResult,
        *,
        duration_s: float | None,
        info: RequestInfo,
        text_length: int,
        language: str,
        analyzer: str,
    ) -> None:
        m = self._metrics
        m.record_sentiment_analysis(
            result.sentiment, result.confidence, duration_s, analyzer=analyzer
        )
        m.record_cache_lookup(duration_s is None)
        m.record_customer_activity(customer.customer_id, "analysis")
        m.record_revenue(customer.customer_id, customer.price_per_analysis, 1)
        self._events.business_event(
            "analysis",
            customer_id=customer.customer_id,
            data={
                "request_id": info.request_id,
                "sentiment": result.sentiment,
                "confidence": round(result.confidence, 4),
                "cached": duration_s is None,
                "language_code": language,
                "text_length": text_length,
                "revenue_usd": customer.price_per_analysis,
            },
        )

    def health(self) -> dict[str, Any]:
        """Liveness plus per-dependency detail; cache trouble degrades, it does not fail.

        The cache reads "degraded" when it failed since the previous health check, so a
        poller sees current trouble, not a transient error from hours ago. The checks run
        through `ops.health.run_checks`, the code behind `aurastream-obs health`; `health`
        is its healthy/degraded/unhealthy verdict (`status` stays the liveness "ok")."""
        from functools import partial

        from aurastream_obs.ops.health import HealthCheck, Probe, run_checks

        errors = self.cache.errors + self._cache_failures
        cache_status = "degraded" if errors > self._cache_errors_seen else "ok"
        self._cache_errors_seen = errors
        checks: dict[str, tuple[dict[str, Any], bool]] = {
            "analyzer": (self.controls.health(self.analyzer), True),
            "cache": ({"status": cache_status, "type": self.cache.name, "errors": errors}, False),
            "customers": (
                {"status": "ok" if len(self.customers) else "no_api_keys",
                 "count": len(self.customers)},
                False,
            ),
        }  # fmt: skip

        def probe(detail: dict[str, Any]) -> Probe:
            return Probe("healthy" if detail["status"] == "ok" else "degraded", detail)

        report = run_checks(
            [HealthCheck(name, partial(probe, d), crit) for name, (d, crit) in checks.items()],
            concurrent=False,  # in-process answers: no threads per request
        )
        return {
            "status": "ok",
            "health": report.status,
            "version": __version__,
            "checks": {name: detail for name, (detail, _) in checks.items()},
        }

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message.get("type") == "lifespan.startup":
                warm_up = getattr(self.analyzer, "warm_up", None)
                if callable(warm_up):  # e.g. load the lexicon before the first request
                    await asyncio.to_thread(warm_up)
                await send({"type": "lifespan.startup.complete"})
            elif message.get("type") == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _bare_info(scope: Scope) -> RequestInfo:
    """RequestInfo for an app served without the middleware (tests, embedding)."""
    from aurastream_obs.http_server.request import client_ip_from, decode_headers

    headers = decode_headers(scope.get("headers"))
    return RequestInfo(
        request_id=new_request_id(),
        client_ip=client_ip_from(headers, scope.get("client")),
        user_agent=headers.get("user-agent", ""),
        headers=headers,
    )


def create_app(
    *,
    analyzer: Analyzer | None = None,
    cache: Cache | None = None,
    customers: CustomerDirectory | None = None,
    metrics: AuraStreamMetrics | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    events: EventSink | None = None,
    controls: ServiceControls | None = None,
) -> TelemetryMiddleware:
    """The instrumented service. Collaborators not given come from the environment
    (`AURASTREAM_ANALYZER`, `AURASTREAM_CACHE_TABLE`, `AURASTREAM_API_KEYS[_FILE]`,
    `AURASTREAM_FLAGS_SSM_PATH`); providers
    not given are the global ones (installed by `aurastream_obs.configure()`)."""
    if customers is None:
        customers = CustomerDirectory.from_env()
    if metrics is None:
        meter = None
        if meter_provider is not None:
            meter = metrics_api.get_meter("aurastream_obs", __version__, meter_provider)
        metrics = AuraStreamMetrics(meter)
    analyzer = analyzer if analyzer is not None else analyzer_from_env()
    service = AuraStreamService(
        analyzer=analyzer,
        cache=cache if cache is not None else cache_from_env(),
        customers=customers,
        metrics=metrics,
        tracer_provider=tracer_provider,
        events=events,
        controls=controls if controls is not None else controls_from_env(analyzer),
    )
    return TelemetryMiddleware(
        service,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        route_resolver=resolve_route,
        customer_resolver=customers.customer_id_for,
        events=events,
    )
