"""The alerting and log pipeline's runbook steps: what their dead-letter queues hold goes back
where it was going, and what makes them fail is found. Each reads before it acts and returns
(outcome, detail) for the executor (`executor.py`); AWS calls go through its client factory.

Both functions are invoked asynchronously (SNS invokes the alert router, CloudWatch Logs the
log forwarder): after Lambda's retries, an event lands in the function's SQS dead-letter queue
as its original payload. SQS's own redrive (`StartMessageMoveTask`) moves messages back to a
*source queue*; these came from Lambda, not from a queue, so it cannot take them back. Instead:

- **alert router** (`alerts.redrive`): each dead-lettered SNS record holds the CloudWatch alarm
  notification. It is republished to its own topic (`sns:Publish`), so SNS signs it afresh and
  delivers it to the router like any alarm, only if the alarm is still in the state it
  announced (`DescribeAlarms`): a stale ALARM would open an incident nobody resolves. A plain
  re-invocation would not do: the router refuses SNS messages older than an hour (replays).
  Nothing moves while a router secret is missing: every redriven alert would fail again.
- **log forwarder** (`logs.redrive`): each dead-lettered subscription payload is forwarded by
  the forwarder's own code (`ops/log_forwarder.py`, `logs:PutLogEvents`) into the category
  groups, lines keeping their timestamps. (Re-invoking the function with the payload,
  `aws lambda invoke --invocation-type Event`, is the manual equivalent; moto cannot run a
  function without Docker, this can be tested.)

A message is deleted from the queue only once everything in it was handled; one that failed
stays for the next run (at least once: a line or an alert may come twice, never not at all).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from aurastream_obs.definitions.deployment import topic_route
from aurastream_obs.ops.log_forwarder import Forwarder, decode

Clients = Callable[[str], Any]
Result = tuple[str, str]
RECEIVE_BATCH: Final = 10  # SQS ReceiveMessage's maximum
VISIBILITY_S: Final = 120  # a message being redriven is hidden this long from other readers


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__


def secret_problems(clients: Clients, secret_ids: list[str]) -> list[str]:
    """Why a secret the router reads at a cold start cannot be used (DescribeSecret: its
    metadata, never its value)."""
    secrets, problems = clients("secretsmanager"), []
    for secret_id in secret_ids:
        try:
            described = secrets.describe_secret(SecretId=secret_id)
        except Exception as exc:  # noqa: BLE001 - any answer but the metadata is the finding
            problems.append(f"{secret_id}: {_code(exc)}")
            continue
        if described.get("DeletedDate"):
            problems.append(f"{secret_id}: scheduled for deletion")
    return problems


def check_secrets(clients: Clients, secret_ids: list[str]) -> Result:
    problems = secret_problems(clients, secret_ids)
    if problems:
        return "failed", (f"{'; '.join(problems)}: the router fails every invocation until "
                          "the secret exists (docs/runbooks.md#alert-delivery)")  # fmt: skip
    return "succeeded", f"{len(secret_ids)} router secret(s) present"


def _messages(sqs: Any, url: str, limit: int) -> Iterator[dict[str, Any]]:
    """Up to `limit` messages; stops at the first empty receive (1 s long poll: every server)."""
    taken = 0
    while taken < limit:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(RECEIVE_BATCH, limit - taken),
            WaitTimeSeconds=1, VisibilityTimeout=VISIBILITY_S,
        ).get("Messages", [])  # fmt: skip
        if not got:
            return
        taken += len(got)
        yield from got


def _alarm_state(cloudwatch: Any, name: str) -> str | None:
    answer = cloudwatch.describe_alarms(
        AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    alarms = [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]
    return str(alarms[0]["StateValue"]) if alarms else None


def _notifications(body: str) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(topic ARN, alarm JSON text, alarm) of each SNS record of a dead-lettered event;
    ValueError for a message that is not one (left in the queue for a human)."""
    records = json.loads(body).get("Records")
    if not isinstance(records, list) or not records:
        raise ValueError("not an SNS event")
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    for record in records:
        sns = record.get("Sns", {})
        topic, text = sns.get("TopicArn"), sns.get("Message")
        if not isinstance(topic, str) or topic_route(topic) is None or not isinstance(text, str):
            raise ValueError("not a notification of our alert topics")
        alarm = json.loads(text)
        if not isinstance(alarm, dict) or "AlarmName" not in alarm:
            raise ValueError("not a CloudWatch alarm notification")
        found.append((topic, text, alarm))
    return found


def redrive_alerts(clients: Clients, queue: str, secret_ids: list[str], limit: int) -> Result:
    problems = secret_problems(clients, secret_ids)
    if problems:
        return "refused", (f"{'; '.join(problems)}: a redriven alert would fail again; "
                           "nothing moved")  # fmt: skip
    sqs, cloudwatch, sns = clients("sqs"), clients("cloudwatch"), clients("sns")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    counts: Counter[str] = Counter()
    for message in _messages(sqs, url, limit):
        try:
            notifications = _notifications(message["Body"])
        except (ValueError, AttributeError, TypeError):
            counts["left (not an alarm notification)"] += 1
            continue
        try:
            for topic, text, alarm in notifications:
                if _alarm_state(cloudwatch, str(alarm["AlarmName"])) == alarm.get("NewStateValue"):
                    sns.publish(TopicArn=topic, Message=text)
                    counts["republished"] += 1
                else:  # the alarm moved on (or is gone): that notification is history
                    counts["superseded"] += 1
        except Exception as exc:  # noqa: BLE001 - the message stays for the next run
            counts[f"failed ({_code(exc)})"] += 1
            continue
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return _result(counts, "no dead letters")


def redrive_logs(clients: Clients, queue: str, environment: str, limit: int) -> Result:
    sqs = clients("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    forwarder = Forwarder(clients("logs"), environment)
    counts: Counter[str] = Counter()
    for message in _messages(sqs, url, limit):
        try:
            payload = decode(json.loads(message["Body"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            counts["left (not a log subscription payload)"] += 1
            continue
        try:
            routed = forwarder.forward(payload)
        except Exception as exc:  # noqa: BLE001 - the message stays for the next run
            counts[f"failed ({_code(exc)})"] += 1
            continue
        counts["batches forwarded"] += 1
        counts.update({f"{category} lines": n for category, n in routed.items()})
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    if forwarder.rejected:  # beyond PutLogEvents' window (14 days, or the group's retention)
        counts["failed (lines refused by CloudWatch Logs as too old or too new)"] = (
            forwarder.rejected
        )
    return _result(counts, "no dead letters")


def check_dead_letter_queue(clients: Clients, function: str, expected: str) -> Result:
    """Why `function`'s failed events could not be dead-lettered (DeadLetterErrors): no queue
    configured, another queue than the template's (`expected`), or a queue that is gone."""
    config = clients("lambda").get_function_configuration(FunctionName=function)
    arn = (config.get("DeadLetterConfig") or {}).get("TargetArn")
    if not arn:
        return "failed", "no dead-letter queue configured: failed events are dropped"
    name = str(arn).rsplit(":", 1)[-1]
    if name != expected:
        return "failed", f"dead-letters go to {name}, not {expected}: redeploy the stack"
    sqs = clients("sqs")
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except Exception as exc:  # noqa: BLE001 - a missing queue is the finding
        return "failed", f"its dead-letter queue {name} is unusable ({_code(exc)}): redeploy"
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "KmsMasterKeyId"]
    ).get("Attributes", {})
    key = attributes.get("KmsMasterKeyId")
    held = attributes.get("ApproximateNumberOfMessages", "?")
    detail = f"dead-letter queue {name} exists ({held} message(s))"
    if key and key != "alias/aws/sqs":
        detail += f"; encrypted with {key}: the function's role needs kms:GenerateDataKey on it"
    return "succeeded", detail


def _result(counts: Counter[str], empty: str) -> Result:
    if not counts:
        return "unchanged", empty
    detail = ", ".join(f"{what}: {n}" for what, n in sorted(counts.items()))
    failed = any(k.startswith(("failed", "left")) for k in counts)
    return ("failed" if failed else "succeeded"), detail
