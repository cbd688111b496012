"""Context propagation: W3C tracecontext + baggage and AWS X-Ray, composed and made safe.

Contract: propagation reads and writes both ``traceparent`` and ``X-Amzn-Trace-Id``.

Precedence when both headers carry a valid parent and disagree: ``X-Amzn-Trace-Id`` wins. The
default ``OTEL_PROPAGATORS`` order is tracecontext, baggage, xray, and a composite lets a later
propagator overwrite the parent an earlier one extracted. Chosen deliberately: an AWS hop between
caller and service (API Gateway or ALB with X-Ray tracing on) rewrites ``X-Amzn-Trace-Id`` to
point at its own segment but forwards ``traceparent`` untouched, so the X-Ray header names the
nearest parent and its trace id is one X-Ray accepts. When the two agree on the trace id, the
W3C ``tracestate`` is kept. A malformed X-Ray header, or one without ``Parent``, changes nothing:
the W3C parent (if any) stands. An explicit ``OTEL_PROPAGATORS`` order is honoured as given.

Why not the stock ``AwsXRayPropagator`` as is (opentelemetry-propagator-aws-xray 1.0.2):
- it parses ids with ``int(x, 16)``, which accepts ``0x``, ``+`` and ``_`` in a malformed
  header and turns them into a valid parent; ids here must be exactly hex;
- it drops ``Lineage`` (Lambda recursion detection); here it is kept and re-injected, validated
  as the OTel Java propagator does (``<0..32767>:<8 hex>:<0..255>``);
- ``Sampled=?`` (decision deferred) is treated as no parent, as in the Java propagator, so our own
  sampler decides instead of the trace being dropped as "not sampled";
- the default getter looks headers up case-sensitively, so the ``x-amzn-trace-id`` that API
  Gateway HTTP APIs deliver is missed; `SafePropagator` reads Mapping carriers case-insensitively.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from opentelemetry.context import Context, get_value, set_value
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    TraceFlags,
    get_current_span,
    set_span_in_context,
)
from opentelemetry.trace.span import TraceState

from aurastream_obs.core.env import warn_invalid
from aurastream_obs.propagation.registry import load_installed
from aurastream_obs.propagation.xray_header import (
    LAMBDA_TRACE_ENV,
    LINEAGE_KEY,
    XRAY_HEADER,
    XRayHeader,
    parse_xray_header,
    xray_header_from_context,
)

_log = logging.getLogger(__name__)


class XRayPropagator(AwsXRayPropagator):
    """`AwsXRayPropagator` with strict parsing, ``Lineage`` kept and tracestate preserved."""

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        context = Context() if context is None else context
        values = getter.get(carrier, XRAY_HEADER)
        parsed = parse_xray_header(values[0]) if values and len(values) == 1 else None
        if parsed is None:
            parsed = self._fallback(context)
            if parsed is None:
                return context
        current = get_current_span(context).get_span_context()
        same_trace = current.is_valid and current.trace_id == parsed.trace_id
        span_context = SpanContext(
            trace_id=parsed.trace_id,
            span_id=parsed.span_id,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED if parsed.sampled else TraceFlags.DEFAULT),
            trace_state=current.trace_state if same_trace else TraceState(),
        )
        context = set_span_in_context(NonRecordingSpan(span_context), context)
        if parsed.lineage is not None:
            context = set_value(LINEAGE_KEY, parsed.lineage, context)
        return context

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        header = xray_header_from_context(get_current_span(context).get_span_context())
        if not header:
            return
        lineage = get_value(LINEAGE_KEY, context)
        if isinstance(lineage, str):
            header = f"{header};Lineage={lineage}"
        setter.set(carrier, XRAY_HEADER, header)

    @property
    def fields(self) -> set[str]:
        return {XRAY_HEADER}

    def _fallback(self, context: Context) -> XRayHeader | None:
        """The parent to use when the carrier gives no valid one: none here."""
        return None


class XRayLambdaPropagator(XRayPropagator):
    """Falls back to Lambda's ``_X_AMZN_TRACE_ID`` when the carrier gives no valid parent.

    The variable changes per invocation, so it is read at extract time (inject `environ`).
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def _fallback(self, context: Context) -> XRayHeader | None:
        if get_current_span(context).get_span_context().is_valid:
            return None  # an earlier propagator (traceparent) already gave a parent
        return parse_xray_header(self._environ.get(LAMBDA_TRACE_ENV))


def _as_strings(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes | bytearray):
        return [bytes(value).decode("latin-1")]
    if isinstance(value, list | tuple):
        items = [_as_strings(item) for item in value]
        return [text for item in items if item for text in item] or None
    return None


class HeaderGetter(Getter[Any]):
    """Case-insensitive header lookup on Mapping carriers; values normalised to ``list[str]``."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        if not isinstance(carrier, Mapping):  # e.g. an API Gateway event with "headers": null
            return default_getter.get(carrier, key) if hasattr(carrier, "get") else None
        value = carrier.get(key)
        if value is None:
            wanted = key.lower()
            value = carrier.get(wanted)
            if value is None:  # a miss costs one pass over the headers, only for absent keys
                value = next(
                    (v for k, v in carrier.items() if isinstance(k, str) and k.lower() == wanted),
                    None,
                )
        return _as_strings(value)

    def keys(self, carrier: Any) -> list[str]:
        if isinstance(carrier, Mapping):
            return [k for k in carrier if isinstance(k, str)]
        return default_getter.keys(carrier) if hasattr(carrier, "keys") else []


HEADER_GETTER: Final = HeaderGetter()


class SafePropagator(TextMapPropagator):
    """Never raises from extract or inject. A propagator that fails on some carrier leaves the
    context unchanged (a new trace starts); failures are counted in `errors` and warned once.

    With the default getter, Mapping carriers are read case-insensitively (`HeaderGetter`).
    """

    def __init__(self, inner: TextMapPropagator) -> None:
        self._inner = inner
        self.errors = 0

    def _failed(self, operation: str) -> None:
        self.errors += 1
        if self.errors == 1:  # hostile input can repeat per request: warn once, count always
            _log.warning(
                "%s.%s failed; ignored", type(self._inner).__name__, operation, exc_info=True
            )

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        if getter is default_getter:
            getter = HEADER_GETTER
        try:
            return self._inner.extract(carrier, context, getter)
        except Exception:  # noqa: BLE001  (telemetry boundary: a header must not fail a request)
            self._failed("extract")
            return Context() if context is None else context

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        try:
            self._inner.inject(carrier, context, setter)
        except Exception:  # noqa: BLE001  (telemetry boundary)
            self._failed("inject")

    @property
    def fields(self) -> set[str]:
        try:
            return set(self._inner.fields)
        except Exception:  # noqa: BLE001  (telemetry boundary)
            return set()


def _factories() -> dict[str, Callable[[], TextMapPropagator]]:
    from opentelemetry.baggage.propagation import W3CBaggagePropagator
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return {
        "tracecontext": TraceContextTextMapPropagator,
        "baggage": W3CBaggagePropagator,
        "xray": XRayPropagator,
        "xray-lambda": XRayLambdaPropagator,
    }


def build_propagator(names: Iterable[str]) -> TextMapPropagator:
    """Compose the named propagators (OTEL_PROPAGATORS names), in order, each made safe.

    Other installed propagators (entry points, e.g. b3) load by name; unknown names warn and
    are skipped; ``none`` contributes nothing; repeats count once.
    """
    factories = _factories()
    chosen: list[TextMapPropagator] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name or name in seen or name == "none":
            continue
        seen.add(name)
        factory = factories.get(name) or load_installed(raw.strip())
        if factory is None:
            known = ", ".join(factories)
            warn_invalid("OTEL_PROPAGATORS", raw, "the others", f"not installed ({known} built in)")
            continue
        try:
            chosen.append(SafePropagator(factory()))
        except Exception:  # noqa: BLE001 - a plugin that fails to start is skipped
            warn_invalid("OTEL_PROPAGATORS", raw, "the others", "failed to start")
    return SafePropagator(CompositePropagator(chosen))
