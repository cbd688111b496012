"""Every `${env:VAR}` the collector configs use: meaning and default, documented once.

The configs write `${env:VAR:-default}` (collector confmap syntax) with the default below; the
validator rejects a placeholder that is not in this table or whose default differs, and the
README "Collector placeholders" section carries the same table (tests check it).

`test_value` is the documented test environment: what `aurastream-obs validate` sets when the
real collector binary checks the configs (artifacts/collector_configs/otelcol.py), and what the
end-to-end tests start from before pointing every endpoint at loopback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Placeholder:
    name: str
    meaning: str
    default: str
    test_value: str

    @property
    def ref(self) -> str:
        """The confmap reference with its default, as written into the configs."""
        return f"${{env:{self.name}:-{self.default}}}" if self.default else f"${{env:{self.name}}}"


AWS_REGION: Final = Placeholder(
    "AWS_REGION",
    "Region of X-Ray, CloudWatch, CloudWatch Logs and AMP.",
    "us-east-1",
    "us-east-1",
)
ENVIRONMENT: Final = Placeholder(
    "AURASTREAM_ENVIRONMENT",
    "Deployment environment: log group prefix /aurastream/<env>/<category> and "
    "deployment.environment.name when the SDK did not set it.",
    "dev",
    "test",
)
AMP_WORKSPACE_ID: Final = Placeholder(
    "AURASTREAM_AMP_WORKSPACE_ID",
    "Amazon Managed Prometheus workspace id (output WorkspaceId of deploy/amp). The default "
    "is deliberately invalid: remote write fails loudly in the collector log until it is set.",
    "ws-unset",
    "ws-test",
)
GATEWAY_ENDPOINT: Final = Placeholder(
    "AURASTREAM_GATEWAY_ENDPOINT",
    "OTLP/gRPC address of the gateway tier that sidecars forward traces to.",
    "aurastream-otel-gateway.observability.svc.cluster.local:4317",
    "127.0.0.1:4317",
)
GATEWAY_PEERS: Final = Placeholder(
    "AURASTREAM_GATEWAY_PEERS",
    "DNS name resolving to every gateway replica (headless Service) for the loadbalancing "
    "exporter.",
    "aurastream-otel-gateway-peers.observability.svc.cluster.local",
    "localhost",
)

PLACEHOLDERS: Final[dict[str, Placeholder]] = {
    p.name: p for p in (AWS_REGION, ENVIRONMENT, AMP_WORKSPACE_ID, GATEWAY_ENDPOINT, GATEWAY_PEERS)
}


def documented_test_env() -> dict[str, str]:
    """Every placeholder at its documented test value."""
    return {p.name: p.test_value for p in PLACEHOLDERS.values()}


def readme_table() -> str:
    """The Markdown table the README "Collector placeholders" section carries."""
    rows = [
        "| Variable | Default | Test value | Meaning |",
        "| --- | --- | --- | --- |",
        *(
            f"| `{p.name}` | `{p.default}` | `{p.test_value}` | {p.meaning} |"
            for p in PLACEHOLDERS.values()
        ),
    ]
    return "\n".join(rows) + "\n"
