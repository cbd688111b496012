"""`mode="lambda"`: build and install the collectorless pipelines without the OTel SDK.

Traces → X-Ray segment documents over UDP to the daemon (`AWS_XRAY_DAEMON_ADDRESS`); metrics →
EMF JSON lines on stdout; logs → the contract's JSON lines on stdout. Everything is sent at
`Telemetry.force_flush`, which `instrument_handler` calls before the handler returns. Imports
only the OTel API and the standard library (tests/unit/aws_lambda checks with -X importtime).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from aurastream_obs.core.batching import DropCounter

if TYPE_CHECKING:
    from aurastream_obs.bootstrap.configure import Telemetry
    from aurastream_obs.core.settings import Settings


def resource_attributes(settings: Settings, env: Mapping[str, str]) -> dict[str, Any]:
    from aurastream_obs.core.faas import lambda_attributes

    return {
        **lambda_attributes(env),
        **settings.resource_attributes,
        "service.name": settings.service_name,
        "service.version": settings.service_version,
        "deployment.environment.name": settings.environment,
    }


def build_lambda_pipelines(
    telemetry: Telemetry, env: Mapping[str, str] | None = None, stream: Any = None
) -> None:
    """Fill `telemetry` with the lean providers and the JSON log handler (nothing installed)."""
    from aurastream_obs.core.conventions import XRAY_INDEXED
    from aurastream_obs.logs import JsonLogHandler, build_log_pipeline
    from aurastream_obs.modes.awslambda.emf import EmfEncoder, EmfStdoutExporter
    from aurastream_obs.modes.awslambda.metrics import LambdaMeterProvider
    from aurastream_obs.modes.awslambda.sampling import LambdaSampler, load_rules
    from aurastream_obs.modes.awslambda.tracing import LambdaTracerProvider
    from aurastream_obs.modes.awslambda.xray import SegmentEncoder, XRayUdpExporter, daemon_address

    env = os.environ if env is None else env
    settings = telemetry.settings
    drops: DropCounter = telemetry.drops
    resource = resource_attributes(settings, env)
    indexed = settings.xray_annotations
    if indexed is None:
        indexed = (*XRAY_INDEXED, "faas.trigger", "faas.coldstart")
    xray = XRayUdpExporter(
        SegmentEncoder(settings.service_name, indexed, resource),
        daemon_address(settings.xray_daemon_address),
        on_drop=lambda n: drops.add("traces", "export_failed", n),
    )
    sampler = LambdaSampler(
        load_rules(settings.sampling_rules_path),
        settings.service_name,
        sampled0=settings.lambda_sampled0,
    )
    from aurastream_obs.core.redaction import SpanRedactor

    tracer_provider = LambdaTracerProvider(
        sampler,
        xray.export,
        max_buffered=settings.max_queue_size,
        on_drop=lambda n: drops.add("traces", "queue_full", n),
        redact=SpanRedactor(settings.log_analysed_text) if settings.redact else None,
    )
    region = resource.get("cloud.region")
    emf = EmfStdoutExporter(
        EmfEncoder(
            settings.service_name,
            settings.emf_namespace,
            {"cloud.region": region} if region else None,
        ),
        stream=stream,
        on_drop=lambda n: drops.add("metrics", "export_failed", n),
    )
    meter_provider = LambdaMeterProvider(emf.export, cardinality_limit=settings.cardinality_limit)
    pipeline = build_log_pipeline(
        service=settings.service_name,
        environment=settings.environment,
        redact=settings.redact,
        allow_analysed_text=settings.log_analysed_text,
    )
    # Flushed per line (no timer buffer): nothing may sit in a buffer at a freeze.
    handler = JsonLogHandler(
        pipeline,
        stream=stream,
        level=settings.log_level,
        on_drop=lambda n, reason: drops.add("logs", reason, n),
    )
    # The Telemetry dataclass is typed with the SDK classes; these implement the same API.
    telemetry.tracer_provider = cast(Any, tracer_provider)
    telemetry.meter_provider = cast(Any, meter_provider)
    telemetry.log_handler = handler
    _register_drop_metric(meter_provider, drops)


def _register_drop_metric(provider: Any, drops: DropCounter) -> None:
    from opentelemetry.metrics import CallbackOptions, Observation

    from aurastream_obs.core.conventions import DROPPED_TELEMETRY

    def observe(_options: CallbackOptions) -> list[Observation]:
        return [
            Observation(n, {"signal": signal, "reason": reason})
            for (signal, reason), n in list(drops.counts.items())
        ]

    provider.get_meter("aurastream_obs").create_observable_counter(
        DROPPED_TELEMETRY.name, callbacks=[observe], unit=DROPPED_TELEMETRY.unit
    )


def install_lambda(telemetry: Telemetry) -> None:
    """Set the OTel trace and metrics globals and the root log handler.

    No global propagator is set: `opentelemetry.propagate` loads its propagators through entry
    points at import (≈ 100 ms); `instrument_handler` extracts the parent itself.
    """
    from opentelemetry import metrics as metrics_api
    from opentelemetry import trace

    if telemetry.tracer_provider is not None:
        trace.set_tracer_provider(telemetry.tracer_provider)
    if telemetry.meter_provider is not None:
        metrics_api.set_meter_provider(telemetry.meter_provider)
    if telemetry.log_handler is not None:
        from aurastream_obs.aws_lambda.context import ensure_context_adder

        ensure_context_adder(telemetry.log_handler)
        root = logging.getLogger()
        # The Python runtime (awslambdaric) installs its own handler: `LambdaLoggerHandler`,
        # or `LambdaLoggerHandlerWithFrameType` when AWS_LAMBDA_LOG_FORMAT=JSON or a log
        # level is set. Ours replaces it, so a line is neither written twice nor, in the
        # runtime's copy, unredacted.
        for existing in list(root.handlers):
            if type(existing).__name__.startswith("LambdaLoggerHandler"):
                root.removeHandler(existing)
        root.addHandler(telemetry.log_handler)
        level = telemetry.settings.log_level
        if root.level > level or root.level == logging.NOTSET:
            root.setLevel(level)
