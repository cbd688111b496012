"""Local-mode JSON-lines exporters: whole lines under concurrency, failures counted not raised."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from aurastream_obs.encoding.otlp_json import iter_json_lines
from aurastream_obs.modes.local.files import (
    JsonLinesLogExporter,
    JsonLinesMetricExporter,
    JsonLinesSpanExporter,
    build_local_exporters,
)
from support.sdk_telemetry import SampleTelemetry


def test_concurrent_exports_write_whole_valid_lines(
    sample_telemetry: SampleTelemetry, tmp_path: Path
) -> None:
    path = tmp_path / "traces.jsonl"
    exporter = JsonLinesSpanExporter(path)
    threads_n, per_thread = 8, 40
    results: list[SpanExportResult] = []
    barrier = threading.Barrier(threads_n)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_thread):
            results.append(exporter.export(sample_telemetry.spans))

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert results.count(SpanExportResult.SUCCESS) == threads_n * per_thread
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == threads_n * per_thread
    requests = list(iter_json_lines(path, "traces"))  # every line parses on its own
    assert sum(len(r.resource_spans[0].scope_spans[0].spans) for r in requests) == (
        threads_n * per_thread * len(sample_telemetry.spans)
    )
    assert exporter.writer.failed_exports == 0


def test_directory_is_created_on_first_export_not_before(
    sample_telemetry: SampleTelemetry, tmp_path: Path
) -> None:
    target = tmp_path / "deep" / "er" / ".telemetry"
    spans, metrics, logs = build_local_exporters(target)
    assert not target.exists()
    assert spans.export(sample_telemetry.spans) is SpanExportResult.SUCCESS
    assert metrics.export(sample_telemetry.metrics) is MetricExportResult.SUCCESS
    assert logs.export(sample_telemetry.logs) is LogRecordExportResult.SUCCESS
    assert sorted(p.name for p in target.iterdir()) == [
        "logs.jsonl",
        "metrics.jsonl",
        "traces.jsonl",
    ]
    assert list(json.loads((target / "metrics.jsonl").read_text())) == ["resourceMetrics"]
    assert list(json.loads((target / "logs.jsonl").read_text())) == ["resourceLogs"]


def test_unwritable_directory_fails_and_counts_without_raising(
    sample_telemetry: SampleTelemetry, tmp_path: Path
) -> None:
    # A regular file where the directory should be: fails even when running as root.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    spans, metrics, logs = build_local_exporters(blocker / "telemetry")

    assert spans.export(sample_telemetry.spans) is SpanExportResult.FAILURE
    assert spans.export(sample_telemetry.spans) is SpanExportResult.FAILURE
    assert metrics.export(sample_telemetry.metrics) is MetricExportResult.FAILURE
    assert logs.export(sample_telemetry.logs) is LogRecordExportResult.FAILURE
    assert spans.writer.failed_exports == 2
    assert spans.writer.dropped_items == 2 * len(sample_telemetry.spans)
    assert metrics.writer.dropped_items == 3  # two counter points + one histogram point
    assert logs.writer.dropped_items == 1


def test_export_after_shutdown_fails(sample_telemetry: SampleTelemetry, tmp_path: Path) -> None:
    exporter = JsonLinesLogExporter(tmp_path / "logs.jsonl")
    exporter.shutdown()
    assert exporter.export(sample_telemetry.logs) is LogRecordExportResult.FAILURE
    assert not (tmp_path / "logs.jsonl").exists()


def test_metric_exporter_is_cumulative_in_a_real_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    reader = PeriodicExportingMetricReader(
        JsonLinesMetricExporter(path), export_interval_millis=3_600_000
    )
    provider = MeterProvider(metric_readers=[reader])
    counter = provider.get_meter("t").create_counter("aurastream.sentiment.analyses")
    try:
        counter.add(3)
        assert provider.force_flush()
        counter.add(2)
        assert provider.force_flush()
    finally:
        provider.shutdown()
    sums = [
        m.sum
        for r in iter_json_lines(path, "metrics")
        for rm in r.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    ]
    assert [s.data_points[0].as_int for s in sums[:2]] == [3, 5]  # running totals
    assert all(s.aggregation_temporality == 2 for s in sums)  # CUMULATIVE


def test_pipelines_through_sdk_processors(tmp_path: Path) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(tmp_path / "t")))
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(
        SimpleLogRecordProcessor(JsonLinesLogExporter(tmp_path / "l"))
    )
    with tracer_provider.get_tracer("t").start_as_current_span("work") as span:
        logger_provider.get_logger("t").emit(severity_number=SeverityNumber.WARN, body="hi")
    tracer_provider.shutdown()
    logger_provider.shutdown()

    (traces,) = iter_json_lines(tmp_path / "t", "traces")
    (logs,) = iter_json_lines(tmp_path / "l", "logs")
    record = logs.resource_logs[0].scope_logs[0].log_records[0]
    assert traces.resource_spans[0].scope_spans[0].spans[0].name == "work"
    assert int.from_bytes(record.trace_id) == span.get_span_context().trace_id
    assert record.severity_number == SeverityNumber.WARN.value


def test_encoding_failure_is_counted_not_raised(tmp_path: Path) -> None:
    exporter = JsonLinesSpanExporter(tmp_path / "traces.jsonl")
    broken = [object()]  # not a ReadableSpan: the encoder raises inside export
    assert exporter.export(broken) is SpanExportResult.FAILURE  # type: ignore[arg-type]
    assert exporter.writer.failed_exports == 1
    assert exporter.writer.dropped_items == 1
    assert not (tmp_path / "traces.jsonl").exists()
