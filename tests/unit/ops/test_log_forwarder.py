"""The log forwarder: each categorised line of a function's log group to its category's group,
in PutLogEvents batches that respect the API's limits; other lines nowhere. On a moto server:
the groups receive exactly their lines, and the SAM template's subscription filter selects
exactly the lines with a known category."""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
from typing import Any

import pytest

from aurastream_obs.artifacts.deploy_templates import sam
from aurastream_obs.core.log_categories import LOG_CATEGORIES
from aurastream_obs.ops import log_forwarder as f
from support.moto import Clients


def line(category: str | None, message: str = "m", **fields: Any) -> str:
    body = {"timestamp": "2026-12-07T00:00:00Z", "level": "INFO", "message": message, **fields}
    if category is not None:
        body["category"] = category
    return json.dumps(body)


class RecordingLogs:
    """A boto3 "logs" client stand-in that records calls (and rejects nothing)."""

    class exceptions:
        class ResourceAlreadyExistsException(Exception):
            pass

    def __init__(self) -> None:
        self.streams: list[tuple[str, str]] = []
        self.puts: list[tuple[str, list[dict[str, Any]]]] = []

    def create_log_stream(self, logGroupName: str, logStreamName: str) -> None:
        self.streams.append((logGroupName, logStreamName))

    def put_log_events(self, logGroupName: str, logStreamName: str,
                       logEvents: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
        self.puts.append((logGroupName, logEvents))
        return {}


def payload(messages: list[str], *, kind: str = "DATA_MESSAGE", t0: int = 1_000) -> dict[str, Any]:
    return {"messageType": kind, "logGroup": "/aws/lambda/fn", "logStream": "s1",
            "logEvents": [{"id": str(i), "timestamp": t0 + i, "message": m}
                          for i, m in enumerate(messages)]}  # fmt: skip


def event(body: dict[str, Any]) -> dict[str, Any]:
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(body).encode()))}}


def test_lines_go_to_their_category_group_and_others_nowhere() -> None:
    logs = RecordingLogs()
    messages = [line("security", "failed_authentication"), line("audit"), line("business"),
                line("nonsense"), line(None), '{"_aws": {"CloudWatchMetrics": []}}',
                "REPORT RequestId: 1 Duration: 1.00 ms", "plain text"]  # fmt: skip
    handler = f.build_handler(lambda: f.Forwarder(logs, "prod"))
    routed = handler(event(payload(messages)), None)
    assert routed == {"security": 1, "audit": 1, "business": 1, "application": 1}
    groups = [group for group, _ in logs.puts]
    assert groups == ["/aurastream/prod/" + c for c in ("security", "audit", "business",
                                                        "application")]  # fmt: skip
    (unknown,) = logs.puts[3][1]
    assert json.loads(unknown["message"])["category"] == "nonsense"  # kept as written
    assert logs.streams == [(g, "s1") for g in groups]
    handler(event(payload([line("security")])), None)  # warm: the stream is not created again
    assert len(logs.streams) == 4


def test_a_control_message_forwards_nothing() -> None:
    logs = RecordingLogs()
    assert (
        f.Forwarder(logs, "prod").forward(payload([line("security")], kind="CONTROL_MESSAGE")) == {}
    )
    assert logs.puts == []


def test_batches_keep_the_put_log_events_limits() -> None:
    big = "x" * 100_000
    events = [{"timestamp": 10 - i, "message": big} for i in range(25)]  # out of order
    batches = list(f.batches(events))
    assert [len(b) for b in batches] == [10, 10, 5]  # 10 x (100,000 + 26) bytes < 1 MiB
    assert all(sum(len(e["message"]) + 26 for e in b) <= f.MAX_BATCH_BYTES for b in batches)
    stamps = [e["timestamp"] for b in batches for e in b]
    assert stamps == sorted(stamps)
    many = [{"timestamp": i, "message": "m"} for i in range(10_001)]
    assert [len(b) for b in f.batches(many)] == [10_000, 1]
    day = 24 * 3600 * 1000
    spread = [{"timestamp": 0, "message": "a"}, {"timestamp": day + 1, "message": "b"}]
    assert [len(b) for b in f.batches(spread)] == [1, 1]


def _pattern_categories(pattern: str) -> set[str]:
    """The categories a `{ $.category = "a" || $.category = "b" }` pattern selects (the only
    form the template writes; anything else fails here)."""
    assert re.fullmatch(r'\{ \$\.category = "\w+"( \|\| \$\.category = "\w+")* \}', pattern)
    return set(re.findall(r'"(\w+)"', pattern))


def test_the_subscription_filter_selects_every_category() -> None:
    resources = sam.template()["Resources"]
    subscription = resources["CategorySubscriptionFilter"]["Properties"]
    assert _pattern_categories(subscription["FilterPattern"]) == set(LOG_CATEGORIES)
    assert subscription["LogGroupName"] == {"Ref": "FunctionLogGroup"}
    assert subscription["DestinationArn"] == {"Fn::GetAtt": ["LogForwarder", "Arn"]}
    forwarder = resources["LogForwarder"]["Properties"]
    assert forwarder["Handler"] == "aurastream_obs.ops.log_forwarder.handler"
    assert "DeadLetterQueue" in forwarder
    role = resources["LogForwarderRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    actions = {a for st in role["Statement"] for a in st["Action"]}
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"}


@pytest.mark.integration
def test_forwarded_lines_land_in_the_category_groups_on_moto(clients: Clients) -> None:
    logs = clients("logs")
    env = "fwdtest"
    for category in LOG_CATEGORIES:
        logs.create_log_group(logGroupName=f"/aurastream/{env}/{category}")
    messages = [line(c, f"{c}-{n}") for n in range(3) for c in LOG_CATEGORIES]
    now = int(time.time() * 1000)  # CloudWatch refuses events over 14 days old
    f.Forwarder(logs, env).forward(payload(messages, t0=now - 60_000))
    f.Forwarder(logs, env).forward(payload(messages[:5], t0=now - 30_000))  # a cold start again
    for category in LOG_CATEGORIES:
        found = logs.filter_log_events(logGroupName=f"/aurastream/{env}/{category}")["events"]
        bodies = [json.loads(e["message"]) for e in found]
        assert {b["category"] for b in bodies} == {category}
        assert len(bodies) == 3 + (1 if category in [json.loads(m)["category"]
                                                     for m in messages[:5]] else 0)  # fmt: skip
