"""Where things are: the repository root and the test data folder (tests/data), so that no
test counts `Path(__file__).parents[n]` (which breaks when a test file moves)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
DATA = TESTS / "data"
LAMBDA_EVENTS = DATA / "lambda_events"
EMF_SCHEMA = DATA / "emf_schema.json"


def lambda_events() -> dict[str, Any]:
    """Every sample Lambda event in tests/data/lambda_events, by file stem (`http_api_v2`...)."""
    return {path.stem: json.loads(path.read_text()) for path in LAMBDA_EVENTS.glob("*.json")}
