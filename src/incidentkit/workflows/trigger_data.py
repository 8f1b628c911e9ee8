"""What ``$trigger`` holds for each kind of trigger (WORKFLOWS.md, the Triggers table).

Pure functions: the dispatcher fetches the incident and the organisation's severities, and these
shape them. Event data only ever becomes values here, never template text, so a title holding
``{{ 7*7 }}`` reaches every step exactly as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from incidentkit.api.view import incident_view
from incidentkit.timeutil import iso as _iso
from incidentkit.webhooks.lifecycle import LifecycleEvent
from incidentkit.workflows.severity import SeverityScale


def incident_fields(
    incident: Mapping[str, Any], scale: SeverityScale | None, *, team_field: str | None = None
) -> dict[str, Any]:
    """``$trigger.incident_io`` for an incident (the API's JSON), severity as its ``SEV-n`` label.

    Args:
        incident: the incident as the API returns it.
        scale: the organisation's severities; without it the severity is the organisation's name.
        team_field: the custom field that holds the team, by id or name (any case); by default
            any field whose name contains "team".
    """
    fields = incident_view(incident, team_field=team_field).fields()
    severity = incident.get("severity")
    if isinstance(severity, Mapping) and scale is not None:
        from incidentkit.api.models import Severity

        fields.update(scale.trigger_fields(Severity.model_validate(dict(severity))))
    elif isinstance(severity, Mapping):
        name = severity.get("name")
        fields.update(severity=name, severity_name=name, severity_rank=severity.get("rank"), priority=None)
    else:
        fields.update(severity=None, severity_name=None, severity_rank=None, priority=None)
    return fields


def lifecycle_trigger(
    incident: Mapping[str, Any],
    lifecycle: LifecycleEvent,
    scale: SeverityScale | None,
    *,
    event: Mapping[str, Any] | None = None,
    team_field: str | None = None,
) -> dict[str, Any]:
    """``$trigger`` for ``trigger.incident_io.incident.created|updated|resolved``."""
    fields = incident_fields(incident, scale, team_field=team_field)
    changes = [change.to_dict() for change in lifecycle.changes]
    fields["changes"] = changes
    first = changes[0] if changes else {}
    fields["field"] = first.get("field")
    fields["old_value"] = first.get("old_value")
    fields["new_value"] = first.get("new_value")
    if lifecycle.event_type == "incident.resolved":
        fields["resolved_at"] = _iso(lifecycle.resolved_at)
        fields["resolution_seconds"] = lifecycle.resolution_seconds
    return {
        "type": "trigger.incident_io." + lifecycle.event_type,
        "incident_io": fields,
        "event": dict(event or {}),
    }


def raw_event_trigger(
    event: Mapping[str, Any],
    incident: Mapping[str, Any] | None,
    scale: SeverityScale | None,
    *,
    team_field: str | None = None,
) -> dict[str, Any]:
    """``$trigger`` for a raw event type or glob: the envelope, and the incident when it is about one."""
    trigger: dict[str, Any] = {"type": event.get("event_type"), "event": dict(event)}
    if incident is not None:
        trigger["incident_io"] = incident_fields(incident, scale, team_field=team_field)
    return trigger


def schedule_trigger(fired_at: datetime) -> dict[str, Any]:
    """``$trigger`` for a cron tick."""
    return {"type": "schedule", "fired_at": _iso(fired_at)}


def manual_trigger(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``$trigger`` for ``workflows run``."""
    return {"type": "manual", "inputs": dict(inputs)}
