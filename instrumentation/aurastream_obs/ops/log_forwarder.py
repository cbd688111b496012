"""The log forwarder: a function's JSON log lines -> `/aurastream/<env>/<category>`.

On Lambda every line a function prints lands in the function's own log group. A CloudWatch
Logs subscription filter on that group (deploy/sam) sends the lines that carry a log category
here; each goes to its category's group, the same groups the collector's awscloudwatchlogs
exporters write on ECS/EKS, so security and audit lines get their 7-year retention and every
saved query reads one set of groups whatever the deployment shape.

Payload (CloudWatch Logs subscription to Lambda): `{"awslogs": {"data": base64(gzip(JSON))}}`,
the JSON holding `messageType` (`DATA_MESSAGE`, or `CONTROL_MESSAGE` when the filter is
created: nothing to forward), `logGroup`, `logStream` and `logEvents` (`id`, `timestamp`,
`message`). Lines keep their timestamp and go to a stream named after the source stream.

PutLogEvents limits honoured (CloudWatch Logs API reference): events in a batch in
chronological order, at most 10,000 events and 1,048,576 bytes (message bytes + 26 each)
per call, spanning at most 24 hours. A failure raises: Lambda retries the invocation twice,
then sends the event to the function's dead-letter queue (an alarm watches it).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aurastream_obs.core.env_vars import ENVIRONMENT
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES, log_group_name

MAX_BATCH_EVENTS: Final = 10_000
MAX_BATCH_BYTES: Final = 1_048_576
EVENT_OVERHEAD_BYTES: Final = 26
MAX_BATCH_SPAN_MS: Final = 24 * 3600 * 1000

LogEvent = Mapping[str, Any]  # {"timestamp": ms, "message": str}


def decode(event: Mapping[str, Any]) -> dict[str, Any]:
    """The subscription payload of a Lambda event."""
    data = event["awslogs"]["data"]
    document: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(data)))
    return document


def category_of(message: str) -> str | None:
    """The log category of a JSON line (unknown values: the default category, as the
    collector's routing does); None for a line that is not one of ours."""
    try:
        line = json.loads(message)
    except ValueError:
        return None
    if not isinstance(line, dict) or "category" not in line:
        return None
    category = line["category"]
    return category if category in LOG_CATEGORIES else DEFAULT_CATEGORY


def batches(events: Sequence[LogEvent]) -> Iterator[list[dict[str, Any]]]:
    """PutLogEvents batches: chronological, within the count, size and 24-hour limits."""
    batch: list[dict[str, Any]] = []
    size = 0
    for item in sorted(events, key=lambda e: int(e["timestamp"])):
        message = str(item["message"])
        entry: dict[str, Any] = {"timestamp": int(item["timestamp"]), "message": message}
        cost = len(message.encode()) + EVENT_OVERHEAD_BYTES
        if batch and (
            len(batch) >= MAX_BATCH_EVENTS
            or size + cost > MAX_BATCH_BYTES
            or entry["timestamp"] - batch[0]["timestamp"] > MAX_BATCH_SPAN_MS
        ):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += cost
    if batch:
        yield batch


@dataclass
class Forwarder:
    """Routes one subscription payload; `client` is a boto3 "logs" client."""

    client: Any
    environment: str
    streams: set[tuple[str, str]] = field(default_factory=set)  # created while warm
    rejected: int = 0  # events CloudWatch Logs refused (too old, too new, expired): lost

    def group(self, category: str) -> str:
        return log_group_name(category, self.environment)

    def forward(self, payload: Mapping[str, Any]) -> dict[str, int]:
        """Lines forwarded per category (nothing for a control message)."""
        if payload.get("messageType") != "DATA_MESSAGE":
            return {}
        by_category: dict[str, list[LogEvent]] = {}
        for item in payload.get("logEvents", []):
            category = category_of(str(item.get("message", "")))
            if category is not None:
                by_category.setdefault(category, []).append(item)
        stream = str(payload.get("logStream") or "forwarded")
        for category, events in by_category.items():
            self._put(self.group(category), stream, events)
        return {category: len(events) for category, events in by_category.items()}

    def _put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        if (group, stream) not in self.streams:
            with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
                self.client.create_log_stream(logGroupName=group, logStreamName=stream)
            self.streams.add((group, stream))
        for batch in batches(events):
            answer = self.client.put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=batch
            )
            rejected = answer.get("rejectedLogEventsInfo")
            if rejected:  # too old / too new / expired: say so, do not retry forever
                self.rejected += rejected_count(rejected, len(batch))
                print(json.dumps({"level": "WARNING", "category": "application",
                                  "message": "log events rejected", "group": group,
                                  "rejected": rejected}))  # fmt: skip


def rejected_count(info: Mapping[str, int], size: int) -> int:
    """Events of a batch of `size` that PutLogEvents' `rejectedLogEventsInfo` refuses: those
    up to the too-old or expired end index, and those from the too-new start index."""
    old = max(info.get("tooOldLogEventEndIndex", -1), info.get("expiredLogEventEndIndex", -1))
    new = info.get("tooNewLogEventStartIndex", size)
    return (old + 1) + (size - new)


def build_handler(
    make: Callable[[], Forwarder],
) -> Callable[[Mapping[str, Any], object], dict[str, int]]:
    forwarder: Forwarder | None = None

    def handle(event: Mapping[str, Any], context: object) -> dict[str, int]:
        nonlocal forwarder
        if forwarder is None:
            forwarder = make()
        return forwarder.forward(decode(event))

    return handle


def _default() -> Forwarder:
    import boto3

    environment = os.environ.get(ENVIRONMENT.name) or ENVIRONMENT.default
    return Forwarder(boto3.client("logs"), environment)


_handler: Callable[[Mapping[str, Any], object], dict[str, int]] | None = None


def handler(event: Mapping[str, Any], context: object) -> dict[str, int]:
    """The Lambda entry point (`aurastream_obs.ops.log_forwarder.handler`)."""
    global _handler  # noqa: PLW0603 - one client per warm execution environment, by design
    if _handler is None:
        _handler = build_handler(_default)
    return _handler(event, context)
