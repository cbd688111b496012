"""The reference AuraStream service (plain ASGI, served by uvicorn) used by the demo and tests."""

from aurastream_obs.service.analyzer import (
    AnalysisResult,
    Analyzer,
    ComprehendAnalyzer,
    LexiconAnalyzer,
    analyzer_from_env,
)
from aurastream_obs.service.app import AuraStreamService, create_app, resolve_route
from aurastream_obs.service.cache import (
    Cache,
    DynamoDBCache,
    TTLCache,
    cache_from_env,
    cache_key,
)
from aurastream_obs.service.customers import Customer, CustomerDirectory, key_fingerprint
from aurastream_obs.service.server import ServerHandle, run_in_thread, serve

__all__ = [
    "AnalysisResult",
    "Analyzer",
    "AuraStreamService",
    "Cache",
    "ComprehendAnalyzer",
    "Customer",
    "CustomerDirectory",
    "DynamoDBCache",
    "LexiconAnalyzer",
    "ServerHandle",
    "TTLCache",
    "analyzer_from_env",
    "cache_from_env",
    "cache_key",
    "create_app",
    "key_fingerprint",
    "resolve_route",
    "run_in_thread",
    "serve",
]
