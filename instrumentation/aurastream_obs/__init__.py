"""AuraStream observability on OpenTelemetry (placeholder during bootstrap)."""
