"""Runs one Lambda execution environment the way the Python runtime does: a hand-written
emulator, run as a script by support/lambda_harness.py (never imported by tests), for what
AWS's emulator cannot do (Lambda's trace header, freeze: see lambda_harness.py).

Started as a fresh process per environment, with the Lambda environment variables already set
by the test. Imports the handler named by `_HANDLER` (`module.function`, found on
LAMBDA_TASK_ROOT), then serves invocations read from stdin as JSON lines:
`{"event": ..., "request_id": str, "trace_header": str|null, "timeout_ms": int}`.
Per invocation it sets `_X_AMZN_TRACE_ID`, builds a context object like the runtime's
LambdaContext, calls the handler, writes `@@END <request id>` on stdout (the runtime's END
line), then reports on stderr `@@RESULT <json>` and waits ("frozen") for the next request.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any


class LambdaContext:
    def __init__(self, request_id: str, timeout_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = (
            f"arn:aws:lambda:{os.environ['AWS_REGION']}:123456789012:function:{self.function_name}"
        )
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def report(payload: dict[str, Any]) -> None:
    sys.stderr.write("@@RESULT " + json.dumps(payload, default=str) + "\n")
    sys.stderr.flush()


def main() -> None:
    # Not a test path hack: this is the runtime's own behaviour. Lambda's bootstrap puts
    # LAMBDA_TASK_ROOT (the unpacked function code) on sys.path before importing `_HANDLER`,
    # and the folder is only known at run time (the harness sets it per environment).
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    started = time.perf_counter()
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name)
    report({"init_ms": (time.perf_counter() - started) * 1000})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("trace_header"):
            os.environ["_X_AMZN_TRACE_ID"] = request["trace_header"]
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        context = LambdaContext(request["request_id"], request.get("timeout_ms", 3000))
        outcome: dict[str, Any] = {"request_id": request["request_id"]}
        try:
            outcome["result"] = handler(request["event"], context)
        except Exception as exc:  # the runtime reports it as the invocation's error
            outcome["error_type"] = type(exc).__name__
            outcome["error_message"] = str(exc)
        sys.stdout.flush()
        sys.stdout.write(f"@@END {request['request_id']}\n")
        sys.stdout.flush()
        report(outcome)


if __name__ == "__main__":
    main()
