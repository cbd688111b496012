"""Amazon SNS message signature verification (HTTP endpoint and SNS→Lambda events).

Per the AWS guide "Verifying the signatures of Amazon SNS messages": the string to sign is
`Key\\nValue\\n` for, in this order,
  Notification:                                Message, MessageId, Subject (if present),
                                               Timestamp, TopicArn, Type
  SubscriptionConfirmation/UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
                                               Timestamp, Token, TopicArn, Type
signed with RSA PKCS#1 v1.5 over SHA1 (SignatureVersion "1") or SHA256 ("2"). The
certificate URL is checked (https, host `sns.<region>.amazonaws.com[.cn]`, a .pem path)
*before* anything is fetched, so a forged message cannot make us fetch arbitrary URLs.
The certificate's own trust comes from fetching it over verified TLS from that host.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CertFetcher = Callable[[str], bytes]  # URL -> PEM bytes
UrlGetter = Callable[[str], None]  # GET a URL (SubscribeURL confirmation)

_HOST: Final = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_MAX_CERT_BYTES: Final = 16 * 1024
_CERT_CACHE_SIZE: Final = 16
_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_HASHES: Final[Mapping[str, Callable[[], hashes.HashAlgorithm]]] = {
    "1": hashes.SHA1,
    "2": hashes.SHA256,
}


class SignatureError(Exception):
    """The message is not provably from SNS (→ 403). The text names the reason, no secrets."""


def is_sns_url(url: str, *, path_suffix: str = "") -> bool:
    """https, host `sns.<region>.amazonaws.com` (or .com.cn), default port, no credentials."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.username is None
        and port in (None, 443)
        and bool(_HOST.match(parts.hostname or ""))
        and parts.path.endswith(path_suffix)
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
        raise SignatureError("unknown SNS message Type")
    lines = []
    for key in fields:
        value = message.get(key)
        if value is None and key == "Subject":
            continue  # optional, and only for notifications
        if not isinstance(value, str):
            raise SignatureError(f"SNS message without {key}")
        lines.append(f"{key}\n{value}\n")
    return "".join(lines).encode()


def fetch_certificate(url: str, timeout: float = 5.0) -> bytes:
    """The default fetcher: urllib over https with certificate verification, bounded size."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # only called on is_sns_url
        body = bytes(response.read(_MAX_CERT_BYTES + 1))
    if len(body) > _MAX_CERT_BYTES:
        raise SignatureError("signing certificate too large")
    return body


def get_url(url: str, timeout: float = 5.0) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read(64 * 1024)


class SnsVerifier:
    """Verifies SNS messages; certificates are cached per URL (a small per-instance cache)."""

    def __init__(
        self,
        *,
        fetch: CertFetcher = fetch_certificate,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        topic_arns: frozenset[str] = frozenset(),
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._topic_arns = topic_arns
        self._certs: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def verify(self, message: Mapping[str, object]) -> None:
        """Raise `SignatureError` unless `message` carries a valid SNS signature."""
        version = str(message.get("SignatureVersion", ""))
        algorithm = _HASHES.get(version)
        if algorithm is None:
            raise SignatureError("unsupported SignatureVersion")
        if self._topic_arns and message.get("TopicArn") not in self._topic_arns:
            raise SignatureError("TopicArn not allowed")
        cert_url = message.get("SigningCertURL")
        if not isinstance(cert_url, str) or not is_sns_url(cert_url, path_suffix=".pem"):
            raise SignatureError("SigningCertURL is not an https sns.<region>.amazonaws.com URL")
        payload = string_to_sign(message)
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("Signature is not base64") from None
        cert = self._certificate(cert_url)
        now = self._clock()
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise SignatureError("signing certificate is expired or not yet valid")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("signing certificate does not hold an RSA key")
        try:
            key.verify(signature, payload, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise SignatureError("signature does not match") from None

    def _certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            cached = self._certs.get(url)
        if cached is not None:
            return cached
        try:
            cert = x509.load_pem_x509_certificate(self._fetch(url))
        except SignatureError:
            raise
        except (OSError, ValueError) as exc:
            raise SignatureError(
                f"cannot load signing certificate ({type(exc).__name__})"
            ) from None
        with self._lock:
            if len(self._certs) >= _CERT_CACHE_SIZE:
                self._certs.clear()
            self._certs[url] = cert
        return cert
