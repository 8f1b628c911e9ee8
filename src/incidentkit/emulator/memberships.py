"""Incident memberships (the v1 API): who may see a private incident, granted and revoked.

Only private incidents have members. Granting a membership the user already has returns it as it
is; each real change sends the ``private_incident.membership_granted_v1`` or ``..._revoked_v1``
webhook. An API key is not a user, so the webhooks carry no ``actor_user_id``.
"""

from __future__ import annotations

from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import embedded_user
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import incident_for_payload, lookup, string_field


def _private_incident_and_user(call: Call, body: dict[str, Any]) -> tuple[Record, Record]:
    incident = incident_for_payload(call, body)
    if incident["visibility"] != "private":
        raise invalid(
            "incident_id", f"{incident['reference']} is public: only private incidents have members"
        )
    user = lookup(call.state.users, string_field(body, "user_id", needed=True), "user_id", "user")
    assert user is not None
    return incident, user


def _membership_of(call: Call, incident: Record, user: Record) -> Record | None:
    return next(
        (
            m
            for m in call.state.incident_memberships
            if m["incident_id"] == incident["id"] and m["user"]["id"] == user["id"]
        ),
        None,
    )


def create_membership(call: Call) -> tuple[int, Record]:
    incident, user = _private_incident_and_user(call, call.json_object())
    existing = _membership_of(call, incident, user)
    if existing is not None:
        return 201, {"incident_membership": existing}
    membership: Record = {
        "id": new_ulid(call.now, call.rng),
        "incident_id": incident["id"],
        "user": embedded_user(user),
        "created_at": rfc3339(call.now),
        "updated_at": rfc3339(call.now),
    }
    call.state.incident_memberships.append(membership)
    call.changed = True
    call.emit(
        "private_incident.membership_granted_v1", {"incident_id": incident["id"], "user_id": user["id"]}
    )
    return 201, {"incident_membership": membership}


def revoke_membership(call: Call) -> tuple[int, None]:
    incident, user = _private_incident_and_user(call, call.json_object())
    existing = _membership_of(call, incident, user)
    if existing is None:
        raise invalid(
            "user_id", f"{user['name']} is not a member of {incident['reference']}", code="not_found"
        )
    call.state.incident_memberships.remove(existing)
    call.changed = True
    call.emit(
        "private_incident.membership_revoked_v1", {"incident_id": incident["id"], "user_id": user["id"]}
    )
    return 204, None


ROUTES = [
    ("POST", "/v1/incident_memberships", create_membership, "incident_memberships.grant"),
    ("POST", "/v1/incident_memberships/actions/revoke", revoke_membership, "incident_memberships.revoke"),
]
"""This module's operations: (method, schema path, handler, scope), for :mod:`.routes`."""
