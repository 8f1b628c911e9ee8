"""Steps that read and change incidents in incident.io, through :class:`incidentkit.api.Client`.

The intents (acknowledge, resolve, escalate) are the client's own, so the rules for "which
status is live", "which is closed" and "one step up" live in one place. Every create sends the
engine's idempotency key, so a retried step never makes a second incident or update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from incidentkit.timeutil import parse_when
from incidentkit.workflows.nodes.base import Completed, NodeContext, StepInputs
from incidentkit.workflows.nodes.registry import register

if TYPE_CHECKING:
    from incidentkit.api import Client, IncidentChange
    from incidentkit.api.models import Incident

OPEN_CATEGORIES = ("triage", "live")


def _api_severity(value: str, context: NodeContext) -> str:
    """The severity to send, after ``severity_map``: the one mapping the engine's triggers use too."""
    from incidentkit.workflows.severity import severity_for_api

    return severity_for_api(value, context.severity_map)


def parse_since(value: str, now: Callable[[], datetime]) -> datetime:
    """``since`` as a point in time, by the package's one rule (:func:`incidentkit.timeutil.parse_when`).

    Raises:
        ValueError: not a time; the message names the input and the value.
    """
    try:
        return parse_when(value, now)
    except ValueError as error:
        raise ValueError(f"input 'since': {error}") from None


def incident_output(incident: Incident, context: NodeContext | None = None) -> dict[str, Any]:
    """What an incident step outputs: the incident view's flat fields, as ``$trigger`` has them."""
    from incidentkit.api.view import incident_view

    return incident_view(incident, team_field=context.team_field if context else None).fields()


def _change_output(change: IncidentChange, context: NodeContext) -> dict[str, Any]:
    return {
        **incident_output(change.incident, context),
        "changed": change.changed,
        "description": change.description,
        "update_id": change.update.id if change.update else None,
    }


# --- reads ------------------------------------------------------------------------------------


class GetInputs(StepInputs):
    """Inputs of ``incident_io.incident.get``."""

    incident_id: str = Field(description="ULID, INC-123, 123 or dashboard URL")


@register("incident_io.incident.get", GetInputs, writes=False)
def get_incident(inputs: GetInputs, context: NodeContext) -> Completed:
    """Fetch one incident."""
    return Completed(incident_output(context.api().incidents.get(inputs.incident_id), context))


class ListInputs(StepInputs):
    """Inputs of ``incident_io.incident.list``."""

    status: str = Field("open", description="open (triage + live), closed, all, a category or a status name")
    severity: str | None = None
    team: str | None = None
    since: str | None = Field(None, description="ISO date/datetime, or an age: 30m, 24h, 7d")
    limit: int = Field(25, ge=1, le=500)


def _status_filter(status: str) -> dict[str, list[str]]:
    from incidentkit.api.models import STATUS_CATEGORIES

    wanted = status.strip().lower()
    if wanted == "open":
        return {"status_category": list(OPEN_CATEGORIES)}
    if wanted == "all":
        return {}
    if wanted in STATUS_CATEGORIES:
        return {"status_category": [wanted]}
    return {"status": [status]}  # a status name or id, resolved by the client


def _team_filter(client: Client, context: NodeContext, team: str) -> tuple[Callable[[Incident], bool], str]:
    """How an incident is matched to a team, and a sentence saying so (for the step output).

    incident.io has no team filter on ``GET /v2/incidents``. An incident belongs to ``team`` when
    its ``team_ids`` hold it, or when a team custom field (``team_field`` in the config, else any
    custom field whose name contains "team") has a value, option or catalog entry of that name or id.
    """
    from incidentkit.api.view import incident_view, is_team_field

    fields = client.custom_fields.list()
    chosen = [f for f in fields if is_team_field(f.to_json(), context.team_field)]
    if context.team_field and not chosen:
        names = ", ".join(f.name for f in fields) or "(none)"
        raise ValueError(f"team_field {context.team_field!r} is not a custom field; custom fields: {names}")

    def belongs(incident: Incident) -> bool:
        return incident_view(incident, team_field=context.team_field).belongs_to_team(team)

    if chosen:
        how = f"team_ids or custom field {', '.join(repr(f.name) for f in chosen)}"
    else:
        how = "team_ids only: the organisation has no custom field whose name contains 'team'"
    return belongs, how


@register("incident_io.incident.list", ListInputs, writes=False)
def list_incidents(inputs: ListInputs, context: NodeContext) -> Completed:
    """List incidents by status, severity, team and age, newest first, at most ``limit``."""
    client = context.api()
    filters: dict[str, Any] = _status_filter(inputs.status)
    if inputs.severity is not None:
        filters["severity"] = [_api_severity(inputs.severity, context)]
    if inputs.since is not None:
        filters["created_at_gte"] = parse_since(inputs.since, context.clock)
    output: dict[str, Any] = {}
    if inputs.team is None:
        found = list(client.incidents.list(limit=inputs.limit, **filters))
    else:
        belongs, how = _team_filter(client, context, inputs.team)
        output["team_matched_on"] = how
        found = []
        # The team is matched here, so the pages are read until enough incidents belong to it.
        for incident in client.incidents.list(**filters):
            if belongs(incident):
                found.append(incident)
                if len(found) >= inputs.limit:
                    break
    incidents = [incident_output(incident, context) for incident in found]
    return Completed({"incidents": incidents, "count": len(incidents), **output})


# --- intents ----------------------------------------------------------------------------------


class AcknowledgeInputs(StepInputs):
    """Inputs of ``incident_io.incident.acknowledge`` and ``.resolve``."""

    incident_id: str
    message: str | None = None
    notify: bool = False


@register("incident_io.incident.acknowledge", AcknowledgeInputs, writes=True)
def acknowledge_incident(inputs: AcknowledgeInputs, context: NodeContext) -> Completed:
    """Move a triage incident to the first live status, posting ``message``; a no-op unless in triage."""
    change = context.api().incidents.acknowledge(
        inputs.incident_id,
        message=inputs.message,
        idempotency_key=context.idempotency_key or None,
        notify_incident_channel=inputs.notify,
    )
    context.log.info("%s", change.description)
    return Completed(_change_output(change, context))


@register("incident_io.incident.resolve", AcknowledgeInputs, writes=True)
def resolve_incident(inputs: AcknowledgeInputs, context: NodeContext) -> Completed:
    """Move an incident to the first status of category closed, posting ``message``; a no-op if closed."""
    change = context.api().incidents.close(
        inputs.incident_id,
        message=inputs.message,
        idempotency_key=context.idempotency_key or None,
        notify_incident_channel=inputs.notify,
    )
    context.log.info("%s", change.description)
    return Completed(_change_output(change, context))


class EscalateInputs(StepInputs):
    """Inputs of ``incident_io.incident.escalate``."""

    incident_id: str
    severity: str | None = Field(None, description="the severity to go to; by default one step up")
    message: str = "Escalated by an automated workflow"
    notify: bool = False


@register("incident_io.incident.escalate", EscalateInputs, writes=True)
def escalate_incident(inputs: EscalateInputs, context: NodeContext) -> Completed:
    """Raise the severity one step (or to ``severity``) and post ``message`` as an update."""
    target = _api_severity(inputs.severity, context) if inputs.severity else None
    change = context.api().incidents.escalate(
        inputs.incident_id,
        to=target,
        message=inputs.message,
        idempotency_key=context.idempotency_key or None,
        notify_incident_channel=inputs.notify,
    )
    context.log.info("%s", change.description)
    return Completed(_change_output(change, context))


# --- edits and creates ------------------------------------------------------------------------

CustomFieldValues = str | int | float | list[str | int | float]


def custom_field_entries(client: Client, values: Mapping[str, CustomFieldValues]) -> list[dict[str, Any]]:
    """``customFields`` as the API's ``custom_field_entries``, resolved by the client.

    Raises:
        ValueError: a field that does not exist; the message names the input and lists the fields.
    """
    try:
        return client.custom_fields.entries(values)
    except ValueError as error:
        raise ValueError(f"input 'customFields': {error}") from None


class UpdateInputs(StepInputs):
    """Inputs of ``incident_io.incident.update``."""

    incident_id: str
    name: str | None = None
    summary: str | None = None
    severity: str | None = Field(None, description="a name, SEV-n, P0..P3 or an id")
    status: str | None = None
    custom_fields: dict[str, CustomFieldValues] | None = None
    notify: bool = False


@register("incident_io.incident.update", UpdateInputs, writes=True)
def update_incident(inputs: UpdateInputs, context: NodeContext) -> Completed:
    """Edit the fields given (name, summary, severity, status, custom fields); the rest stay as they are."""
    client = context.api()
    incident = client.incidents.edit(
        inputs.incident_id,
        name=inputs.name,
        summary=inputs.summary,
        severity=_api_severity(inputs.severity, context) if inputs.severity else None,
        status=inputs.status,
        custom_field_entries=(
            custom_field_entries(client, inputs.custom_fields) if inputs.custom_fields is not None else None
        ),
        notify_incident_channel=inputs.notify,
    )
    return Completed(incident_output(incident, context))


class CreateInputs(StepInputs):
    """Inputs of ``incident_io.incident.create``."""

    name: str
    summary: str | None = None
    severity: str | None = None
    status: str | None = None
    incident_type: str | None = None
    visibility: Literal["public", "private"] = "public"
    mode: Literal["standard", "retrospective", "test", "tutorial"] | None = None
    custom_fields: dict[str, CustomFieldValues] | None = None


@register("incident_io.incident.create", CreateInputs, writes=True)
def create_incident(inputs: CreateInputs, context: NodeContext) -> Completed:
    """Declare an incident, with the run's idempotency key: a retried step finds the first one."""
    client = context.api()
    incident = client.incidents.create(
        name=inputs.name,
        summary=inputs.summary,
        severity=_api_severity(inputs.severity, context) if inputs.severity else None,
        status=inputs.status,
        incident_type=inputs.incident_type,
        visibility=inputs.visibility,
        mode=inputs.mode,
        idempotency_key=context.idempotency_key or None,
        custom_field_entries=(
            custom_field_entries(client, inputs.custom_fields) if inputs.custom_fields is not None else None
        ),
    )
    return Completed(incident_output(incident, context))


# --- updates, timeline, follow-ups --------------------------------------------------------------


class PostUpdateInputs(StepInputs):
    """Inputs of ``incident_io.update.post``."""

    incident_id: str
    message: str
    status: str | None = None
    severity: str | None = None


@register("incident_io.update.post", PostUpdateInputs, writes=True)
def post_update(inputs: PostUpdateInputs, context: NodeContext) -> Completed:
    """Post an incident update, optionally moving the status or severity with it."""
    update = context.api().incident_updates.create(
        inputs.incident_id,
        message=inputs.message,
        status=inputs.status,
        severity=_api_severity(inputs.severity, context) if inputs.severity else None,
        idempotency_key=context.idempotency_key or None,
    )
    return Completed(
        {
            "update_id": update.id,
            "incident_id": update.incident_id,
            "message": update.message,
            "status": update.new_incident_status.name,
            "severity": update.new_severity.name if update.new_severity else None,
        }
    )


class TimelineEventInputs(StepInputs):
    """Inputs of ``incident_io.timeline.add_event``."""

    incident_id: str
    event_type: str = "custom"
    title: str
    description: str | None = None
    timestamp: datetime | None = None


@register("incident_io.timeline.add_event", TimelineEventInputs, writes=True)
def add_timeline_event(inputs: TimelineEventInputs, context: NodeContext) -> Completed:
    """Add a timeline item; where the API refuses it, post the same text as an incident update instead.

    Only a final refusal falls back: a retryable status (the client's one table) is raised so the
    engine retries the timeline item itself, and so is a 401, which an update would meet too. The
    output says which was made.
    """
    from incidentkit.api.errors import APIStatusError
    from incidentkit.api.retry import is_retryable_status

    client = context.api()
    key = context.idempotency_key or None
    try:
        item = client.incident_timeline_items.create(
            inputs.incident_id,
            title=inputs.title,
            description=inputs.description,
            timestamp=inputs.timestamp or context.clock(),
            idempotency_key=key,
        )
    except APIStatusError as refused:
        if refused.status == 401 or is_retryable_status(refused.status):
            raise
        context.log.warning("timeline item refused (%s); posting an incident update instead", refused.status)
        message = inputs.title if not inputs.description else f"{inputs.title}\n\n{inputs.description}"
        update = client.incident_updates.create(
            inputs.incident_id,
            message=message,
            # A key of its own: the update is another resource than the refused item.
            idempotency_key=f"{key}:update" if key else None,
        )
        return Completed(
            {
                "event_type": inputs.event_type,
                "timeline_item_id": None,
                "fallback": "incident_update",
                "fallback_reason": str(refused),
                "update_id": update.id,
                "incident_id": update.incident_id,
            }
        )
    return Completed(
        {
            "event_type": inputs.event_type,
            "timeline_item_id": item.id,
            "fallback": None,
            "incident_id": item.incident_id,
            "title": item.title,
        }
    )


class FollowUpInputs(StepInputs):
    """Inputs of ``incident_io.follow_up.create``."""

    incident_id: str
    title: str
    description: str | None = None
    assignee_id: str | None = None
    labels: list[str] | None = None


@register("incident_io.follow_up.create", FollowUpInputs, writes=True)
def create_follow_up(inputs: FollowUpInputs, context: NodeContext) -> Completed:
    """Create a follow-up (``POST /v3/follow_ups``).

    The endpoint takes no idempotency key, so the step reads before it writes: an open follow-up
    on the incident with the same title and description is taken as this step's earlier attempt,
    and none is created (``created`` is False). Two steps that create identical follow-ups on one
    incident therefore make one.
    """
    client = context.api()
    # The incident's own mode: without it the API lists only standard and retrospective
    # incidents' follow-ups, and a test incident's earlier attempt would go unseen.
    incident = client.incidents.get(inputs.incident_id)
    incident_id = incident.id
    for follow_up in client.follow_ups.list(incident_id, incident_mode=incident.mode):
        if (
            follow_up.title == inputs.title
            and follow_up.description == inputs.description
            and follow_up.status != "deleted"
        ):
            earlier = follow_up.to_json()
            return Completed({"follow_up_id": follow_up.id, "created": False, "follow_up": earlier})
    created = client.follow_ups.create(
        incident_id,
        title=inputs.title,
        description=inputs.description,
        assignee_id=inputs.assignee_id,
        labels=inputs.labels,
    )
    return Completed({"follow_up_id": created.id, "created": True, "follow_up": created.to_json()})
