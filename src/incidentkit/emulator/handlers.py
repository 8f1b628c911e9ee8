"""The API operations the emulator implements, one function each, as the official schema defines them.

A handler takes a :class:`~incidentkit.emulator.call.Call` (the authenticated request with the
state) and returns the status and the JSON body. It raises
:class:`~incidentkit.emulator.errors.APIError` for anything the real API would refuse. The checks
of request bodies are in :mod:`~incidentkit.emulator.validators`, the list filters and pages in
:mod:`~incidentkit.emulator.filters`.
"""

from __future__ import annotations

from incidentkit.emulator.call import Call, Handler
from incidentkit.emulator.errors import APIError, invalid, not_found, required
from incidentkit.emulator.filters import (
    incident_filter,
    incident_update_filter,
    paginate,
    timeline_item_filter,
    user_filter,
)
from incidentkit.emulator.ids import rfc3339
from incidentkit.emulator.incident_options import (
    RetrospectiveOptions,
    apply_retrospective,
    channel_name_field,
    parse_retrospective_options,
    parse_timestamp_values,
    set_timestamp_values,
)
from incidentkit.emulator.records import (
    key_actor,
    new_incident,
    new_timeline_item,
    new_update,
    set_custom_values,
    set_role_assignments,
    stamp_timestamps,
)
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import (
    check_move,
    enum_field,
    incident_for_payload,
    lookup,
    parse_custom_values,
    parse_role_assignments,
    string_field,
    timestamp_field,
)

# Catalogue: severities, statuses, types, roles, custom fields, users, identity.


def _collection_show(name: str, singular: str, attribute: str, what: str) -> tuple[Handler, Handler]:
    def list_all(call: Call) -> tuple[int, Record]:
        return 200, {name: getattr(call.state, attribute)}

    def show(call: Call) -> tuple[int, Record]:
        record_id = call.path_params["id"]
        found = call.state.find(getattr(call.state, attribute), record_id)
        if found is None:
            raise not_found(what, record_id)
        return 200, {singular: found}

    return list_all, show


list_severities, show_severity = _collection_show("severities", "severity", "severities", "severity")
list_statuses, show_status = _collection_show(
    "incident_statuses", "incident_status", "incident_statuses", "incident status"
)
list_types, show_type = _collection_show("incident_types", "incident_type", "incident_types", "incident type")
list_roles, show_role = _collection_show("incident_roles", "incident_role", "incident_roles", "incident role")
list_custom_fields, show_custom_field = _collection_show(
    "custom_fields", "custom_field", "custom_fields", "custom field"
)


def list_users(call: Call) -> tuple[int, Record]:
    users, meta = paginate(call, call.state.users, user_filter(call), maximum=10000)
    return 200, {"users": users, "pagination_meta": meta}


def show_user(call: Call) -> tuple[int, Record]:
    user = call.state.find(call.state.users, call.path_params["id"])
    if user is None:
        raise not_found("user", call.path_params["id"])
    return 200, {"user": user}


def identity(call: Call) -> tuple[int, Record]:
    return 200, {
        "identity": {
            "name": call.key.name,
            "roles": list(call.key.roles),
            "dashboard_url": f"https://app.incident.io/{call.state.organisation_slug}",
            "team_roles": [],
            "teams": [],
        }
    }


# Incidents.

MODES = ["standard", "retrospective", "test", "tutorial"]


def list_incidents(call: Call) -> tuple[int, Record]:
    sort_by = enum_field(
        {"sort_by": call.param("sort_by")},
        "sort_by",
        ["created_at_newest_first", "created_at_oldest_first"],
        "created_at_newest_first",
    )
    # ULIDs begin with their creation time, so ordering by id orders by creation.
    ordered = sorted(
        call.state.incidents.values(), key=lambda i: i["id"], reverse=sort_by == "created_at_newest_first"
    )
    incidents, meta = paginate(call, ordered, incident_filter(call), maximum=500, with_total=True)
    return 200, {"incidents": incidents, "pagination_meta": meta}


def _incident(call: Call) -> Record:
    value = call.path_params["id"]
    found = call.state.incident_by_reference(value)
    if found is None:
        raise not_found("incident", value)
    return found


def show_incident(call: Call) -> tuple[int, Record]:
    return 200, {"incident": _incident(call)}


def _replayed(call: Call, resource: str, key: str) -> str | None:
    return call.state.idempotency.get(f"{resource}:{key}")


def _announce(call: Call, incident: Record, event: str) -> None:
    """Emit the webhook an incident change causes: private incidents send only their id."""
    if incident["visibility"] == "private":
        call.emit(f"private_incident.{event}", {"id": incident["id"]})
    else:
        call.emit(f"public_incident.{event}", dict(incident))


def create_incident(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = string_field(body, "idempotency_key", needed=True)
    visibility = enum_field(body, "visibility", ["public", "private"])
    if visibility is None:
        raise required("visibility")
    assert key is not None
    replay = _replayed(call, "incident", key)
    if replay is not None:
        return 200, {"incident": call.state.incidents[replay]}
    mode = enum_field(body, "mode", MODES, "standard")
    incident_type = lookup(
        call.state.incident_types, string_field(body, "incident_type_id"), "incident_type_id", "incident type"
    ) or next((t for t in call.state.incident_types if t["is_default"]), None)
    status = lookup(
        call.state.incident_statuses, string_field(body, "incident_status_id"), "incident_status_id", "status"
    )
    if status is None:
        wanted = "triage" if incident_type and incident_type["create_in_triage"] == "always" else "live"
        if mode == "retrospective":
            wanted = "closed"
        status = next((s for s in call.state.incident_statuses if s["category"] == wanted), None)
        if status is None:
            raise invalid(
                "incident_status_id", f"The organisation has no {wanted} status to open the incident in"
            )
    severity = lookup(call.state.severities, string_field(body, "severity_id"), "severity_id", "severity")
    custom_values = parse_custom_values(call, body.get("custom_field_entries", []), "")
    role_assignments = parse_role_assignments(call, body.get("incident_role_assignments", []), "")
    timestamp_values = parse_timestamp_values(call, body.get("incident_timestamp_values", []), "")
    channel_name = channel_name_field(body, "")
    retrospective = parse_retrospective_options(call, body, mode or "standard")
    if severity is None and status["category"] != "triage" and call.state.severities:
        raise APIError(
            422, "A severity is required to open an incident", code="is_required", field="severity_id"
        )
    if incident_type and incident_type["private_incidents_only"] and visibility != "private":
        raise invalid("visibility", f"Incidents of type {incident_type['name']} must be private")
    incident = new_incident(
        call.state,
        now=call.now,
        rng=call.rng,
        creator=key_actor(call.key),
        name=string_field(body, "name") or "Unnamed incident",
        summary=string_field(body, "summary"),
        status=status,
        severity=severity,
        incident_type=incident_type,
        visibility=visibility,
        mode=mode or "standard",
        custom_values=custom_values,
        role_assignments=role_assignments,
    )
    set_timestamp_values(incident, timestamp_values)
    if mode == "retrospective":
        apply_retrospective(call, incident, retrospective or RetrospectiveOptions())
    if channel_name is not None:
        incident["slack_channel_name"] = channel_name
    call.state.incidents[incident["id"]] = incident
    call.state.idempotency[f"incident:{key}"] = incident["id"]
    call.state.incident_updates.append(
        new_update(incident, now=call.now, rng=call.rng, updater=key_actor(call.key))
    )
    call.changed = True
    _announce(call, incident, "incident_created_v2")
    return 200, {"incident": incident}


def _apply_change(
    call: Call, incident: Record, status: Record | None, severity: Record | None
) -> tuple[bool, Record]:
    """Move the incident to a status and severity; return whether either changed, and the old status."""
    previous = incident["incident_status"]
    changed = False
    if status is not None and status["id"] != previous["id"]:
        incident["incident_status"] = dict(status)
        stamp_timestamps(call.state, incident, call.now)
        changed = True
    if severity is not None and incident.get("severity", {}).get("id") != severity["id"]:
        incident["severity"] = dict(severity)
        changed = True
    return changed, previous


def _touch(call: Call, incident: Record) -> None:
    incident["updated_at"] = incident["last_activity_at"] = rfc3339(call.now)
    call.changed = True


def _announce_change(call: Call, incident: Record, previous: Record, message: str | None) -> None:
    if previous["id"] != incident["incident_status"]["id"] and incident["visibility"] == "public":
        payload: Record = {
            "incident": dict(incident),
            "previous_status": previous,
            "new_status": incident["incident_status"],
        }
        if message:
            payload["message"] = message
        call.emit("public_incident.incident_status_updated_v2", payload)
    else:
        _announce(call, incident, "incident_updated_v2")


def edit_incident(call: Call) -> tuple[int, Record]:
    incident = _incident(call)
    body = call.json_object()
    edit = body.get("incident")
    if not isinstance(edit, dict):
        raise required("incident")
    if not isinstance(body.get("notify_incident_channel"), bool):
        raise required("notify_incident_channel")
    status = lookup(
        call.state.incident_statuses,
        string_field(edit, "incident_status_id", prefix="incident."),
        "incident.incident_status_id",
        "status",
    )
    if status is not None:
        check_move(incident, status, "incident.incident_status_id")
    severity = lookup(
        call.state.severities,
        string_field(edit, "severity_id", prefix="incident."),
        "incident.severity_id",
        "severity",
    )
    values = (
        parse_custom_values(call, edit["custom_field_entries"], "incident.")
        if "custom_field_entries" in edit
        else {}
    )
    roles = (
        parse_role_assignments(call, edit["incident_role_assignments"], "incident.", editing=True)
        if "incident_role_assignments" in edit
        else []
    )
    timestamp_values = (
        parse_timestamp_values(call, edit["incident_timestamp_values"], "incident.")
        if "incident_timestamp_values" in edit
        else {}
    )
    channel_name = channel_name_field(edit, "incident.")
    for name in ("name", "summary", "call_url"):
        value = string_field(edit, name, prefix="incident.")
        if value is not None:
            incident[name] = value
    set_custom_values(call.state, incident, values)
    set_role_assignments(incident, roles)
    set_timestamp_values(incident, timestamp_values)
    if channel_name is not None:
        incident["slack_channel_name"] = channel_name
    moved, previous = _apply_change(call, incident, status, severity)
    if moved:
        call.state.incident_updates.append(
            new_update(incident, now=call.now, rng=call.rng, updater=key_actor(call.key))
        )
    _touch(call, incident)
    _announce_change(call, incident, previous, None)
    return 200, {"incident": incident}


# Incident updates and timeline items.


def list_incident_updates(call: Call) -> tuple[int, Record]:
    keep = incident_update_filter(call)
    ordered = sorted(call.state.incident_updates, key=lambda u: u["created_at"], reverse=True)
    updates, meta = paginate(call, ordered, keep, maximum=250)
    return 200, {"incident_updates": updates, "pagination_meta": meta}


def create_incident_update(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = string_field(body, "idempotency_key", needed=True)
    incident = incident_for_payload(call, body)
    assert key is not None
    replay = _replayed(call, "incident_update", key)
    if replay is not None:
        return 201, {"incident_update": next(u for u in call.state.incident_updates if u["id"] == replay)}
    message = string_field(body, "message")
    status = lookup(
        call.state.incident_statuses,
        string_field(body, "to_incident_status_id"),
        "to_incident_status_id",
        "status",
    )
    severity = lookup(
        call.state.severities, string_field(body, "to_severity_id"), "to_severity_id", "severity"
    )
    if not (message or status or severity):
        raise invalid(
            "message", "At least one of message, to_incident_status_id or to_severity_id must be provided"
        )
    if status is not None:
        check_move(incident, status, "to_incident_status_id")
    _, previous = _apply_change(call, incident, status, severity)
    update = new_update(incident, now=call.now, rng=call.rng, updater=key_actor(call.key), message=message)
    call.state.incident_updates.append(update)
    call.state.idempotency[f"incident_update:{key}"] = update["id"]
    _touch(call, incident)
    _announce_change(call, incident, previous, message)
    return 201, {"incident_update": update}


def list_timeline_items(call: Call) -> tuple[int, Record]:
    keep = timeline_item_filter(call)
    ordered = sorted(call.state.timeline_items.values(), key=lambda t: (t["timestamp"], t["id"]))
    items, meta = paginate(call, ordered, keep, maximum=250)
    return 200, {"incident_timeline_items": items, "pagination_meta": meta}


def create_timeline_item(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = string_field(body, "idempotency_key", needed=True)
    incident = incident_for_payload(call, body)
    title = string_field(body, "title", needed=True)
    if "timestamp" not in body:
        raise required("timestamp")
    timestamp = timestamp_field(body["timestamp"], "timestamp")
    assert key is not None and title is not None
    replay = _replayed(call, "timeline_item", key)
    if replay is not None:
        return 201, {"incident_timeline_item": call.state.timeline_items[replay]}
    item = new_timeline_item(
        incident["id"],
        now=call.now,
        rng=call.rng,
        creator=key_actor(call.key),
        title=title,
        timestamp=timestamp,
        description=string_field(body, "description"),
    )
    call.state.timeline_items[item["id"]] = item
    call.state.idempotency[f"timeline_item:{key}"] = item["id"]
    _touch(call, incident)
    return 201, {"incident_timeline_item": item}


def update_timeline_item(call: Call) -> tuple[int, Record]:
    item = call.state.timeline_items.get(call.path_params["id"])
    if item is None:
        raise not_found("timeline item", call.path_params["id"])
    body = call.json_object()
    title = string_field(body, "title")
    if title is not None:
        if not title.strip():
            raise required("title")
        item["title"] = title
    description = string_field(body, "description")
    if description is not None:
        item["description"] = description
    if "timestamp" in body:
        item["timestamp"] = timestamp_field(body["timestamp"], "timestamp")
    item["updated_at"] = rfc3339(call.now)
    call.changed = True
    return 200, {"incident_timeline_item": item}
