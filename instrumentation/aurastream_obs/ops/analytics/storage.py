"""The guide's S3 optimisations (CostOptimizer._optimize_s3_storage) for one bucket: lifecycle
policies, compression of old data, archiving of infrequently accessed data.

- `s3_lifecycle`: no rule transitions objects by age -> add one: S3 Standard-IA after 30 days
  (the class' minimum storage duration), Glacier Flexible Retrieval after 90, incomplete
  multipart uploads aborted after 7 days. Existing rules are kept (the put merges them).
- `s3_compression`: objects older than a day, not compressed (no compressed suffix, no
  Content-Encoding) -> gzip them: `<key>.gz` with Content-Encoding gzip, the original deleted
  once the copy is verified.
- `s3_archive`: objects older than 90 days still in Standard or Standard-IA -> Glacier
  Flexible Retrieval now (an in-place copy with the new storage class).

Reads are bounded (the first `MAX_SCAN` objects); every apply is bounded too (`MAX_APPLY`
objects per run, objects up to `MAX_OBJECT_BYTES`), and each is dry-run unless `--apply`."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from aurastream_obs.ops.analytics.prices import DEFAULT_PRICES, PriceTable
from aurastream_obs.ops.analytics.recommend import Recommendation

Clients = Callable[[str], Any]
MAX_SCAN: Final = 10_000
MAX_APPLY: Final = 100
MAX_OBJECT_BYTES: Final = 64 * 1024 * 1024  # compressed in memory
COMPRESS_AFTER_DAYS: Final = 1
ARCHIVE_AFTER_DAYS: Final = 90
MIN_COMPRESS_BYTES: Final = 1024
GZIP_RATIO: Final = 0.15  # JSON lines compress about 6-7x
RULE_ID: Final = "aurastream-tiering"
TIERING_RULE: Final = {
    "ID": RULE_ID,
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "Transitions": [
        {"Days": 30, "StorageClass": "STANDARD_IA"},
        {"Days": ARCHIVE_AFTER_DAYS, "StorageClass": "GLACIER"},
    ],
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}
COMPRESSED_SUFFIXES: Final = (
    ".gz", ".gzip", ".zst", ".bz2", ".xz", ".zip", ".br", ".parquet", ".orc", ".avro",
    ".png", ".jpg", ".jpeg",
)  # fmt: skip
STANDARD_CLASSES: Final = frozenset({"STANDARD", "STANDARD_IA"})


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: dt.datetime
    storage_class: str

    def age_days(self, now: dt.datetime) -> float:
        return (now - self.modified).total_seconds() / 86400


def list_objects(clients: Clients, bucket: str) -> tuple[list[StoredObject], bool]:
    """The bucket's objects (the first MAX_SCAN) and whether the listing was cut short."""
    s3 = clients("s3")
    found: list[StoredObject] = []
    kwargs: dict[str, Any] = {"Bucket": bucket}
    while True:
        page = s3.list_objects_v2(**kwargs)
        for item in page.get("Contents", []):
            found.append(StoredObject(item["Key"], int(item["Size"]), item["LastModified"],
                                      item.get("StorageClass", "STANDARD")))  # fmt: skip
            if len(found) >= MAX_SCAN:
                return found, True
        if not page.get("IsTruncated"):
            return found, False
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def lifecycle_rules(clients: Clients, bucket: str) -> list[dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        rules: list[dict[str, Any]] = clients("s3").get_bucket_lifecycle_configuration(
            Bucket=bucket
        )["Rules"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
            return []
        raise
    return rules


def _gb(size: float) -> float:
    return size / 1e9


def _objects(count: int) -> str:
    return f"{count} object" + ("" if count == 1 else "s")


def storage_recommendations(
    bucket: str,
    objects: list[StoredObject],
    rules: list[dict[str, Any]],
    now: dt.datetime,
    prices: PriceTable = DEFAULT_PRICES,
) -> list[Recommendation]:
    """The three rules over a listing (pure)."""
    recs: list[Recommendation] = []
    tiering = [r for r in rules if r.get("Status") == "Enabled" and r.get("Transitions")]
    standard = [o for o in objects if o.storage_class in STANDARD_CLASSES]
    if not tiering:
        month_old = sum(o.size for o in standard if o.age_days(now) >= 30)
        saving = _gb(month_old) * (prices["s3_gb_month"] - prices["s3_ia_gb_month"])
        recs.append(Recommendation(
            "s3_lifecycle", bucket, "no transition rule", f"rule {RULE_ID}: Standard-IA "
            f"after 30 days, Glacier after {ARCHIVE_AFTER_DAYS}, abort uploads after 7",
            f"{_objects(len(objects))}, none tiered by age; {_gb(month_old):.3f} GB are over "
            "30 days old", saving_usd_month=saving,
        ))  # fmt: skip
    plain = [
        o for o in standard
        if o.age_days(now) >= COMPRESS_AFTER_DAYS and o.size >= MIN_COMPRESS_BYTES
        and not o.key.lower().endswith(COMPRESSED_SUFFIXES)
    ]  # fmt: skip
    if plain:
        size = sum(o.size for o in plain)
        recs.append(Recommendation(
            "s3_compression", bucket, f"{_objects(len(plain))} uncompressed ({_gb(size):.3f} GB)",
            f"gzip (<key>.gz), at most {MAX_APPLY} objects per --apply",
            f"objects older than {COMPRESS_AFTER_DAYS} day without a compressed suffix; "
            f"JSON lines shrink to ~{GZIP_RATIO:.0%}",
            saving_usd_month=_gb(size) * (1 - GZIP_RATIO) * prices["s3_gb_month"],
        ))  # fmt: skip
    old = [o for o in standard if o.age_days(now) >= ARCHIVE_AFTER_DAYS]
    if old:
        size = sum(o.size for o in old)
        recs.append(Recommendation(
            "s3_archive", bucket, f"{_objects(len(old))} over {ARCHIVE_AFTER_DAYS} days in "
            f"Standard ({_gb(size):.3f} GB)", f"GLACIER, at most {MAX_APPLY} objects per --apply",
            "infrequently accessed data belongs in an archive class",
            saving_usd_month=_gb(size) * (prices["s3_gb_month"] - prices["s3_glacier_gb_month"]),
        ))  # fmt: skip
    return recs


def gather_storage(
    clients: Clients, bucket: str, now: dt.datetime, prices: PriceTable = DEFAULT_PRICES
) -> list[Recommendation]:
    objects, truncated = list_objects(clients, bucket)
    recs = storage_recommendations(bucket, objects, lifecycle_rules(clients, bucket), now, prices)
    note = f" (first {MAX_SCAN} objects)" if truncated else ""
    return [replace(r, reason=r.reason + note) for r in recs]


def _compress(s3: Any, bucket: str, key: str) -> None:
    head = s3.head_object(Bucket=bucket, Key=key)
    if head.get("ContentEncoding") or head["ContentLength"] > MAX_OBJECT_BYTES:
        return  # already encoded, or too large to rewrite in memory: left alone
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    packed = gzip.compress(body)
    s3.put_object(Bucket=bucket, Key=f"{key}.gz", Body=packed, ContentEncoding="gzip",
                  ContentType=head.get("ContentType", "application/octet-stream"))  # fmt: skip
    if s3.head_object(Bucket=bucket, Key=f"{key}.gz")["ContentLength"] == len(packed):
        s3.delete_object(Bucket=bucket, Key=key)


def apply_storage(rec: Recommendation, clients: Clients, now: dt.datetime) -> Recommendation:
    """Act on one S3 recommendation within the limits; returns it marked applied."""
    s3 = clients("s3")
    bucket = rec.target
    if rec.kind == "s3_lifecycle":
        rules = [r for r in lifecycle_rules(clients, bucket) if r.get("ID") != RULE_ID]
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [*rules, TIERING_RULE]}
        )
    elif rec.kind in ("s3_compression", "s3_archive"):
        objects, _ = list_objects(clients, bucket)
        fresh = storage_recommendations(bucket, objects, [], now)
        if not any(r.kind == rec.kind for r in fresh):
            return replace(rec, applied=True)  # nothing left to do
        age = COMPRESS_AFTER_DAYS if rec.kind == "s3_compression" else ARCHIVE_AFTER_DAYS
        todo = [
            o for o in objects
            if o.storage_class in STANDARD_CLASSES and o.age_days(now) >= age
            and (rec.kind == "s3_archive" or (o.size >= MIN_COMPRESS_BYTES
                                              and not o.key.lower().endswith(COMPRESSED_SUFFIXES)))
        ][:MAX_APPLY]  # fmt: skip
        for obj in todo:
            if rec.kind == "s3_compression":
                _compress(s3, bucket, obj.key)
            else:
                s3.copy_object(Bucket=bucket, Key=obj.key, StorageClass="GLACIER",
                               CopySource={"Bucket": bucket, "Key": obj.key},
                               MetadataDirective="COPY")  # fmt: skip
    else:
        return rec
    return replace(rec, applied=True)
