"""The service's change intake: ``POST /api/changes`` for CI pipelines, and GitHub deployment webhooks.

``POST /api/changes`` takes one change as JSON (``service``, ``version`` or ``description``, and
optionally ``kind``, ``author``, ``at``, ``link``, ``external_id``) with ``Authorization: Bearer
<changes token>``, compared in constant time; it is mounted only when a token is configured. It
answers 201 with the change, 200 with the first record for a repeated ``external_id``, 401 without
the right token, 413 for a body over 16 KiB and 422 naming the field for bad input.

``POST /github/webhooks`` takes GitHub's ``deployment_status`` deliveries, verified with the GitHub
webhook secret (``X-Hub-Signature-256``); it fails closed: with no secret configured every delivery
is refused (503), and an unsigned or forged one is 401. A successful deployment records a deploy
(201, or 200 when delivered before); every other event or state is 204, ignored.

Where the secrets come from (the first that has one): the ``serve`` options, then
``INCIDENTKIT_CHANGES_TOKEN`` / ``INCIDENTKIT_GITHUB_SECRET``, then the configuration file::

    [changes]
    token = "..."                 # better in the environment
    github_secret = "..."
    environments = ["production"] # only deployments to these count (all when left out)

    [changes.repositories]        # GitHub repository -> service (else the repository's name)
    "acme/checkout-web" = "checkout"

Neither secret is ever logged or sent back.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentkit.config_file import ConfigFileError, read_config_file
from incidentkit.credentials import Secret
from incidentkit.httpbody import BodyNotJSON, BodyTooLarge, parse_json, read_limited_body

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from incidentkit.investigation.change_log import ChangeLog

__all__ = [
    "CHANGES_PATH",
    "CHANGES_TOKEN_ENV",
    "GITHUB_PATH",
    "GITHUB_SECRET_ENV",
    "ChangeIntake",
    "change_intake_from_configuration",
    "changes_routes",
]

logger = logging.getLogger(__name__)

CHANGES_PATH = "/api/changes"
GITHUB_PATH = "/github/webhooks"
CHANGES_TOKEN_ENV = "INCIDENTKIT_CHANGES_TOKEN"
GITHUB_SECRET_ENV = "INCIDENTKIT_GITHUB_SECRET"
MAX_CHANGE_BYTES = 16 * 1024
# GitHub caps webhook payloads at 25 MB; a deployment status is a few kilobytes.
MAX_GITHUB_BYTES = 1024 * 1024
_FIELDS = ("service", "kind", "version", "description", "author", "at", "link", "external_id")


@dataclass(frozen=True)
class ChangeIntake:
    """How the service takes changes in.

    Attributes:
        token: the bearer token ``POST /api/changes`` requires; None leaves the endpoint off.
        github_secret: the GitHub webhook secret; None refuses every GitHub delivery.
        repositories: GitHub repository (``owner/name`` or ``name``) → service.
        environments: only GitHub deployments to these environments count; all when empty.
    """

    token: Secret | None = None
    github_secret: Secret | None = None
    repositories: Mapping[str, str] = field(default_factory=dict)
    environments: Sequence[str] = ()


def change_intake_from_configuration(
    token: str | None = None,
    github_secret: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> ChangeIntake:
    """The intake from the options, else the environment, else the ``[changes]`` table (see the module).

    Raises:
        ConfigFileError: the file cannot be read or ``[changes]`` holds a value of the wrong type
            (the message names the key, never a value).
    """
    env = os.environ if environ is None else environ
    data, source = read_config_file(config_file)
    table = data.get("changes", {})
    if not isinstance(table, Mapping):
        raise ConfigFileError(f"{source}: [changes] must be a table")
    for key in ("token", "github_secret"):
        if key in table and not isinstance(table[key], str):
            raise ConfigFileError(f"{source}: [changes] {key} must be text")
    repositories = table.get("repositories", {})
    if not isinstance(repositories, Mapping) or not all(isinstance(v, str) for v in repositories.values()):
        raise ConfigFileError(f"{source}: [changes.repositories] must map repositories to service names")
    environments = table.get("environments", [])
    if not isinstance(environments, list) or not all(isinstance(v, str) for v in environments):
        raise ConfigFileError(f"{source}: [changes] environments must be a list of environment names")
    chosen_token = token or env.get(CHANGES_TOKEN_ENV) or table.get("token")
    chosen_secret = github_secret or env.get(GITHUB_SECRET_ENV) or table.get("github_secret")
    return ChangeIntake(
        token=Secret(chosen_token) if chosen_token else None,
        github_secret=Secret(chosen_secret) if chosen_secret else None,
        repositories=dict(repositories),
        environments=tuple(environments),
    )


def _error(status: int, message: str, field_name: str | None = None) -> Response:
    from starlette.responses import JSONResponse

    body: dict[str, Any] = {"error": message}
    if field_name is not None:
        body["field"] = field_name
    return JSONResponse(body, status_code=status)


def _recorded(change: Any, new: bool) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse({"change": change.to_dict(), "new": new}, status_code=201 if new else 200)


def _change_arguments(body: Any) -> dict[str, Any]:
    """The keyword arguments of ``ChangeLog.record`` from a JSON body, checked field by field."""
    from incidentkit.investigation.change_log import ChangeInvalidError
    from incidentkit.timeutil import parse_iso

    if not isinstance(body, dict):
        raise ChangeInvalidError(
            "body", 'must be a JSON object such as {"service": "checkout", "version": "v2"}'
        )
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise ChangeInvalidError(unknown[0], f"is not a field of a change (fields: {', '.join(_FIELDS)})")
    arguments: dict[str, Any] = {"source": "api"}
    for name in _FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ChangeInvalidError(name, f"must be a string, not {type(value).__name__}")
        arguments[name] = value
    if "service" not in arguments:
        raise ChangeInvalidError("service", "is required")
    if "at" in arguments:
        try:
            arguments["at"] = parse_iso(arguments["at"])
        except ValueError as error:
            raise ChangeInvalidError("at", f"{error}; use RFC 3339 such as 2026-03-01T10:42:00Z") from None
    return arguments


def changes_routes(change_log: ChangeLog, intake: ChangeIntake) -> list[Route]:
    """``POST /api/changes`` (only with a token) and ``POST /github/webhooks`` over ``change_log``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.routing import Route

    from incidentkit.investigation.change_log import ChangeInvalidError
    from incidentkit.investigation.github_changes import (
        DEPLOYMENT_STATUS,
        EVENT_HEADER,
        SIGNATURE_HEADER,
        deployment_change,
        signature_valid,
    )

    async def record_change(request: Request) -> Response:
        token = intake.token
        assert token is not None  # mounted only with a token
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token.reveal()}".encode()):
            return _error(401, "missing or wrong bearer token")
        try:
            body = parse_json(await read_limited_body(request, MAX_CHANGE_BYTES))
            arguments = _change_arguments(body)
            recorded = await run_in_threadpool(lambda: change_log.record(**arguments))
        except BodyTooLarge:
            return _error(413, f"the body is larger than {MAX_CHANGE_BYTES} bytes")
        except BodyNotJSON as error:
            return _error(422, str(error), "body")
        except ChangeInvalidError as error:
            return _error(422, str(error), error.field)
        logger.info("Change recorded from the API: %s %s", recorded.change.service, recorded.change.what)
        return _recorded(recorded.change, recorded.new)

    async def github(request: Request) -> Response:
        try:
            raw = await read_limited_body(request, MAX_GITHUB_BYTES)
        except BodyTooLarge:
            return _error(413, f"the body is larger than {MAX_GITHUB_BYTES} bytes")
        secret = intake.github_secret
        if secret is None:
            return _error(503, "no GitHub webhook secret is configured: every delivery is refused")
        if not signature_valid(secret.reveal(), raw, request.headers.get(SIGNATURE_HEADER)):
            return _error(401, f"missing or wrong {SIGNATURE_HEADER} signature")
        if request.headers.get(EVENT_HEADER) != DEPLOYMENT_STATUS:
            return Response(status_code=204)  # a ping, a push...: not a change
        try:
            found = deployment_change(
                parse_json(raw) or {}, repositories=intake.repositories, environments=intake.environments
            )
            if found is None:
                return Response(status_code=204)  # pending, failure, another environment
            recorded = await run_in_threadpool(lambda: change_log.record(**found.as_record()))
        except BodyNotJSON as error:
            return _error(422, str(error), "body")
        except ChangeInvalidError as error:
            return _error(422, str(error), error.field)
        logger.info("Deploy recorded from GitHub: %s %s", recorded.change.service, recorded.change.what)
        return _recorded(recorded.change, recorded.new)

    routes = [Route(GITHUB_PATH, github, methods=["POST"])]
    if intake.token is not None:
        routes.append(Route(CHANGES_PATH, record_change, methods=["POST"]))
    return routes
