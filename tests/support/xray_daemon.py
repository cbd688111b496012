"""A local UDP socket standing in for the X-Ray daemon, with the lambda-mode environment that
points at it (tests of the Lambda mode's real X-Ray path)."""

from __future__ import annotations

import socket


def xray_daemon(timeout_s: float, function: str = "fn") -> tuple[socket.socket, dict[str, str]]:
    """(the bound socket, {AWS_LAMBDA_FUNCTION_NAME, AWS_XRAY_DAEMON_ADDRESS}); close it."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(timeout_s)
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
    }
    return daemon, env
