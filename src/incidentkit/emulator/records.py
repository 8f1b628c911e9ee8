"""Building API-shaped records: incidents, updates and timeline items, as the schema defines them.

Shared by the request handlers and by the seeds, so that seeded history and what a client
creates look the same.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import APIKey, OrgState, Record

SLACK_TEAM_ID = "T02A1FSLE8J"


def key_actor(key: APIKey) -> Record:
    """An ``ActorV2`` for an API key."""
    return {"api_key": {"id": key.id, "name": key.name}}


def user_actor(user: Record) -> Record:
    """An ``ActorV2`` for a user."""
    return {"user": embedded_user(user)}


def embedded_user(user: Record) -> Record:
    """A ``UserV2`` (what incidents embed) from a ``UserWithRolesV2``."""
    embedded = {"id": user["id"], "name": user["name"], "role": user["role"]}
    for optional in ("email", "slack_user_id"):
        if optional in user:
            embedded[optional] = user[optional]
    return embedded


def embedded_type(incident_type: Record) -> Record:
    """An ``IncidentTypeV2`` (no ``owning_team_ids``) from an ``IncidentTypeV1``."""
    return {key: value for key, value in incident_type.items() if key != "owning_team_ids"}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "incident"


def custom_field_info(state: OrgState, custom_field: Record) -> Record:
    """The ``CustomFieldTypeInfoV2`` an incident embeds: the field and its options."""
    return {
        "id": custom_field["id"],
        "name": custom_field["name"],
        "description": custom_field["description"],
        "field_type": custom_field["field_type"],
        "options": state.custom_field_options.get(custom_field["id"], []),
    }


def new_incident(
    state: OrgState,
    *,
    now: float,
    rng: random.Random,
    creator: Record,
    name: str,
    status: Record,
    visibility: str = "public",
    mode: str = "standard",
    summary: str | None = None,
    severity: Record | None = None,
    incident_type: Record | None = None,
    custom_values: dict[str, list[Record]] | None = None,
    role_assignments: Sequence[tuple[Record, Record | None]] = (),
) -> Record:
    """A new ``IncidentV2`` with the next reference; the caller stores it."""
    number = state.next_reference
    state.next_reference += 1
    incident_id = new_ulid(now, rng)
    created = rfc3339(now)
    channel_id = "C0" + new_ulid(now, rng)[-9:]
    channel_name = f"inc-{number}-{_slug(name)}"
    incident: Record = {
        "id": incident_id,
        "reference": f"INC-{number}",
        "name": name,
        "visibility": visibility,
        "mode": mode,
        "incident_status": dict(status),
        "creator": creator,
        "custom_field_entries": [],
        "incident_role_assignments": [],
        "incident_timestamp_values": [],
        "permalink": f"https://app.incident.io/{state.organisation_slug}/incidents/{number}",
        "slack_team_id": SLACK_TEAM_ID,
        "slack_channel_id": channel_id,
        "slack_channel_name": channel_name,
        "slack_channel_url": f"https://slack.com/app_redirect?channel={channel_id}&team={SLACK_TEAM_ID}",
        "team_ids": [],
        "has_debrief": False,
        "postmortem_document_ids": [],
        "created_at": created,
        "updated_at": created,
        "last_activity_at": created,
    }
    if summary is not None:
        incident["summary"] = summary
    if severity is not None:
        incident["severity"] = dict(severity)
    if incident_type is not None:
        incident["incident_type"] = embedded_type(incident_type)
    set_custom_values(state, incident, custom_values or {})
    set_role_assignments(incident, role_assignments)
    stamp_timestamps(state, incident, now)
    return incident


def set_custom_values(state: OrgState, incident: Record, values: dict[str, list[Record]]) -> None:
    """Set the values of the given custom fields (an empty list unsets one); entries keep field order."""
    current = {entry["custom_field"]["id"]: entry["values"] for entry in incident["custom_field_entries"]}
    current.update(values)
    incident["custom_field_entries"] = [
        {"custom_field": custom_field_info(state, field), "values": current.get(field["id"], [])}
        for field in state.custom_fields
        if field["id"] in current
    ]


def set_role_assignments(incident: Record, assignments: Sequence[tuple[Record, Record | None]]) -> None:
    """Assign (role, user) pairs; ``None`` as the user unassigns the role."""
    by_role = {entry["role"]["id"]: entry for entry in incident["incident_role_assignments"]}
    for role, user in assignments:
        entry: Record = {"role": dict(role)}
        if user is not None:
            entry["assignee"] = embedded_user(user)
        by_role[role["id"]] = entry
    incident["incident_role_assignments"] = list(by_role.values())


# Which incident timestamp a status category sets, by the timestamp's name.
_TIMESTAMP_FOR_CATEGORY = {
    "live": "Accepted at",
    "declined": "Declined at",
    "merged": "Merged at",
    "canceled": "Canceled at",
    "learning": "Resolved at",
    "closed": "Closed at",
}


def stamp_timestamps(state: OrgState, incident: Record, now: float) -> None:
    """Record when the incident was reported, and when it first reached its current category."""
    values = {entry["incident_timestamp"]["id"]: entry for entry in incident["incident_timestamp_values"]}
    wanted = {"Reported at", _TIMESTAMP_FOR_CATEGORY.get(incident["incident_status"]["category"], "")}
    if incident["incident_status"]["category"] == "closed":
        wanted.add("Resolved at")
    for timestamp in state.incident_timestamps:
        entry = values.setdefault(timestamp["id"], {"incident_timestamp": dict(timestamp)})
        if timestamp["name"] in wanted and "value" not in entry:
            entry["value"] = {
                "value": incident["created_at"] if timestamp["name"] == "Reported at" else rfc3339(now)
            }
    incident["incident_timestamp_values"] = [values[t["id"]] for t in state.incident_timestamps]


def new_update(
    incident: Record,
    *,
    now: float,
    rng: random.Random,
    updater: Record,
    message: str | None = None,
) -> Record:
    """An ``IncidentUpdateV2`` recording the incident's status and severity as they are now."""
    update: Record = {
        "id": new_ulid(now, rng),
        "incident_id": incident["id"],
        "new_incident_status": dict(incident["incident_status"]),
        "updater": updater,
        "created_at": rfc3339(now),
    }
    if "severity" in incident:
        update["new_severity"] = dict(incident["severity"])
    if message is not None:
        update["message"] = message
    return update


def new_timeline_item(
    incident_id: str,
    *,
    now: float,
    rng: random.Random,
    creator: Record,
    title: str,
    timestamp: str,
    description: str | None = None,
) -> Record:
    """An ``IncidentTimelineItemV2``."""
    item: Record = {
        "id": new_ulid(now, rng),
        "incident_id": incident_id,
        "title": title,
        "timestamp": timestamp,
        "creator": creator,
        "created_at": rfc3339(now),
        "updated_at": rfc3339(now),
    }
    if description is not None:
        item["description"] = description
    return item


def strip_nulls(value: Any) -> Any:
    """Drop ``null`` members, as the API omits unset optional fields."""
    if isinstance(value, dict):
        return {key: strip_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [strip_nulls(item) for item in value]
    return value
