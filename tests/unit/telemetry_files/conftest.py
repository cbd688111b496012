"""Shared by the telemetry_files tests and the demo tests (tests/unit/demo/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the otlp_builders helper module
