"""The runbook flags the reference service reads: SSM String parameters under
`/aurastream/<environment>/`, written by runbooks (`ssm.put_flag`) and by people, read by the
service with a short cache (`service/flags.py`), which the deploy templates point at that path
(`AURASTREAM_FLAGS_SSM_PATH`) and allow to read exactly these parameters. One place for their
names and values.

    circuit-breaker    "open": the service sheds the analyzer (cache misses get a 503);
                       anything else (or absent): closed
    analyzer-failover  an analyzer name ("lexicon", "comprehend"): the service analyzes with
                       it instead of its configured one; "off" (or absent): no failover
    cache-warm         any new value (the runbook writes a timestamp): the service re-analyzes
                       its most requested recent texts that are missing from the cache
"""

from __future__ import annotations

from typing import Final

CIRCUIT_BREAKER: Final = "circuit-breaker"
ANALYZER_FAILOVER: Final = "analyzer-failover"
CACHE_WARM: Final = "cache-warm"
FLAG_NAMES: Final = (CIRCUIT_BREAKER, ANALYZER_FAILOVER, CACHE_WARM)
BREAKER_OPEN: Final = "open"
BREAKER_CLOSED: Final = "closed"
FAILOVER_OFF: Final = "off"
ANALYZERS: Final = frozenset({"lexicon", "comprehend"})


def flag_path(environment: str) -> str:
    """The SSM path of an environment's flags: `/aurastream/<environment>`."""
    return f"/aurastream/{environment}"


def flag_parameter(environment: str, flag: str) -> str:
    return f"{flag_path(environment)}/{flag}"
