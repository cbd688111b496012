"""`aurastream-obs runbook run <name> --alert-file alert.json [--execute]`."""

from __future__ import annotations

import argparse

from aurastream_obs.commands._types import SubParsers

RUNBOOK_NAMES = ("high-error-rate", "high-latency", "service-down", "security-incident")


def register(sub: SubParsers) -> None:
    runbook = sub.add_parser("runbook", help="incident runbooks (dry-run unless --execute)")
    actions = runbook.add_subparsers(dest="runbook_command", required=True)
    run = actions.add_parser("run", help="plan (and with --execute, perform) a runbook")
    run.add_argument("name", choices=RUNBOOK_NAMES)
    run.add_argument("--alert-file", required=True, help="the alert as JSON (Alert.to_dict)")
    run.add_argument("--execute", action="store_true", help="act on AWS (default: dry-run)")
    run.add_argument("--environment", default="prod", help="environment (prod)")
    run.add_argument("--function", default="aurastream-sync-handler", help="Lambda function")
    run.add_argument("--concurrency", type=int, default=100, help="reserved concurrency (100)")
    run.add_argument("--memory", type=int, default=1024, help="Lambda memory in MB (1024)")
    run.add_argument("--ip-set-name", default="aurastream-blocked-ips", help="WAF IP set name")
    run.add_argument("--ip-set-id", default="", help="WAF IP set id")
    run.add_argument("--scope", default="REGIONAL", choices=("REGIONAL", "CLOUDFRONT"))
    run.add_argument("--region", default=None, help="AWS region (default: boto3's)")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from aurastream_obs.commands.alerts import json_logging
    from aurastream_obs.ops.alerts.alert import Alert
    from aurastream_obs.ops.runbooks.catalog import RunbookSettings, plan_for
    from aurastream_obs.ops.runbooks.executor import Executor, boto3_clients
    from aurastream_obs.ops.runbooks.plan import RunbookRefused

    json_logging("aurastream-runbooks")
    try:
        alert = Alert.from_dict(json.loads(Path(args.alert_file).read_text()))
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read alert file: {exc}", file=sys.stderr)
        return 2
    settings = RunbookSettings(
        environment=args.environment,
        function_name=args.function,
        concurrency=args.concurrency,
        memory_mb=args.memory,
        ip_set_name=args.ip_set_name,
        ip_set_id=args.ip_set_id,
        ip_set_scope=args.scope,
    )
    plan = plan_for(alert, settings, args.name)
    clients = boto3_clients(args.region) if args.execute else None
    try:
        results = Executor(clients=clients).run(plan, execute=args.execute)
    except RunbookRefused as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 3
    mode = "EXECUTE" if args.execute else "DRY-RUN (pass --execute to act)"
    print(f"runbook {plan.runbook} for {plan.alert_name} — {mode}")
    for r in results:
        print(f"  [{r.outcome}] {r.action.describe()}" + (f" — {r.detail}" if r.detail else ""))
    return 1 if any(r.outcome == "failed" for r in results) else 0
