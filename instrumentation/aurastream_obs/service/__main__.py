"""Run the reference service: `python -m aurastream_obs.service [--host H] [--port P]`.

Telemetry is configured from the environment (`configure()`), the app is served by uvicorn;
SIGTERM (a container stop) drains in-flight requests, and the lifespan shutdown sends the
last spans, logs and metrics before the process exits.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aurastream_obs.service",
        description="Serve the AuraStream reference API with telemetry.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    args = parser.parse_args(argv)

    import aurastream_obs
    from aurastream_obs.service import create_app, serve

    aurastream_obs.configure()
    serve(args.host, args.port, create_app())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
