"""AuraStream observability on OpenTelemetry.

Three lines instrument a service::

    import aurastream_obs
    telemetry = aurastream_obs.configure("aurastream-api")
    telemetry.metrics.record_cache_lookup(hit=True)

Names load lazily so that `import aurastream_obs` costs almost nothing (cold start matters).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aurastream_obs.core.lazy_names import lazy_getattr
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


__getattr__ = lazy_getattr(__name__, _LAZY)
