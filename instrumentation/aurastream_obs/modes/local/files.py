"""Local-mode SDK exporters: OTLP/JSON lines appended to traces/metrics/logs.jsonl.

The files use the Collector `file` exporter format (see otlp_json), so a Collector's
`otlpjsonfile` receiver or our own readers can replay them. Exporting never raises: a failed
write returns FAILURE, is counted (`failed_exports`, `dropped_items`) and warned about once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import Histogram
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.metrics.view import Aggregation, ExplicitBucketHistogramAggregation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from aurastream_obs.core.conventions import LOGS_FILE, METRICS_FILE, TRACES_FILE
from aurastream_obs.core.otel_compat import (
    LogRecordExporter,
    LogRecordExportResult,
    ReadableLogRecord,
)
from aurastream_obs.encoding.log_item import LogItem
from aurastream_obs.encoding.otlp_json import (
    encode_logs_json,
    encode_metrics_json,
    encode_spans_json,
)
from aurastream_obs.sdk.temporality import CUMULATIVE

__all__ = [
    "CUMULATIVE",
    "JsonLinesLogExporter",
    "JsonLinesMetricExporter",
    "JsonLinesSpanExporter",
    "JsonLinesWriter",
    "build_local_exporters",
]

_log = logging.getLogger("aurastream_obs")


class JsonLinesWriter:
    """Appends whole lines to one file; thread-safe, never raises, counts its failures."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._closed = False
        self._warned = False
        self.failed_exports = 0
        self.dropped_items = 0
        self.written_lines = 0

    def write(self, encode: Callable[[], str], items: int) -> bool:
        """Encode and append one line; False (counted) on any failure."""
        if items == 0:
            return True
        try:
            # Encoded outside the lock: only the append itself needs serialising. A lone
            # surrogate in some attribute becomes "?" rather than failing the whole batch.
            data = (encode() + "\n").encode("utf-8", "replace")
        except Exception as exc:  # noqa: BLE001 - telemetry boundary: count the drop, never raise
            with self._lock:
                return self._fail(items, f"encoding failed: {exc!r}")
        with self._lock:
            if self._closed:
                return self._fail(items, "exporter is shut down")
            try:
                # O_APPEND + one write() per line: lines from several processes sharing the
                # file never interleave, and there is no user-space buffer to flush. Opening
                # per export also survives the file being removed or rotated under us (the
                # folder too: made again, only when the open finds it gone).
                flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
                try:
                    fd = os.open(self.path, flags, 0o644)
                except FileNotFoundError:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.path, flags, 0o644)
                try:
                    _append_whole_line(fd, data)
                finally:
                    os.close(fd)
            except OSError as exc:
                return self._fail(items, repr(exc))
            self.written_lines += 1
            return True

    def _fail(self, items: int, reason: str) -> bool:
        self.failed_exports += 1
        self.dropped_items += items
        if not self._warned:
            self._warned = True
            _log.warning(
                "telemetry export to %s failed (%s); dropping and counting", self.path, reason
            )
        return False

    def close(self) -> None:
        with self._lock:
            self._closed = True


def _append_whole_line(fd: int, data: bytes) -> None:
    """Append `data` (one line) so that the file only ever holds whole lines.

    A write cut short (ENOSPC, EFBIG, EIO after a partial write) is rolled back to where the
    file ended before it, unless another writer appended meanwhile; then, and after a crash
    mid-write, the next append starts with a newline so that the partial line stays its own
    (damaged) line, which readers skip with a warning, instead of gluing onto ours.
    """
    size = os.fstat(fd).st_size
    if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
        data = b"\n" + data
    written = 0
    try:
        pending = memoryview(data)
        while pending:  # one pass unless the kernel takes a short write
            count = os.write(fd, pending)
            written += count
            pending = pending[count:]
    except OSError:
        if written:
            with contextlib.suppress(OSError):
                if os.fstat(fd).st_size == size + written:  # only our bytes: undo them
                    os.ftruncate(fd, size)
        raise


class JsonLinesSpanExporter(SpanExporter):
    """SpanExporter writing one ExportTraceServiceRequest per line to `path`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.writer = JsonLinesWriter(path)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        ok = self.writer.write(lambda: encode_spans_json(spans), len(spans))
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.writer.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written before it returns


class JsonLinesMetricExporter(MetricExporter):
    """MetricExporter writing one ExportMetricsServiceRequest per line to `path`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        preferred_temporality: dict[type, AggregationTemporality] | None = None,
        preferred_aggregation: dict[type, Aggregation] | None = None,
    ) -> None:
        super().__init__(
            preferred_temporality=CUMULATIVE | (preferred_temporality or {}),
            preferred_aggregation={Histogram: ExplicitBucketHistogramAggregation()}
            | (preferred_aggregation or {}),
        )
        self.writer = JsonLinesWriter(path)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        points = sum(
            len(metric.data.data_points)
            for rm in metrics_data.resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
        )
        ok = self.writer.write(lambda: encode_metrics_json(metrics_data), points)
        return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.writer.close()


class JsonLinesLogExporter(LogRecordExporter):
    """LogRecordExporter writing one ExportLogsServiceRequest per line to `path`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.writer = JsonLinesWriter(path)

    def export(self, batch: Sequence[ReadableLogRecord | LogItem]) -> LogRecordExportResult:
        ok = self.writer.write(lambda: encode_logs_json(batch), len(batch))
        return LogRecordExportResult.SUCCESS if ok else LogRecordExportResult.FAILURE

    def shutdown(self) -> None:
        self.writer.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def build_local_exporters(
    directory: str | os.PathLike[str],
) -> tuple[JsonLinesSpanExporter, JsonLinesMetricExporter, JsonLinesLogExporter]:
    """The three local-mode exporters for `directory` (created on first export)."""
    base = Path(directory)
    return (
        JsonLinesSpanExporter(base / TRACES_FILE),
        JsonLinesMetricExporter(base / METRICS_FILE),
        JsonLinesLogExporter(base / LOGS_FILE),
    )
