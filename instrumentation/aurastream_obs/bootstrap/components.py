"""Build (never install) the pipelines of a mode: one small init function per signal.

Modelled on the OTel SDK's `_configuration._initialize_components` (`_init_tracing`,
`_init_metrics`, `_init_logging`), with building separated from installing so that tests build
fresh pipelines without touching process globals. The SDK modes get their exporters from
`modes.exporters_for`; the collectorless Lambda mode builds its own lean providers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aurastream_obs.bootstrap.telemetry import Telemetry
from aurastream_obs.core.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource

    from aurastream_obs.modes import ExportSet


def build_telemetry(settings: Settings) -> Telemetry:
    """The pipelines for `settings`, built and not installed."""
    telemetry = Telemetry(settings=settings)
    if settings.mode == "none":
        return telemetry
    if settings.mode == "lambda":
        _init_lambda(telemetry)
    else:
        from aurastream_obs.modes import exporters_for
        from aurastream_obs.sdk.resource import build_resource

        resource = build_resource(settings)
        exports = exporters_for(settings)
        _init_traces(telemetry, resource, exports)
        _init_metrics(telemetry, resource, exports)
        _init_logs(telemetry, resource, exports)
    _register_drop_metric(telemetry)
    return telemetry


def _init_traces(telemetry: Telemetry, resource: Resource, exports: ExportSet) -> None:
    from aurastream_obs.sdk.sampling import build_sampler
    from aurastream_obs.sdk.traces import BatchingSpanProcessor, build_tracer_provider

    settings = telemetry.settings
    processors = []
    for exporter in _chosen(settings, "traces", exports.spans, _console_spans):
        processor = BatchingSpanProcessor(
            exporter, drops=telemetry.drops, settings=settings, abort=exports.abort
        )
        telemetry.workers.append(processor.worker)
        processors.append(processor)
    # The resource knows service.name from OTEL_RESOURCE_ATTRIBUTES and cloud.platform, which
    # X-Ray rules match on (service name and type).
    sampler = build_sampler(settings, resource_attributes=resource.attributes)
    telemetry.tracer_provider = build_tracer_provider(
        resource, sampler, processors, lean=settings.sdk_path == "lean"
    )


def _init_metrics(telemetry: Telemetry, resource: Resource, exports: ExportSet) -> None:
    from aurastream_obs.sdk.metric_reader import PeriodicMetricReader
    from aurastream_obs.sdk.metrics import build_meter_provider

    settings = telemetry.settings
    readers: list[MetricReader] = []
    for exporter in _chosen(settings, "metrics", exports.metrics, _console_metrics):
        reader = PeriodicMetricReader(
            exporter,
            interval_s=settings.export_interval_ms / 1000.0,
            drops=telemetry.drops,
            abort=exports.abort,
        )
        telemetry.metric_readers.append(reader)
        readers.append(reader)
    if settings.mode == "local":
        from aurastream_obs.modes.local import start_pull_endpoint

        pull = start_pull_endpoint(settings)
        if pull is not None:
            readers.append(pull[0])
            telemetry.prometheus = pull[1]
    telemetry.meter_provider = build_meter_provider(resource, readers, settings=settings)


def _init_logs(telemetry: Telemetry, resource: Resource, exports: ExportSet) -> None:
    from aurastream_obs.sdk.logs import build_logging

    # Logs: "console" is the JSON line on stdout, which every mode writes anyway (in otlp
    # mode unless AURASTREAM_LOG_STDOUT=false); only "otlp" exports records.
    settings = telemetry.settings
    exporter = exports.logs if "otlp" in settings.exporters_of("logs") else None
    provider, handler, worker = build_logging(
        settings, resource, exporter, drops=telemetry.drops, abort=exports.abort
    )
    telemetry.logger_provider, telemetry.log_handler = provider, handler
    if worker is not None:
        telemetry.workers.append(worker)


def _chosen(settings: Settings, signal: str, own: Any, console: Any) -> list[Any]:
    """The exporters OTEL_<SIGNAL>_EXPORTER asks for: the mode's own for "otlp", the SDK's
    console exporter for "console", none for "none"."""
    names = settings.exporters_of(signal)
    return [own if name == "otlp" else console() for name in names if name != "none"]


def _console_spans() -> Any:
    import sys

    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    # `out` given now: the SDK's default is the sys.stdout of the time it was imported.
    return ConsoleSpanExporter(out=sys.stdout)


def _console_metrics() -> Any:
    import sys

    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

    return ConsoleMetricExporter(out=sys.stdout)


def _init_lambda(telemetry: Telemetry) -> None:
    from aurastream_obs.modes.awslambda import build_pipelines

    pipelines = build_pipelines(telemetry.settings, telemetry.drops)
    # Telemetry is typed with the SDK classes; the lean providers implement the same API.
    telemetry.tracer_provider = cast(Any, pipelines.tracer_provider)
    telemetry.meter_provider = cast(Any, pipelines.meter_provider)
    telemetry.log_handler = pipelines.log_handler


def _register_drop_metric(telemetry: Telemetry) -> None:
    """Expose dropped telemetry as `aurastream.telemetry.dropped` (observable counter)."""
    from aurastream_obs.core.conventions import DROPPED_TELEMETRY

    if telemetry.meter_provider is None:
        return
    observation: Any  # the API's Observation, or the Lambda mode's (which needs no API import)
    if telemetry.settings.mode == "lambda":
        from aurastream_obs.modes.awslambda.metrics import Observation as observation
    else:
        from opentelemetry.metrics import Observation as observation
    drops = telemetry.drops

    def observe(_options: object) -> list[Any]:
        if not drops.counts:  # nothing dropped (the usual flush): no snapshot, no lock
            return []
        return [
            observation(n, {"signal": signal, "reason": reason})
            for (signal, reason), n in drops.snapshot().items()
        ]

    telemetry.meter_provider.get_meter("aurastream_obs").create_observable_counter(
        DROPPED_TELEMETRY.name,
        callbacks=[observe],
        unit=DROPPED_TELEMETRY.unit,
        description=DROPPED_TELEMETRY.description,
    )
