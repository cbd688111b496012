"""The router's channel secrets from AWS Secrets Manager, read once when it starts.

The alerting template gives the router Lambda the secrets' names (`AURASTREAM_ALERTS_SECRET_ID`,
`AURASTREAM_ALERTS_SECURITY_SECRET_ID`), never their values: a value in an environment
variable is plaintext in the function's configuration (GetFunctionConfiguration, the console,
every stack event). The role may call `secretsmanager:GetSecretValue` on exactly these two
secrets. Each is a JSON object of strings (Secrets Manager's key/value form):

    aurastream/<env>/alert-router           slack_webhook_url, pagerduty_routing_key
    aurastream/<env>/alert-router-security  slack_webhook_url (the #aurastream-security channel)

`with_secrets(settings)` reads them (one GetSecretValue each) and returns the settings with
the values filled in; the caller keeps the router it builds for the life of the process (the
warm Lambda execution environment), so the secrets are read at a cold start only. A secret
that cannot be read (missing, access denied, not a JSON object, no known key) is a
`SecretError` whose text is one line naming the secret and the reason, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final

from aurastream_obs.ops.alerts.settings import RouterSettings, Secret

SLACK_KEY: Final = "slack_webhook_url"
PAGERDUTY_KEY: Final = "pagerduty_routing_key"
ROUTER_KEYS: Final = (SLACK_KEY, PAGERDUTY_KEY)
SECURITY_KEYS: Final = (SLACK_KEY,)
# Secrets Manager answers in milliseconds; a cold start must not spend the invocation on it.
CONNECT_TIMEOUT_S: Final = 2.0
READ_TIMEOUT_S: Final = 3.0
MAX_ATTEMPTS: Final = 2

SecretsClient = Any  # a boto3 "secretsmanager" client (untyped: no stubs)


class SecretError(RuntimeError):
    """A secret could not be used; `reason` is the AWS error code or what is wrong."""

    def __init__(self, secret_id: str, reason: str, detail: str = "") -> None:
        self.secret_id = secret_id
        self.reason = reason
        text = f"secret {secret_id}: {reason}" + (f" ({detail})" if detail else "")
        super().__init__(" ".join(text.split())[:300])


def default_client() -> SecretsClient:
    """A boto3 client with short timeouts, from a session of its own (the process-wide default
    session caches the credentials it first found). Imported here, never on the module's
    import."""
    import boto3.session
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )
    return boto3.session.Session().client("secretsmanager", config=config)


def read_secret(client: SecretsClient, secret_id: str, keys: tuple[str, ...]) -> dict[str, Secret]:
    """The `keys` present in the secret's JSON object, each wrapped as a `Secret`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = client.get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SecretError(secret_id, str(error.get("Code", "ClientError")),
                          str(error.get("Message", ""))) from None  # fmt: skip
    except BotoCoreError as exc:  # no endpoint, no credentials, a timeout
        raise SecretError(secret_id, type(exc).__name__, str(exc)) from None
    text = answer.get("SecretString")
    if not isinstance(text, str):
        raise SecretError(secret_id, "not a string secret (SecretBinary)")
    try:
        document = json.loads(text)
    except ValueError:
        raise SecretError(secret_id, "not a JSON object of keys and values") from None
    if not isinstance(document, Mapping):
        raise SecretError(secret_id, "not a JSON object of keys and values")
    found = {
        key: Secret(value.strip())
        for key in keys
        if isinstance(value := document.get(key), str) and value.strip()
    }
    if not found:
        raise SecretError(secret_id, f"none of the keys {', '.join(keys)}")
    return found


def with_secrets(
    settings: RouterSettings, client: Callable[[], SecretsClient] = default_client
) -> RouterSettings:
    """`settings` with the channel secrets read from Secrets Manager (unchanged when no secret
    is configured). The secrets' values win over the plaintext variables."""
    if not settings.secret_id and not settings.security_secret_id:
        return settings
    secrets = client()
    slack, pagerduty = settings.slack_webhook_url, settings.pagerduty_routing_key
    security = settings.security_slack_webhook_url
    if settings.secret_id:
        found = read_secret(secrets, settings.secret_id, ROUTER_KEYS)
        slack = found.get(SLACK_KEY, slack)
        pagerduty = found.get(PAGERDUTY_KEY, pagerduty)
    if settings.security_secret_id:
        security = read_secret(secrets, settings.security_secret_id, SECURITY_KEYS)[SLACK_KEY]
    return replace(
        settings,
        slack_webhook_url=slack,
        pagerduty_routing_key=pagerduty,
        security_slack_webhook_url=security,
    )
