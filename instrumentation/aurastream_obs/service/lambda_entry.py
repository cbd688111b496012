"""The module AWS Lambda loads: `aurastream_obs.service.lambda_entry.handler`.

Importing it is Lambda's init phase: telemetry is configured from the environment
(`AURASTREAM_TELEMETRY_MODE=lambda` collectorless, or `otlp` to the ADOT extension) and the
service's collaborators are built once, before the first event. See service/lambda_http.py.
"""

from __future__ import annotations

from aurastream_obs.service.lambda_http import create_handler

handler = create_handler()
