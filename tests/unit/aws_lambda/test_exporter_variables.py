"""OTEL_<SIGNAL>_EXPORTER in lambda mode: `none` turns X-Ray or EMF off; for logs there is no
exporter to turn off (the JSON lines on stdout are the function's log output), so the lines
stay and the setting is named in one warning instead of being ignored silently."""

from __future__ import annotations

import io
import logging

import pytest

from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.env import reset_warnings
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.modes.awslambda.pipeline import build_pipelines
from support.xray_daemon import xray_daemon


def _run(variable: str | None, caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    """One span, one metric point and one log line through lambda mode's real pipelines:
    (X-Ray datagrams received, what reached stdout)."""
    reset_warnings()
    daemon, env = xray_daemon(0.5)
    if variable:
        env[variable] = "none"
    stdout = io.StringIO()
    with caplog.at_level(logging.WARNING):
        pipelines = build_pipelines(resolve_settings(mode="lambda", env=env), DropCounter(), stdout)
    pipelines.tracer_provider.get_tracer("t").start_span("work").end()
    counter = pipelines.meter_provider.get_meter("t").create_counter("aurastream.cache.lookups")
    counter.add(1, {"aurastream.cache.hit": True})
    logger = logging.getLogger("test.lambda.exporters")
    logger.addHandler(pipelines.log_handler)
    try:
        logger.warning("a line")
    finally:
        logger.removeHandler(pipelines.log_handler)
    pipelines.tracer_provider.force_flush(2000)
    pipelines.meter_provider.force_flush(2000)
    datagrams = 0
    try:
        while daemon.recv(70_000):
            datagrams += 1
    except TimeoutError:
        pass
    finally:
        daemon.close()
    return datagrams, stdout.getvalue()


def test_by_default_every_signal_goes_out(caplog: pytest.LogCaptureFixture) -> None:
    datagrams, out = _run(None, caplog)
    assert datagrams == 1
    assert '"_aws"' in out and '"message":"a line"' in out


def test_none_turns_xray_off(caplog: pytest.LogCaptureFixture) -> None:
    datagrams, out = _run("OTEL_TRACES_EXPORTER", caplog)
    assert datagrams == 0
    assert '"_aws"' in out


def test_none_turns_emf_off(caplog: pytest.LogCaptureFixture) -> None:
    datagrams, out = _run("OTEL_METRICS_EXPORTER", caplog)
    assert datagrams == 1
    assert '"_aws"' not in out and '"message":"a line"' in out


def test_logs_none_keeps_the_lines_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    datagrams, out = _run("OTEL_LOGS_EXPORTER", caplog)
    assert '"message":"a line"' in out  # the function's log output: kept
    (warning,) = [r.getMessage() for r in caplog.records if "OTEL_LOGS_EXPORTER" in r.getMessage()]
    assert "lambda mode has no log exporter to turn off" in warning
    assert datagrams == 1 and '"_aws"' in out
