"""The ECS/EKS path to CloudWatch: OTLP record → ADOT `awscloudwatchlogs` (raw_log) → log group.

With `raw_log: true` the exporter stores the record's body as the CloudWatch event, so the body
must be the JSON line the service prints (the shape Lambda's stdout capture stores): the Logs
Insights queries (`filter event_type = ...`, `sum(data.revenue_usd) by customer_id`) address
its top-level and nested fields.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
import yaml
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from aurastream_obs.artifacts.collector_configs.configs import SHAPES
from aurastream_obs.core.batching import DropCounter
from aurastream_obs.core.settings import Settings
from aurastream_obs.logs import events
from aurastream_obs.ops.backends.logs_insights import EVENT_TYPE
from aurastream_obs.sdk.logs import build_logging
from support.paths import ROOT
from support.sdk_telemetry import RecordingLogExporter


def test_otlp_body_is_the_stdout_json_line_and_cloudwatch_exporters_store_it_raw(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wire = RecordingLogExporter()
    settings = replace(Settings(), mode="otlp", log_stdout=True, service_name="ecs-shape")
    provider, handler, _worker = build_logging(
        settings, Resource.create({"service.name": "ecs-shape"}), wire, drops=DropCounter()
    )
    assert provider is not None
    logger = logging.getLogger("aurastream.events")
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        with TracerProvider().get_tracer("t").start_as_current_span("analyze") as span:
            events.business_event(
                "analysis", customer_id="cust-42", data={"revenue_usd": 0.25, "characters": 120}
            )
        handler.flush()
        assert provider.force_flush(5_000)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        provider.shutdown()

    ((_, record),) = wire.records()
    body = record.body.string_value
    assert body == capsys.readouterr().out.rstrip("\n")  # exactly the stdout line
    line = json.loads(body)
    assert isinstance(line, dict)
    # What the rendered QueryDefinitions and `analytics --cloudwatch` filter and sum on.
    assert line["event_type"] == EVENT_TYPE == "business_analysis"
    assert line["message"] == EVENT_TYPE
    assert line["customer_id"] == "cust-42"
    assert line["data"]["revenue_usd"] == 0.25
    assert line["category"] == "business"
    assert line["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert record.trace_id == span.get_span_context().trace_id.to_bytes(16, "big")
    # Attributes stay structured for OTLP backends (and the collector's category filter).
    attributes = {kv.key: kv.value for kv in record.attributes}
    assert attributes["category"].string_value == "business"
    assert attributes["customer_id"].string_value == "cust-42"
    assert json.loads(attributes["data"].string_value)["revenue_usd"] == 0.25

    # Every awscloudwatchlogs exporter, fresh and committed, stores that body raw.
    for shape in SHAPES:
        for doc in (shape.build(), yaml.safe_load((ROOT / shape.path).read_text())):
            for name, config in doc.get("exporters", {}).items():
                if name.split("/")[0] == "awscloudwatchlogs":
                    assert config["raw_log"] is True, f"{shape.path}: {name}"
    sidecar = yaml.safe_load((ROOT / "collector/adot-sidecar.yaml").read_text())
    cloudwatch = [n for n in sidecar["exporters"] if n.startswith("awscloudwatchlogs/")]
    assert "awscloudwatchlogs/business" in cloudwatch
