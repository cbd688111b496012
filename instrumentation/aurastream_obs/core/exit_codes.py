"""The exit codes of `aurastream-obs`, one meaning each (README "Exit codes" and `--help`).

2 is argparse's own code for a usage error, so it means nothing else here; a check that finds
something wrong exits 1 (as `promtool`, `amtool` and linters do), degraded is its own code so
that a script can page on 1 and only warn on 3, and 4 says the command could not run at all
(AWS, a backend, a file): retrying after the fix the line names may succeed."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # healthy, every SLO met, artifacts current, actions done (or planned)
    PROBLEM = 1  # found a problem: unhealthy, an SLO breached, stale, invalid, an action failed
    USAGE = 2  # bad arguments or a bad combination of them (argparse)
    DEGRADED = 3  # health: a non-critical check failed, the critical ones passed
    UNAVAILABLE = 4  # could not run: AWS, a backend or a file (the message names the fix)
    REFUSED = 5  # a safety limit refused the plan: nothing was changed
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, the shell's convention)


EXIT_CODE_TABLE: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success: healthy, every SLO met, artifacts current, actions done or planned"),
    (ExitCode.PROBLEM, "a problem was found: unhealthy, an SLO breached, stale artifacts, "
     "validation problems, an action failed"),
    (ExitCode.USAGE, "usage error: a bad argument or combination of arguments"),
    (ExitCode.DEGRADED, "degraded: a non-critical health check failed"),
    (ExitCode.UNAVAILABLE, "could not run: AWS (region, credentials, endpoint, permission), a "
     "backend, or a file; the one-line message names the fix"),
    (ExitCode.REFUSED, "refused by a safety limit (runbooks): nothing was changed"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)  # fmt: skip
