"""Steps that raise and resolve alerts in incident.io: ``incident_io.alert.send`` and ``.resolve``.

``incident_io.alert.send`` posts an event to an HTTP alert source, as a monitor would, so a
workflow can feed incident.io's alert routes (which may open an incident, page on-call...). The
source's token is a secret: give it in the environment (``INCIDENT_IO_ALERT_TOKEN``, with the
source's config id in ``INCIDENT_IO_ALERT_SOURCE``) rather than in the workflow file; it is never
part of a step's output or of a dry run's report. Without a ``deduplicationKey`` the engine's
idempotency key is used, so a retried step updates the one alert it raised instead of raising
another.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field

from incidentkit.workflows.nodes.base import Completed, NodeContext, StepError, StepInputs
from incidentkit.workflows.nodes.registry import register

SOURCE_VARIABLE = "INCIDENT_IO_ALERT_SOURCE"
TOKEN_VARIABLE = "INCIDENT_IO_ALERT_TOKEN"


class SendAlertInputs(StepInputs):
    """Inputs of ``incident_io.alert.send``."""

    title: str = Field(min_length=1)
    status: Literal["firing", "resolved"] = "firing"
    deduplication_key: str | None = Field(
        None, description="names the alert; default: the step's idempotency key (one alert per step)"
    )
    description: str | None = None
    metadata: dict[str, Any] | None = None
    source_url: str | None = None
    source: str | None = Field(None, description=f"the HTTP source's config id; default ${SOURCE_VARIABLE}")
    token: str | None = Field(None, description=f"the source's token; prefer ${TOKEN_VARIABLE}", repr=False)


def _source_and_token(inputs: SendAlertInputs) -> tuple[str, str]:
    source = inputs.source or os.environ.get(SOURCE_VARIABLE, "").strip()
    token = inputs.token or os.environ.get(TOKEN_VARIABLE, "").strip()
    if not source:
        raise StepError(f"no alert source: give input 'source' or set {SOURCE_VARIABLE}", retryable=False)
    if not token:
        raise StepError(
            f"no alert source token: set {TOKEN_VARIABLE} (or give input 'token')", retryable=False
        )
    return source, token


def _dedup_key(inputs: SendAlertInputs, context: NodeContext) -> str | None:
    return inputs.deduplication_key or context.idempotency_key or None


def _payload(inputs: SendAlertInputs, context: NodeContext) -> dict[str, Any]:
    payload: dict[str, Any] = {"title": inputs.title, "status": inputs.status}
    for key, value in (
        ("deduplication_key", _dedup_key(inputs, context)),
        ("description", inputs.description),
        ("metadata", inputs.metadata),
        ("source_url", inputs.source_url),
    ):
        if value is not None:
            payload[key] = value
    return payload


def _preview_send(inputs: SendAlertInputs, context: NodeContext) -> dict[str, Any]:
    """What a dry run reports: the request, without the token (it travels in a header)."""
    source = inputs.source or os.environ.get(SOURCE_VARIABLE, "").strip() or f"${SOURCE_VARIABLE}"
    return {"method": "POST", "path": f"/v2/alert_events/http/{source}", "body": _payload(inputs, context)}


@register("incident_io.alert.send", SendAlertInputs, writes=True, preview=_preview_send)
def send_alert(inputs: SendAlertInputs, context: NodeContext) -> Completed:
    """Send an alert event to an HTTP alert source; outputs its deduplication key and the answer."""
    source, token = _source_and_token(inputs)
    result = context.api().alert_events.send(
        source,
        token,
        title=inputs.title,
        status=inputs.status,
        deduplication_key=_dedup_key(inputs, context),
        description=inputs.description,
        metadata=inputs.metadata,
        source_url=inputs.source_url,
    )
    return Completed(
        {
            "deduplication_key": result.deduplication_key,
            "alert_source_id": source,
            "status": inputs.status,
            "accepted": result.status == "success",
            "message": result.message,
        }
    )


class ResolveAlertInputs(StepInputs):
    """Inputs of ``incident_io.alert.resolve``: the alert's id, or its deduplication key (and source)."""

    alert_id: str | None = None
    deduplication_key: str | None = None
    source: str | None = Field(None, description="the alert source (name or config id) of deduplicationKey")


@register("incident_io.alert.resolve", ResolveAlertInputs, writes=True)
def resolve_alert(inputs: ResolveAlertInputs, context: NodeContext) -> Completed:
    """Resolve an alert by id, or the firing alert with a deduplication key; no-op if already resolved."""
    client = context.api()
    if inputs.alert_id:
        alert_id = inputs.alert_id
    elif inputs.deduplication_key:
        sources = [inputs.source] if inputs.source else None
        firing = list(
            client.alerts.list(
                deduplication_key=inputs.deduplication_key, alert_source=sources, status="firing", limit=1
            )
        )
        if not firing:
            return Completed(
                {
                    "alert_id": None,
                    "resolved": False,
                    "changed": False,
                    "description": "no firing alert has that key",
                }
            )
        alert_id = firing[0].id
    else:
        raise StepError("give input 'alertId' or 'deduplicationKey'", retryable=False)
    before = client.alerts.get(alert_id)
    if before.status == "resolved":
        return Completed(
            {"alert_id": alert_id, "resolved": True, "changed": False, "description": "already resolved"}
        )
    after = client.alerts.resolve(alert_id)
    return Completed(
        {
            "alert_id": after.id,
            "resolved": after.status == "resolved",
            "changed": True,
            "description": f"resolved alert {after.title!r}",
        }
    )
