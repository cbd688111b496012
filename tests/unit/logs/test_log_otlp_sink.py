"""build_logging(): JSON lines and OTLP log records from one redacted event; the OTel logs API
(other libraries) shares the same export queue."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.records import replace
from aurastream_obs.core.settings import Settings
from aurastream_obs.sdk.logs import build_logging
from support.sdk_telemetry import RecordingLogExporter


@pytest.fixture
def wired() -> Iterator[tuple[logging.Logger, Any, RecordingLogExporter, DropCounter]]:
    exporter = RecordingLogExporter()
    drops = DropCounter()
    settings = replace(Settings(), mode="otlp", log_stdout=False, service_name="sink-test")
    provider, handler, _worker = build_logging(
        settings, Resource.create({"service.name": "sink-test"}), exporter, drops=drops
    )
    logger = logging.getLogger(f"test.sink.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, provider, exporter, drops
    logger.removeHandler(handler)
    assert provider is not None
    provider.shutdown()


def test_records_are_redacted_correlated_and_typed(wired: Any) -> None:
    logger, provider, exporter, drops = wired
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("work") as span:
        logger.error(
            "failed for %s",
            "someone@example.com",
            extra={"password": "hunter2", "attempt": 2, "ok": False, "nested": {"a": [1]}},
        )
        provider.get_logger("a.library", "2.0").emit(
            severity_number=SeverityNumber.WARN, body={"structured": True}
        )
    logger.debug("below the handler's level (INFO): not exported")
    logger.info("no span here")
    assert provider.force_flush(5_000)
    records = exporter.records()  # grouped by scope (the logger), in order within a scope
    assert [scope for scope, _ in records] == [logger.name, logger.name, "a.library"]
    ours, outside, api = (record for _, record in records)
    ctx = span.get_span_context()
    assert ours.trace_id == api.trace_id == ctx.trace_id.to_bytes(16, "big")
    assert ours.span_id == api.span_id == ctx.span_id.to_bytes(8, "big")
    assert ours.flags == int(ctx.trace_flags)
    assert not outside.trace_id and outside.severity_number == 9  # INFO
    assert (ours.severity_number, ours.severity_text) == (17, "ERROR")
    # Semconv shape: the body is the (redacted) message, the fields are attributes; the
    # service is the resource's, the logger the scope's: neither repeated as an attribute.
    assert ours.body.string_value == "failed for [EMAIL]"
    assert outside.body.string_value == "no span here"
    attributes = {kv.key: kv.value for kv in ours.attributes}
    assert attributes["password"].string_value == "[REDACTED]"
    assert attributes["attempt"].int_value == 2
    assert attributes["ok"].WhichOneof("value") == "bool_value"
    assert attributes["nested"].string_value == '{"a":[1]}'  # nested data as JSON text
    assert attributes["aurastream.log.category"].string_value == "application"
    assert not {"service", "logger", "message", "level", "trace_id"} & set(attributes)
    assert api.body.kvlist_value.values[0].key == "structured"
    assert drops.total() == 0


def test_a_failing_export_is_counted(wired: Any) -> None:
    logger, provider, exporter, drops = wired
    exporter.fail = True
    logger.info("one")
    logger.info("two")
    provider.force_flush(5_000)
    assert drops.counts[("logs", "export_failed")] == 2


def test_a_processor_added_to_the_provider_still_sees_our_records(wired: Any) -> None:
    logger, provider, exporter, _ = wired
    logger.info("before")  # fast path: only our queue
    mine = InMemoryLogRecordExporter()
    provider.add_log_record_processor(SimpleLogRecordProcessor(mine))
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("work") as span:
        logger.info("after", extra={"attempt": 3})
    assert provider.force_flush(5_000)
    (seen,) = mine.get_finished_logs()  # only what was logged once it was added
    assert seen.log_record.body == "after"
    assert seen.log_record.trace_id == span.get_span_context().trace_id
    assert seen.log_record.attributes is not None
    assert seen.log_record.attributes["attempt"] == 3
    assert seen.instrumentation_scope is not None
    assert seen.instrumentation_scope.name == logger.name
    # And our exporter got each record exactly once, whichever path it took.
    records = [record for _, record in exporter.records()]
    assert [record.body.string_value for record in records] == ["before", "after"]
    assert {kv.key: kv.value.int_value for kv in records[1].attributes}["attempt"] == 3
