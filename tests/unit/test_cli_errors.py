"""`commands.errors.explain`: every error a user can fix is one line with the fix and exit 4;
anything else (a bug) is left to its traceback. The real processes are in test_cli.py; here
the AWS answers moto cannot give (access denied, expired, throttled, SSO)."""

from __future__ import annotations

import errno
from pathlib import Path

import botocore.exceptions as bx
import pytest

from aurastream_obs.commands.errors import CommandError, explain, one_line
from aurastream_obs.core.exit_codes import ExitCode


def _client_error(code: str, message: str = "", operation: str = "GetMetricData") -> Exception:
    return bx.ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize(
    ("error", "needles"),
    [
        (_client_error("AccessDeniedException", "not authorized"),
         ("AWS denied GetMetricData: AccessDeniedException (not authorized)", "IAM policy")),
        (_client_error("ExpiredTokenException"), ("credentials expired", "aws sso login")),
        (_client_error("InvalidClientTokenId"), ("rejected the credentials", "AWS_PROFILE")),
        (_client_error("ThrottlingException", "Rate exceeded"), ("throttled", "wait a minute")),
        (_client_error("ResourceNotFoundException", "Function not found", "GetFunction"),
         ("no such resource (GetFunction", "--environment")),
        (_client_error("InternalFailure", "boom"), ("AWS GetMetricData: InternalFailure (boom)",)),
        (bx.NoRegionError(), ("no AWS region", "AWS_DEFAULT_REGION")),
        (bx.NoCredentialsError(), ("no AWS credentials", "aws configure")),
        (bx.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
         ("incomplete AWS credentials", "AWS_SECRET_ACCESS_KEY")),
        (bx.ProfileNotFound(profile="ops"), ("The config profile (ops)", "AWS_PROFILE")),
        (bx.UnauthorizedSSOTokenError(), ("aws sso login",)),
        (bx.EndpointConnectionError(endpoint_url="https://monitoring.x.amazonaws.com/"),
         ("Could not connect", "AWS_ENDPOINT_URL")),
        (bx.ParamValidationError(report="Invalid length for parameter\nFunctionName"),
         ("refused the request before sending it", "FunctionName")),
        (RuntimeError("stack s: wrapped"), ()),  # a bug: not explained (see below)
    ],
)  # fmt: skip
def test_aws_errors(error: Exception, needles: tuple[str, ...]) -> None:
    explained = explain(error)
    if not needles:
        assert explained is None
        return
    assert explained is not None
    message, code = explained
    assert code == ExitCode.UNAVAILABLE and "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)


def test_an_aws_error_wrapped_by_ours_is_explained_as_the_aws_one() -> None:
    try:
        try:
            raise bx.NoRegionError()
        except bx.NoRegionError as inner:
            raise RuntimeError("stack prod: You must specify a region.") from inner
    except RuntimeError as outer:
        explained = explain(outer)
    assert explained is not None and "AWS_DEFAULT_REGION" in explained[0]


def test_file_errors(tmp_path: Path) -> None:
    cases = [
        (FileNotFoundError(errno.ENOENT, "No such file", str(tmp_path / "a.json")), "no such file"),
        (FileNotFoundError(errno.ENOENT, "No such file", "/no/dir/x.html"),
         "folder /no/dir does not exist"),
        (PermissionError(errno.EACCES, "Permission denied", "/etc/x"), "permission denied"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", str(tmp_path)), "is a folder"),
        (OSError(errno.ENOSPC, "No space left on device", "/tmp/out.html"), "no space left"),
    ]  # fmt: skip
    for error, needle in cases:
        explained = explain(error)
        assert explained is not None and needle in explained[0], (error, explained)
        assert explained[1] == ExitCode.UNAVAILABLE


def test_command_errors_keep_their_code_and_lines_are_flat() -> None:
    assert explain(CommandError("a\nb", ExitCode.USAGE)) == ("a b", ExitCode.USAGE)
    assert len(one_line("x" * 1000)) == 400


def test_missing_boto3() -> None:
    explained = explain(ModuleNotFoundError("No module named 'boto3'", name="boto3"))
    assert explained is not None and "pip install 'aurastream-observability[aws]'" in explained[0]
    assert explain(ModuleNotFoundError("No module named 'x'", name="x")) is None
