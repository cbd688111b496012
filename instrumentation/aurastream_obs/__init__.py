"""AuraStream observability on OpenTelemetry.

Three lines instrument a service::

    import aurastream_obs
    telemetry = aurastream_obs.configure("aurastream-api")
    telemetry.metrics.record_cache_lookup(hit=True)

Names load lazily so that `import aurastream_obs` costs almost nothing (cold start matters).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aurastream_obs.core.version import __version__

if TYPE_CHECKING:
    from aurastream_obs.aws_lambda import instrument_handler
    from aurastream_obs.bootstrap import Telemetry, configure
    from aurastream_obs.logs import events
    from aurastream_obs.signals import AuraStreamMetrics

__all__ = [
    "AuraStreamMetrics",
    "Telemetry",
    "__version__",
    "configure",
    "events",
    "instrument_handler",
]

_LAZY = {
    "configure": ("aurastream_obs.bootstrap", "configure"),
    "Telemetry": ("aurastream_obs.bootstrap", "Telemetry"),
    "AuraStreamMetrics": ("aurastream_obs.signals", "AuraStreamMetrics"),
    "events": ("aurastream_obs.logs.events", None),
    "instrument_handler": ("aurastream_obs.aws_lambda.handler", "instrument_handler"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'aurastream_obs' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value
    return value
