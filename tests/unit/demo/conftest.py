"""The demo tests build their OTLP/JSON files with tests/unit/telemetry_files/otlp_builders."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "telemetry_files"))
