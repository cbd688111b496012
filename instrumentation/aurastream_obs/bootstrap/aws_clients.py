"""AWS SDK calls as CLIENT spans in every mode: the upstream botocore instrumentation
(opentelemetry-instrumentation-botocore), applied only once botocore is imported.

Every boto3/botocore call (Comprehend, DynamoDB, any other) becomes a span with
`rpc.system=aws-api`, `rpc.service`, `rpc.method`, `cloud.region`, `aws.request_id`,
`http.response.status_code`, the `aws.dynamodb.*` attributes semconv defines, the retry count
and an ERROR status on a failed call; the X-Ray header is injected into the request so AWS
services continue the trace. In lambda mode the spans become X-Ray subsegments with
`namespace: aws` (modes/awslambda/xray.py), so the service map shows the services as nodes.

Cold start: importing the instrumentation imports botocore (≈100 ms) plus ≈40 ms of its own
(measured: bench/README.md). A function that never imports boto3 must not pay for either, so
nothing is imported here until botocore is: an import hook (`sys.meta_path`, no `wrapt`, no
`importlib.abc`) instruments right after `botocore.client` finishes loading.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

_log = logging.getLogger("aurastream_obs")
_TRIGGER = "botocore.client"
_INSTRUMENTATION = "opentelemetry.instrumentation.botocore"


def _initializing(name: str) -> bool:
    module = sys.modules.get(name)
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def trace_aws_clients(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument botocore now if it is loaded, else as soon as it is imported."""

    def instrument() -> None:
        if _initializing(_INSTRUMENTATION):
            # botocore is being imported by the instrumentation package itself (e.g.
            # opentelemetry-instrument loading its entry point): its importer instruments
            # once the package is loaded; importing it here would be circular.
            return
        try:
            from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

            from aurastream_obs.propagation.propagators import XRayPropagator

            instrumentor = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
            if instrumentor.is_instrumented_by_opentelemetry:
                return
            instrumentor.instrument(
                tracer_provider=tracer_provider,
                meter_provider=meter_provider,
                propagator=XRayPropagator(),
                skip_dep_check=True,  # no importlib.metadata scan: botocore is loaded
            )
        except Exception:  # noqa: BLE001 - an instrumentation failure never breaks the app
            _log.warning("aurastream_obs: AWS SDK calls are not traced", exc_info=True)

    if _TRIGGER in sys.modules:
        instrument()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(_TRIGGER, instrument))


class _AfterImport:
    """A meta path finder that runs `callback` once module `name` has been executed."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.name = name
        self.callback = callback

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _ThenCall(spec.loader, self._done)  # type: ignore[assignment]
                return spec
        return None

    def _done(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        self.callback()


class _ThenCall:
    """Delegates to the real loader; calls `after` once the module has executed."""

    def __init__(self, loader: Any, after: Callable[[], None]) -> None:
        self._loader = loader
        self._after = after

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._after()

    def __getattr__(self, name: str) -> Any:  # get_source, is_package... for tracebacks
        return getattr(self._loader, name)
