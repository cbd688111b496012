"""The alert router as a Lambda subscribed to the SNS alert topics.

SNS→Lambda invocations are authorised by IAM, but each record still carries the SNS signature
fields (spelled `SigningCertUrl`); they are verified too, so a record that did not come from
SNS (a direct `lambda:InvokeFunction` by a compromised principal) routes nothing.

The router (its settings, certificate cache and dedup state) is built on the first invocation
and reused while the execution environment is warm; `build_handler` gives tests their own.
Building it reads the channel secrets from Secrets Manager (`secrets.py`: the names are in
the environment, the values never are), so they are read at a cold start and cached with
the router. A secret that cannot be read (missing, access denied, malformed) is one ERROR
line naming the secret and the reason, counted (`secret_errors`, in the counters of the
next successful invocation; each failure is also a Lambda `Errors` datapoint), and the
invocation fails so that Lambda retries it; the next invocation tries again.

At least once: when a record could not be delivered (a 5xx reply: a channel failed or the
deadline ran out), the handler raises `UndeliveredError` after handling every record, so that
Lambda retries the asynchronous invocation (twice by default, then the on-failure destination
or dead-letter queue). Channels that took the alert already are duplicates on the retry in this
environment; another environment may send them again (a duplicate, never a loss). Records
refused for good (403 forged or stale, 400 malformed) are counted, not retried.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from aurastream_obs.logs.root import install_json_logging
from aurastream_obs.ops.alerts.metrics import Counters
from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.secrets import (
    SecretError,
    SecretsClient,
    default_client,
    with_secrets,
)
from aurastream_obs.ops.alerts.settings import RouterSettings
from aurastream_obs.ops.alerts.sns import normalize_lambda_record

_log: Final = logging.getLogger("aurastream.alerts.lambda")
ROUTER_SERVICE: Final = "aurastream-alert-router"  # service.name of its log lines
_EXTRA: Final = {"category": "application"}

LambdaHandler = Callable[[Mapping[str, object], object], dict[str, object]]


def build_handler(make_router: Callable[[], AlertRouter]) -> LambdaHandler:
    router: AlertRouter | None = None
    startup = Counters()  # failures before a router exists (its secrets), for this environment

    def handle(event: Mapping[str, object], context: object) -> dict[str, object]:
        nonlocal router
        records = event.get("Records")
        if router is None:
            try:
                router = make_router()
            except SecretError as exc:
                startup.add("secret_errors", secret=exc.secret_id, reason=exc.reason)
                count = len(records) if isinstance(records, list) else 0
                _log.error(
                    "alert router cannot start: %s; %d SNS record(s) failed, Lambda retries "
                    "the invocation (failure %d in this environment)",
                    exc, count, startup.value("secret_errors"), extra=_EXTRA,
                )  # fmt: skip
                raise UndeliveredError(f"alert router cannot start: {exc}") from None
        results: list[dict[str, object]] = []
        for record in records if isinstance(records, list) else []:
            sns = record.get("Sns") if isinstance(record, Mapping) else None
            if not isinstance(sns, Mapping):
                results.append({"status": 400, "error": "record without Sns"})
                continue
            reply = router.handle_sns(normalize_lambda_record(sns))
            results.append({"status": reply.status, **reply.body})
        counters = {**router.counters.snapshot(), "secret_errors": startup.value("secret_errors")}
        outcome: dict[str, object] = {"results": results, "counters": counters}
        failed = [r for r in results if int(str(r["status"])) >= 500]
        if failed:
            raise UndeliveredError(f"{len(failed)} of {len(results)} SNS record(s) undelivered")
        return outcome

    return handle


class UndeliveredError(RuntimeError):
    """Some record was not delivered: raised so that Lambda retries the invocation."""


def router_from_env(
    env: Mapping[str, str] | None = None,
    *,
    secrets_client: Callable[[], SecretsClient] = default_client,
    **router_options: Any,
) -> AlertRouter:
    """The router the environment describes, its channel secrets read from Secrets Manager
    (SecretError when one cannot be read). `router_options` go to `AlertRouter` (tests)."""
    settings = with_secrets(RouterSettings.from_env(env), secrets_client)
    return AlertRouter(settings, **router_options)


def _default_router() -> AlertRouter:
    return router_from_env()


_handler: LambdaHandler | None = None


def handler(event: Mapping[str, object], context: object) -> dict[str, object]:
    """The Lambda entry point (`aurastream_obs.ops.alerts.lambda_handler.handler`)."""
    global _handler  # noqa: PLW0603 - one router per warm execution environment, by design
    if _handler is None:
        # JSON lines with their category, so the security ones (a forged SNS record) reach
        # /aurastream/<env>/security through the log forwarder's subscription filter.
        install_json_logging(ROUTER_SERVICE, os.environ.get("AURASTREAM_ENVIRONMENT", "dev"))
        _handler = build_handler(_default_router)
    return _handler(event, context)
