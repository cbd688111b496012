"""Which runbook answers which alert, and where its page is: one table for both backends.

Every alert carries a `signal` (the `<thing>` of `aurastream-<env>-<thing>-<severity>`); the
signal names a runbook of the catalog (`ops/runbooks/catalog.py`), and the runbook's page is a
section of `docs/runbooks.md` whose anchor is the runbook's name. The Prometheus rules carry
that repo path as their `runbook_url` annotation; the alert router does the same for
CloudWatch alarms (which have no annotations) and resolves the path against
`AURASTREAM_RUNBOOK_BASE_URL` when one is set (e.g. the repository's web address).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

RUNBOOKS_DOC: Final = "docs/runbooks.md"
HIGH_ERROR_RATE: Final = "high-error-rate"
HIGH_LATENCY: Final = "high-latency"
SERVICE_DOWN: Final = "service-down"
SECURITY_INCIDENT: Final = "security-incident"
# The alerting and log pipeline itself (the functions the alerting and application stacks
# deploy beside the API): redrive what their dead-letter queues hold, find why they fail.
ALERT_DELIVERY: Final = "alert-delivery"
LOG_FORWARDING: Final = "log-forwarding"
DEAD_LETTER_QUEUES: Final = "dead-letter-queues"
# The runbooks `aurastream-obs runbook run` can execute (ops/runbooks/catalog.py).
RUNBOOK_NAMES: Final = (
    HIGH_ERROR_RATE, HIGH_LATENCY, SERVICE_DOWN, SECURITY_INCIDENT,
    ALERT_DELIVERY, LOG_FORWARDING, DEAD_LETTER_QUEUES,
)  # fmt: skip

RUNBOOK_FOR_SIGNAL: Final[Mapping[str, str]] = MappingProxyType(
    {
        # failures: absorb load, shed the failing dependency
        "error-rate": HIGH_ERROR_RATE,
        "error-rate-budget-burn": HIGH_ERROR_RATE,
        "availability-budget-burn": HIGH_ERROR_RATE,
        "api-5xx": HIGH_ERROR_RATE,
        "lambda-errors": HIGH_ERROR_RATE,
        "lambda-throttles": HIGH_ERROR_RATE,
        "lambda-concurrency": HIGH_ERROR_RATE,
        "dynamodb-system-errors": HIGH_ERROR_RATE,
        "error-rate-anomaly": HIGH_ERROR_RATE,  # predictive (definitions/predictive.py)
        "error-rate-drift": HIGH_ERROR_RATE,
        # slowness and capacity: warm the cache, more memory (CPU)
        "latency-p99": HIGH_LATENCY,
        "latency-budget-burn": HIGH_LATENCY,
        "api-latency-p99": HIGH_LATENCY,
        "lambda-duration-p99": HIGH_LATENCY,
        "cache-hit-rate": HIGH_LATENCY,
        "throughput": HIGH_LATENCY,
        "dynamodb-throttles": HIGH_LATENCY,
        "latency-anomaly": HIGH_LATENCY,  # predictive: slowness and capacity ahead
        "latency-drift": HIGH_LATENCY,
        "capacity-requests": HIGH_LATENCY,
        "capacity-concurrency": HIGH_LATENCY,
        # nothing answers
        "availability": SERVICE_DOWN,
        "service-down": SERVICE_DOWN,
        "request-rate-anomaly": SERVICE_DOWN,  # predictive: traffic lost upstream (or a surge)
        # attacks
        "security-incident": SECURITY_INCIDENT,
        "failed-authentication": SECURITY_INCIDENT,
        "security-events": SECURITY_INCIDENT,
        # the alerting and log pipeline itself (CloudWatch only: the functions are AWS's)
        "alert-router-errors": ALERT_DELIVERY,
        "alert-router-dead-letters": ALERT_DELIVERY,
        "alert-delivery-failures": ALERT_DELIVERY,
        "log-forwarder-errors": LOG_FORWARDING,
        "log-forwarder-dead-letters": LOG_FORWARDING,
        "dead-letter-errors": DEAD_LETTER_QUEUES,  # events lost: not even dead-lettered
    }
)


def runbook_for(signal: str | None) -> str | None:
    """The runbook of an alert signal; None for a signal no runbook answers."""
    return RUNBOOK_FOR_SIGNAL.get(signal) if signal else None


def runbook_link(runbook: str) -> str:
    """The repo path of a runbook's page: `docs/runbooks.md#<runbook>`."""
    return f"{RUNBOOKS_DOC}#{runbook}"
