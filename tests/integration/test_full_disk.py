"""Local mode on a full filesystem: no partial line is left, every lost item is counted, and
the readers (and `kpi --telemetry-dir`) keep working. A real tmpfs of a few KiB, mounted for
the test (needs root: skipped with the reason on a laptop, required under CI=true)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aurastream_obs.encoding.otlp_json import iter_json_lines
from aurastream_obs.modes.local.files import JsonLinesSpanExporter
from aurastream_obs.telemetry_files.readers import read_spans
from support.processes import last_json_line, run_python

pytestmark = pytest.mark.integration

SPANS = 3000


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    reason = "mounting a tmpfs needs root (run as root or in CI)"
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        message = f"mount -t tmpfs failed: {mounted.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


JOB = f"""
    import json, logging
    import aurastream_obs
    from opentelemetry import trace
    telemetry = aurastream_obs.configure("full-disk")
    tracer = trace.get_tracer("job")
    for i in range({SPANS}):
        with tracer.start_as_current_span(f"span-{{i:04d}}"):
            pass
        if i % 100 == 99:
            telemetry.force_flush(2000)  # many small exports: the disk fills mid-run
    telemetry.shutdown(5000)
    drops = telemetry.drops.snapshot().items()
    print("DROPS", json.dumps({{f"{{s}}/{{r}}": n for (s, r), n in drops}}))
"""


def test_a_full_disk_leaves_whole_lines_and_counts_every_lost_span(small_fs: Path) -> None:
    folder = small_fs / "telemetry"
    result = run_python(
        JOB,
        {
            "AURASTREAM_TELEMETRY_DIR": str(folder),
            "OTEL_TRACES_SAMPLER": "always_on",
            "AURASTREAM_PROMETHEUS_PORT": "0",
            "OTEL_BSP_SCHEDULE_DELAY": "60000",  # exports only at the flushes
        },
        cwd=small_fs,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    drops = last_json_line(result.stdout, "DROPS ")
    # The disk did fill: some spans were written, the rest counted as failed exports.
    written = read_spans(folder / "traces.jsonl")
    assert 0 < len(written) < SPANS
    assert drops.get("traces/export_failed", 0) + len(written) == SPANS
    # Whole lines only: the strict reader finds no damaged line.
    for name, signal in (("traces.jsonl", "traces"), ("metrics.jsonl", "metrics")):
        if (folder / name).exists():
            list(iter_json_lines(folder / name, signal, strict=True))  # type: ignore[arg-type]
    # The operations tools still read the folder.
    kpi = subprocess.run(
        [str(Path(sys.executable).parent / "aurastream-obs"), "kpi", "--telemetry-dir",
         str(folder), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert "Traceback" not in kpi.stderr, kpi.stderr
    assert kpi.returncode in (0, 1), kpi.stderr  # 1: an SLO is breached, not a failure
    json.loads(kpi.stdout)


def test_a_partial_line_left_by_a_crash_is_kept_apart_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    path = tmp_path / "traces.jsonl"
    path.write_bytes(b'{"resourceSpans":[{"resource":')  # another writer died mid-line
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    provider.get_tracer("t").start_span("after-the-crash").end()
    lines = path.read_bytes().split(b"\n")
    assert lines[0] == b'{"resourceSpans":[{"resource":'  # not glued to ours
    assert [s.name for s in read_spans(path)] == ["after-the-crash"]
    assert "skipped 1 damaged line" in caplog.text
