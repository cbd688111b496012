"""Exporters: OTLP/JSON lines files, OTLP/HTTP, and a Prometheus /metrics endpoint.

Names load lazily (PEP 562): importing this package costs nothing, and taking the local file
exporters does not import prometheus_client or requests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from aurastream_obs.exporters.local_files import (
        JsonLinesLogExporter,
        JsonLinesMetricExporter,
        JsonLinesSpanExporter,
        build_local_exporters,
    )
    from aurastream_obs.exporters.otlp_http import build_otlp_exporters
    from aurastream_obs.exporters.otlp_json import (
        decode_json,
        decode_logs_json,
        decode_metrics_json,
        decode_traces_json,
        encode_logs_json,
        encode_metrics_json,
        encode_spans_json,
        iter_json_lines,
        request_to_json,
    )
    from aurastream_obs.exporters.prometheus import PrometheusEndpoint, start_prometheus_endpoint

_WHERE: Final[dict[str, str]] = {
    "JsonLinesLogExporter": "local_files",
    "JsonLinesMetricExporter": "local_files",
    "JsonLinesSpanExporter": "local_files",
    "build_local_exporters": "local_files",
    "build_otlp_exporters": "otlp_http",
    "decode_json": "otlp_json",
    "decode_logs_json": "otlp_json",
    "decode_metrics_json": "otlp_json",
    "decode_traces_json": "otlp_json",
    "encode_logs_json": "otlp_json",
    "encode_metrics_json": "otlp_json",
    "encode_spans_json": "otlp_json",
    "iter_json_lines": "otlp_json",
    "request_to_json": "otlp_json",
    "PrometheusEndpoint": "prometheus",
    "start_prometheus_endpoint": "prometheus",
}

__all__ = [
    "JsonLinesLogExporter",
    "JsonLinesMetricExporter",
    "JsonLinesSpanExporter",
    "PrometheusEndpoint",
    "build_local_exporters",
    "build_otlp_exporters",
    "decode_json",
    "decode_logs_json",
    "decode_metrics_json",
    "decode_traces_json",
    "encode_logs_json",
    "encode_metrics_json",
    "encode_spans_json",
    "iter_json_lines",
    "request_to_json",
    "start_prometheus_endpoint",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
