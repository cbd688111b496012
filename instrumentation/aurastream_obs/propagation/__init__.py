"""Context propagation: W3C tracecontext and baggage, AWS X-Ray (both headers, always), other
installed propagators by name, and a safe import of `opentelemetry.propagate`.

The names below load on first use (PEP 562): importing `propagation.xray_header` alone, as
the Lambda mode does, must not load the propagator classes and the contrib propagator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

_WHERE = {
    "LAMBDA_TRACE_ENV": "xray_header",
    "parse_xray_header": "xray_header",
    "xray_header_from_context": "xray_header",
    "XRayLambdaPropagator": "propagators",
    "XRayPropagator": "propagators",
    "build_propagator": "propagators",
    "propagate": "registry",
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
