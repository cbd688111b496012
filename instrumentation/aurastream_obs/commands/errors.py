"""What the user can fix, in one line: the errors `aurastream-obs` reports instead of a
traceback, each with its exit code (core/exit_codes.py) and what to do about it.

`explain(error)` knows botocore's errors (region, credentials, SSO, endpoint, ClientError by
code), files (missing, permission, a directory), a missing boto3, and `CommandError`, which a
subcommand raises for its own one-liners. Anything else is a bug of ours: `cli.main` lets it
through with its traceback, which is what a bug report needs.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from typing import Any, Final

from aurastream_obs.core.exit_codes import ExitCode

_MAX_CHARS: Final = 400
_CREDENTIALS_FIX: Final = (
    "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure` "
    "(`aws sso login` for an SSO profile)"
)
# boto3 reads AWS_DEFAULT_REGION, not AWS_REGION (botocore's configprovider session variables).
_NO_REGION: Final = "no AWS region: set AWS_DEFAULT_REGION (or `region` in your AWS profile)"
_NO_CREDENTIALS: Final = f"no AWS credentials found: {_CREDENTIALS_FIX}"
_NO_BOTO3: Final = "boto3 is not installed: pip install 'aurastream-observability[aws]'"
_ENDPOINT_FIX: Final = (
    "check the network, the region (AWS_DEFAULT_REGION) and AWS_ENDPOINT_URL if set"
)
# ClientError codes by what fixes them (AWS error codes as the services return them).
_DENIED: Final = re.compile(r"AccessDenied|UnauthorizedOperation|AuthorizationError|Forbidden")
_EXPIRED: Final = re.compile(r"Expired|RequestExpired")
_BAD_KEYS: Final = re.compile(
    r"InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch|InvalidAccessKeyId"
)
_THROTTLED: Final = re.compile(r"Throttl|TooManyRequests|RequestLimitExceeded|SlowDown")
_NOT_FOUND: Final = re.compile(r"NotFound|NoSuch|does not exist", re.IGNORECASE)


class CommandError(Exception):
    """An error the user can fix, already worded: one line and its exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.UNAVAILABLE) -> None:
        super().__init__(message)
        self.code = code


def one_line(text: str) -> str:
    """Whitespace runs (newlines included) become one space; long texts are cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_CHARS else flat[: _MAX_CHARS - 1] + "…"


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_botocore(error: BaseException) -> bool:
    return type(error).__module__.startswith("botocore")


def _client_error(error: Any) -> str:
    """A botocore ClientError: AWS answered, and said no."""
    details = getattr(error, "response", {}).get("Error", {})
    code = str(details.get("Code") or "Unknown")
    message = str(details.get("Message") or "").rstrip(".")
    operation = getattr(error, "operation_name", "the call")
    said = f"{operation}: {code}" + (f" ({message})" if message else "")
    if _EXPIRED.search(code):
        return f"AWS credentials expired ({said}): refresh them (`aws sso login`, or new keys)"
    if _BAD_KEYS.search(code):
        return f"AWS rejected the credentials ({said}): {_CREDENTIALS_FIX}"
    if _DENIED.search(code):
        return (
            f"AWS denied {said}: allow {operation} for the caller (its IAM policy), or use "
            "a profile that has it (AWS_PROFILE)"
        )
    if _THROTTLED.search(code):
        return f"AWS throttled {said}: wait a minute and run again"
    if _NOT_FOUND.search(code) or _NOT_FOUND.search(message):
        return (
            f"AWS has no such resource ({said}): check --environment, --stack and the "
            "names (--function, --table, --api-id), and the region (AWS_DEFAULT_REGION)"
        )
    return f"AWS {said}"


def _botocore(error: BaseException) -> str:
    name = type(error).__name__
    text = str(error)
    if name == "ClientError":
        return _client_error(error)
    if name == "NoRegionError":
        return _NO_REGION
    if name == "NoCredentialsError":
        return _NO_CREDENTIALS
    if name == "PartialCredentialsError":
        return f"incomplete AWS credentials ({text}): {_CREDENTIALS_FIX}"
    if name == "ProfileNotFound":
        return f"{text}: check AWS_PROFILE and ~/.aws/config (`aws configure list-profiles`)"
    if name in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"):
        return f"the AWS SSO session is missing or expired: run `aws sso login` ({text})"
    if name == "CredentialRetrievalError":
        return f"{text}: {_CREDENTIALS_FIX}"
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError",
                "ReadTimeoutError", "ProxyConnectionError", "SSLError"):  # fmt: skip
        return f"{text.rstrip('.')}: {_ENDPOINT_FIX}"
    if name == "ParamValidationError":
        return f"AWS refused the request before sending it: {text}"
    return f"AWS error: {text}"


def _file(error: OSError) -> str:
    name = error.filename
    if error.errno == errno.EADDRINUSE:
        return f"{error.strerror}: another process listens there; choose another --port"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{error.strerror}: not an address of this machine; check --host"
    if name is None:  # raised with a message only (ours, or a socket error)
        return str(error)
    path = os.fspath(name)
    if isinstance(error, FileNotFoundError):
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            return f"{path}: folder {parent} does not exist: create it or choose another path"
        return f"{path}: no such file: check the path"
    if isinstance(error, PermissionError):
        return f"{path}: permission denied: check its permissions or choose another path"
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder: give a file path"
    if isinstance(error, NotADirectoryError):
        return f"{path}: a part of the path is a file, not a folder: check the path"
    if error.errno == errno.ENOSPC:
        return f"{path}: no space left on the device: free some or choose another path"
    return f"{path}: {error.strerror or error}"


def explain(error: BaseException) -> tuple[str, ExitCode] | None:
    """The one line and exit code for an error the user can fix; None for anything else."""
    for cause in _chain(error):  # an AWS error wrapped by ours is explained as the AWS one
        if _is_botocore(cause):
            return one_line(_botocore(cause)), ExitCode.UNAVAILABLE
    if isinstance(error, CommandError):
        return one_line(str(error)), error.code
    if isinstance(error, ModuleNotFoundError) and error.name in ("boto3", "botocore"):
        return _NO_BOTO3, ExitCode.UNAVAILABLE
    if isinstance(error, OSError):
        return one_line(_file(error)), ExitCode.UNAVAILABLE
    return None


def check_writable(path: str) -> None:
    """Before any work: the folder of an output file exists and is writable (CommandError
    naming the fix otherwise), so a long analysis does not end in a failed write."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CommandError(f"{path} is a folder: give a file path")
    if not os.path.isdir(folder):
        raise CommandError(f"{path}: folder {folder} does not exist: create it or choose another")
    if not os.access(folder, os.W_OK):
        raise CommandError(f"{path}: folder {folder} is not writable: choose another path")


def require_aws() -> None:
    """Before checks that would each fail alike: a region and credentials are configured
    (CommandError naming the fix otherwise). Credentials are looked up, not used: the
    standard chain (environment, profile, SSO, container or instance role)."""
    try:
        import boto3
    except ModuleNotFoundError as error:
        raise CommandError(_NO_BOTO3) from error
    session = boto3.Session()
    if not session.region_name:
        raise CommandError(_NO_REGION)
    if session.get_credentials() is None:
        raise CommandError(_NO_CREDENTIALS)
