"""Typed webhook events: one envelope for every incident.io event type, and for the ones still to come.

incident.io wraps each payload in an envelope keyed by its own event type::

    {"event_type": "public_incident.incident_created_v2",
     "public_incident.incident_created_v2": {...the incident...}}

:func:`parse_event` reads that into a :class:`WebhookEvent`: the webhook id, the event type, what
the event is about (its subject kind and id, and the incident it belongs to), whether it is private
(private incidents, alerts and escalations carry only an id: fetch the rest through the API) and
the payload object itself, untouched. An event type this version does not know is kept with a
best guess at its subject, never refused: incident.io adds event types without notice.

The 34 known types come from the official schema's ``x-webhooks`` (see ``data/SOURCE.md``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict

from incidentkit.timeutil import parse_timestamp
from incidentkit.webhooks.errors import WebhookError

__all__ = [
    "EVENT_RULES",
    "EventParseError",
    "EventTypeInfo",
    "WebhookEvent",
    "event_types",
    "parse_event",
]

Path = tuple[str, ...]


class EventParseError(WebhookError, ValueError):
    """Raised when a webhook body is not an incident.io event: invalid JSON, no event_type, wrong shape."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)


@dataclass(frozen=True)
class EventRule:
    """Where an event type keeps its subject, inside the payload object."""

    subject_kind: str
    subject_id: Path = ("id",)
    incident_id: Path | None = None
    occurred_at: Path | None = None


# Every event type in the schema's x-webhooks. A test keeps this table equal to the catalogue.
EVENT_RULES: dict[str, EventRule] = {
    "public_incident.incident_created_v2": EventRule("incident", ("id",), ("id",), ("created_at",)),
    "public_incident.incident_updated_v2": EventRule("incident", ("id",), ("id",), ("updated_at",)),
    "public_incident.incident_status_updated_v2": EventRule(
        "incident", ("incident", "id"), ("incident", "id"), ("incident", "updated_at")
    ),
    "private_incident.incident_created_v2": EventRule("incident", incident_id=("id",)),
    "private_incident.incident_updated_v2": EventRule("incident", incident_id=("id",)),
    "public_incident.follow_up_created_v1": EventRule(
        "follow_up", ("id",), ("incident_id",), ("created_at",)
    ),
    "public_incident.follow_up_updated_v1": EventRule(
        "follow_up", ("id",), ("incident_id",), ("updated_at",)
    ),
    "public_incident.follow_up_created_v2": EventRule(
        "follow_up", ("id",), ("incident_id",), ("created_at",)
    ),
    "public_incident.follow_up_updated_v2": EventRule(
        "follow_up", ("id",), ("incident_id",), ("updated_at",)
    ),
    "private_incident.follow_up_created_v1": EventRule("follow_up"),
    "private_incident.follow_up_updated_v1": EventRule("follow_up"),
    "private_incident.follow_up_created_v2": EventRule("follow_up"),
    "private_incident.follow_up_updated_v2": EventRule("follow_up"),
    "public_incident.action_created_v1": EventRule("action", ("id",), ("incident_id",), ("created_at",)),
    "public_incident.action_updated_v1": EventRule("action", ("id",), ("incident_id",), ("updated_at",)),
    "private_incident.action_created_v1": EventRule("action"),
    "private_incident.action_updated_v1": EventRule("action"),
    # Membership events name the private incident whose access changed; the payload is not secret.
    "private_incident.membership_granted_v1": EventRule(
        "incident_membership", ("incident_id",), ("incident_id",)
    ),
    "private_incident.membership_revoked_v1": EventRule(
        "incident_membership", ("incident_id",), ("incident_id",)
    ),
    "public_incident.postmortem_document_status_updated_v1": EventRule(
        "postmortem_document",
        ("postmortem_document", "id"),
        ("postmortem_document", "incident_id"),
        ("postmortem_document", "updated_at"),
    ),
    "private_incident.postmortem_document_status_updated_v1": EventRule("postmortem_document"),
    "public_alert.alert_created_v1": EventRule("alert", ("id",), None, ("created_at",)),
    "public_alert.alert_resolved_v1": EventRule("alert", ("id",), None, ("resolved_at",)),
    "private_alert.alert_created_v1": EventRule("alert"),
    "private_alert.alert_resolved_v1": EventRule("alert"),
    "public_escalation.escalation_created_v1": EventRule("escalation", ("id",), None, ("created_at",)),
    "public_escalation.escalation_status_updated_v1": EventRule(
        "escalation", ("escalation", "id"), None, ("escalation", "updated_at")
    ),
    "private_escalation.escalation_created_v1": EventRule("escalation"),
    "private_escalation.escalation_status_updated_v1": EventRule("escalation"),
    "schedule.created_v1": EventRule("schedule", ("id",), None, ("created_at",)),
    "schedule.updated_v1": EventRule("schedule", ("id",), None, ("updated_at",)),
    "schedule.deleted_v1": EventRule("schedule", ("id",), None, ("updated_at",)),
    # A shift change happens on the hour the rota says; the payload has no timestamp for it.
    "schedule.shift_change_v1": EventRule("schedule", ("schedule", "id")),
    "status_page_incident.update_shared_v1": EventRule(
        "status_page_incident", ("status_page_incident", "id"), None, ("update", "published_at")
    ),
}


@dataclass(frozen=True)
class EventTypeInfo:
    """One webhook event type from the official schema's ``x-webhooks``."""

    event_type: str
    description: str
    schema: str
    example: dict[str, Any]


@cache
def event_types() -> dict[str, EventTypeInfo]:
    """The event types in the official schema, by name, with their description and example envelope."""
    text = resources.files("incidentkit.webhooks").joinpath("data", "event_types.json").read_text()
    return {
        entry["event_type"]: EventTypeInfo(
            event_type=entry["event_type"],
            description=entry["description"],
            schema=entry["schema"],
            example=entry["example"],
        )
        for entry in json.loads(text)
    }


class WebhookEvent(BaseModel):
    """One received webhook, whatever its type.

    Attributes:
        id: the webhook id (``webhook-id``): the same for every retry of one message.
        event_type: e.g. ``public_incident.incident_updated_v2``; unknown types are kept as they come.
        known: whether ``event_type`` is one of the types in the schema this version ships.
        private: the payload is a private resource and carries only its id.
        subject_kind: what the event is about: ``incident``, ``follow_up``, ``action``,
            ``incident_membership``, ``postmortem_document``, ``alert``, ``escalation``, ``schedule``,
            ``status_page_incident``; for unknown types, the namespace without ``public_``/``private_``.
        subject_id: the id of that subject, when the payload names one.
        incident_id: the incident the event belongs to, when the payload names one.
        occurred_at: when the change happened according to the payload, when it says so in RFC 3339.
        received_at: when the webhook arrived.
        data: the payload object under the event-type key, exactly as sent.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    event_type: str
    known: bool
    private: bool
    subject_kind: str | None
    subject_id: str | None
    incident_id: str | None = None
    occurred_at: datetime | None = None
    received_at: datetime
    data: dict[str, Any]

    @property
    def namespace(self) -> str:
        """The part of the event type before the dot, e.g. ``public_incident``."""
        return self.event_type.partition(".")[0]


def parse_event(body: bytes, *, webhook_id: str, received_at: datetime) -> WebhookEvent:
    """Read a webhook body into a :class:`WebhookEvent`.

    Args:
        body: the raw request body (already verified).
        webhook_id: the verified ``webhook-id``.
        received_at: when the request arrived.

    Returns:
        The event. Unknown event types are kept, not refused.

    Raises:
        EventParseError: the body is not JSON, not an object, has no ``event_type`` string, or a
            known event type's payload is not shaped as the schema says (the error names the field).
    """
    try:
        # Decode first: json.loads on bytes would guess UTF-16 or UTF-32, which incident.io never sends.
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EventParseError(f"the body is not UTF-8 text (bad byte at offset {error.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise EventParseError(
            f"the body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(document, dict):
        raise EventParseError(f"the body must be a JSON object, not {_json_kind(document)}")
    event_type = document.get("event_type")
    if event_type is None:
        raise EventParseError("the body has no event_type", field="event_type")
    if not isinstance(event_type, str) or not event_type.strip():
        raise EventParseError(
            f"event_type must be a non-empty string, not {_json_kind(event_type)}", field="event_type"
        )
    rule = EVENT_RULES.get(event_type)
    if rule is None:
        return _unknown_event(document, event_type, webhook_id, received_at)

    payload = document.get(event_type)
    if not isinstance(payload, dict):
        what = "missing" if payload is None else f"{_json_kind(payload)}, not an object"
        raise EventParseError(f"the payload under the event type is {what}", field=event_type)
    private = event_type.startswith("private_")
    subject_id = _string_at(payload, rule.subject_id, event_type, required=True)
    incident_id = _string_at(payload, rule.incident_id, event_type) if rule.incident_id else None
    occurred_at = None
    if rule.occurred_at is not None and not private:
        occurred_at = _time_at(payload, rule.occurred_at)
    return WebhookEvent(
        id=webhook_id,
        event_type=event_type,
        known=True,
        private=private,
        subject_kind=rule.subject_kind,
        subject_id=subject_id,
        incident_id=incident_id,
        occurred_at=occurred_at,
        received_at=received_at,
        data=payload,
    )


def _unknown_event(
    document: dict[str, Any], event_type: str, webhook_id: str, received_at: datetime
) -> WebhookEvent:
    """Keep an event type we do not know, guessing its subject from incident.io's naming habits."""
    payload = document.get(event_type)
    if not isinstance(payload, dict):
        # Not the usual envelope: keep everything but the type, so nothing is lost.
        payload = {key: value for key, value in document.items() if key != "event_type"}
    namespace = event_type.partition(".")[0]
    kind = namespace.removeprefix("public_").removeprefix("private_") or None
    subject_id = payload.get("id") if isinstance(payload.get("id"), str) else None
    incident_id = payload.get("incident_id") if isinstance(payload.get("incident_id"), str) else None
    if incident_id is None and kind == "incident":
        incident_id = subject_id
    return WebhookEvent(
        id=webhook_id,
        event_type=event_type,
        known=False,
        private=namespace.startswith("private_"),
        subject_kind=kind,
        subject_id=subject_id,
        incident_id=incident_id,
        received_at=received_at,
        data=payload,
    )


def _lookup(payload: Mapping[str, Any], path: Path) -> Any:
    value: Any = payload
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _string_at(
    payload: Mapping[str, Any], path: Path | None, event_type: str, *, required: bool = False
) -> Any:
    if path is None:
        return None
    value = _lookup(payload, path)
    if isinstance(value, str) and value:
        return value
    if value is None and not required:
        return None
    what = "missing" if value is None else f"{_json_kind(value)}, not a non-empty string"
    raise EventParseError(f"is {what}", field=".".join((event_type, *path)))


def _time_at(payload: Mapping[str, Any], path: Path) -> datetime | None:
    """The payload's timestamp at ``path``, or ``None`` when it is absent or not RFC 3339.

    ``occurred_at`` is a convenience derived from the payload, so an odd value there never costs
    the event: the payload keeps the value as sent.
    """
    return parse_timestamp(_lookup(payload, path))


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
