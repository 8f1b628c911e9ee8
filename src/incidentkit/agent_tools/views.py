"""Compact JSON views of incident.io objects, for a model to read.

The API's objects are large (an incident is several kilobytes with its custom fields and
timestamps); an agent pays for every token of a tool's answer. Each view keeps what a responder
reads, the incident's reference (``INC-123``) and its permalink, and leaves out what is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentkit.api.view import IncidentView
from incidentkit.investigation.priority import severity_priority

SUMMARY_LIMIT = 2_000
"""An incident summary longer than this is cut in lists (``get`` and ``context`` give it whole)."""


def _name(value: Any) -> str | None:
    return value.get("name") if isinstance(value, Mapping) else None


def _person(actor: Any) -> str | None:
    """A user's name and email, an API key's name, or None."""
    if not isinstance(actor, Mapping):
        return None
    user = actor.get("user") if "user" in actor or "api_key" in actor else actor
    if isinstance(user, Mapping) and (user.get("name") or user.get("email")):
        name, email = user.get("name"), user.get("email")
        return f"{name} <{email}>" if name and email else str(name or email)
    key = actor.get("api_key")
    if isinstance(key, Mapping) and key.get("name"):
        return f"API key {key['name']}"
    return None


def compact(view: Mapping[str, Any]) -> dict[str, Any]:
    """``view`` without the keys whose value is None, an empty list or an empty string."""
    return {key: value for key, value in view.items() if value not in (None, [], "", {})}


def incident(data: Mapping[str, Any], *, full_summary: bool = True) -> dict[str, Any]:
    """An incident (the API's JSON) as a responder reads it."""
    flat = IncidentView(data)
    severity = _name(data.get("severity"))
    summary = str(data.get("summary") or "")
    if not full_summary and len(summary) > SUMMARY_LIMIT:
        summary = summary[:SUMMARY_LIMIT] + " [...]"
    lead = next(
        (
            _person(assignment.get("assignee"))
            for assignment in data.get("incident_role_assignments") or []
            if (assignment.get("role") or {}).get("role_type") == "lead"
        ),
        None,
    )
    return compact(
        {
            "id": data.get("id"),
            "reference": data.get("reference"),
            "name": data.get("name"),
            "status": _name(data.get("incident_status")),
            "status_category": (data.get("incident_status") or {}).get("category"),
            "severity": severity,
            "priority": severity_priority(severity),
            "type": _name(data.get("incident_type")),
            "mode": data.get("mode") if data.get("mode") != "standard" else None,
            "lead": lead,
            "services": flat.services,
            "teams": flat.teams,
            "summary": summary,
            "created_at": data.get("created_at"),
            "updated_at": data.get("updated_at"),
            "slack_channel_id": data.get("slack_channel_id"),
            "permalink": data.get("permalink"),
        }
    )


def custom_fields(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """An incident's custom fields that have a value: field name → the values' names."""
    fields: dict[str, list[str]] = {}
    for entry in data.get("custom_field_entries") or []:
        name = _name(entry.get("custom_field"))
        values = [_value_text(value) for value in entry.get("values") or []]
        if name and any(values):
            fields[name] = [value for value in values if value]
    return fields


def _value_text(value: Mapping[str, Any]) -> str | None:
    for key in ("value_option", "value_catalog_entry"):
        named = _name(value.get(key))
        if named:
            return named
        if isinstance(value.get(key), Mapping) and value[key].get("value"):
            return str(value[key]["value"])
    for key in ("value_text", "value_link", "value_numeric"):
        if value.get(key) not in (None, ""):
            return str(value[key])
    return None


def roles(data: Mapping[str, Any]) -> dict[str, str]:
    """Who holds each incident role: role name → person."""
    held: dict[str, str] = {}
    for assignment in data.get("incident_role_assignments") or []:
        person = _person(assignment.get("assignee"))
        role = _name(assignment.get("role"))
        if role and person:
            held[role] = person
    return held


def update(data: Mapping[str, Any]) -> dict[str, Any]:
    """An incident update (the API's JSON)."""
    return compact(
        {
            "id": data.get("id"),
            "created_at": data.get("created_at"),
            "by": _person(data.get("updater")),
            "status": _name(data.get("new_incident_status")),
            "severity": _name(data.get("new_severity")),
            "message": data.get("message"),
        }
    )


def timeline_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """A timeline item (the API's JSON)."""
    return compact(
        {
            "id": data.get("id"),
            "timestamp": data.get("timestamp"),
            "title": data.get("title"),
            "description": data.get("description"),
            "by": _person(data.get("creator")),
        }
    )


def follow_up(data: Mapping[str, Any]) -> dict[str, Any]:
    """A follow-up (the API's JSON)."""
    issue = data.get("external_issue_reference") or {}
    return compact(
        {
            "id": data.get("id"),
            "incident_id": data.get("incident_id"),
            "title": data.get("title"),
            "status": data.get("status"),
            "assignee": _person(data.get("assignee")),
            "priority": _name(data.get("priority")),
            "labels": data.get("labels"),
            "description": data.get("description"),
            "issue": issue.get("issue_permalink") or issue.get("issue_name"),
            "created_at": data.get("created_at"),
            "completed_at": data.get("completed_at"),
        }
    )


def page(items: list[dict[str, Any]], after: str | None, key: str) -> dict[str, Any]:
    """One page of a list: the items under ``key``, and the cursor of the next page when there is one."""
    answer: dict[str, Any] = {key: items, "count": len(items)}
    if after:
        answer["next_after"] = after
        answer["more"] = f"more {key} follow: call again with after={after!r}"
    return answer
