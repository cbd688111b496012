"""The seed's log categories as data: retention, sensitivity and minimum level per category.

A log line carries its category in the `category` field; the collector (or the render step
that writes CloudWatch log groups) routes each category to its own log group with the
retention below.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from aurastream_obs.core.records import Record

DEFAULT_CATEGORY: Final = "application"

# CloudWatch Logs accepts only these RetentionInDays values (PutRetentionPolicy API).
CLOUDWATCH_RETENTION_DAYS: Final = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
     2192, 2557, 2922, 3288, 3653}
)  # fmt: skip


class LogCategory(Record, frozen=True):
    """One log category. `level` is a stdlib level name ("INFO")."""

    name: str
    retention_days: int
    sensitive: bool
    level: str = "INFO"

    def __post_init__(self) -> None:
        if self.retention_days not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(
                f"{self.name}: {self.retention_days} is not a CloudWatch retention value"
            )


# "7 years": the seed writes RetentionInDays 2555, which CloudWatch rejects; 2557 is the
# allowed value for 7 years (7 * 365 + 2 leap days), so nothing is deleted before 7 years.
_SEVEN_YEARS: Final = 2557

LOG_CATEGORIES: Final[Mapping[str, LogCategory]] = MappingProxyType(
    {
        c.name: c
        for c in (
            LogCategory("security", _SEVEN_YEARS, sensitive=True),
            LogCategory("audit", _SEVEN_YEARS, sensitive=True),
            LogCategory("application", 30, sensitive=False),
            LogCategory("performance", 90, sensitive=False),
            LogCategory("business", 365, sensitive=True),
        )
    }
)


# One CloudWatch log group per category and environment; the collector's awscloudwatchlogs
# exporters, the ECS task role and the log group definitions all derive names from here.
LOG_GROUP_PATTERN: Final = "/aurastream/{environment}/{category}"


def log_group_name(category: str, environment: str) -> str:
    """`/aurastream/<environment>/<category>` (environment may be a `${env:...}` reference)."""
    return LOG_GROUP_PATTERN.format(environment=environment, category=category)
