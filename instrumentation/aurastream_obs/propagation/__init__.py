"""Context propagation: W3C tracecontext and baggage, AWS X-Ray (both headers, always), other
installed propagators by name, and a safe import of `opentelemetry.propagate`."""

from aurastream_obs.propagation.propagators import (
    LAMBDA_TRACE_ENV,
    XRayLambdaPropagator,
    XRayPropagator,
    build_propagator,
    parse_xray_header,
    xray_header_from_context,
)
from aurastream_obs.propagation.registry import propagate

__all__ = [
    "LAMBDA_TRACE_ENV",
    "XRayLambdaPropagator",
    "XRayPropagator",
    "build_propagator",
    "parse_xray_header",
    "propagate",
    "xray_header_from_context",
]
