"""The router Lambda reads its channel secrets from Secrets Manager (a moto server), at a cold
start, and keeps them: the environment names the secrets, never their values. A secret that is
missing or denied is one ERROR line naming it and the reason, counted, and the invocation
fails so that Lambda retries it; the retry after the fix delivers."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aurastream_obs.ops.alerts.delivery import Poster
from aurastream_obs.ops.alerts.lambda_handler import (
    LambdaHandler,
    UndeliveredError,
    build_handler,
    router_from_env,
)
from aurastream_obs.ops.alerts.secrets import SecretError, default_client, with_secrets
from aurastream_obs.ops.alerts.settings import RouterSettings
from aurastream_obs.ops.alerts.sns import SnsVerifier
from support.alert_peers import AlertPeer
from support.alert_router import FAST_RETRIES, ROUTING_KEY, SECURITY_SLACK_PATH, SLACK_PATH
from support.aws_sinks import start_moto_process
from support.cli import run_command
from support.log_capture import attach
from support.moto import Clients
from support.sns import SECURITY_TOPIC, TOPIC, Signer, alarm_message, notification

TOPICS = f"{TOPIC},{SECURITY_TOPIC}"


@pytest.fixture
def security_slack() -> Iterator[AlertPeer]:
    with AlertPeer() as peer:
        yield peer


def _env(name: str, pagerduty: AlertPeer) -> dict[str, str]:
    """What the alerting template puts in the router's environment (no secret value)."""
    return {
        "AURASTREAM_ALERTS_SECRET_ID": f"aurastream/{name}/alert-router",
        "AURASTREAM_ALERTS_SECURITY_SECRET_ID": f"aurastream/{name}/alert-router-security",
        "AURASTREAM_SNS_TOPIC_ARNS": TOPICS,
        "PAGERDUTY_EVENTS_URL": pagerduty.url + "/v2/enqueue",
    }


def _store(clients: Clients, name: str, slack: AlertPeer, security: AlertPeer | None) -> None:
    sm = clients("secretsmanager")
    sm.create_secret(
        Name=f"aurastream/{name}/alert-router",
        SecretString=json.dumps(
            {"slack_webhook_url": slack.url + SLACK_PATH, "pagerduty_routing_key": ROUTING_KEY}
        ),
    )
    if security is not None:
        sm.create_secret(Name=f"aurastream/{name}/alert-router-security", SecretString=json.dumps(
            {"slack_webhook_url": security.url + SECURITY_SLACK_PATH}))  # fmt: skip


def _handler(env: dict[str, str], signer: Signer) -> LambdaHandler:
    verifier = SnsVerifier(fetch=lambda url: signer.pem, topic_arns=frozenset(TOPICS.split(",")))
    return build_handler(lambda: router_from_env(
        env, verifier=verifier, poster=Poster(FAST_RETRIES, sleep=lambda s: None)))  # fmt: skip


def _event(signer: Signer, alarm: str, topic: str, message_id: str) -> dict[str, object]:
    sns = signer.sign(notification(alarm_message(name=alarm), message_id=message_id, topic=topic))
    sns["SigningCertUrl"] = sns.pop("SigningCertURL")  # the Lambda record's spelling
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": sns}]}


def _errors(capture: Any) -> list[str]:
    return [json.loads(line)["message"] for line in capture.lines()
            if json.loads(line)["level"] == "ERROR"]  # fmt: skip


def test_the_handler_reads_the_secrets_once_and_routes_with_them(
    clients: Clients, signer: Signer, peers: tuple[AlertPeer, AlertPeer],
    security_slack: AlertPeer,
) -> None:  # fmt: skip
    slack, pagerduty = peers
    name = f"s{secrets.token_hex(3)}"
    _store(clients, name, slack, security_slack)
    handler = _handler(_env(name, pagerduty), signer)

    security = "aurastream-prod-failed-authentication-critical"
    result = handler(_event(signer, security, SECURITY_TOPIC, "m-1"), None)
    assert result["results"][0]["status"] == 200  # type: ignore[index]
    assert security_slack.requests[0]["path"] == SECURITY_SLACK_PATH  # the secret's webhook
    assert pagerduty.bodies[0]["routing_key"] == ROUTING_KEY  # the secret's routing key
    assert slack.requests == []

    # Cached for the warm environment: with the secrets gone, the next alarm still goes out.
    sm = clients("secretsmanager")
    for secret in _env(name, pagerduty).values():
        if secret.startswith("aurastream/"):
            sm.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    result = handler(_event(signer, "aurastream-prod-error-rate-critical", TOPIC, "m-2"), None)
    assert result["results"][0]["status"] == 200  # type: ignore[index]
    assert slack.requests[0]["path"] == SLACK_PATH and len(pagerduty.requests) == 2


def test_a_missing_secret_is_one_line_counted_and_the_invocation_fails_until_it_exists(
    clients: Clients, signer: Signer, peers: tuple[AlertPeer, AlertPeer],
    security_slack: AlertPeer,
) -> None:  # fmt: skip
    slack, pagerduty = peers
    name = f"m{secrets.token_hex(3)}"
    _store(clients, name, slack, None)  # the security channel's secret was never created
    handler = _handler(_env(name, pagerduty), signer)
    event = _event(signer, "aurastream-prod-failed-authentication-warning", SECURITY_TOPIC, "m-1")
    capture = attach(logging.getLogger("aurastream.alerts.lambda"))
    try:
        with pytest.raises(UndeliveredError, match="ResourceNotFoundException"):
            handler(event, None)
    finally:
        logging.getLogger("aurastream.alerts.lambda").removeHandler(capture.handler)
    (line,) = _errors(capture)
    assert f"aurastream/{name}/alert-router-security: ResourceNotFoundException" in line
    assert "1 SNS record(s) failed, Lambda retries" in line and "\n" not in line
    assert slack.requests == security_slack.requests == pagerduty.requests == []

    clients("secretsmanager").create_secret(
        Name=f"aurastream/{name}/alert-router-security",
        SecretString=json.dumps({"slack_webhook_url": security_slack.url + SECURITY_SLACK_PATH}),
    )
    result = handler(event, None)  # Lambda's retry of the same event
    assert result["results"][0]["status"] == 200  # type: ignore[index]
    assert result["counters"]["secret_errors"] == 1  # type: ignore[index]
    assert len(security_slack.requests) == 1 and slack.requests == []


def test_a_denied_secret_fails_the_same_way(
    signer: Signer, peers: tuple[AlertPeer, AlertPeer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """IAM enforced (a moto server of its own: moto checks IAM for every request once told
    to): a role without secretsmanager:GetSecretValue gets AccessDenied."""
    import boto3
    import requests

    slack, pagerduty = peers
    with start_moto_process() as url:
        admin = {"endpoint_url": url, "region_name": "us-east-1",
                 "aws_access_key_id": "admin", "aws_secret_access_key": "admin"}  # fmt: skip
        boto3.client("secretsmanager", **admin).create_secret(
            Name="aurastream/denied/alert-router",
            SecretString=json.dumps({"slack_webhook_url": slack.url + SLACK_PATH}),
        )
        iam = boto3.client("iam", **admin)
        iam.create_user(UserName="router")
        key = iam.create_access_key(UserName="router")["AccessKey"]
        requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=5)  # enforce IAM now
        for name, value in (("AWS_ENDPOINT_URL", url), ("AWS_DEFAULT_REGION", "us-east-1"),
                            ("AWS_ACCESS_KEY_ID", key["AccessKeyId"]),
                            ("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])):  # fmt: skip
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        env = {k: v for k, v in _env("denied", pagerduty).items() if "SECURITY" not in k}
        handler = _handler(env, signer)
        capture = attach(logging.getLogger("aurastream.alerts.lambda"))
        try:
            with pytest.raises(UndeliveredError, match="aurastream/denied/alert-router"):
                handler(_event(signer, "aurastream-prod-error-rate-critical", TOPIC, "d-1"), None)
        finally:
            logging.getLogger("aurastream.alerts.lambda").removeHandler(capture.handler)
    (line,) = _errors(capture)
    assert "secret aurastream/denied/alert-router:" in line and "not authorized" in line
    assert "\n" not in line and slack.requests == pagerduty.requests == []


@pytest.mark.parametrize(
    ("stored", "reason"),
    [("not json", "not a JSON object of keys and values"),
     ('["a list"]', "not a JSON object of keys and values"),
     ('{"slack": "x"}', "none of the keys slack_webhook_url, pagerduty_routing_key")],
)  # fmt: skip
def test_a_malformed_secret_names_what_is_wrong_and_never_its_value(
    clients: Clients, stored: str, reason: str
) -> None:
    name = f"aurastream/b{secrets.token_hex(3)}/alert-router"
    clients("secretsmanager").create_secret(Name=name, SecretString=stored)
    with pytest.raises(SecretError) as raised:
        with_secrets(RouterSettings(secret_id=name), default_client)
    assert str(raised.value) == f"secret {name}: {reason}"
    assert raised.value.secret_id == name


def test_settings_without_secret_ids_are_left_alone() -> None:
    def no_client() -> Callable[[], Any]:
        raise AssertionError("no secret configured: no Secrets Manager call")

    settings = RouterSettings.from_env({"SLACK_WEBHOOK_URL": "http://127.0.0.1:9/x"})
    assert with_secrets(settings, no_client) is settings
    named = RouterSettings.from_env({"AURASTREAM_ALERTS_SECRET_ID": " aurastream/p/alert-router "})
    assert named.secret_id == "aurastream/p/alert-router" and named.security_secret_id is None


def test_alerts_serve_with_an_unreadable_secret_is_one_line_and_exit_4(
    clients: Clients, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"aurastream/c{secrets.token_hex(3)}/alert-router"
    monkeypatch.setenv("AURASTREAM_ALERTS_SECRET_ID", name)  # never created
    code, out = run_command("alerts", ["serve", "--port", "0"])
    assert code == 4 and out == ""
    # One line says it (log lines, JSON, may come from botocore or a moto running in-process).
    (line,) = [t for t in capsys.readouterr().err.splitlines() if not t.startswith("{")]
    assert line.startswith(f"alerts serve: secret {name}: ResourceNotFoundException")
