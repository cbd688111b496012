"""Auto-instrumentation entry points: `opentelemetry-instrument python app.py` uses our setup.

The `opentelemetry_distro` entry point sets defaults before instrumentors load; the
`opentelemetry_configurator` entry point replaces the SDK's env-driven setup with
`aurastream_obs.configure()` (same env variables, our pipelines, redaction and sampling).
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

from aurastream_obs.core.otel_compat import BaseConfigurator


class AuraStreamDistro(BaseDistro):  # type: ignore[misc]
    """Defaults for auto-instrumentation runs; explicit env values always win."""

    def _configure(self, **kwargs: Any) -> None:
        os.environ.setdefault("OTEL_PROPAGATORS", "tracecontext,baggage,xray")
        # With several configurators installed (another distro), ours is the one that runs;
        # it reads OTEL_TRACES_EXPORTER & co. itself (otlp, console, none), like the SDK's.
        os.environ.setdefault("OTEL_PYTHON_CONFIGURATOR", "aurastream")


class AuraStreamConfigurator(BaseConfigurator):
    """Called by opentelemetry-instrument before instrumentors run."""

    def _configure(self, **kwargs: Any) -> None:
        from aurastream_obs.bootstrap import configure

        configure()
