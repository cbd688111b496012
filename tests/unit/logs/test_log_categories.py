from __future__ import annotations

import pytest

from aurastream_obs.core.log_categories import CLOUDWATCH_RETENTION_DAYS
from aurastream_obs.core.records import FrozenRecordError
from aurastream_obs.logs import DEFAULT_CATEGORY, LOG_CATEGORIES, LogCategory


def test_seed_categories_with_retention_and_sensitivity() -> None:
    summary = {n: (c.retention_days, c.sensitive, c.level) for n, c in LOG_CATEGORIES.items()}
    assert summary == {
        "security": (2557, True, "INFO"),
        "audit": (2557, True, "INFO"),
        "application": (30, False, "INFO"),
        "performance": (90, False, "INFO"),
        "business": (365, True, "INFO"),
    }
    assert all(name == c.name for name, c in LOG_CATEGORIES.items())


def test_every_retention_is_a_cloudwatch_value_and_the_seeds_2555_is_not() -> None:
    assert all(c.retention_days in CLOUDWATCH_RETENTION_DAYS for c in LOG_CATEGORIES.values())
    with pytest.raises(ValueError, match="2555"):
        LogCategory("audit", 2555, sensitive=True)


def test_default_category_exists_and_data_is_immutable() -> None:
    assert DEFAULT_CATEGORY in LOG_CATEGORIES
    with pytest.raises(TypeError):
        LOG_CATEGORIES["debug"] = LogCategory("debug", 1, sensitive=False)  # type: ignore[index]
    with pytest.raises(FrozenRecordError):
        LOG_CATEGORIES["audit"].retention_days = 1  # type: ignore[misc]
