"""SNS verification with a locally generated certificate (no network): signatures, the checks
that run before anything is fetched (Type, topic allow-list, SignatureVersion, freshness,
certificate URL), and the certificate cache by normalised URL."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from aurastream_obs.ops.alerts.sns import (
    FAILED_FETCH_HOLD_S,
    MAX_FETCHES_PER_MINUTE,
    CertificateUnavailable,
    SignatureError,
    SnsVerifier,
    is_sns_url,
    normalize_lambda_record,
    string_to_sign,
)
from support.sns import (
    CERT_URL,
    TOPIC,
    Signer,
    alarm_message,
    notification,
    subscribe_url,
    subscription_confirmation,
)


def verifier_for(
    pem: bytes, fetched: list[str] | None = None, *, now: datetime | None = None
) -> SnsVerifier:
    def fetch(url: str) -> bytes:
        if fetched is not None:
            fetched.append(url)
        return pem

    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return SnsVerifier(fetch=fetch, topic_arns=frozenset({TOPIC}), clock=clock)


@pytest.mark.parametrize("version", ["1", "2"])
def test_valid_signatures_pass(signer: Signer, version: str) -> None:
    message = signer.sign(notification(alarm_message()), version)
    fetched: list[str] = []
    verifier_for(signer.pem, fetched).verify(message)  # raises SignatureError when invalid
    assert fetched == [CERT_URL]  # the certificate the message names, fetched once


def test_canonical_string_follows_the_aws_field_order() -> None:
    message = {"Type": "Notification", "Message": "m", "MessageId": "i", "Subject": "s",
               "Timestamp": "t", "TopicArn": "a", "Extra": "ignored"}  # fmt: skip
    assert (
        string_to_sign(message)
        == b"Message\nm\nMessageId\ni\nSubject\ns\nTimestamp\nt\nTopicArn\na\nType\nNotification\n"
    )
    del message["Subject"]  # absent Subject is skipped, not written empty
    assert b"Subject" not in string_to_sign(message)


def test_tampered_message_fails(signer: Signer) -> None:
    message = signer.sign(notification(alarm_message()))
    message["Message"] = json.dumps(alarm_message(value=0.1))
    with pytest.raises(SignatureError, match="does not match"):
        verifier_for(signer.pem).verify(message)


def test_version_1_signature_presented_as_version_2_fails(signer: Signer) -> None:
    message = signer.sign(notification(alarm_message()), "1")
    message["SignatureVersion"] = "2"
    with pytest.raises(SignatureError):
        verifier_for(signer.pem).verify(message)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",  # not https
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",  # suffix trick
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/cert.pem",
        "https://user@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.txt",
    ],
)
def test_bad_certificate_urls_are_rejected_before_fetching(signer: Signer, url: str) -> None:
    message = signer.sign(dict(notification(alarm_message()), SigningCertURL=url))
    fetched: list[str] = []
    with pytest.raises(SignatureError, match="SigningCertURL"):
        verifier_for(signer.pem, fetched).verify(message)
    assert fetched == []


def test_china_region_host_is_accepted() -> None:
    assert is_sns_url("https://sns.cn-north-1.amazonaws.com.cn/x.pem", path_suffix=".pem")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Type": "Bogus"}, "Type"),
        ({"TopicArn": "arn:aws:sns:eu-west-1:123456789012:other-topic"}, "TopicArn"),
        ({"SignatureVersion": "3"}, "SignatureVersion"),
        ({"Timestamp": "2020-01-02T10:00:31.000Z"}, "older than 3600 s"),
        ({"Timestamp": "yesterday"}, "Timestamp"),
        ({"MessageId": ""}, "MessageId"),
        ({"SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"},
         "topic's region"),
        ({"SigningCertURL": "https://sns.eu-west-1.amazonaws.com/other/SimpleNotificationService-a.pem"},
         "path"),
        ({"Signature": ""}, "impossible length"),
        ({"Signature": "not base64!"}, "base64"),
    ],
)  # fmt: skip
def test_cheap_checks_refuse_before_fetching_anything(
    signer: Signer, change: dict[str, str], reason: str
) -> None:
    message = dict(signer.sign(notification(alarm_message())), **change)
    fetched: list[str] = []
    with pytest.raises(SignatureError, match=reason):
        verifier_for(signer.pem, fetched).verify(message)
    assert fetched == []


def test_freshness_window_and_future_skew(signer: Signer) -> None:
    sent = datetime.now(UTC).replace(microsecond=0)
    message = signer.sign(notification(alarm_message(), at=sent))
    verifier_for(signer.pem, now=sent + timedelta(minutes=59)).verify(message)
    with pytest.raises(SignatureError, match="older than 3600 s") as stale:
        verifier_for(signer.pem, now=sent + timedelta(minutes=61)).verify(message)
    assert stale.value.reason == "stale"
    verifier_for(signer.pem, now=sent - timedelta(seconds=30)).verify(message)  # clock skew
    with pytest.raises(SignatureError, match="future"):
        verifier_for(signer.pem, now=sent - timedelta(minutes=5)).verify(message)


def test_no_allowed_topic_refuses_everything(signer: Signer) -> None:
    verifier = SnsVerifier(fetch=lambda _: signer.pem)
    with pytest.raises(SignatureError, match="no SNS topic is allowed"):
        verifier.verify(signer.sign(notification(alarm_message())))


def test_a_query_string_does_not_defeat_the_certificate_cache(signer: Signer) -> None:
    """50 messages naming `...pem?x=<i>`: one fetch, of the normalised URL."""
    fetched: list[str] = []
    verifier = verifier_for(signer.pem, fetched)
    for i in range(50):
        message = notification(alarm_message(), message_id=f"m-{i}")
        message["SigningCertURL"] = f"{CERT_URL}?x={i}#frag"
        verifier.verify(signer.sign(message))
    host_upper = signer.sign(dict(notification(alarm_message()),
                                  SigningCertURL=CERT_URL.replace("sns.eu", "SNS.eu")))  # fmt: skip
    verifier.verify(host_upper)
    assert fetched == [CERT_URL]


def test_unsigned_messages_cost_no_fetch(signer: Signer) -> None:
    fetched: list[str] = []
    verifier = verifier_for(signer.pem, fetched)
    for i in range(50):
        message = dict(notification(alarm_message(), message_id=f"m-{i}"), SignatureVersion="2")
        message["SigningCertURL"] = CERT_URL.replace("-test", f"-t{i}")
        with pytest.raises(SignatureError, match="impossible length"):
            verifier.verify(message)  # no Signature at all
    assert fetched == []


def test_expired_certificate_fails(signer: Signer) -> None:
    expired = Signer(expired=True)
    message = expired.sign(notification(alarm_message()))
    with pytest.raises(SignatureError, match="expired"):
        verifier_for(expired.pem).verify(message)


def test_signature_by_another_key_fails(signer: Signer) -> None:
    other = Signer()
    message = other.sign(notification(alarm_message()))
    with pytest.raises(SignatureError, match="does not match"):
        verifier_for(signer.pem).verify(message)


def test_unknown_version_and_garbage_signature_fail(signer: Signer) -> None:
    message = signer.sign(notification(alarm_message()))
    with pytest.raises(SignatureError, match="SignatureVersion"):
        verifier_for(signer.pem).verify(dict(message, SignatureVersion="3"))
    with pytest.raises(SignatureError, match="base64"):
        verifier_for(signer.pem).verify(dict(message, Signature="***not base64***"))


def test_certificate_is_fetched_once_per_url(signer: Signer) -> None:
    fetched: list[str] = []
    verifier = verifier_for(signer.pem, fetched)
    for i in range(3):
        verifier.verify(signer.sign(notification(alarm_message(), message_id=f"m-{i}")))
    assert fetched == [CERT_URL]


def test_topic_allow_list(signer: Signer) -> None:
    verifier = SnsVerifier(fetch=lambda _: signer.pem, topic_arns=frozenset({"arn:other"}))
    with pytest.raises(SignatureError, match="TopicArn"):
        verifier.verify(signer.sign(notification(alarm_message())))


def test_subscription_confirmation_signature(signer: Signer) -> None:
    url = subscribe_url()
    message = signer.sign(subscription_confirmation(url))
    verifier_for(signer.pem).verify(message)
    with pytest.raises(SignatureError):
        verifier_for(signer.pem).verify(dict(message, SubscribeURL=url + "x"))


def test_lambda_record_shape_is_normalised_and_verifies(signer: Signer) -> None:
    signed = signer.sign(dict(notification(alarm_message()), Subject=None))
    record = dict(signed)
    record["SigningCertUrl"] = record.pop("SigningCertURL")
    normal = normalize_lambda_record(record)
    assert normal["SigningCertURL"] == CERT_URL and "Subject" not in normal
    verifier_for(signer.pem).verify(normal)
    assert base64.b64decode(str(normal["Signature"]))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_certificate_fetch_is_no_verdict_and_is_not_repeated_at_once(
    signer: Signer,
) -> None:
    """Unreachable certificate: CertificateUnavailable (the router answers 503, SNS retries),
    not a refusal; the URL is not fetched again for FAILED_FETCH_HOLD_S, then it is."""
    attempts: list[str] = []
    reachable = False

    def fetch(url: str) -> bytes:
        attempts.append(url)
        if not reachable:
            raise OSError("connection refused")
        return signer.pem

    clock = Clock()
    verifier = SnsVerifier(fetch=fetch, topic_arns=frozenset({TOPIC}), monotonic=clock)
    message = signer.sign(notification(alarm_message()))
    for _ in range(3):
        with pytest.raises(CertificateUnavailable) as caught:
            verifier.verify(message)
        assert caught.value.reason == "certificate_unavailable"
    assert attempts == [CERT_URL]
    reachable, clock.now = True, clock.now + FAILED_FETCH_HOLD_S
    verifier.verify(message)  # fetched again, verified, cached
    verifier.verify(message)
    assert attempts == [CERT_URL, CERT_URL]


def test_forged_certificate_names_cost_a_bounded_number_of_fetches(signer: Signer) -> None:
    """Signed-looking messages naming ever new `SimpleNotificationService-<x>.pem`: at most
    MAX_FETCHES_PER_MINUTE fetches a minute, whatever their number."""
    attempts: list[str] = []

    def fetch(url: str) -> bytes:
        attempts.append(url)
        raise OSError("HTTP Error 404: Not Found")

    clock = Clock()
    verifier = SnsVerifier(fetch=fetch, topic_arns=frozenset({TOPIC}), monotonic=clock)
    for i in range(50):
        message = dict(notification(alarm_message(), message_id=f"m-{i}"))
        message["SigningCertURL"] = CERT_URL.replace("-test", f"-forged{i}")
        with pytest.raises(CertificateUnavailable):
            verifier.verify(signer.sign(message))
    assert len(attempts) == MAX_FETCHES_PER_MINUTE
    clock.now += 60
    fresh = dict(notification(alarm_message()), SigningCertURL=CERT_URL.replace("-test", "-new"))
    with pytest.raises(CertificateUnavailable):
        verifier.verify(signer.sign(fresh))
    assert len(attempts) == MAX_FETCHES_PER_MINUTE + 1  # a new minute, a new budget
