"""Turning exceptions into messages that say what went wrong and what to do, with exit codes.

Exit codes: 0 success, 1 the API (or the network) failed, 2 the command was used wrongly
(bad input, unknown name, missing configuration). No traceback reaches the user for an
expected failure, and no message ever contains an API key.
"""

from __future__ import annotations

import click

API_ERROR = 1
USAGE_ERROR = 2

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
}


def explain(error: Exception) -> tuple[str, int] | None:
    """A message and exit code for an expected error, or None for a bug (let it raise)."""
    from incidentkit.api import errors

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
    try:
        from incidentkit.secrets import CredentialStoreError
    except ImportError:  # pragma: no cover - the secrets room is part of the package
        CredentialStoreError = ()  # type: ignore[assignment,misc]
    if isinstance(error, CredentialStoreError):
        return str(error), USAGE_ERROR
    if isinstance(error, ValueError):
        return str(error), USAGE_ERROR
    return None


def fail(error: Exception) -> None:
    """Print the explanation of an expected error to stderr and exit; re-raise anything else."""
    explained = explain(error)
    if explained is None:
        raise error
    message, code = explained
    click.secho(f"Error: {message}", err=True, fg="red")
    raise SystemExit(code)
