"""mode="otlp": OTLP to a collector, per signal over http/protobuf (default), http/json or gRPC."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aurastream_obs.core.settings import Settings
    from aurastream_obs.modes import ExportSet


def build_exporters(settings: Settings) -> ExportSet:
    from aurastream_obs.modes import ExportSet
    from aurastream_obs.modes.otlp.exporters import build_otlp_exporters

    spans, metrics, logs = build_otlp_exporters(settings)

    def abort() -> None:  # closes the senders: a blocked socket wait returns at once
        for exporter in (spans, metrics, logs):
            exporter.sender.close()

    return ExportSet(spans, metrics, logs, abort)
