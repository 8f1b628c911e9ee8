"""The escalation operations: escalation paths (who to page, in what order) and escalations (pages).

An escalation pages an escalation path's levels (users, or whoever a schedule has on call at the
emulator's clock) or a list of users directly, and moves through its path as time passes (see
:mod:`~incidentkit.emulator.escalation_engine`). The same idempotency key returns the same
escalation. Creating one sends ``public_escalation.escalation_created_v1``; every status change
(acknowledged, snoozed, cancelled, expired) sends ``public_escalation.escalation_status_updated_v1``.
An escalation linked to a private incident sends the ``private_escalation.*`` events instead, with
only its id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from incidentkit.emulator import escalation_engine as engine
from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, not_found, required
from incidentkit.emulator.escalation_payloads import path_fields
from incidentkit.emulator.filters import _filters, _membership, _operator_error, _time_filter, paginate
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import key_actor
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import enum_field, lookup, string_field, timestamp_field
from incidentkit.timeutil import parse_iso

# IncidentSlimV2.status_category names two categories differently from IncidentStatusV1.category.
_SLIM_CATEGORY = {"live": "active", "learning": "post-incident"}
DEFAULT_PRIORITY = {"name": "P1"}


# --- escalation paths ------------------------------------------------------------------------


def _path(call: Call) -> Record:
    found = call.state.find(call.state.escalation_paths, call.path_params["id"])
    if found is None:
        raise not_found("escalation path", call.path_params["id"])
    return found


def current_responders(call: Call, path: Record) -> list[Record]:
    """Who the path's first level pages right now."""
    first = next((step for step in engine.flatten(call.state, path["path"]) if step["type"] == "level"), None)
    if first is None:
        return []
    users, _ = engine.resolve_targets(call.state, first["targets"], datetime.fromtimestamp(call.now, UTC))
    return users


def _shown_path(call: Call, path: Record) -> Record:
    return {**path, "current_responders": current_responders(call, path)}


def list_paths(call: Call) -> tuple[int, Record]:
    paths, meta = paginate(call, call.state.escalation_paths, lambda _: True, maximum=25)
    return 200, {"escalation_paths": [_shown_path(call, p) for p in paths], "pagination_meta": meta}


def show_path(call: Call) -> tuple[int, Record]:
    return 200, {"escalation_path": _shown_path(call, _path(call))}


def create_path(call: Call) -> tuple[int, Record]:
    path: Record = {"id": new_ulid(call.now, call.rng), **path_fields(call, call.json_object(), None)}
    call.state.escalation_paths.append(path)
    call.changed = True
    return 201, {"escalation_path": _shown_path(call, path)}


def update_path(call: Call) -> tuple[int, Record]:
    path = _path(call)
    fields = path_fields(call, call.json_object(), path["id"])
    # PUT replaces the path: optional parts not given are gone.
    for optional in ("repeat_config", "working_hours"):
        path.pop(optional, None)
    path.update(fields)
    call.changed = True
    return 200, {"escalation_path": _shown_path(call, path)}


def delete_path(call: Call) -> tuple[int, None]:
    call.state.escalation_paths.remove(_path(call))
    call.changed = True
    return 204, None


# --- escalations -----------------------------------------------------------------------------


def _slim_incident(incident: Record) -> Record:
    category = incident["incident_status"]["category"]
    slim: Record = {
        "id": incident["id"],
        "external_id": int(incident["reference"].rsplit("-", 1)[-1]),
        "name": incident["name"],
        "reference": incident["reference"],
        "visibility": incident["visibility"],
        "status_category": _SLIM_CATEGORY.get(category, category),
    }
    if "summary" in incident:
        slim["summary"] = incident["summary"]
    return slim


def _is_private(call: Call, escalation: Record) -> bool:
    progress = call.state.escalation_progress.get(escalation["id"], {})
    incident = call.state.incidents.get(progress.get("incident_id") or "")
    return incident is not None and incident["visibility"] == "private"


def _announce_changes(
    call: Call, escalation: Record, changes: list[tuple[str, str]], actor: Record | None
) -> None:
    for previous, new in changes:
        if _is_private(call, escalation):
            call.emit("private_escalation.escalation_status_updated_v1", {"id": escalation["id"]})
            continue
        payload: Record = {"escalation": dict(escalation), "previous_status": previous, "new_status": new}
        if actor is not None:
            payload["actor"] = actor
        call.emit("public_escalation.escalation_status_updated_v1", payload)


def _refresh(call: Call, escalation: Record) -> Record:
    """The escalation brought up to the emulator's clock, with its related incidents as they are now."""
    changes = engine.catch_up(call.state, escalation, call.now, engine.event_ids(call.rng))
    progress = call.state.escalation_progress.get(escalation["id"], {})
    incident = call.state.incidents.get(progress.get("incident_id") or "")
    escalation["related_incidents"] = [_slim_incident(incident)] if incident is not None else []
    if changes:
        call.changed = True
        _announce_changes(call, escalation, changes, None)
    return escalation


def _escalation(call: Call, parameter: str) -> Record:
    found = call.state.find(call.state.escalations, call.path_params[parameter])
    if found is None:
        raise not_found("escalation", call.path_params[parameter])
    return _refresh(call, found)


def show_escalation(call: Call) -> tuple[int, Record]:
    return 200, {"escalation": _escalation(call, "id")}


def _key_filter(operators: dict[str, list[str]]) -> Callable[[str], bool]:
    """``idempotency_key[is]`` (exact) and ``idempotency_key[starts_with]`` (prefix)."""
    for operator in operators:
        if operator not in ("is", "starts_with"):
            raise _operator_error("idempotency_key", operator, ["is", "starts_with"])
    exact, prefixes = operators.get("is"), operators.get("starts_with")

    def matches(key: str) -> bool:
        return (exact is None or key in exact) and (
            prefixes is None or any(key.startswith(p) for p in prefixes)
        )

    return matches


def _by_key(matches: Callable[[str], bool], progress: dict[str, Record]) -> Callable[[Record], bool]:
    return lambda escalation: matches(progress.get(escalation["id"], {}).get("key", ""))


def _escalation_filter(call: Call) -> Callable[[Record], bool]:
    """``GET /v2/escalations``: every filter must match."""
    predicates: list[Callable[[Record], bool]] = []
    progress = call.state.escalation_progress
    for name, operators in _filters(call).items():
        if name == "escalation_path":
            predicates += _membership(name, operators, lambda e: e.get("escalation_path_id"))
        elif name == "status":
            predicates += _membership(name, operators, lambda e: e["status"])
        elif name == "incident":
            predicates += _membership(name, operators, lambda e: progress.get(e["id"], {}).get("incident_id"))
        elif name == "alert":
            # The emulator's escalations are made over the API, so each relates to at most one alert.
            predicates += _membership(
                name, operators, lambda e: next((a["id"] for a in e["related_alerts"]), None)
            )
        elif name in ("created_at", "updated_at"):
            predicates += _time_filter(name, operators)
        elif name == "idempotency_key":
            predicates.append(_by_key(_key_filter(operators), progress))
        else:
            raise invalid(name, f"{name} is not a filter of this endpoint")
    return lambda escalation: all(predicate(escalation) for predicate in predicates)


def list_escalations(call: Call) -> tuple[int, Record]:
    keep = _escalation_filter(call)
    for escalation in call.state.escalations:
        _refresh(call, escalation)
    newest_first = sorted(call.state.escalations, key=lambda e: e["id"], reverse=True)
    escalations, meta = paginate(call, newest_first, keep, maximum=50)
    return 200, {"escalations": escalations, "pagination_meta": meta}


def _user_ids(call: Call, value: object) -> list[Record]:
    if not isinstance(value, list):
        raise invalid("user_ids", "user_ids must be a list of user ids")
    targets = []
    for index, user_id in enumerate(value):
        if not isinstance(user_id, str) or call.state.find(call.state.users, user_id) is None:
            raise invalid(f"user_ids[{index}]", f"No user exists with id {user_id!r}", code="not_found")
        targets.append({"type": "user", "id": user_id, "urgency": "high"})
    return targets


def create_escalation(call: Call) -> tuple[int, Record]:
    body = call.json_object()
    key = string_field(body, "idempotency_key", needed=True)
    title = string_field(body, "title", needed=True)
    assert key is not None and title is not None
    replay = call.state.idempotency.get(f"escalation:{key}")
    if replay is not None:
        return 201, {"escalation": _refresh(call, call.state.find(call.state.escalations, replay) or {})}
    path_id = string_field(body, "escalation_path_id")
    given_users = body.get("user_ids") not in (None, [])
    if path_id and given_users:
        raise invalid("escalation_path_id", "Give either escalation_path_id or user_ids, not both")
    if not path_id and not given_users:
        raise invalid(
            "escalation_path_id", "Give escalation_path_id or user_ids: who should be paged?", "is_required"
        )
    path = lookup(call.state.escalation_paths, path_id, "escalation_path_id", "escalation path")
    steps = (
        engine.flatten(call.state, path["path"])
        if path is not None
        else [{"type": "level", "targets": _user_ids(call, body["user_ids"]), "wait": None}]
    )
    incident = None
    incident_id = string_field(body, "incident_id")
    if incident_id is not None:
        incident = call.state.incident_by_reference(incident_id)
        if incident is None:
            raise invalid("incident_id", f"No incident exists with id {incident_id!r}", code="not_found")
    description = string_field(body, "description")
    if description is None:
        description = (incident or {}).get("summary", "")
    escalation: Record = {
        "id": new_ulid(call.now, call.rng),
        "title": title,
        "description": description,
        "status": "triggered",
        "priority": dict(DEFAULT_PRIORITY),
        # EscalationCreatorV2 names users, workflows and alerts; an API key is none of them.
        "creator": {},
        "events": [],
        "related_incidents": [],
        "related_alerts": [],
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
    }
    if path is not None:
        escalation["escalation_path_id"] = path["id"]
    progress: Record = {"key": key, "steps": steps, "step": 0, "since": call.now}
    if incident is not None:
        progress["incident_id"] = incident["id"]
    call.state.escalations.append(escalation)
    call.state.escalation_progress[escalation["id"]] = progress
    call.state.idempotency[f"escalation:{key}"] = escalation["id"]
    engine.start(call.state, escalation, progress, call.now, engine.event_ids(call.rng))
    _refresh(call, escalation)
    call.changed = True
    if _is_private(call, escalation):
        call.emit("private_escalation.escalation_created_v1", {"id": escalation["id"]})
    else:
        call.emit("public_escalation.escalation_created_v1", dict(escalation))
    return 201, {"escalation": escalation}


def respond_escalation(call: Call) -> tuple[int, None]:
    escalation = _escalation(call, "escalation_id")
    body = call.json_object()
    response = enum_field(body, "response", ["ack", "nack", "snooze"])
    if response is None:
        raise required("response")
    if response == "nack":
        # The schema: declining means "I personally can't take this page", which an API key cannot say.
        raise invalid("response", "An API key cannot decline (nack) an escalation: acknowledge or snooze it")
    snooze_until = None
    if response == "snooze":
        details = body.get("snooze_details")
        if not isinstance(details, dict) or details.get("snooze_until") is None:
            raise required("snooze_details.snooze_until")
        until = timestamp_field(details["snooze_until"], "snooze_details.snooze_until")
        snooze_until = parse_iso(until).timestamp()
        if snooze_until <= call.now:
            raise invalid(
                "snooze_details.snooze_until", f"snooze_details.snooze_until ({until}) is not in the future"
            )
    changes = engine.respond(
        call.state, escalation, response, call.now, engine.event_ids(call.rng), snooze_until=snooze_until
    )
    if changes:
        call.changed = True
        _announce_changes(call, escalation, changes, key_actor(call.key))
    return 200, None


def cancel_escalation(call: Call) -> tuple[int, None]:
    escalation = _escalation(call, "id")
    changes = engine.cancel(call.state, escalation, call.now, engine.event_ids(call.rng))
    if changes:
        call.changed = True
        _announce_changes(call, escalation, changes, key_actor(call.key))
    return 200, None


# (method, schema path, handler, the schema's x-rbac-scopes), for routes.ROUTES.
ROUTES = [
    ("GET", "/v2/escalation_paths", list_paths, "escalation_paths.view"),
    ("POST", "/v2/escalation_paths", create_path, "escalation_paths.create"),
    ("GET", "/v2/escalation_paths/{id}", show_path, "escalation_paths.view"),
    ("PUT", "/v2/escalation_paths/{id}", update_path, "escalation_paths.update"),
    ("DELETE", "/v2/escalation_paths/{id}", delete_path, "escalation_paths.destroy"),
    ("GET", "/v2/escalations", list_escalations, "escalations.view"),
    ("POST", "/v2/escalations", create_escalation, "escalations.create"),
    ("GET", "/v2/escalations/{id}", show_escalation, "escalations.view"),
    ("POST", "/v2/escalations/{escalation_id}/actions/respond", respond_escalation, "escalations.respond"),
    ("POST", "/v2/escalations/{id}/actions/cancel", cancel_escalation, "escalations.cancel"),
]
