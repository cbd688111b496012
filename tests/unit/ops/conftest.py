"""Fixtures for the operations tools: hand-built local-mode telemetry with known numbers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the ops_testkit helper module
