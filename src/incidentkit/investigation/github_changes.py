"""GitHub ``deployment_status`` webhooks as changes: their signature, and the change each success records.

GitHub signs each delivery with the webhook's secret: ``X-Hub-Signature-256: sha256=<hex>``, the
HMAC-SHA256 of the raw body. :func:`signature_valid` checks it in constant time; there is no
unsigned mode (the caller refuses deliveries when no secret is configured).

A ``deployment_status`` whose state is ``success`` is a deploy (:func:`deployment_change`):

- service: the deployment payload's ``service`` when it names one (a monorepo deploying one of its
  services), else the configured service for the repository (``owner/name`` or ``name``, any case),
  else the repository's name;
- version: the deployment's ref and short sha (``v1.4.2 (3f1c0a9)``), or either alone;
- author: the deployment's creator (the person who asked), else the status's, else the sender;
- link: the status's ``log_url``, else its ``target_url``, else the environment's URL;
- at: when the status was created; the external id is the deployment, so a status delivered
  again (or a second ``success`` for the same deployment) records one change.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentkit.investigation.change_log import ChangeInvalidError
from incidentkit.timeutil import parse_iso

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "DeploymentChange",
    "deployment_change",
    "sign",
    "signature_valid",
]

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
DEPLOYMENT_STATUS = "deployment_status"


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body`` (tests and tools use it)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is GitHub's signature of ``body`` with ``secret`` (constant time)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


@dataclass(frozen=True)
class DeploymentChange:
    """The change a successful GitHub deployment records (the arguments of ``ChangeLog.record``)."""

    service: str
    version: str | None
    description: str
    author: str | None
    at: datetime
    link: str | None
    external_id: str

    def as_record(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`~incidentkit.investigation.change_log.ChangeLog.record`."""
        return {
            "service": self.service,
            "kind": "deploy",
            "version": self.version,
            "description": self.description,
            "author": self.author,
            "at": self.at,
            "link": self.link,
            "source": "github",
            "external_id": self.external_id,
        }


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise ChangeInvalidError(key, "is missing from the deployment_status payload")
    return value


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _login(user: Any) -> str | None:
    return _text(user.get("login")) if isinstance(user, Mapping) else None


def deployment_change(
    payload: Mapping[str, Any],
    *,
    repositories: Mapping[str, str] | None = None,
    environments: Sequence[str] = (),
) -> DeploymentChange | None:
    """The change a ``deployment_status`` payload records, or None when it records none.

    Args:
        payload: the webhook's JSON body.
        repositories: repository (``owner/name`` or ``name``, any case) → service name.
        environments: only deployments to these environments (any case) count; all when empty.

    Returns:
        None for a state other than ``success`` or an environment not wanted.

    Raises:
        ChangeInvalidError: the payload lacks what a deployment status has (its ``field`` says what).
    """
    if not isinstance(payload, Mapping):
        raise ChangeInvalidError("body", "must be a JSON object (a deployment_status payload)")
    status = _object(payload, "deployment_status")
    deployment = _object(payload, "deployment")
    repository = _object(payload, "repository")
    if status.get("state") != "success":
        return None
    environment = _text(status.get("environment")) or _text(deployment.get("environment")) or ""
    if environments and environment.lower() not in {name.lower() for name in environments}:
        return None
    full_name = _text(repository.get("full_name"))
    name = _text(repository.get("name")) or (full_name.split("/")[-1] if full_name else None)
    if name is None or deployment.get("id") is None:
        raise ChangeInvalidError("repository", "the payload names no repository or deployment id")
    by_lower = {key.lower(): value for key, value in (repositories or {}).items()}
    extra = deployment.get("payload")
    service = (
        (_text(extra.get("service")) if isinstance(extra, Mapping) else None)
        or by_lower.get((full_name or "").lower())
        or by_lower.get(name.lower())
        or name
    )
    ref, sha = _text(deployment.get("ref")), _text(deployment.get("sha"))
    short = sha[:7] if sha else None
    version = f"{ref} ({short})" if ref and short and ref != sha else (ref or short)
    created = _text(status.get("created_at")) or _text(status.get("updated_at"))
    if created is None:
        raise ChangeInvalidError("deployment_status.created_at", "is missing")
    try:
        at = parse_iso(created)
    except ValueError as error:
        raise ChangeInvalidError("deployment_status.created_at", str(error)) from None
    words = _text(status.get("description")) or _text(deployment.get("description"))
    description = f"deployed to {environment}" if environment else "deployed"
    return DeploymentChange(
        service=service,
        version=version,
        description=f"{description}: {words}" if words else description,
        author=_login(deployment.get("creator"))
        or _login(status.get("creator"))
        or _login(payload.get("sender")),
        at=at,
        link=_text(status.get("log_url"))
        or _text(status.get("target_url"))
        or _text(status.get("environment_url")),
        external_id=f"{full_name or name}/deployments/{deployment['id']}",
    )
