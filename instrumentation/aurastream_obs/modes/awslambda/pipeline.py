"""mode="lambda": the collectorless pipelines, built without the OTel SDK.

Traces → X-Ray segment documents over UDP to the daemon (`AWS_XRAY_DAEMON_ADDRESS`); metrics →
EMF JSON lines on stdout; logs → the contract's JSON lines on stdout. Everything is sent at
`Telemetry.force_flush`, which `instrument_handler` calls before the handler returns. Imports
only the OTel API and the standard library (tests/unit/aws_lambda checks with -X importtime).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aurastream_obs.core.records import Record

if TYPE_CHECKING:
    from aurastream_obs.core.drops import DropCounter
    from aurastream_obs.core.settings import Settings
    from aurastream_obs.logs import JsonLogHandler
    from aurastream_obs.modes.awslambda.metrics import LambdaMeterProvider
    from aurastream_obs.modes.awslambda.tracing import LambdaTracerProvider


class LambdaPipelines(Record, frozen=True):
    """The lean providers (same API as the SDK's) and the JSON log handler; not installed."""

    tracer_provider: LambdaTracerProvider
    meter_provider: LambdaMeterProvider
    log_handler: JsonLogHandler


def resource_attributes(settings: Settings) -> dict[str, Any]:
    from aurastream_obs.core.faas import lambda_attributes

    user = {k: v for k, v in settings.resource_attributes.items() if k != "deployment.environment"}
    return {
        **lambda_attributes(settings.platform_env),
        **user,
        "service.name": settings.service_name,
        "service.version": settings.service_version,
        "deployment.environment.name": settings.environment,
    }


def build_pipelines(settings: Settings, drops: DropCounter, stream: Any = None) -> LambdaPipelines:
    """The lean providers and the JSON log handler for `settings`; drops go to `drops`."""
    from aurastream_obs.core.conventions import XRAY_INDEXED
    from aurastream_obs.core.redaction import SpanRedactor
    from aurastream_obs.logs import JsonLogHandler, build_log_pipeline
    from aurastream_obs.modes.awslambda.emf import EmfEncoder, EmfStdoutExporter
    from aurastream_obs.modes.awslambda.metrics import LambdaMeterProvider
    from aurastream_obs.modes.awslambda.sampling import LambdaSampler, load_rules
    from aurastream_obs.modes.awslambda.tracing import LambdaTracerProvider
    from aurastream_obs.modes.awslambda.xray import SegmentEncoder, XRayUdpExporter, daemon_address

    resource = resource_attributes(settings)
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
    tracer_provider = LambdaTracerProvider(
        sampler,
        xray.export if _enabled(settings, "traces") else _discard,
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
    meter_provider = LambdaMeterProvider(
        emf.export if _enabled(settings, "metrics") else _discard,
        cardinality_limit=settings.cardinality_limit,
    )
    _keep_log_lines(settings)
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
    return LambdaPipelines(tracer_provider, meter_provider, handler)


def _keep_log_lines(settings: Settings) -> None:
    """OTEL_LOGS_EXPORTER=none: there is no log exporter to turn off in this mode. The JSON
    lines on stdout are the function's own log output (Lambda sends stdout to CloudWatch
    Logs; the other modes write them too), so they stay, and the setting is named once."""
    if "none" in settings.exporters_of("logs"):
        from aurastream_obs.core.env import warn_invalid

        warn_invalid(
            "OTEL_LOGS_EXPORTER",
            "none",
            "the JSON log lines on stdout, the function's log output",
            "lambda mode has no log exporter to turn off",
        )


def _enabled(settings: Settings, signal: str) -> bool:
    """OTEL_<SIGNAL>_EXPORTER=none turns a signal's export off; "console" is not a Lambda-mode
    exporter (stdout is the EMF/log channel already): the mode's own exporter is used."""
    names = settings.exporters_of(signal)
    if "console" in names:
        from aurastream_obs.core.env import warn_invalid

        warn_invalid(f"OTEL_{signal.upper()}_EXPORTER", "console", "the lambda mode's exporter")
    return names != ("none",)


def _discard(items: Any) -> bool:
    return True  # the signal's export is turned off (OTEL_<SIGNAL>_EXPORTER=none)
