"""Powertools Logger/Tracer/Metrics parity on Lambda: the invocation's fields on every log line
(Powertools' key names), the correlation id in logs, spans and EMF properties, log sampling by
rate, and log buffering flushed only when the invocation fails or logs an error."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from aurastream_obs.aws_lambda import instrument_handler
from aurastream_obs.bootstrap import Telemetry, build_telemetry
from aurastream_obs.core.settings import resolve_settings

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:aurastream-api"
EVENT = {
    "version": "2.0",
    "routeKey": "POST /v1/analyze",
    "rawPath": "/v1/analyze",
    "requestContext": {
        "requestId": "api-gw-req-7",
        "http": {"method": "POST", "path": "/v1/analyze"},
    },
}


class Context:
    aws_request_id = "lambda-req-1"
    invoked_function_arn = ARN
    function_name = "aurastream-api"
    memory_limit_in_mb = "512"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    app = logging.getLogger("parity.app")
    app.propagate = False
    ours = logging.getLogger("aurastream_obs.lambda")  # instrument_handler's own lines
    saved = ours.propagate
    ours.propagate = False
    yield app
    app.handlers.clear()
    ours.handlers.clear()
    ours.propagate = saved


def _telemetry(logger: logging.Logger, **env: str) -> Telemetry:
    settings = resolve_settings(
        "aurastream-api",
        "lambda",
        env={
            "AWS_LAMBDA_FUNCTION_NAME": "aurastream-api",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9",
            **env,
        },
    )
    telemetry = build_telemetry(settings)
    assert telemetry.log_handler is not None
    logger.handlers = [telemetry.log_handler]
    logger.setLevel(logging.DEBUG)
    logging.getLogger("aurastream_obs.lambda").handlers = [telemetry.log_handler]
    return telemetry


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"timestamp"')]


def _emf(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def test_every_line_carries_the_invocation_fields_with_powertools_names(
    logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    telemetry = _telemetry(logger)

    env = {"AWS_LAMBDA_FUNCTION_NAME": "aurastream-api", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}

    @instrument_handler(telemetry=telemetry, env=env)
    def handler(event: Any, context: Any) -> Any:
        logger.info("working", extra={"request_id": "service-req-9"})
        telemetry.metrics.record_cache_lookup(hit=True)
        return {"statusCode": 200}

    handler(EVENT, Context())
    out = capsys.readouterr().out
    (line,) = [x for x in _lines(out) if x["message"] == "working"]
    assert line["cold_start"] is True
    assert line["function_name"] == "aurastream-api"
    assert line["function_arn"] == ARN
    assert line["function_memory_size"] == "512"
    assert line["function_request_id"] == "lambda-req-1"
    assert line["correlation_id"] == "api-gw-req-7"
    assert line["request_id"] == "service-req-9"  # the service's own id is not overwritten
    documents = _emf(out)
    assert documents and all(d["correlation_id"] == "api-gw-req-7" for d in documents)
    assert all(d["function_request_id"] == "lambda-req-1" for d in documents)
    assert not any("correlation_id" in s for d in documents
                   for directive in d["_aws"]["CloudWatchMetrics"]
                   for s in directive["Dimensions"])  # a property, never a dimension  # fmt: skip


def test_the_correlation_id_is_on_the_span_and_indexed_in_xray(logger: logging.Logger) -> None:
    telemetry = _telemetry(logger)
    captured: list[Any] = []
    provider: Any = telemetry.tracer_provider
    provider._export = lambda spans: captured.extend(spans) or True

    @instrument_handler(telemetry=telemetry)
    def handler(event: Any, context: Any) -> Any:
        return {"statusCode": 200}

    handler(EVENT, Context())
    (span,) = captured
    assert span.attributes["aurastream.correlation.id"] == "api-gw-req-7"
    from aurastream_obs.core.conventions import XRAY_INDEXED

    assert "aurastream.correlation.id" in XRAY_INDEXED  # an annotation: filterable in X-Ray


def test_log_sampling_logs_debug_for_the_sampled_invocations_only(
    logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    telemetry = _telemetry(logger, AURASTREAM_LOG_SAMPLE_RATE="0.5")

    @instrument_handler(telemetry=telemetry)
    def handler(event: Any, context: Any) -> Any:
        logger.debug("detail")
        logger.info("summary")
        return {"statusCode": 200}

    draws = iter([0.1, 0.9, 0.4, 0.7])  # sampled, not, sampled, not
    handler.instrumented.log_gate._draw = lambda: next(draws)  # type: ignore[attr-defined]
    for _ in range(4):
        handler(EVENT, Context())
    messages = [x["message"] for x in _lines(capsys.readouterr().out)]
    assert messages.count("summary") == 4
    assert messages.count("detail") == 2
    logger.debug("outside any invocation")  # the init phase logs at the configured level
    assert "outside any invocation" not in capsys.readouterr().out


def test_log_buffering_flushes_on_failure_and_discards_on_success(
    logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    telemetry = _telemetry(logger, AURASTREAM_LOG_BUFFER="true")

    @instrument_handler(telemetry=telemetry)
    def handler(event: Any, context: Any) -> Any:
        logger.debug("step 1")
        logger.debug("step 2")
        if event.get("fail"):
            raise RuntimeError("boom")
        return {"statusCode": 200}

    handler(EVENT, Context())
    assert not [x for x in _lines(capsys.readouterr().out) if x["message"].startswith("step")]
    with pytest.raises(RuntimeError):
        handler({**EVENT, "fail": True}, Context())
    lines = _lines(capsys.readouterr().out)
    messages = [x["message"] for x in lines]
    assert (
        messages.index("step 1")
        < messages.index("step 2")
        < messages.index("invocation failed: RuntimeError")
    )
    assert all(x.get("buffered") for x in lines if x["message"].startswith("step"))
    assert {x["level"] for x in lines if x["message"].startswith("step")} == {"DEBUG"}


def test_an_error_log_flushes_the_buffer_before_itself(
    logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    telemetry = _telemetry(logger, AURASTREAM_LOG_BUFFER="true")

    @instrument_handler(telemetry=telemetry)
    def handler(event: Any, context: Any) -> Any:
        logger.debug("cache miss for the text")
        logger.error("analyzer returned garbage")
        logger.debug("after the error")  # buffered again, discarded: the invocation succeeds
        return {"statusCode": 200}

    handler(EVENT, Context())
    messages = [x["message"] for x in _lines(capsys.readouterr().out)]
    assert messages == ["cache miss for the text", "analyzer returned garbage"]


def test_the_buffer_is_bounded_and_evictions_are_counted(
    logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    telemetry = _telemetry(
        logger, AURASTREAM_LOG_BUFFER="true", AURASTREAM_LOG_BUFFER_MAX_BYTES="2048"
    )

    @instrument_handler(telemetry=telemetry)
    def handler(event: Any, context: Any) -> Any:
        for i in range(100):
            logger.debug("line %03d %s", i, "x" * 40)
        raise ValueError("fail")

    with pytest.raises(ValueError):
        handler(EVENT, Context())
    kept = [x for x in _lines(capsys.readouterr().out) if x["message"].startswith("line")]
    assert 0 < len(kept) < 100
    assert kept[-1]["message"].startswith("line 099")  # the newest are the ones kept
    assert telemetry.drops.snapshot()[("logs", "buffer_evicted")] == 100 - len(kept)
