"""modes.local."""
