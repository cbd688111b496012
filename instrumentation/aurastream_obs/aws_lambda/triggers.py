"""Recognise the invoking event and describe it as a span: name, kind, semconv attributes, headers.

Shapes (AWS Lambda developer guide, "Using Lambda with ..." pages): API Gateway REST proxy
(v1: `httpMethod` + `requestContext.resourcePath`), HTTP API and Function URL (v2:
`version: "2.0"`, `requestContext.http`; a Function URL's domain contains `.lambda-url.`),
ALB (`requestContext.elb`), SQS (`Records[].eventSource == "aws:sqs"`), EventBridge
(`source` + `detail-type`), and anything else as a direct invocation. Never raises: an
unexpected shape, or a field of the wrong type, gives the generic description.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

MAX_LINKS: Final = 32  # SQS batches: one link per traced message, bounded


class Trigger:
    """What the handler's span needs from the event (a plain class: cold start)."""

    __slots__ = ("attributes", "headers", "kind", "link_headers", "name", "source", "trigger")

    def __init__(  # noqa: PLR0917 - a record, positional like the dataclass it was
        self,
        trigger: str,  # faas.trigger: http, pubsub, timer, other
        source: str,  # api_gateway_v1, http_api, function_url, alb, sqs, eventbridge, direct
        name: str,
        kind: SpanKind,
        attributes: dict[str, AttributeValue] | None = None,
        headers: dict[str, str] | None = None,  # lower-cased names
        link_headers: list[str] | None = None,  # X-Ray headers of SQS messages
    ) -> None:
        self.trigger = trigger
        self.source = source
        self.name = name
        self.kind = kind
        self.attributes: dict[str, AttributeValue] = {} if attributes is None else attributes
        self.headers: dict[str, str] = {} if headers is None else headers
        self.link_headers: list[str] = [] if link_headers is None else link_headers

    def __repr__(self) -> str:
        return f"Trigger({self.trigger!r}, {self.source!r}, {self.name!r})"

    @property
    def is_http(self) -> bool:
        return self.trigger == "http"


_EMPTY: Final[Mapping[str, Any]] = {}


def _mapping(value: Any) -> Mapping[str, Any]:
    if value.__class__ is dict:  # what a JSON event is made of: no ABC check
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    headers = {
        (k.lower() if k.__class__ is str else str(k).lower()): v
        for k, v in _mapping(event.get("headers")).items()
        if isinstance(v, str)
    }
    multi = event.get("multiValueHeaders")
    if multi:
        for key, values in _mapping(multi).items():
            if str(key).lower() not in headers and isinstance(values, list) and values:
                headers[str(key).lower()] = str(values[-1])
    return headers


def describe(event: Any, function_name: str) -> Trigger:
    try:
        if event.__class__ is dict or isinstance(event, Mapping):
            found = _http(event) or _sqs(event) or _eventbridge(event)
            if found is not None:
                return found
    except Exception:  # noqa: BLE001 - an odd event must never fail the invocation
        pass
    return Trigger(
        "other", "direct", function_name or "invoke", SpanKind.SERVER, {"faas.trigger": "other"}
    )


# (method, path, query, client address, protocol, domain, source, route) of an HTTP event
_HttpFields = tuple[
    str | None, str | None, str | None, str | None, str | None, str, str, str | None
]


def _http(event: Mapping[str, Any]) -> Trigger | None:
    context = _mapping(event.get("requestContext"))
    http = _mapping(context.get("http"))
    headers = _headers(event)
    if event.get("version") == "2.0" and http:
        fields = _v2_fields(event, context, http)
    elif _str(event.get("httpMethod")) and (context or "path" in event):
        fields = _v1_fields(event, context, headers)
    else:
        return None
    method, path, query, client, protocol, domain, source, route = fields
    method = (method or "GET").upper()
    attrs: dict[str, AttributeValue] = {
        "faas.trigger": "http",
        "http.request.method": method,
        "url.scheme": headers.get("x-forwarded-proto", "https"),
    }
    # The optional ones, each only when it has a value (in this order).
    if path:
        attrs["url.path"] = path
    if query:
        attrs["url.query"] = query
    server = headers.get("host") or domain
    if server:
        attrs["server.address"] = server
    if client:
        attrs["client.address"] = client
    agent = headers.get("user-agent")
    if agent:
        attrs["user_agent.original"] = agent
    if route:
        attrs["http.route"] = route
    version = (protocol or "").partition("/")[2]
    if version:
        attrs["network.protocol.version"] = version
    name = f"{method} {route}" if route else method
    return Trigger("http", source, name, SpanKind.SERVER, attrs, headers)


def _v2_fields(
    event: Mapping[str, Any], context: Mapping[str, Any], http: Mapping[str, Any]
) -> _HttpFields:
    """HTTP API (payload 2.0) and function URL events. `_str` written out (x when a non-empty
    str, else None): this runs on every invocation."""
    method, path, query = http.get("method"), http.get("path"), event.get("rawQueryString")
    client, protocol = http.get("sourceIp"), http.get("protocol")
    if not (isinstance(path, str) and path):
        path = _str(event.get("rawPath"))
    domain = context.get("domainName")
    domain = domain if isinstance(domain, str) else ""
    source = "function_url" if ".lambda-url." in domain else "http_api"
    route_key, route = event.get("routeKey"), None
    if source == "http_api" and isinstance(route_key, str) and route_key not in ("", "$default"):
        route = route_key.partition(" ")[2] or route_key
    return (
        method if isinstance(method, str) and method else None,
        path,
        query if isinstance(query, str) and query else None,
        client if isinstance(client, str) and client else None,
        protocol if isinstance(protocol, str) and protocol else None,
        domain,
        source,
        route,
    )


def _v1_fields(
    event: Mapping[str, Any], context: Mapping[str, Any], headers: dict[str, str]
) -> _HttpFields:
    """API Gateway REST (payload 1.0) and ALB events."""
    params = _mapping(event.get("queryStringParameters"))
    client = _str(_mapping(context.get("identity")).get("sourceIp"))
    route = None
    if "elb" in context:
        source = "alb"
        client = client or (headers.get("x-forwarded-for", "").split(",")[0].strip() or None)
    else:
        source = "api_gateway_v1"
        route = _str(event.get("resource")) or _str(context.get("resourcePath"))
    return (
        _str(event.get("httpMethod")),
        _str(event.get("path")),
        "&".join(f"{k}={v}" for k, v in params.items()) or None,
        client,
        _str(context.get("protocol")),
        _str(context.get("domainName")) or "",
        source,
        route,
    )


def _sqs(event: Mapping[str, Any]) -> Trigger | None:
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return None
    first = _mapping(records[0])
    if first.get("eventSource") != "aws:sqs":
        return None
    arn = _str(first.get("eventSourceARN")) or ""
    queue = arn.rpartition(":")[2] or "unknown"
    attrs: dict[str, AttributeValue] = {
        "faas.trigger": "pubsub",
        "messaging.system": "aws_sqs",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": queue,
        "messaging.batch.message_count": len(records),
    }
    if len(records) == 1 and _str(first.get("messageId")):
        attrs["messaging.message.id"] = first["messageId"]
    links = []
    for record in records[:MAX_LINKS]:
        header = _str(_mapping(_mapping(record).get("attributes")).get("AWSTraceHeader"))
        if header:
            links.append(header)
    return Trigger("pubsub", "sqs", f"process {queue}", SpanKind.CONSUMER, attrs, {}, links)


def _eventbridge(event: Mapping[str, Any]) -> Trigger | None:
    source, detail_type = _str(event.get("source")), _str(event.get("detail-type"))
    if source is None or detail_type is None:
        return None
    scheduled = source == "aws.events" and detail_type == "Scheduled Event"
    attrs: dict[str, AttributeValue] = {
        "faas.trigger": "timer" if scheduled else "pubsub",
        "cloudevents.event_source": source,
        "cloudevents.event_type": detail_type,
    }
    if _str(event.get("id")):
        attrs["cloudevents.event_id"] = event["id"]
    if scheduled and _str(event.get("time")):
        attrs["faas.time"] = event["time"]
    return Trigger(
        str(attrs["faas.trigger"]), "eventbridge", f"{source} {detail_type}", SpanKind.CONSUMER,
        attrs,
    )  # fmt: skip
