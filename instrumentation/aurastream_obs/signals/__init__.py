"""Domain signals: the seed's application and business metrics as OTel instruments."""

from aurastream_obs.signals.instruments import AuraStreamMetrics

__all__ = ["AuraStreamMetrics"]
