"""The request validators: the 422 field checks of request bodies, as the API words them.

Each check reads one field of a payload, or one list of entries, and raises
:func:`~incidentkit.emulator.errors.invalid` or :func:`~incidentkit.emulator.errors.required`
naming the field the way the API does (``incident.custom_field_entries[0].values[1]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.catalog_values import catalog_value
from incidentkit.emulator.errors import invalid, required
from incidentkit.emulator.ids import rfc3339
from incidentkit.emulator.state import Record
from incidentkit.timeutil import parse_iso


def string_field(body: dict[str, Any], name: str, *, prefix: str = "", needed: bool = False) -> str | None:
    """``body[name]`` if it is a string; ``needed`` refuses it missing or blank."""
    value = body.get(name)
    if value is None:
        if needed:
            raise required(prefix + name)
        return None
    if not isinstance(value, str):
        raise invalid(prefix + name, f"{prefix + name} must be a string, not {type(value).__name__}")
    if needed and not value.strip():
        raise required(prefix + name)
    return value


def enum_field(
    body: dict[str, Any], name: str, allowed: Iterable[str], default: str | None = None
) -> str | None:
    """``body[name]`` if it is one of ``allowed``; ``default`` when it is missing."""
    value = string_field(body, name)
    if value is None:
        return default
    options = list(allowed)
    if value not in options:
        raise invalid(name, f"{name} must be one of {', '.join(options)}, not {value!r}")
    return value


def lookup(collection: list[Record], value: str | None, field_name: str, what: str) -> Record | None:
    """The record of ``collection`` with the id ``value`` (``None`` for no value); an unknown id is a 422."""
    if value is None:
        return None
    found = next((record for record in collection if record["id"] == value), None)
    if found is None:
        raise invalid(field_name, f"No {what} exists with id {value!r}", code="not_found")
    return found


def timestamp_field(value: Any, field_name: str) -> str:
    """An RFC 3339 timestamp, rewritten the way the API writes it (UTC, microseconds, ``Z``)."""
    if not isinstance(value, str):
        raise invalid(field_name, f"{field_name} must be an RFC 3339 timestamp")
    try:
        parsed = parse_iso(value)
        # In UTC the instant may leave the years 1 to 9999 (0001-01-01T00:00:00+01:00 is in year 0).
        epoch = parsed.astimezone(UTC).timestamp()
    except (ValueError, OverflowError):
        raise invalid(
            field_name,
            f"{field_name} must be an RFC 3339 timestamp between years 1 and 9999 in UTC, not {value!r}",
        ) from None
    return rfc3339(epoch)


def parse_custom_values(call: Call, entries: Any, prefix: str) -> dict[str, list[Record]]:
    """``custom_field_entries`` of a payload, checked against the fields and their options."""
    if not isinstance(entries, list):
        raise invalid(prefix + "custom_field_entries", "custom_field_entries must be a list")
    values: dict[str, list[Record]] = {}
    for index, entry in enumerate(entries):
        where = f"{prefix}custom_field_entries[{index}]"
        if not isinstance(entry, dict):
            raise invalid(where, f"{where} must be an object")
        field_id = string_field(entry, "custom_field_id", prefix=where + ".", needed=True)
        custom_field = lookup(call.state.custom_fields, field_id, f"{where}.custom_field_id", "custom field")
        assert custom_field is not None and field_id is not None
        options = {option["id"]: option for option in call.state.custom_field_options.get(field_id, [])}
        converted: list[Record] = []
        for value_index, value in enumerate(entry.get("values") or []):
            value_where = f"{where}.values[{value_index}]"
            if not isinstance(value, dict):
                raise invalid(value_where, f"{value_where} must be an object")
            if "value_option_id" in value:
                option = options.get(value["value_option_id"])
                if option is None:
                    raise invalid(
                        f"{value_where}.value_option_id",
                        f"{custom_field['name']} has no option with id {value['value_option_id']!r}",
                        code="not_found",
                    )
                converted.append({"value_option": option})
            elif "value_catalog_entry_id" in value:
                converted.append(
                    catalog_value(call.state, custom_field, value["value_catalog_entry_id"], value_where)
                )
            else:
                kept = {k: v for k, v in value.items() if k in ("value_text", "value_link", "value_numeric")}
                if not kept:
                    raise invalid(value_where, f"{value_where} has no value")
                converted.append(kept)
        values[field_id] = converted
    return values


def parse_role_assignments(
    call: Call, assignments: Any, prefix: str, *, editing: bool = False
) -> list[tuple[Record, Record | None]]:
    """``incident_role_assignments``: (role, user) pairs, ``None`` as the user to unassign the role.

    The assignee is a ``UserReferencePayloadV2``: an id, an email (in any case) or a Slack user id;
    every reference given must name the same user. The reporter may be set only on create.
    """
    if not isinstance(assignments, list):
        raise invalid(prefix + "incident_role_assignments", "incident_role_assignments must be a list")
    result: list[tuple[Record, Record | None]] = []
    for index, assignment in enumerate(assignments):
        where = f"{prefix}incident_role_assignments[{index}]"
        if not isinstance(assignment, dict):
            raise invalid(where, f"{where} must be an object")
        role_id = string_field(assignment, "incident_role_id", prefix=where + ".", needed=True)
        role = lookup(call.state.incident_roles, role_id, f"{where}.incident_role_id", "incident role")
        assert role is not None
        if editing and role["role_type"] == "reporter":
            raise invalid(
                f"{where}.incident_role_id",
                "The reporter role can only be assigned when creating an incident",
            )
        assignee = assignment.get("assignee")
        if assignee is not None and not isinstance(assignee, dict):
            raise invalid(f"{where}.assignee", f"{where}.assignee must be an object")
        result.append((role, _assignee(call, assignee or {}, f"{where}.assignee")))
    return result


def _assignee(call: Call, reference: dict[str, Any], where: str) -> Record | None:
    """The one user a ``UserReferencePayloadV2`` names; ``None`` when it names nobody (unassign)."""
    found: Record | None = None
    for key in ("id", "email", "slack_user_id"):
        value = string_field(reference, key, prefix=where + ".")
        if not value:
            continue
        user = next(
            (
                u
                for u in call.state.users
                if (u.get(key, "").lower() == value.lower() if key == "email" else u.get(key) == value)
            ),
            None,
        )
        if user is None:
            raise invalid(f"{where}.{key}", f"No user has the {key} {value!r}", code="not_found")
        if found is not None and found["id"] != user["id"]:
            raise invalid(where, f"{where} names two different users: {found['name']} and {user['name']}")
        found = user
    return found


# Which status categories an incident may move between (IncidentEditPayloadV2.incident_status_id).
_ALLOWED_MOVES = {
    "triage": {"triage", "live", "learning", "closed", "declined", "canceled", "merged", "paused"},
    "live": {"live", "learning", "closed", "paused"},
    "paused": {"paused", "live", "learning", "closed"},
    "learning": {"learning", "closed"},
    "closed": {"closed"},
    "declined": {"declined"},
    "canceled": {"canceled"},
    "merged": {"merged"},
}


def check_move(incident: Record, status: Record, field_name: str) -> None:
    """Refuse a status the incident's current status category may not move to."""
    current = incident["incident_status"]["category"]
    if status["category"] not in _ALLOWED_MOVES.get(current, {current}):
        raise invalid(
            field_name,
            f"An incident in a {current} status cannot move to {status['name']} ({status['category']})",
            code="invalid_status_transition",
        )


def incident_for_payload(call: Call, body: dict[str, Any]) -> Record:
    """The incident a payload's ``incident_id`` names (its id or its reference)."""
    incident_id = string_field(body, "incident_id", needed=True)
    assert incident_id is not None
    incident = call.state.incident_by_reference(incident_id)
    if incident is None:
        raise invalid("incident_id", f"No incident exists with id {incident_id!r}", code="not_found")
    return incident
