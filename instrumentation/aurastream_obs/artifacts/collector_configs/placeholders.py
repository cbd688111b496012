"""Every `${env:VAR}` the collector configs use: meaning and default, documented once.

The configs write `${env:VAR:-default}` (collector confmap syntax) with the default below; the
validator rejects a placeholder that is not in this table or whose default differs, and the
README "Deploying" section carries the same table (tests/unit/collector checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Placeholder:
    name: str
    meaning: str
    default: str

    @property
    def ref(self) -> str:
        """The confmap reference with its default, as written into the configs."""
        return f"${{env:{self.name}:-{self.default}}}" if self.default else f"${{env:{self.name}}}"


AWS_REGION: Final = Placeholder(
    "AWS_REGION", "Region of X-Ray, CloudWatch, CloudWatch Logs and AMP.", "us-east-1"
)
ENVIRONMENT: Final = Placeholder(
    "AURASTREAM_ENVIRONMENT",
    "Deployment environment: log group prefix /aurastream/<env>/<category> and "
    "deployment.environment.name when the SDK did not set it.",
    "dev",
)
AMP_WORKSPACE_ID: Final = Placeholder(
    "AURASTREAM_AMP_WORKSPACE_ID",
    "Amazon Managed Prometheus workspace id (output WorkspaceId of deploy/amp). The default "
    "is deliberately invalid: remote write fails loudly in the collector log until it is set.",
    "ws-unset",
)
GATEWAY_ENDPOINT: Final = Placeholder(
    "AURASTREAM_GATEWAY_ENDPOINT",
    "OTLP/gRPC address of the gateway tier that sidecars forward traces to.",
    "aurastream-otel-gateway.observability.svc.cluster.local:4317",
)
GATEWAY_PEERS: Final = Placeholder(
    "AURASTREAM_GATEWAY_PEERS",
    "DNS name resolving to every gateway replica (headless Service) for the loadbalancing "
    "exporter.",
    "aurastream-otel-gateway-peers.observability.svc.cluster.local",
)

PLACEHOLDERS: Final[dict[str, Placeholder]] = {
    p.name: p for p in (AWS_REGION, ENVIRONMENT, AMP_WORKSPACE_ID, GATEWAY_ENDPOINT, GATEWAY_PEERS)
}


def readme_table() -> str:
    """The Markdown table the README "Deploying" section carries."""
    rows = [
        "| Variable | Default | Meaning |",
        "| --- | --- | --- |",
        *(f"| `{p.name}` | `{p.default}` | {p.meaning} |" for p in PLACEHOLDERS.values()),
    ]
    return "\n".join(rows) + "\n"
