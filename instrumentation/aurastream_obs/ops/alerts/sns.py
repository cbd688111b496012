"""Amazon SNS message verification (HTTP endpoint and SNS→Lambda events).

Per the AWS guide "Verifying the signatures of Amazon SNS messages": the string to sign is
`Key\\nValue\\n` for, in this order,
  Notification:                                Message, MessageId, Subject (if present),
                                               Timestamp, TopicArn, Type
  SubscriptionConfirmation/UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
                                               Timestamp, Token, TopicArn, Type
signed with RSA PKCS#1 v1.5 over SHA1 (SignatureVersion "1") or SHA256 ("2").

Cheap checks come first and nothing is fetched before they pass: the Type, the TopicArn
(allow-list; none configured refuses everything), the SignatureVersion, the Timestamp (at most
`SNS_MAX_AGE_S` old — SNS stops retrying an HTTP/S delivery after 3,600 s, a hard limit — and
at most `FUTURE_SKEW_S` ahead), and the SigningCertURL: https, host `sns.<region>.amazonaws.com`
(or .com.cn) of the topic's own region, default port, path `/SimpleNotificationService-<id>.pem`.
The certificate is cached by that URL normalised (query and fragment dropped, host
lower-cased), so `...pem?x=1` is the same certificate, not another fetch. Its trust comes from
fetching it over verified TLS from AWS's host.

The test seam is `fetch` (URL -> PEM bytes): tests serve a local certificate, or moto's
(`moto_sns_certificates` in tests/support/cloudwatch_alarms.py), for a URL that passed the same
checks as in production; the URL checks themselves are never relaxed.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from aurastream_obs.ops.alerts.ledger import ExpiringStore

CertFetcher = Callable[[str], bytes]  # URL -> PEM bytes
UrlGetter = Callable[[str], None]  # GET a URL (SubscribeURL confirmation)

SNS_MAX_AGE_S: Final = 3600.0
FUTURE_SKEW_S: Final = 60.0
_HOST: Final = re.compile(r"^sns\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
_CERT_PATH: Final = re.compile(r"^/SimpleNotificationService-[A-Za-z0-9]{1,64}\.pem$")
_ARN: Final = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_.-]{1,256}$"
)
_MAX_CERT_BYTES: Final = 16 * 1024
_CERT_CACHE_SIZE: Final = 16
# Uncached fetches: a URL that failed is not fetched again for a while, and at most a few
# fetches a minute in all: forged messages naming ever new `SimpleNotificationService-<x>.pem`
# cost one fetch each otherwise (SNS signs with one certificate per region at a time).
FAILED_FETCH_HOLD_S: Final = 30.0
MAX_FETCHES_PER_MINUTE: Final = 10
_FAILED_URLS_KEPT: Final = 256
FETCH_TIMEOUT_S: Final = 3.0
_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
_HASHES: Final[Mapping[str, Callable[[], hashes.HashAlgorithm]]] = {
    "1": hashes.SHA1,
    "2": hashes.SHA256,
}


class SignatureError(Exception):
    """The message is not provably from SNS, or not now (→ 403). The text names the reason,
    no secrets; `reason` is a short label for the metrics."""

    def __init__(self, message: str, reason: str = "signature") -> None:
        super().__init__(message)
        self.reason = reason


class CertificateUnavailable(SignatureError):
    """The signing certificate cannot be had now (the fetch failed, or too many uncached
    fetches of late): no verdict on the message (→ 503 + Retry-After). SNS retries server-side
    errors, while a 4xx ends the delivery: a network blip must never become a 403 and lose a
    page."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "certificate_unavailable")


def sns_region(url: str) -> str | None:
    """The region of an https `sns.<region>.amazonaws.com[.cn]` URL on the default port
    without credentials; None for anything else."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    match = _HOST.match(parts.hostname or "")
    if parts.scheme != "https" or parts.username is not None or port not in (None, 443):
        return None
    return match.group(1) if match else None


def is_sns_url(url: str, *, path_suffix: str = "") -> bool:
    """https, host `sns.<region>.amazonaws.com` (or .com.cn), default port, no credentials."""
    return sns_region(url) is not None and urllib.parse.urlsplit(url).path.endswith(path_suffix)


def certificate_url(url: object, region: str) -> str:
    """The normalised SigningCertURL (`https://<host>/<path>`), or SignatureError."""
    if not isinstance(url, str) or sns_region(url) != region:
        raise SignatureError(
            "SigningCertURL is not an https sns.<region>.amazonaws.com URL of the topic's region",
            "certificate_url",
        )
    parts = urllib.parse.urlsplit(url)
    if not _CERT_PATH.match(parts.path):
        raise SignatureError("SigningCertURL path is not an SNS certificate", "certificate_url")
    return f"https://{(parts.hostname or '').lower()}{parts.path}"


def topic_region(arn: object) -> str | None:
    match = _ARN.match(arn) if isinstance(arn, str) else None
    return match.group(1) if match else None


def subscribe_url_ok(message: Mapping[str, object]) -> bool:
    """A SubscribeURL worth following: https SNS of the topic's region, `Action=
    ConfirmSubscription` for the message's own topic (nothing else is ever fetched)."""
    url, arn = message.get("SubscribeURL"), message.get("TopicArn")
    if not isinstance(url, str) or sns_region(url) != topic_region(arn):
        return False
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    return (
        parts.path in ("", "/")
        and query.get("Action") == ["ConfirmSubscription"]
        and query.get("TopicArn") == [arn]
    )


def normalize_lambda_record(sns: Mapping[str, object]) -> dict[str, object]:
    """An SNS→Lambda `Records[].Sns` object in the HTTP-endpoint shape (its URL keys are
    spelled `SigningCertUrl`/`UnsubscribeUrl`, and `Subject` may be null)."""
    out = dict(sns)
    if "SigningCertUrl" in out and "SigningCertURL" not in out:
        out["SigningCertURL"] = out.pop("SigningCertUrl")
    if out.get("Subject") is None:
        out.pop("Subject", None)
    return out


def string_to_sign(message: Mapping[str, object]) -> bytes:
    fields = _FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise SignatureError("unknown SNS message Type", "type")
    lines = []
    for key in fields:
        value = message.get(key)
        if value is None and key == "Subject":
            continue  # optional, and only for notifications
        if not isinstance(value, str):
            raise SignatureError(f"SNS message without {key}", "malformed")
        lines.append(f"{key}\n{value}\n")
    return "".join(lines).encode()


def parse_timestamp(value: object) -> datetime | None:
    """SNS's `2012-04-26T20:45:04.751Z` (any ISO 8601 with a zone); None when unreadable."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def fetch_certificate(url: str, timeout: float = FETCH_TIMEOUT_S) -> bytes:
    """The default fetcher: urllib over https with certificate verification, bounded size."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # only checked URLs
        body = bytes(response.read(_MAX_CERT_BYTES + 1))
    if len(body) > _MAX_CERT_BYTES:
        raise SignatureError("signing certificate too large", "certificate")
    return body


def get_url(url: str, timeout: float = FETCH_TIMEOUT_S) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read(64 * 1024)


class SnsVerifier:
    """Verifies SNS messages; certificates are cached per normalised URL (at most 16)."""

    def __init__(
        self,
        *,
        fetch: CertFetcher = fetch_certificate,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        topic_arns: frozenset[str] = frozenset(),
        max_age_s: float = SNS_MAX_AGE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._monotonic = monotonic
        # URLs whose fetch failed, each kept FAILED_FETCH_HOLD_S (the store expires them).
        self._failed: ExpiringStore[str, bool] = ExpiringStore(
            FAILED_FETCH_HOLD_S, _FAILED_URLS_KEPT, monotonic
        )
        self._fetched_at: deque[float] = deque()  # uncached fetch attempts, last minute
        self.topic_arns = topic_arns
        self.max_age_s = max_age_s
        self._certs: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._lock = threading.Lock()
        self._fetch_lock = threading.Lock()  # one fetch at a time: a miss never stampedes

    def verify(self, message: Mapping[str, object]) -> None:
        """Raise `SignatureError` unless `message` is a fresh message SNS signed for one of
        the allowed topics."""
        if message.get("Type") not in _FIELDS:
            raise SignatureError("unknown SNS message Type", "type")
        arn = message.get("TopicArn")
        if not self.topic_arns:
            raise SignatureError("no SNS topic is allowed (AURASTREAM_SNS_TOPIC_ARNS)", "topic")
        if arn not in self.topic_arns or (region := topic_region(arn)) is None:
            raise SignatureError("TopicArn not allowed", "topic")
        algorithm = _HASHES.get(str(message.get("SignatureVersion", "")))
        if algorithm is None:
            raise SignatureError("unsupported SignatureVersion", "signature_version")
        self._check_fresh(message.get("Timestamp"))
        message_id = message.get("MessageId")
        if not isinstance(message_id, str) or not 0 < len(message_id) <= 100:
            raise SignatureError("SNS message without a MessageId", "malformed")
        cert_url = certificate_url(message.get("SigningCertURL"), region)
        payload = string_to_sign(message)
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("Signature is not base64") from None
        if not 64 <= len(signature) <= 1024:
            raise SignatureError("Signature has an impossible length")
        cert = self._certificate(cert_url)
        now = self._clock()
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise SignatureError("signing certificate is expired or not yet valid", "certificate")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("signing certificate does not hold an RSA key", "certificate")
        try:
            key.verify(signature, payload, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise SignatureError("signature does not match") from None

    def _check_fresh(self, timestamp: object) -> None:
        when = parse_timestamp(timestamp)
        if when is None:
            raise SignatureError("SNS message without a readable Timestamp", "malformed")
        age = (self._clock() - when).total_seconds()
        if age > self.max_age_s:
            raise SignatureError(f"SNS message older than {self.max_age_s:g} s", "stale")
        if age < -FUTURE_SKEW_S:
            raise SignatureError("SNS message from the future", "stale")

    def _may_fetch(self, url: str) -> None:
        """Called under the fetch lock, before an uncached fetch."""
        if self._failed.get(url):
            raise CertificateUnavailable("signing certificate fetch failed moments ago")
        now = self._monotonic()
        while self._fetched_at and now - self._fetched_at[0] >= 60.0:
            self._fetched_at.popleft()
        if len(self._fetched_at) >= MAX_FETCHES_PER_MINUTE:
            raise CertificateUnavailable("too many signing certificate fetches this minute")
        self._fetched_at.append(now)

    def _certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            cached = self._certs.get(url)
            if cached is not None:
                self._certs.move_to_end(url)
                return cached
        with self._fetch_lock:
            with self._lock:
                cached = self._certs.get(url)
            if cached is not None:
                return cached
            self._may_fetch(url)
            try:
                cert = x509.load_pem_x509_certificate(self._fetch(url))
            except SignatureError:
                raise
            except (OSError, ValueError) as exc:  # unreachable, an HTTP error, not a PEM
                self._failed.put(url, True)
                raise CertificateUnavailable(
                    f"cannot load signing certificate ({type(exc).__name__})"
                ) from None
            with self._lock:
                self._certs[url] = cert
                while len(self._certs) > _CERT_CACHE_SIZE:
                    self._certs.popitem(last=False)
        return cert
