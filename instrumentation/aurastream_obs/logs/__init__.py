"""Structured JSON logging: categories, processors, the record → line pipeline, events.

Only the standard library is imported here; the OTel trace API loads on the first log line
that looks for a span.
"""

from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES, LogCategory
from aurastream_obs.logs import events
from aurastream_obs.logs.handler import JsonLogHandler, LogSink
from aurastream_obs.logs.pipeline import LogPipeline, build_log_pipeline
from aurastream_obs.logs.processors import (
    CategoryAdder,
    EventDict,
    JSONRenderer,
    Processor,
    Redactor,
    Renderer,
    ServiceAdder,
    TraceIdAdder,
)

__all__ = [
    "DEFAULT_CATEGORY",
    "LOG_CATEGORIES",
    "CategoryAdder",
    "EventDict",
    "JSONRenderer",
    "JsonLogHandler",
    "LogCategory",
    "LogPipeline",
    "LogSink",
    "Processor",
    "Redactor",
    "Renderer",
    "ServiceAdder",
    "TraceIdAdder",
    "build_log_pipeline",
    "events",
]
