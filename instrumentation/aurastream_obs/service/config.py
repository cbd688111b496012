"""Environment variables of the reference service, one documented constant each.

Read only by the `*_from_env()` factories (called from `create_app()` when a collaborator is
not injected), never at import time, with the library's readers (`env_str`, `env_float`,
`warn_invalid` in aurastream_obs.core.settings): blank is unset, a bad value warns once.
"""

from __future__ import annotations

from typing import Final

from aurastream_obs.core.env import EnvVar

ANALYZER = EnvVar(
    "AURASTREAM_ANALYZER",
    "Sentiment analyzer: lexicon (vaderSentiment, in-process) or comprehend (Amazon Comprehend).",
    "lexicon",
)
CACHE_TABLE = EnvVar(
    "AURASTREAM_CACHE_TABLE",
    "DynamoDB table (hash key text_hash) for the result cache; unset: in-process TTL cache.",
    "",
)
CACHE_TTL = EnvVar("AURASTREAM_CACHE_TTL_SECONDS", "Lifetime of a cached analysis.", "3600")
API_KEYS = EnvVar(
    "AURASTREAM_API_KEYS", "API keys as key1=customer_a,key2=customer_b (x-api-key header).", ""
)
API_KEYS_FILE = EnvVar(
    "AURASTREAM_API_KEYS_FILE",
    'JSON file {"key": "customer"} or {"key": {"customer_id": ..., "price_per_analysis": ...}}.',
    "",
)
PRICE = EnvVar(
    "AURASTREAM_PRICE_PER_ANALYSIS", "Default price (USD) of one billable analysis.", "0.001"
)

FLAGS_SSM_PATH = EnvVar(
    "AURASTREAM_FLAGS_SSM_PATH",
    "SSM path of the runbook flags (/aurastream/<env>): circuit-breaker, analyzer-failover, "
    "cache-warm. Unset: no flags are read.",
    "",
)
FLAGS_TTL = EnvVar(
    "AURASTREAM_FLAGS_TTL_SECONDS", "How long the runbook flags read from SSM are cached.", "10"
)
RECENT_TEXTS = EnvVar(
    "AURASTREAM_RECENT_TEXTS",
    "Most requested recent texts kept in memory (never logged) for cache warm-ups when flags "
    "are read; 0 keeps none.",
    "500",
)

SERVICE_ENV_VARS: Final[tuple[EnvVar, ...]] = (
    ANALYZER,
    CACHE_TABLE,
    CACHE_TTL,
    API_KEYS,
    API_KEYS_FILE,
    PRICE,
    FLAGS_SSM_PATH,
    FLAGS_TTL,
    RECENT_TEXTS,
)
