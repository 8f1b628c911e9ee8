"""The API operations the emulator implements, one function each, as the official schema defines them.

A handler takes a :class:`Call` (the authenticated request with the state) and returns the
status and the JSON body. It raises :class:`~incidentkit.emulator.errors.APIError` for
anything the real API would refuse.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentkit.emulator.errors import APIError, invalid, not_found, required
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import (
    embedded_user,
    key_actor,
    new_incident,
    new_timeline_item,
    new_update,
    set_custom_values,
    set_role_assignments,
    stamp_timestamps,
)
from incidentkit.emulator.state import APIKey, OrgState, Record
from incidentkit.timeutil import parse_iso
from incidentkit.wire import STATUS_CATEGORIES

Emit = Callable[[str, Record], None]


@dataclass
class Call:
    """One authenticated request, as a handler sees it."""

    state: OrgState
    key: APIKey
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    now: float
    rng: random.Random
    emit: Emit
    changed: bool = field(default=False)

    def param(self, name: str) -> str | None:
        values = [value for key, value in self.query if key == name]
        return values[-1] if values else None

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise APIError(400, "The request body must be a JSON object", code="invalid_body")
        return self.body


Handler = Callable[[Call], tuple[int, Record]]


# Helpers for reading request bodies.


def _string(body: dict[str, Any], name: str, *, prefix: str = "", needed: bool = False) -> str | None:
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


def _enum(body: dict[str, Any], name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
    value = _string(body, name)
    if value is None:
        return default
    options = list(allowed)
    if value not in options:
        raise invalid(name, f"{name} must be one of {', '.join(options)}, not {value!r}")
    return value


def _lookup(collection: list[Record], value: str | None, field_name: str, what: str) -> Record | None:
    if value is None:
        return None
    found = next((record for record in collection if record["id"] == value), None)
    if found is None:
        raise invalid(field_name, f"No {what} exists with id {value!r}", code="not_found")
    return found


def _timestamp(value: Any, field_name: str) -> str:
    if not isinstance(value, str):
        raise invalid(field_name, f"{field_name} must be an RFC 3339 timestamp")
    try:
        parsed = parse_iso(value)
    except ValueError:
        raise invalid(field_name, f"{field_name} must be an RFC 3339 timestamp, not {value!r}") from None
    return rfc3339(parsed.timestamp())


# Pagination, shared by every paginated list.


def _page_size(call: Call, maximum: int) -> int:
    raw = call.param("page_size")
    if raw is None or raw == "":
        return 25
    try:
        size = int(raw)
    except ValueError:
        raise invalid("page_size", f"page_size must be an integer, not {raw!r}") from None
    if not 1 <= size <= maximum:
        raise invalid("page_size", f"page_size must be between 1 and {maximum}, not {size}")
    return size


def _paginate(
    call: Call,
    ordered: list[Record],
    keep: Callable[[Record], bool],
    *,
    maximum: int,
    with_total: bool = False,
) -> tuple[list[Record], Record]:
    """The page after the ``after`` cursor (the id of the last record of the previous page).

    The cursor is found in the full ordering, so it stays valid even when its record no
    longer matches the filters. The last page carries no ``after``.
    """
    size = _page_size(call, maximum)
    start = 0
    after = call.param("after")
    if after:
        index = next((i for i, record in enumerate(ordered) if record["id"] == after), None)
        if index is None:
            raise invalid("after", f"after must be the id of a record from a previous page, not {after!r}")
        start = index + 1
    matching = [record for record in ordered[start:] if keep(record)]
    page = matching[:size]
    meta: Record = {"page_size": size}
    if len(matching) > size:
        meta["after"] = page[-1]["id"]
    if with_total:
        before = sum(1 for record in ordered[:start] if keep(record))
        meta["total_record_count"] = before + len(matching)
    return page, meta


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
    email = call.param("email")
    slack_user_id = call.param("slack_user_id")
    include_inactive = call.param("include_inactive") == "true"

    def keep(user: Record) -> bool:
        return (
            (include_inactive or user["is_active"])
            and (email is None or user.get("email", "").lower() == email.lower())
            and (slack_user_id is None or user.get("slack_user_id") == slack_user_id)
        )

    users, meta = _paginate(call, call.state.users, keep, maximum=10000)
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
DEFAULT_MODES = ["standard", "retrospective"]
Predicate = Callable[[Record], bool]


def _filters(call: Call) -> dict[str, dict[str, list[str]]]:
    """``severity[gte]=X`` -> ``{"severity": {"gte": ["X"]}}``; nested keys keep their id."""
    found: dict[str, dict[str, list[str]]] = {}
    for key, value in call.query:
        if not key.endswith("]") or "[" not in key:
            continue
        name, _, operator = key[:-1].rpartition("[")
        found.setdefault(name, {}).setdefault(operator, []).append(value)
    return found


def _operator_error(name: str, operator: str, allowed: list[str]) -> APIError:
    return invalid(
        f"{name}[{operator}]", f"{name} does not accept the operator {operator!r}; use {', '.join(allowed)}"
    )


def _one_of(value_of: Callable[[Record], Any], wanted: set[str]) -> Predicate:
    return lambda incident: value_of(incident) in wanted


def _not_in(value_of: Callable[[Record], Any], wanted: set[str]) -> Predicate:
    return lambda incident: value_of(incident) not in wanted


def _membership(
    name: str, operators: dict[str, list[str]], value_of: Callable[[Record], Any]
) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        if operator == "one_of":
            predicates.append(_one_of(value_of, set(values)))
        elif operator == "not_in":
            predicates.append(_not_in(value_of, set(values)))
        else:
            raise _operator_error(name, operator, ["one_of", "not_in"])
    return predicates


def _parse_bound(name: str, operator: str, value: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid(
            f"{name}[{operator}]", f"{name}[{operator}] must be a date or timestamp, not {value!r}"
        ) from None


def _end_of(value: str, start: datetime) -> datetime:
    """The first instant after ``value``: the next midnight for a bare date, else the instant itself."""
    return start + timedelta(days=1) if len(value.strip()) == 10 else start + timedelta(microseconds=1)


def _between(name: str, start: datetime | None, end: datetime | None) -> Predicate:
    """``start <= incident[name] < end``; either bound may be open."""

    def keep(incident: Record) -> bool:
        when = parse_iso(incident[name])
        return (start is None or when >= start) and (end is None or when < end)

    return keep


def _time_filter(name: str, operators: dict[str, list[str]]) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        value = values[-1]
        if operator == "gte":
            predicates.append(_between(name, _parse_bound(name, operator, value), None))
        elif operator == "lte":
            predicates.append(_between(name, None, _end_of(value, _parse_bound(name, operator, value))))
        elif operator == "date_range":
            first, _, last = value.partition("~")
            if not last:
                raise invalid(
                    f"{name}[date_range]", f"{name}[date_range] must look like 2024-12-02~2024-12-08"
                )
            start = _parse_bound(name, operator, first)
            predicates.append(_between(name, start, _end_of(last, _parse_bound(name, operator, last))))
        else:
            raise _operator_error(name, operator, ["gte", "lte", "date_range"])
    return predicates


def _rank_at_least(rank: int) -> Predicate:
    return lambda incident: "severity" in incident and incident["severity"]["rank"] >= rank


def _rank_at_most(rank: int) -> Predicate:
    return lambda incident: "severity" in incident and incident["severity"]["rank"] <= rank


def _severity_filter(state: OrgState, operators: dict[str, list[str]]) -> list[Predicate]:
    sets = {key: values for key, values in operators.items() if key not in ("gte", "lte")}
    predicates = _membership("severity", sets, lambda i: i.get("severity", {}).get("id"))
    for operator in ("gte", "lte"):
        if operator not in operators:
            continue
        severity = state.severity(operators[operator][-1])
        if severity is None:
            raise invalid(
                f"severity[{operator}]",
                f"No severity exists with id {operators[operator][-1]!r}",
                code="not_found",
            )
        predicates.append((_rank_at_least if operator == "gte" else _rank_at_most)(severity["rank"]))
    return predicates


def _overlaps(values_of: Callable[[Record], set[str]], wanted: set[str], expected: bool) -> Predicate:
    return lambda incident: bool(values_of(incident) & wanted) == expected


def _blank(values_of: Callable[[Record], set[str]], expected: bool) -> Predicate:
    return lambda incident: (not values_of(incident)) == expected


def _nested_filter(
    name: str, field_id: str, operators: dict[str, list[str]], values_of: Callable[[Record], set[str]]
) -> list[Predicate]:
    predicates: list[Predicate] = []
    for operator, values in operators.items():
        if operator in ("one_of", "not_in"):
            predicates.append(_overlaps(values_of, set(values), operator == "one_of"))
        elif operator in ("is_blank", "is_set"):
            # The schema's text says is_blank, its examples is_set: accept both.
            predicates.append(_blank(values_of, (values[-1].lower() == "true") == (operator == "is_blank")))
        else:
            raise _operator_error(f"{name}[{field_id}]", operator, ["one_of", "not_in", "is_blank"])
    return predicates


def _role_users(role_id: str) -> Callable[[Record], set[str]]:
    def users(incident: Record) -> set[str]:
        return {
            entry["assignee"]["id"]
            for entry in incident["incident_role_assignments"]
            if entry["role"]["id"] == role_id and "assignee" in entry
        }

    return users


def _field_options(field_id: str) -> Callable[[Record], set[str]]:
    def options(incident: Record) -> set[str]:
        for entry in incident["custom_field_entries"]:
            if entry["custom_field"]["id"] == field_id:
                return {
                    value["value_option"]["id"]
                    if "value_option" in value
                    else str(next(iter(value.values())))
                    for value in entry["values"]
                }
        return set()

    return options


def _incident_predicate(call: Call) -> Predicate:
    """Combine every filter of ``GET /v2/incidents``; ``mode`` always applies, the rest by ``filter_mode``."""
    filters = _filters(call)
    modes = filters.pop("mode", {"one_of": DEFAULT_MODES})
    mode_predicates = _membership("mode", modes, lambda i: i["mode"])
    predicates: list[Predicate] = []
    for name, operators in filters.items():
        if name == "status_category":
            for operator, values in operators.items():
                for value in values:
                    if value not in STATUS_CATEGORIES:
                        raise invalid(
                            f"status_category[{operator}]",
                            f"status_category must be one of {', '.join(STATUS_CATEGORIES)}, not {value!r}",
                        )
            predicates += _membership(name, operators, lambda i: i["incident_status"]["category"])
        elif name == "status":
            predicates += _membership(name, operators, lambda i: i["incident_status"]["id"])
        elif name == "incident_type":
            predicates += _membership(name, operators, lambda i: i.get("incident_type", {}).get("id"))
        elif name == "severity":
            predicates += _severity_filter(call.state, operators)
        elif name in ("created_at", "updated_at"):
            predicates += _time_filter(name, operators)
        elif name.startswith("incident_role[") and name.endswith("]"):
            role_id = name[len("incident_role[") : -1]
            predicates += _nested_filter("incident_role", role_id, operators, _role_users(role_id))
        elif name.startswith("custom_field[") and name.endswith("]"):
            field_id = name[len("custom_field[") : -1]
            predicates += _nested_filter("custom_field", field_id, operators, _field_options(field_id))
        else:
            raise invalid(name, f"{name} is not a filter of this endpoint")
    combine = (
        any
        if _enum({"filter_mode": call.param("filter_mode")}, "filter_mode", ["all", "any"], "all") == "any"
        else all
    )

    def keep(incident: Record) -> bool:
        if not all(predicate(incident) for predicate in mode_predicates):
            return False
        return not predicates or combine(predicate(incident) for predicate in predicates)

    return keep


def list_incidents(call: Call) -> tuple[int, Record]:
    sort_by = _enum(
        {"sort_by": call.param("sort_by")},
        "sort_by",
        ["created_at_newest_first", "created_at_oldest_first"],
        "created_at_newest_first",
    )
    # ULIDs begin with their creation time, so ordering by id orders by creation.
    ordered = sorted(
        call.state.incidents.values(), key=lambda i: i["id"], reverse=sort_by == "created_at_newest_first"
    )
    incidents, meta = _paginate(call, ordered, _incident_predicate(call), maximum=500, with_total=True)
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


def _custom_values(call: Call, entries: Any, prefix: str) -> dict[str, list[Record]]:
    """``custom_field_entries`` of a payload, checked against the fields and their options."""
    if not isinstance(entries, list):
        raise invalid(prefix + "custom_field_entries", "custom_field_entries must be a list")
    values: dict[str, list[Record]] = {}
    for index, entry in enumerate(entries):
        where = f"{prefix}custom_field_entries[{index}]"
        if not isinstance(entry, dict):
            raise invalid(where, f"{where} must be an object")
        field_id = _string(entry, "custom_field_id", prefix=where + ".", needed=True)
        custom_field = _lookup(call.state.custom_fields, field_id, f"{where}.custom_field_id", "custom field")
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
            else:
                kept = {k: v for k, v in value.items() if k in ("value_text", "value_link", "value_numeric")}
                if not kept:
                    raise invalid(value_where, f"{value_where} has no value")
                converted.append(kept)
        values[field_id] = converted
    return values


def _role_assignments(call: Call, assignments: Any, prefix: str) -> list[tuple[Record, Record | None]]:
    if not isinstance(assignments, list):
        raise invalid(prefix + "incident_role_assignments", "incident_role_assignments must be a list")
    result: list[tuple[Record, Record | None]] = []
    for index, assignment in enumerate(assignments):
        where = f"{prefix}incident_role_assignments[{index}]"
        if not isinstance(assignment, dict):
            raise invalid(where, f"{where} must be an object")
        role_id = _string(assignment, "incident_role_id", prefix=where + ".", needed=True)
        role = _lookup(call.state.incident_roles, role_id, f"{where}.incident_role_id", "incident role")
        assert role is not None
        assignee = assignment.get("assignee")
        user = None
        if isinstance(assignee, dict) and assignee:
            user = next(
                (
                    u
                    for u in call.state.users
                    if any(
                        assignee.get(k) and u.get(k) == assignee[k] for k in ("id", "email", "slack_user_id")
                    )
                ),
                None,
            )
            if user is None:
                raise invalid(f"{where}.assignee", f"No user matches {assignee}", code="not_found")
        result.append((role, user))
    return result


def _announce(call: Call, incident: Record, event: str) -> None:
    """Emit the webhook an incident change causes: private incidents send only their id."""
    if incident["visibility"] == "private":
        call.emit(f"private_incident.{event}", {"id": incident["id"]})
    else:
        call.emit(f"public_incident.{event}", dict(incident))


def create_incident(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = _string(body, "idempotency_key", needed=True)
    visibility = _enum(body, "visibility", ["public", "private"])
    if visibility is None:
        raise required("visibility")
    assert key is not None
    replay = _replayed(call, "incident", key)
    if replay is not None:
        return 200, {"incident": call.state.incidents[replay]}
    mode = _enum(body, "mode", MODES, "standard")
    incident_type = _lookup(
        call.state.incident_types, _string(body, "incident_type_id"), "incident_type_id", "incident type"
    ) or next((t for t in call.state.incident_types if t["is_default"]), None)
    status = _lookup(
        call.state.incident_statuses, _string(body, "incident_status_id"), "incident_status_id", "status"
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
    severity = _lookup(call.state.severities, _string(body, "severity_id"), "severity_id", "severity")
    custom_values = _custom_values(call, body.get("custom_field_entries", []), "")
    role_assignments = _role_assignments(call, body.get("incident_role_assignments", []), "")
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
        name=_string(body, "name") or "Unnamed incident",
        summary=_string(body, "summary"),
        status=status,
        severity=severity,
        incident_type=incident_type,
        visibility=visibility,
        mode=mode or "standard",
        custom_values=custom_values,
        role_assignments=role_assignments,
    )
    call.state.incidents[incident["id"]] = incident
    call.state.idempotency[f"incident:{key}"] = incident["id"]
    call.state.incident_updates.append(
        new_update(incident, now=call.now, rng=call.rng, updater=key_actor(call.key))
    )
    call.changed = True
    _announce(call, incident, "incident_created_v2")
    return 200, {"incident": incident}


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


def _check_move(incident: Record, status: Record, field_name: str) -> None:
    current = incident["incident_status"]["category"]
    if status["category"] not in _ALLOWED_MOVES.get(current, {current}):
        raise invalid(
            field_name,
            f"An incident in a {current} status cannot move to {status['name']} ({status['category']})",
            code="invalid_status_transition",
        )


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
    status = _lookup(
        call.state.incident_statuses,
        _string(edit, "incident_status_id", prefix="incident."),
        "incident.incident_status_id",
        "status",
    )
    if status is not None:
        _check_move(incident, status, "incident.incident_status_id")
    severity = _lookup(
        call.state.severities,
        _string(edit, "severity_id", prefix="incident."),
        "incident.severity_id",
        "severity",
    )
    values = (
        _custom_values(call, edit["custom_field_entries"], "incident.")
        if "custom_field_entries" in edit
        else {}
    )
    roles = (
        _role_assignments(call, edit["incident_role_assignments"], "incident.")
        if "incident_role_assignments" in edit
        else []
    )
    for name in ("name", "summary", "call_url"):
        value = _string(edit, name, prefix="incident.")
        if value is not None:
            incident[name] = value
    set_custom_values(call.state, incident, values)
    set_role_assignments(incident, roles)
    moved, previous = _apply_change(call, incident, status, severity)
    if moved:
        call.state.incident_updates.append(
            new_update(incident, now=call.now, rng=call.rng, updater=key_actor(call.key))
        )
    _touch(call, incident)
    _announce_change(call, incident, previous, None)
    return 200, {"incident": incident}


# Incident updates and timeline items.


def _incident_for_payload(call: Call, body: dict[str, Any]) -> Record:
    incident_id = _string(body, "incident_id", needed=True)
    assert incident_id is not None
    incident = call.state.incident_by_reference(incident_id)
    if incident is None:
        raise invalid("incident_id", f"No incident exists with id {incident_id!r}", code="not_found")
    return incident


def list_incident_updates(call: Call) -> tuple[int, Record]:
    incident_id = call.param("incident_id")
    ordered = sorted(call.state.incident_updates, key=lambda u: u["created_at"], reverse=True)
    updates, meta = _paginate(
        call, ordered, lambda u: incident_id is None or u["incident_id"] == incident_id, maximum=250
    )
    return 200, {"incident_updates": updates, "pagination_meta": meta}


def create_incident_update(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = _string(body, "idempotency_key", needed=True)
    incident = _incident_for_payload(call, body)
    assert key is not None
    replay = _replayed(call, "incident_update", key)
    if replay is not None:
        return 201, {"incident_update": next(u for u in call.state.incident_updates if u["id"] == replay)}
    message = _string(body, "message")
    status = _lookup(
        call.state.incident_statuses,
        _string(body, "to_incident_status_id"),
        "to_incident_status_id",
        "status",
    )
    severity = _lookup(call.state.severities, _string(body, "to_severity_id"), "to_severity_id", "severity")
    if not (message or status or severity):
        raise invalid(
            "message", "At least one of message, to_incident_status_id or to_severity_id must be provided"
        )
    if status is not None:
        _check_move(incident, status, "to_incident_status_id")
    _, previous = _apply_change(call, incident, status, severity)
    update = new_update(incident, now=call.now, rng=call.rng, updater=key_actor(call.key), message=message)
    call.state.incident_updates.append(update)
    call.state.idempotency[f"incident_update:{key}"] = update["id"]
    _touch(call, incident)
    _announce_change(call, incident, previous, message)
    return 201, {"incident_update": update}


def list_timeline_items(call: Call) -> tuple[int, Record]:
    incident_id = call.param("incident_id")
    if not incident_id:
        raise required("incident_id")
    ordered = sorted(call.state.timeline_items.values(), key=lambda t: (t["timestamp"], t["id"]))
    items, meta = _paginate(call, ordered, lambda t: t["incident_id"] == incident_id, maximum=250)
    return 200, {"incident_timeline_items": items, "pagination_meta": meta}


def create_timeline_item(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = _string(body, "idempotency_key", needed=True)
    incident = _incident_for_payload(call, body)
    title = _string(body, "title", needed=True)
    if "timestamp" not in body:
        raise required("timestamp")
    timestamp = _timestamp(body["timestamp"], "timestamp")
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
        description=_string(body, "description"),
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
    title = _string(body, "title")
    if title is not None:
        if not title.strip():
            raise required("title")
        item["title"] = title
    description = _string(body, "description")
    if description is not None:
        item["description"] = description
    if "timestamp" in body:
        item["timestamp"] = _timestamp(body["timestamp"], "timestamp")
    item["updated_at"] = rfc3339(call.now)
    call.changed = True
    return 200, {"incident_timeline_item": item}


# Follow-ups (the v3 API; v2 is deprecated).

FOLLOW_UP_MODES = ("standard", "retrospective", "test", "tutorial", "stream")


def list_follow_ups(call: Call) -> tuple[int, Record]:
    incident_id = call.param("incident_id")
    mode = call.param("incident_mode")
    if mode and mode not in FOLLOW_UP_MODES:
        raise invalid(
            "incident_mode", f"incident_mode must be one of {', '.join(FOLLOW_UP_MODES)}, not {mode!r}"
        )
    # Without incident_mode, only follow-ups of standard and retrospective incidents are listed.
    modes = {mode} if mode else {"standard", "retrospective"}

    def keep(follow_up: Record) -> bool:
        incident = call.state.incidents.get(follow_up["incident_id"])
        in_mode = incident is not None and incident.get("mode", "standard") in modes
        return in_mode and (incident_id is None or follow_up["incident_id"] == incident_id)

    follow_ups, meta = _paginate(call, call.state.follow_ups, keep, maximum=250)
    return 200, {"follow_ups": follow_ups, "pagination_meta": meta}


def create_follow_up(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    incident = _incident_for_payload(call, body)
    title = _string(body, "title", needed=True)
    assert title is not None
    # The emulated organisation has no teams, follow-up categories, priorities or external issues,
    # so an id of one of them refers to nothing, as it would in such an organisation.
    for name, what in (
        ("assignee_team_id", "team"),
        ("follow_up_category_id", "follow-up category"),
        ("follow_up_priority_option_id", "follow-up priority"),
        ("external_issue_reference_id", "external issue"),
    ):
        _lookup([], _string(body, name), name, what)
    assignee = _lookup(call.state.users, _string(body, "assignee_id"), "assignee_id", "user")
    labels = body.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise invalid("labels", "labels must be a list of strings")
    follow_up: Record = {
        "id": new_ulid(call.now, call.rng),
        "incident_id": incident["id"],
        "creator": key_actor(call.key),
        "title": title,
        "status": "outstanding",
        "labels": labels,
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
    }
    description = _string(body, "description")
    if description is not None:
        follow_up["description"] = description
    if assignee is not None:
        follow_up["assignee"] = embedded_user(assignee)
    call.state.follow_ups.append(follow_up)
    call.changed = True
    return 201, {"follow_up": follow_up}
