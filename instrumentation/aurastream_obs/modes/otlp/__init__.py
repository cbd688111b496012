"""modes.otlp."""
