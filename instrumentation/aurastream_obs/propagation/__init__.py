"""Context propagation: W3C tracecontext and baggage, AWS X-Ray (both headers, always), other
installed propagators by name, and a safe import of `opentelemetry.propagate`.

The names below load on first use (PEP 562): importing `propagation.xray_header` alone, as
the Lambda mode does, must not load the propagator classes and the contrib propagator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aurastream_obs.core.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from aurastream_obs.propagation.propagators import (
        XRayLambdaPropagator,
        XRayPropagator,
        build_propagator,
    )
    from aurastream_obs.propagation.registry import propagate
    from aurastream_obs.propagation.xray_header import (
        LAMBDA_TRACE_ENV,
        parse_xray_header,
        xray_header_from_context,
    )

_WHERE: dict[str, tuple[str, str | None]] = {
    "LAMBDA_TRACE_ENV": (f"{__name__}.xray_header", "LAMBDA_TRACE_ENV"),
    "parse_xray_header": (f"{__name__}.xray_header", "parse_xray_header"),
    "xray_header_from_context": (f"{__name__}.xray_header", "xray_header_from_context"),
    "XRayLambdaPropagator": (f"{__name__}.propagators", "XRayLambdaPropagator"),
    "XRayPropagator": (f"{__name__}.propagators", "XRayPropagator"),
    "build_propagator": (f"{__name__}.propagators", "build_propagator"),
    "propagate": (f"{__name__}.registry", "propagate"),
}

__all__ = [
    "LAMBDA_TRACE_ENV",
    "XRayLambdaPropagator",
    "XRayPropagator",
    "build_propagator",
    "parse_xray_header",
    "propagate",
    "xray_header_from_context",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
