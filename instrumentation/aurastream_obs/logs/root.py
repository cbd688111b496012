"""The project's JSON log lines on the root logger, for processes that need only those: the
alert router as a Lambda function and the operations commands (`configure()` does the same
for an instrumented service, with its exporters).

The lines matter beyond reading them: a security event (an SNS signature or a webhook token
refused) carries `"category": "security"`, which the subscription filter that sends a
function's lines to `/aurastream/<env>/<category>` selects; stdlib's or the Lambda runtime's
plain text would carry neither the category nor the event's fields.
"""

from __future__ import annotations

import logging
from typing import TextIO

from aurastream_obs.logs.handler import JsonLogHandler, install_root_handler
from aurastream_obs.logs.pipeline import build_log_pipeline


def install_json_logging(
    service: str, environment: str, *, stream: TextIO | None = None, level: int = logging.INFO
) -> JsonLogHandler:
    """The root logger's JSON handler (redaction on; `stream` None: sys.stdout at each line,
    written at once). Once per process: a second call returns the handler already there."""
    for existing in logging.getLogger().handlers:
        if isinstance(existing, JsonLogHandler):
            return existing
    pipeline = build_log_pipeline(
        service=service, environment=environment, redact=True, allow_analysed_text=False
    )
    handler = JsonLogHandler(pipeline, stream=stream)
    install_root_handler(handler, level)
    return handler
