"""http_server."""
