"""The demo's closing section: the KPI/SLO report and the top bottlenecks computed by the
operations tools from this run's own telemetry, and the waterfall picture beside the files."""

from __future__ import annotations

import os

WATERFALL_FILE = "waterfall.html"


def operations_summary(folder: str, *, top: int = 5) -> str:
    """What `aurastream-obs kpi` and `aurastream-obs traces` say about this run."""
    from aurastream_obs.ops.kpi import kpi_report_from_dir, render_kpi_table
    from aurastream_obs.ops.traces import bottlenecks_from_dir
    from aurastream_obs.ops.traces.text import render_text
    from aurastream_obs.ops.traces.waterfall import write_waterfall

    kpi = render_kpi_table(kpi_report_from_dir(folder))
    analysis = bottlenecks_from_dir(folder, top=top)
    waterfall = write_waterfall(folder, os.path.join(folder, WATERFALL_FILE), top=top)
    return "\n".join(
        [
            "KPIs and SLOs (aurastream-obs kpi --telemetry-dir " + folder + ")",
            kpi,
            "",
            "Bottlenecks (aurastream-obs traces --telemetry-dir " + folder + ")",
            render_text(analysis, top),
            "",
            f"Waterfall of the {top} slowest traces: {waterfall}",
        ]
    )
