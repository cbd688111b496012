"""Install built pipelines: the OTel globals, the propagator and the root log handler."""

from __future__ import annotations

from aurastream_obs.bootstrap.telemetry import Telemetry


def install(telemetry: Telemetry) -> None:
    """Set the OTel globals, the propagator and the root log handler for `telemetry`."""
    if telemetry.settings.mode == "lambda":
        _install_lambda(telemetry)
        return
    from opentelemetry import metrics as metrics_api
    from opentelemetry import trace

    from aurastream_obs.propagation import build_propagator, propagate

    propagate().set_global_textmap(build_propagator(telemetry.settings.propagators))
    if telemetry.tracer_provider is not None:
        trace.set_tracer_provider(telemetry.tracer_provider)
    if telemetry.meter_provider is not None:
        metrics_api.set_meter_provider(telemetry.meter_provider)
    if telemetry.logger_provider is not None:
        from aurastream_obs.core.otel_compat import set_logger_provider

        set_logger_provider(telemetry.logger_provider)
    _install_log_handler(telemetry)
    _trace_aws_clients(telemetry)


def _trace_aws_clients(telemetry: Telemetry) -> None:
    if telemetry.settings.trace_aws_clients and telemetry.tracer_provider is not None:
        from aurastream_obs.bootstrap.aws_clients import trace_aws_clients

        trace_aws_clients(telemetry.tracer_provider, telemetry.meter_provider)


def _install_lambda(telemetry: Telemetry) -> None:
    """The collectorless Lambda mode: trace and metrics globals and the log handler.

    No global propagator is set: `opentelemetry.propagate` loads its propagators through entry
    points at import (≈ 100 ms); `instrument_handler` extracts the parent itself. The meter
    provider goes into the OTel metrics API when something imports it (on_import.py): the
    mode's own instruments use the provider directly, so a function that never imports the API
    does not load it.
    """
    from opentelemetry import trace

    from aurastream_obs.bootstrap.on_import import when_imported
    from aurastream_obs.logs.invocation import ensure_context_adder

    if telemetry.tracer_provider is not None:
        trace.set_tracer_provider(telemetry.tracer_provider)
    provider = telemetry.meter_provider
    if provider is not None:
        from aurastream_obs.modes.awslambda.metrics import install_into_api

        when_imported("opentelemetry.metrics", lambda api: install_into_api(api, provider))
    ensure_context_adder(telemetry.log_handler)
    _install_log_handler(telemetry)
    _trace_aws_clients(telemetry)


def _install_log_handler(telemetry: Telemetry) -> None:
    handler = telemetry.log_handler
    if handler is None:
        return
    from aurastream_obs.logs.handler import install_root_handler

    install_root_handler(handler, telemetry.settings.log_level)
