"""Options shared by the operations commands (backend choice, JSON output)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_metrics_backend(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--prometheus", metavar="URL", help="Prometheus server (HTTP API)")
    group.add_argument(
        "--cloudwatch", action="store_true", help="CloudWatch (boto3, default credentials)"
    )
    group.add_argument("--telemetry-dir", metavar="DIR", help="local-mode OTLP/JSON files")
    parser.add_argument("--window", default="1h", help="report window, Prometheus duration (1h)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def print_json(document: Any) -> None:
    try:
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `... --json | head` closed the pipe: not an error of ours
        sys.stderr.close()


def fail(message: str, code: int = 2) -> int:
    print(f"aurastream-obs: {message}", file=sys.stderr)
    return code
