"""AWS list prices the cost model uses, as data: each with its unit, the public page it comes
from and the date it was read. US East (N. Virginia), first pricing tier, no free tier.

Where the operators' guide (CostMonitor.track_cost_by_customer) priced differently, the price
here is the current one for what the stack deploys, and the reason is noted: the API is an
HTTP API ($1.00 per million, not the REST API's $3.50); DynamoDB on-demand throughput was cut
by half on 2024-11-01; Comprehend bills 100-character units with a 3-unit minimum per request,
not characters. A `--prices FILE` (JSON: {"key": usd, ...}) overrides any of them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from aurastream_obs.ops.analytics.jsonfile import read_overrides

AS_OF: Final = "2026-12-07"
LAMBDA_PAGE: Final = "https://aws.amazon.com/lambda/pricing/"
API_GATEWAY_PAGE: Final = "https://aws.amazon.com/api-gateway/pricing/"
DYNAMODB_PAGE: Final = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
COMPREHEND_PAGE: Final = "https://aws.amazon.com/comprehend/pricing/"
S3_PAGE: Final = "https://aws.amazon.com/s3/pricing/"
CLOUDWATCH_PAGE: Final = "https://aws.amazon.com/cloudwatch/pricing/"
XRAY_PAGE: Final = "https://aws.amazon.com/xray/pricing/"


@dataclass(frozen=True)
class Price:
    key: str
    service: str
    usd: float
    unit: str
    source: str
    as_of: str = AS_OF
    note: str = ""


PRICE_LIST: Final[tuple[Price, ...]] = (
    Price("lambda_request", "Lambda", 0.20 / 1e6, "request", LAMBDA_PAGE),
    Price("lambda_gb_second", "Lambda", 0.0000166667, "GB-second (x86)", LAMBDA_PAGE),
    Price("api_request", "API Gateway", 1.00 / 1e6, "HTTP API request", API_GATEWAY_PAGE,
          note="HTTP API, first 300 million; the guide priced a REST API ($3.50/M)"),
    Price("dynamodb_read", "DynamoDB", 0.125 / 1e6, "read request unit", DYNAMODB_PAGE,
          note="on-demand since 2024-11-01; the guide's $0.25/M predates the cut"),
    Price("dynamodb_write", "DynamoDB", 0.625 / 1e6, "write request unit", DYNAMODB_PAGE),
    Price("comprehend_unit", "Comprehend", 0.0001, "unit of 100 characters", COMPREHEND_PAGE,
          note="DetectSentiment; 3-unit minimum per request (the guide said per character)"),
    Price("s3_gb_month", "S3", 0.023, "GB-month, S3 Standard", S3_PAGE),
    Price("s3_ia_gb_month", "S3", 0.0125, "GB-month, S3 Standard-IA", S3_PAGE),
    Price("s3_glacier_gb_month", "S3", 0.0036, "GB-month, S3 Glacier Flexible Retrieval",
          S3_PAGE),
    Price("s3_put", "S3", 0.005 / 1000, "PUT/COPY/POST/LIST request", S3_PAGE),
    Price("cloudwatch_metric_month", "CloudWatch", 0.30, "custom metric-month (first 10,000)",
          CLOUDWATCH_PAGE),
    Price("cloudwatch_logs_ingest_gb", "CloudWatch", 0.50, "GB ingested (Standard logs)",
          CLOUDWATCH_PAGE),
    Price("cloudwatch_logs_gb_month", "CloudWatch", 0.03, "GB-month stored (compressed)",
          CLOUDWATCH_PAGE),
    Price("xray_trace", "X-Ray", 5.00 / 1e6, "trace recorded", XRAY_PAGE),
)  # fmt: skip


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, Price]
    source: str = "built-in list prices"

    def __getitem__(self, key: str) -> float:
        return self.prices[key].usd

    def rows(self) -> list[Price]:
        return list(self.prices.values())


DEFAULT_PRICES: Final = PriceTable({p.key: p for p in PRICE_LIST})


def load_prices(path: str | os.PathLike[str]) -> PriceTable:
    """The built-in table with the JSON file's {"key": usd} overrides (noted as the source)."""
    document = read_overrides(path, "prices", DEFAULT_PRICES.prices)
    try:
        overrides = {
            key: replace(DEFAULT_PRICES.prices[key], usd=float(usd), source=os.fspath(path),
                         note="override")
            for key, usd in document.items()
        }  # fmt: skip
    except (ValueError, TypeError) as error:
        raise ValueError(f"prices {os.fspath(path)}: {error}") from error
    return PriceTable({**DEFAULT_PRICES.prices, **overrides}, f"{os.fspath(path)} over list prices")
