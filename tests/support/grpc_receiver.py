"""A real OTLP/gRPC receiver on loopback: the three `Export` services on a grpcio server,
decoding every request with opentelemetry-proto. Same stored-data API as `OtlpReceiver`
(`spans()`, `log_records()`, `metric_names()`...); `status` makes every call fail with that
gRPC status code (e.g. "UNAVAILABLE") for the unhappy paths."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from support.otlp_receiver import OtlpReceiver

_SERVICES: dict[str, tuple[str, type[Any], type[Any]]] = {
    "opentelemetry.proto.collector.trace.v1.TraceService": (
        "traces", ExportTraceServiceRequest, ExportTraceServiceResponse),
    "opentelemetry.proto.collector.metrics.v1.MetricsService": (
        "metrics", ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "opentelemetry.proto.collector.logs.v1.LogsService": (
        "logs", ExportLogsServiceRequest, ExportLogsServiceResponse),
}  # fmt: skip


class GrpcReceiver(OtlpReceiver):
    """`start()` serves gRPC on 127.0.0.1:<port>; `base_url` is what OTLP/gRPC exporters take."""

    def __init__(self) -> None:
        super().__init__()
        self.grpc_status: str | None = None  # e.g. "UNAVAILABLE": every call fails with it
        self.metadata: list[dict[str, str]] = []
        self._grpc_server: Any = None
        self._grpc_port = 0

    def start(self) -> GrpcReceiver:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(service, {"Export": self._handler(*spec)})
                for service, spec in _SERVICES.items()
            ]
        )
        self._grpc_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc_server = server
        return self

    def _handler(self, signal: str, request_type: Any, response_type: Any) -> Any:
        def handle(request: Any, context: Any) -> Any:
            self.metadata.append(dict(context.invocation_metadata()))
            if self.grpc_status is not None:
                context.abort(getattr(grpc.StatusCode, self.grpc_status), "receiver failing")
            self._store(signal, request)
            return response_type()

        return grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=request_type.FromString,
            response_serializer=lambda message: message.SerializeToString(),
        )

    def stop(self) -> None:
        if self._grpc_server is not None:
            self._grpc_server.stop(grace=None)
            self._grpc_server = None

    @property
    def port(self) -> int:
        return self._grpc_port

    def __enter__(self) -> GrpcReceiver:
        return self.start()
