"""`aurastream-obs runbook run <name> --alert-file alert.json [--execute]`.

Exit codes (core/exit_codes.py): 0 every action done (or planned), 1 an action failed or was
refused at execution (e.g. a reservation below the peak usage; nothing else was undone), 4 the
alert file cannot be used (one line says why), 5 the plan breaks a hard limit (nothing ran).
"""

from __future__ import annotations

import argparse

from aurastream_obs.commands._args import command_parser, int_range
from aurastream_obs.commands._types import SubParsers
from aurastream_obs.core.exit_codes import ExitCode
from aurastream_obs.definitions.runbooks import RUNBOOK_NAMES

# Lambda's bounds for a function's memory (AWS Lambda guide, "Configure function memory").
LAMBDA_MEMORY_MB = (128, 10240)


def register(sub: SubParsers) -> None:
    runbook = command_parser(
        sub,
        "runbook",
        summary="incident runbooks (dry-run unless --execute)",
        description="The incident runbooks of docs/runbooks.md: each plans its actions from "
        "an alert, within hard limits, and acts only with --execute; every action is "
        "audit-logged.",
        examples=("aurastream-obs runbook run high-error-rate --alert-file alert.json",),
    )
    actions = runbook.add_subparsers(dest="runbook_command", required=True, metavar="action")
    run = command_parser(
        actions,
        "run",
        summary="plan (and with --execute, perform) a runbook",
        description="Plans the runbook NAME for the alert in --alert-file (Alert.to_dict "
        "JSON) and prints the plan; --execute performs it on AWS. Notifications go to the "
        "alert router at AURASTREAM_ALERTS_ROUTER_URL with AURASTREAM_ALERTS_TOKEN. Exit 0 "
        "done or planned, 1 an action failed, 4 the alert file cannot be used, 5 a hard "
        "limit refused the plan (nothing ran).",
        examples=(
            "aurastream-obs runbook run high-error-rate --alert-file alert.json",
            "aurastream-obs runbook run high-latency --alert-file alert.json --environment "
            "prod --memory 2048 --execute",
        ),
    )
    run.add_argument("name", choices=RUNBOOK_NAMES)
    run.add_argument("--alert-file", required=True, help="the alert as JSON (Alert.to_dict)")
    run.add_argument("--execute", action="store_true", help="act on AWS (default: dry-run)")
    run.add_argument("--environment", default="prod", help="environment (prod)")
    run.add_argument(
        "--function",
        default=None,
        help="Lambda function (AURASTREAM_FUNCTION_NAME; default: the deployment's, "
        "aurastream-api-<environment>)",
    )
    run.add_argument(
        "--concurrency",
        type=int_range(1),
        default=100,
        help="reserved concurrency (100); raised to the peak usage + 20 %% when higher",
    )
    run.add_argument(
        "--memory",
        type=int_range(*LAMBDA_MEMORY_MB),
        default=1024,
        help="Lambda memory in MB, 128 to 10240 (1024)",
    )
    run.add_argument(
        "--failover-analyzer",
        default="lexicon",
        choices=("lexicon", "comprehend"),
        help="analyzer the service switches to when AWS is unhealthy (lexicon)",
    )
    run.add_argument("--ip-set-name", default="aurastream-blocked-ips", help="WAF IP set name")
    run.add_argument("--ip-set-id", default="", help="WAF IP set id")
    run.add_argument("--scope", default="REGIONAL", choices=("REGIONAL", "CLOUDFRONT"))
    run.add_argument("--region", default=None, help="AWS region (default: boto3's)")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    import os
    import sys

    from aurastream_obs.commands.alerts import json_logging
    from aurastream_obs.definitions.deployment import names
    from aurastream_obs.ops.runbooks.alert_file import AlertFileError, load_alert_file
    from aurastream_obs.ops.runbooks.catalog import RunbookSettings, plan_for
    from aurastream_obs.ops.runbooks.executor import Executor, boto3_clients
    from aurastream_obs.ops.runbooks.notify import RouterNotifier
    from aurastream_obs.ops.runbooks.plan import RunbookRefused

    try:
        alert = load_alert_file(args.alert_file)
    except AlertFileError as exc:
        print(f"runbook: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    json_logging("aurastream-runbooks")
    settings = RunbookSettings(
        environment=args.environment,
        function_name=args.function
        or os.environ.get("AURASTREAM_FUNCTION_NAME")
        or names(args.environment).function,
        concurrency=args.concurrency,
        memory_mb=args.memory,
        failover_analyzer=args.failover_analyzer,
        ip_set_name=args.ip_set_name,
        ip_set_id=args.ip_set_id,
        ip_set_scope=args.scope,
    )
    plan = plan_for(alert, settings, args.name)
    clients = boto3_clients(args.region) if args.execute else None
    executor = Executor(clients=clients, notify=RouterNotifier.from_env(os.environ))
    try:
        results = executor.run(plan, execute=args.execute)
    except RunbookRefused as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return ExitCode.REFUSED
    mode = "EXECUTE" if args.execute else "DRY-RUN (pass --execute to act)"
    print(f"runbook {plan.runbook} for {plan.alert_name} — {mode}")
    for r in results:
        print(f"  [{r.outcome}] {r.action.describe()}" + (f" — {r.detail}" if r.detail else ""))
    failed = any(r.outcome in ("failed", "refused") for r in results)
    return ExitCode.PROBLEM if failed else ExitCode.OK
