"""The organisation's incident timestamps (list, show) and incident roles (create, update, delete).

Roles are embedded in incidents' ``incident_role_assignments``, so a changed role shows its new
name everywhere and a deleted one leaves every incident. The lead and reporter roles come with
every organisation and cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import string_field


def list_timestamps(call: Call) -> tuple[int, Record]:
    ordered = sorted(call.state.incident_timestamps, key=lambda t: t["rank"])
    return 200, {"incident_timestamps": ordered}


def show_timestamp(call: Call) -> tuple[int, Record]:
    found = call.state.find(call.state.incident_timestamps, call.path_params["id"])
    if found is None:
        raise not_found("incident timestamp", call.path_params["id"])
    return 200, {"incident_timestamp": found}


def _role(call: Call) -> Record:
    found = call.state.find(call.state.incident_roles, call.path_params["id"])
    if found is None:
        raise not_found("incident role", call.path_params["id"])
    return found


def _role_fields(call: Call, body: dict[str, Any], current: Record | None) -> dict[str, str]:
    """The four fields every role payload requires; name and description may not be blank."""
    fields: dict[str, str] = {}
    for name in ("name", "shortform", "description", "instructions"):
        value = string_field(body, name)
        if value is None:
            raise required(name)
        if name in ("name", "description") and not value.strip():
            raise invalid(name, f"{name} must not be blank")
        fields[name] = value.strip() if name == "name" else value
    for other in call.state.incident_roles:
        if other is current:
            continue
        if other["name"].lower() == fields["name"].lower():
            raise invalid("name", f"A role named {other['name']!r} already exists", code="conflict")
        if fields["shortform"] and other["shortform"].lower() == fields["shortform"].lower():
            raise invalid(
                "shortform", f"The role {other['name']} already has the shortform {other['shortform']!r}"
            )
    return fields


def create_role(call: Call) -> tuple[int, Record]:
    fields = _role_fields(call, call.json_object(), None)
    role: Record = {
        "id": new_ulid(call.now, call.rng),
        **fields,
        "role_type": "custom",
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
    }
    call.state.incident_roles.append(role)
    call.changed = True
    return 201, {"incident_role": role}


def update_role(call: Call) -> tuple[int, Record]:
    role = _role(call)
    role.update(_role_fields(call, call.json_object(), role))
    role["updated_at"] = rfc3339(call.now)
    for incident in call.state.incidents.values():
        for assignment in incident["incident_role_assignments"]:
            if assignment["role"]["id"] == role["id"]:
                assignment["role"] = dict(role)
    call.changed = True
    return 200, {"incident_role": role}


def delete_role(call: Call) -> tuple[int, None]:
    role = _role(call)
    if role["role_type"] != "custom":
        raise invalid("id", f"The {role['name']} role comes with every organisation and cannot be deleted")
    call.state.incident_roles.remove(role)
    for incident in call.state.incidents.values():
        incident["incident_role_assignments"] = [
            a for a in incident["incident_role_assignments"] if a["role"]["id"] != role["id"]
        ]
    call.changed = True
    return 204, None


ROUTES = [
    ("GET", "/v2/incident_timestamps", list_timestamps, None),
    ("GET", "/v2/incident_timestamps/{id}", show_timestamp, None),
    ("POST", "/v2/incident_roles", create_role, "organisation_settings.update"),
    ("PUT", "/v2/incident_roles/{id}", update_role, "organisation_settings.update"),
    ("DELETE", "/v2/incident_roles/{id}", delete_role, "organisation_settings.update"),
]
"""This module's operations: (method, schema path, handler, scope), for :mod:`.routes`."""
