"""Export modes, one sibling package each, behind one small interface.

- `otlp`: OTLP/HTTP to a collector (ADOT as a Lambda extension, an ECS/EKS sidecar, a gateway);
- `local`: OTLP/JSON files and a Prometheus /metrics endpoint (the embedded default);
- `awslambda`: collectorless Lambda (X-Ray segments over UDP, EMF and JSON logs on stdout),
  built without the OTel SDK for cold start.

The SDK modes (`otlp`, `local`) hand the composition root (bootstrap/components.py) an
`ExportSet` — one exporter per signal and how to abort an export in flight — and the root
builds the SDK pipelines around it. `awslambda` builds its own lean providers
(`modes.awslambda.build_pipelines`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aurastream_obs.core.records import Record

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricExporter
    from opentelemetry.sdk.trace.export import SpanExporter

    from aurastream_obs.core.otel_compat import LogRecordExporter
    from aurastream_obs.core.settings import Settings


class ExportSet(Record, frozen=True):
    """What an SDK mode exports through. `abort` makes a blocked export return at once
    (shutdown calls it when the budget is spent); it never raises."""

    spans: SpanExporter
    metrics: MetricExporter
    logs: LogRecordExporter
    abort: Callable[[], None]


def exporters_for(settings: Settings) -> ExportSet:
    """The ExportSet of `settings.mode` ("otlp" or "local")."""
    if settings.mode == "otlp":
        from aurastream_obs.modes.otlp import build_exporters
    elif settings.mode == "local":
        from aurastream_obs.modes.local import build_exporters
    else:
        raise ValueError(f"mode {settings.mode!r} has no SDK exporters")
    return build_exporters(settings)
