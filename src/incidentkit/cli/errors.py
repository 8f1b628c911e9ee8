"""Turning exceptions into messages that say what went wrong and what to do, with exit codes.

Exit codes: 0 success, 1 a failure (the API, the network, or a bug in incidentkit), 2 the command
was used wrongly (bad input, unknown name, missing configuration). No traceback reaches the user:
an error incidentkit raises on purpose (an :class:`~incidentkit.errors.IncidentKitError`) is its
message, and anything else is a bug, reported in one line while its traceback goes to the bug log
(:data:`BUG_LOG` in the data directory). No message ever contains an API key.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from typing import NoReturn

import click

API_ERROR = 1
USAGE_ERROR = 2
BUG = 1
"""A bug exits like a failure of the API: the command did not do its job, and the input was not wrong."""

BUG_LOG = "bugs.log"
"""The file in the data directory the tracebacks of bugs are appended to (kept under about 1 MB)."""
_BUG_LOG_BYTES = 1_000_000

# The API's field names, and the option (or argument) that sets each, so a 422 says what to change.
FIELD_OPTIONS = {
    "name": "--name",
    "summary": "--summary",
    "severity_id": "--severity",
    "incident_status_id": "--status",
    "to_incident_status_id": "--status",
    "to_severity_id": "--severity",
    "incident_type_id": "--type",
    "mode": "--mode",
    "visibility": "--private",
    "idempotency_key": "--idempotency-key",
    "message": "MESSAGE",
    "title": "--title",
    "description": "--description",
    "timestamp": "--at",
    "slack_channel_name_override": "--slack-channel-name",
    "incident_timestamp_id": "--timestamp",
}


def explain(error: Exception) -> tuple[str, int] | None:
    """A message and exit code for an error incidentkit raised on purpose, or None for a bug.

    Bad input is the package's own: its errors that are also :class:`ValueError` (unknown names,
    references, workflow and config files, store URLs...), configuration and credential store
    errors. A bare :class:`ValueError` (or any exception outside :class:`IncidentKitError`) is a bug.
    """
    from incidentkit.api import errors
    from incidentkit.errors import IncidentKitError

    if isinstance(error, errors.UnprocessableEntityError):
        lines = [f"The API refused the request (422): {error.type}."]
        for detail in error.errors:
            option = FIELD_OPTIONS.get((detail.field or "").split(".")[-1])
            set_by = f" (set with {option})" if option else ""
            where = f"field '{detail.field}'{set_by}: " if detail.field else ""
            lines.append(f"  - {where}{detail.message}")
        if not error.errors:
            lines.append("  (the API named no field)")
        return "\n".join(lines), API_ERROR
    if isinstance(error, errors.AuthenticationError):
        return (
            f"{error}\nThe API key was refused: check it with `incidentkit verify`, "
            "or store a new one with `incidentkit setup`.",
            API_ERROR,
        )
    if isinstance(error, errors.PermissionDeniedError):
        return (
            f"{error}\nThe API key lacks the scope for this: create a key with that permission "
            "in incident.io (Settings → API keys).",
            API_ERROR,
        )
    if isinstance(error, errors.NotFoundError | errors.APIConnectionError):
        # The hint matches the cause: a missing resource, a base URL ending in /v2, nothing listening, ...
        return f"{error}\n{errors.hint(error)}", API_ERROR
    if isinstance(error, errors.ReadOnlyError | errors.ConfigurationError):
        return str(error), USAGE_ERROR
    if isinstance(error, errors.IncidentIOError) and isinstance(error, ValueError):
        return str(error), USAGE_ERROR  # unknown names and references are the user's input
    if isinstance(error, errors.IncidentIOError):
        return str(error), API_ERROR
    from incidentkit.credentials import CredentialStoreError

    if isinstance(error, CredentialStoreError):
        return str(error), USAGE_ERROR
    if isinstance(error, IncidentKitError) and isinstance(error, ValueError):
        return str(error), USAGE_ERROR  # the package's input errors are ValueErrors too
    if isinstance(error, IncidentKitError):
        return str(error), API_ERROR  # raised on purpose: a refusal or a failure outside, not a bug
    return None


def fail(error: Exception) -> NoReturn:
    """Print the explanation of an error to stderr and exit: its message, or a bug's one line."""
    explained = explain(error)
    if explained is None:
        raise SystemExit(report_bug(error))
    message, code = explained
    click.secho(f"Error: {message}", err=True, fg="red")
    raise SystemExit(code)


def report_bug(error: BaseException) -> int:
    """Log a bug's traceback at error level and print one line saying where it went; returns the exit code.

    The traceback goes to :data:`BUG_LOG` in the data directory, or to stderr when that cannot be
    written. Only the exception's type and the first line of its message reach the terminal, never
    the command line (which may carry ``--api-key``).
    """
    where = _log_bug(error)
    text = str(error).strip()
    message = text.splitlines()[0] if text else ""
    if len(message) > 200:
        message = message[:199] + "…"
    what = f"{type(error).__name__}: {message}" if message else type(error).__name__
    click.secho(f"incidentkit hit a bug: {what}; details in {where}", err=True, fg="red")
    return BUG


def _log_bug(error: BaseException) -> str:
    """Write the traceback to the bug log (or stderr) and say where: a path, or "the lines above"."""
    from incidentkit import __version__
    from incidentkit.logs import TextFormatter
    from incidentkit.paths import data_dir

    handler: logging.Handler
    try:
        path = data_dir() / BUG_LOG
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_BUG_LOG_BYTES, backupCount=1, encoding="utf-8"
        )
        where = str(path)
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
        where = "the lines above"
    handler.setFormatter(TextFormatter())
    logger = logging.getLogger("incidentkit.cli.bugs")
    logger.propagate = False  # the terminal gets one line; a service's own log handlers are not it
    logger.addHandler(handler)
    try:
        logger.error(
            "incidentkit %s (Python %s) hit a bug",
            __version__,
            sys.version.split()[0],
            exc_info=(type(error), error, error.__traceback__),
        )
    finally:
        logger.removeHandler(handler)
        handler.close()
    return where
