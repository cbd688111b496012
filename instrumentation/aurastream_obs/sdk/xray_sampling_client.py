"""The X-Ray sampling API, GetSamplingRules and GetSamplingTargets, over plain HTTP.

The calls go to a local proxy that signs them with the task's credentials and forwards them to
X-Ray: the collector's `awsproxy` extension or the X-Ray daemon, both on TCP port 2000 by
default, both serving the API's own paths (`POST /GetSamplingRules`, `POST /SamplingTargets`)
and JSON bodies. X-Ray's public endpoint itself wants SigV4-signed requests, which this client
does not sign. http.client only (no `requests`): one short-lived connection per call, a bounded
time per socket operation and per response, a bounded response size. Every failure (refused,
timed out, an HTTP error status, a body that is not the API's JSON) is one `SamplingApiError`.
"""

from __future__ import annotations

import http.client
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeGuard
from urllib.parse import urlsplit

RULES_PATH: Final = "/GetSamplingRules"
TARGETS_PATH: Final = "/SamplingTargets"
DEFAULT_TIMEOUT_S: Final = 5.0
MAX_RESPONSE_BYTES: Final = 1 << 20
MAX_RULE_PAGES: Final = 20  # NextToken pages followed (X-Ray accounts hold few rules)
MAX_STATISTICS: Final = 25  # SamplingStatisticsDocuments per GetSamplingTargets request
# SamplingRule keys the rules loader reads (core/sampling_rules.py); others, such as
# SamplingRateBoost (adaptive sampling, not supported here), are left out.
RULE_KEYS: Final = frozenset(
    {
        *("RuleName", "Priority", "ReservoirSize", "FixedRate", "ServiceName", "ServiceType"),
        *("Host", "HTTPMethod", "URLPath", "ResourceARN", "Attributes"),
    }
)

# POST path and JSON body -> the response body; raises SamplingApiError.
Transport = Callable[[str, bytes], bytes]


class SamplingApiError(Exception):
    """A GetSamplingRules or GetSamplingTargets call that gave nothing usable."""


@dataclass(frozen=True)
class SamplingTarget:
    """A SamplingTargetDocument: the quota X-Ray gives this client for one rule."""

    rule_name: str
    fixed_rate: float
    reservoir_quota: int
    quota_ttl: float | None  # epoch seconds; None: no quota (the fixed rate only)
    interval_s: float | None  # when X-Ray wants the next statistics report


@dataclass(frozen=True)
class TargetsResponse:
    targets: tuple[SamplingTarget, ...]
    last_rule_modification: float  # epoch seconds; 0.0 when absent
    unprocessed: tuple[str, ...]  # "rule: ErrorCode Message" of UnprocessedStatistics


class HttpTransport:
    """POSTs JSON to `endpoint` + path (a base path in the endpoint is kept)."""

    def __init__(self, endpoint: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        url = urlsplit(endpoint)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port or (443 if self._https else 80)
        self._base = url.path.rstrip("/")
        self._timeout_s = timeout_s

    def __call__(self, path: str, body: bytes) -> bytes:
        deadline = time.monotonic() + self._timeout_s
        connection_class = (
            http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        )
        connection = connection_class(self._host, self._port, timeout=self._timeout_s)
        try:
            headers = {"Content-Type": "application/json"}
            connection.request("POST", self._base + path, body, headers)
            response = connection.getresponse()
            data = _read_bounded(response, deadline)
        except (OSError, http.client.HTTPException) as exc:
            raise SamplingApiError(f"{path}: {type(exc).__name__}: {exc}") from None
        finally:
            connection.close()
        if response.status != 200:
            raise SamplingApiError(f"{path}: HTTP {response.status} {data[:200]!r}")
        return data


def _read_bounded(response: http.client.HTTPResponse, deadline: float) -> bytes:
    # read1: at most one socket read per call (each bounded by the socket timeout), so a
    # peer sending a byte at a time cannot stretch the call past the deadline.
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise SamplingApiError(f"response over {MAX_RESPONSE_BYTES} bytes")
        if time.monotonic() > deadline:
            raise SamplingApiError("response too slow")
        chunks.append(chunk)
    return b"".join(chunks)


def _call(transport: Transport, path: str, request: Mapping[str, object]) -> dict[str, Any]:
    data = transport(path, json.dumps(request, separators=(",", ":")).encode())
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SamplingApiError(f"{path}: not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise SamplingApiError(f"{path}: not a JSON object")
    return document


def fetch_rule_documents(transport: Transport) -> list[dict[str, object]]:
    """Every SamplingRule (`RULE_KEYS` only) of every page; rules of a Version other than 1
    are skipped. Raises SamplingApiError, also for an empty list (X-Ray always has Default)."""
    rules: list[dict[str, object]] = []
    token: object = None
    for _ in range(MAX_RULE_PAGES):
        page = _call(transport, RULES_PATH, {"NextToken": token} if token else {})
        records = page.get("SamplingRuleRecords")
        if not isinstance(records, list):
            raise SamplingApiError(f"{RULES_PATH}: no SamplingRuleRecords list")
        for record in records:
            rule = record.get("SamplingRule") if isinstance(record, dict) else None
            if not isinstance(rule, dict):
                raise SamplingApiError(f"{RULES_PATH}: a record without a SamplingRule")
            if rule.get("Version", 1) == 1:
                rules.append({k: v for k, v in rule.items() if k in RULE_KEYS})
        token = page.get("NextToken")
        if not token or not isinstance(token, str):
            break
    if not rules:
        raise SamplingApiError(f"{RULES_PATH}: no rules")
    return rules


def fetch_targets(
    transport: Transport, statistics: Sequence[Mapping[str, object]]
) -> TargetsResponse:
    """Report `statistics` (SamplingStatisticsDocuments, sent `MAX_STATISTICS` a request)
    and return the targets X-Ray gives back. Raises SamplingApiError if any request fails."""
    targets: list[SamplingTarget] = []
    unprocessed: list[str] = []
    modified = 0.0
    for start in range(0, len(statistics), MAX_STATISTICS):
        batch = list(statistics[start : start + MAX_STATISTICS])
        page = _call(transport, TARGETS_PATH, {"SamplingStatisticsDocuments": batch})
        documents = page.get("SamplingTargetDocuments")
        if not isinstance(documents, list):
            raise SamplingApiError(f"{TARGETS_PATH}: no SamplingTargetDocuments list")
        targets += [t for t in map(_target, documents) if t is not None]
        when = page.get("LastRuleModification")
        if _is_number(when) and when > modified:
            modified = float(when)
        for item in page.get("UnprocessedStatistics") or ():
            if isinstance(item, dict):
                unprocessed.append(
                    f"{item.get('RuleName')}: {item.get('ErrorCode')} {item.get('Message')}"
                )
    return TargetsResponse(tuple(targets), modified, tuple(unprocessed))


def _target(document: object) -> SamplingTarget | None:
    """A SamplingTargetDocument, or None when it is not one (then skipped)."""
    if not isinstance(document, dict):
        return None
    name, rate = document.get("RuleName"), document.get("FixedRate", 0.0)
    quota = document.get("ReservoirQuota") or 0
    ttl, interval = document.get("ReservoirQuotaTTL"), document.get("Interval")
    if (
        not isinstance(name, str)
        or not name
        or not _is_number(rate)
        or not 0.0 <= rate <= 1.0
        or not isinstance(quota, int)
        or isinstance(quota, bool)
        or quota < 0
        or not (ttl is None or _is_number(ttl))
        or not (interval is None or (_is_number(interval) and interval > 0))
    ):
        return None
    return SamplingTarget(
        name,
        float(rate),
        quota,
        None if ttl is None else float(ttl),
        None if interval is None else float(interval),
    )


def _is_number(value: object) -> TypeGuard[float]:
    """A finite JSON number (not a bool, not NaN or Infinity, which Python's json accepts)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
