"""SNS messages as AWS signs them: a locally generated signing certificate and key (`Signer`),
and the messages SNS posts (`notification()` of a CloudWatch `alarm_message()`,
`subscription_confirmation()`, stamped now unless told otherwise), signed with `Signer.sign`.
For a router behind moto's SNS (which signs what it delivers and serves its certificate under
the same `https://sns.<region>.amazonaws.com/...pem` URL): `support.cloudwatch_alarms.
moto_sns_certificates`."""

from __future__ import annotations

import base64
import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from aurastream_obs.ops.alerts.sns import string_to_sign

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:aurastream-prod-critical-alerts"
SECURITY_TOPIC = "arn:aws:sns:eu-west-1:123456789012:aurastream-prod-security-alerts"


class Signer:
    """An RSA key with a self-signed certificate; `pem` is what the fetcher returns."""

    def __init__(self, *, valid_days: int = 30, expired: bool = False) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.now(UTC)
        start = now - timedelta(days=60 if expired else 1)
        end = now - timedelta(days=1) if expired else now + timedelta(days=valid_days)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        signed = dict(message, SignatureVersion=version)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        signed["Signature"] = base64.b64encode(signature).decode()
        return signed


def alarm_message(
    name: str = "aurastream-prod-error-rate-critical", state: str = "ALARM", value: float = 7.5
) -> dict[str, Any]:
    """The JSON CloudWatch publishes to SNS on a state change."""
    return {
        "AlarmName": name,
        "AlarmDescription": "Share of requests answered with a 5xx.",
        "AWSAccountId": "123456789012",
        "NewStateValue": state,
        "NewStateReason": f"Threshold Crossed: 1 out of the last 1 datapoints [{value} "
        "(02/01/25 10:00:00)] was greater than the threshold (5.0).",
        "StateChangeTime": "2025-01-02T10:00:30.000+0000",
        "Region": "EU (Ireland)",
        "AlarmArn": f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "Trigger": {"MetricName": "ErrorRate", "Namespace": "AuraStream/Application",
                    "ComparisonOperator": "GreaterThanThreshold", "Threshold": 5.0},
    }  # fmt: skip


def timestamp(at: datetime | None = None) -> str:
    """SNS's Timestamp format, `2025-01-02T10:00:31.000Z`; default now."""
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def notification(
    alarm: dict[str, Any], *, message_id: str = "m-1", at: datetime | None = None,
    topic: str = TOPIC,
) -> dict[str, Any]:  # fmt: skip
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Subject": f'ALARM: "{alarm["AlarmName"]}" in EU (Ireland)',
        "Message": json.dumps(alarm),
        "Timestamp": timestamp(at),
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }


def subscribe_url(topic: str = TOPIC, token: str = "2336412f37fb687f5d51e6e2425") -> str:
    """The SubscribeURL SNS sends for `topic` (its region's host, ConfirmSubscription)."""
    region = topic.split(":")[3]
    query = urllib.parse.urlencode(
        {"Action": "ConfirmSubscription", "TopicArn": topic, "Token": token}
    )
    return f"https://sns.{region}.amazonaws.com/?{query}"


def subscription_confirmation(
    subscribe_url: str, topic: str = TOPIC, *, message_id: str = "c-1"
) -> dict[str, Any]:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": message_id,
        "Token": "2336412f37fb687f5d51e6e2425",
        "TopicArn": topic,
        "Message": "You have chosen to subscribe to the topic. To confirm, visit SubscribeURL.",
        "SubscribeURL": subscribe_url,
        "Timestamp": timestamp(),
        "SigningCertURL": CERT_URL,
    }
