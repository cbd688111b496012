"""`aurastream-obs alerts serve`: the alert router over HTTP (SNS + Alertmanager inputs)."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._args import PORT, command_parser
from aurastream_obs.commands._types import SubParsers
from aurastream_obs.core.exit_codes import ExitCode


def register(sub: SubParsers) -> None:
    alerts = command_parser(
        sub,
        "alerts",
        summary="alert router: SNS/Alertmanager → Slack/PagerDuty",
        description="The alert router: one alert model from SNS (CloudWatch alarms) and "
        "Alertmanager, routed critical → PagerDuty + Slack, warning → Slack.",
        examples=("aurastream-obs alerts serve --port 9095",),
    )
    actions = alerts.add_subparsers(dest="alerts_command", required=True, metavar="action")
    serve = command_parser(
        actions,
        "serve",
        summary="serve the router over HTTP",
        description="Serves POST /sns, /alertmanager, /notify and GET /healthz, /metrics. "
        "Channel secrets from the Secrets Manager secrets named by AURASTREAM_ALERTS_SECRET_ID "
        "and AURASTREAM_ALERTS_SECURITY_SECRET_ID (read once at start; exit 4 with one line "
        "when one cannot be read), else SLACK_WEBHOOK_URL, SLACK_SECURITY_WEBHOOK_URL (the "
        "security channel) and PAGERDUTY_ROUTING_KEY; AURASTREAM_ALERTS_TOKEN; SNS topics from "
        "AURASTREAM_SNS_TOPIC_ARNS; each request answered within AURASTREAM_ALERTS_DEADLINE_S. "
        "Runs until Ctrl-C.",
        examples=(
            "AURASTREAM_ALERTS_TOKEN=secret SLACK_WEBHOOK_URL=https://hooks.slack.com/... "
            "aurastream-obs alerts serve",
            "aurastream-obs alerts serve --host 0.0.0.0 --port 9095 --runbooks",
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="bind address (127.0.0.1)")
    serve.add_argument("--port", type=PORT, default=9095, help="port (9095; 0 = any)")
    serve.add_argument(
        "--runbooks",
        action="store_true",
        help="plan the matching runbook for each firing alert (dry-run only; audit-logged)",
    )
    serve.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    import sys

    from aurastream_obs.ops.alerts.router import AlertRouter
    from aurastream_obs.ops.alerts.secrets import SecretError, with_secrets
    from aurastream_obs.ops.alerts.server import AlertServer
    from aurastream_obs.ops.alerts.settings import RouterSettings

    try:  # the channel secrets from Secrets Manager when AURASTREAM_ALERTS_*SECRET_ID are set
        settings = with_secrets(RouterSettings.from_env())
    except SecretError as exc:
        print(f"alerts serve: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    json_logging("aurastream-alerts")
    on_alert = None
    if args.runbooks:
        from aurastream_obs.ops.runbooks.trigger import dry_run_hook

        on_alert = dry_run_hook()
    router = AlertRouter(settings, on_alert=on_alert)
    server = AlertServer(router, args.host, args.port)
    configured = [
        name
        for name, value in (
            ("slack", settings.slack_webhook_url),
            ("slack-security", settings.security_slack_webhook_url),
            ("pagerduty", settings.pagerduty_routing_key),
            ("alertmanager-token", settings.alerts_token),
            ("sns-topics", settings.sns_topic_arns),
        )
        if value
    ]
    print(
        f"alert router on {server.url} (POST /sns, /alertmanager, /notify; GET /healthz, "
        f"/metrics); deadline {settings.deadline_s:g} s; "
        f"configured: {', '.join(configured) or 'nothing'}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        router.close()
    return 0


def json_logging(service: str) -> None:
    """The project's JSON log lines (category, redaction) on stderr, for the ops commands:
    audit lines then carry every field (runbook, action, outcome, ...)."""
    import sys

    from aurastream_obs.logs.root import install_json_logging

    # Once per process (commands run in-process by tests call this again).
    install_json_logging(service, "ops", stream=sys.stderr)
