"""Normalised incident lifecycle events: created, updated (with the changes) and resolved.

incident.io's webhooks say *that* an incident changed, not *what* changed, and they may arrive
out of order. The dependable way is to re-fetch the incident and compare it with the last
snapshot we stored. :func:`lifecycle_events` does that comparison; it is a pure function (no I/O,
no clock), so the store and the workflow engine can call it wherever they hold both versions.

Example:
    >>> events = lifecycle_events(current=incident_from_api, previous=last_snapshot)  # doctest: +SKIP
    >>> [e.event_type for e in events]  # doctest: +SKIP
    ['incident.updated', 'incident.resolved']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from incidentkit.timeutil import iso as _iso
from incidentkit.timeutil import parse_timestamp

__all__ = [
    "RESOLVED_CATEGORIES",
    "TRACKED_FIELDS",
    "FieldChange",
    "LifecycleEvent",
    "incident_changes",
    "lifecycle_events",
]

LifecycleType = Literal["incident.created", "incident.updated", "incident.resolved"]

RESOLVED_CATEGORIES = frozenset({"learning", "closed", "resolved"})
"""Status categories that mean the incident is over. ``learning`` is incident.io's "Post-incident":
an incident enters it the moment it is resolved when the organisation runs a post-incident flow, and
goes to ``closed`` only after the write-up, so it counts as resolved."""

TRACKED_FIELDS = ("name", "summary", "severity", "status", "incident_type", "mode", "visibility", "call_url")
"""Top-level fields compared between snapshots; custom fields and roles are compared too, one entry each
(``custom_fields.<field name>``, ``roles.<role name>``). Timestamps that move on every touch
(``updated_at``, ``last_activity_at``, workload minutes) are deliberately left out."""


@dataclass(frozen=True)
class FieldChange:
    """One meaningful difference between two snapshots of an incident.

    Values are what a person would compare: names for severity, status and type; option values for
    custom fields (a list for multi-value fields); the assignee's name for roles; ``None`` when unset.
    """

    field: str
    old_value: Any
    new_value: Any

    def to_dict(self) -> dict[str, Any]:
        """``{field, old_value, new_value}``, as workflow triggers carry it."""
        return {"field": self.field, "old_value": self.old_value, "new_value": self.new_value}


@dataclass(frozen=True)
class LifecycleEvent:
    """A normalised lifecycle event for one incident.

    Attributes:
        event_type: ``incident.created``, ``incident.updated`` or ``incident.resolved``.
        incident_id: the incident's id.
        occurred_at: when it happened according to the incident (``created_at``, ``updated_at``, the
            resolution time), or ``None`` when the incident does not say.
        changes: for ``incident.updated``, every tracked field that differs, in a stable order.
        resolved_at: for ``incident.resolved``, when it was resolved.
        resolution_seconds: for ``incident.resolved``, seconds from reported (or created) to resolved.
    """

    event_type: LifecycleType
    incident_id: str
    occurred_at: datetime | None
    changes: tuple[FieldChange, ...] = field(default=())
    resolved_at: datetime | None = None
    resolution_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (timestamps as ISO 8601 strings)."""
        return {
            "event_type": self.event_type,
            "incident_id": self.incident_id,
            "occurred_at": _iso(self.occurred_at),
            "changes": [change.to_dict() for change in self.changes],
            "resolved_at": _iso(self.resolved_at),
            "resolution_seconds": self.resolution_seconds,
        }


def lifecycle_events(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    resolved_categories: Iterable[str] = RESOLVED_CATEGORIES,
) -> list[LifecycleEvent]:
    """The lifecycle events that lead from the last snapshot the store saw to the current incident.

    Args:
        current: the incident as the API returns it now (``IncidentV2``, or a webhook's
            ``WebhookIncidentV2``).
        previous: the last snapshot stored for it, or ``None`` when this is the first time it is seen.
        resolved_categories: status categories that count as resolved.

    Returns:
        In order: ``incident.created`` when there is no previous snapshot, otherwise
        ``incident.updated`` when a tracked field changed; then ``incident.resolved`` when the
        status category is now a resolved one and was not before (an incident first seen already
        resolved, such as a retrospective one, yields created and resolved). An empty list when
        nothing meaningful changed.

    Raises:
        ValueError: an incident has no ``id``, or the two snapshots are of different incidents.
    """
    incident_id = _incident_id(current, "current")
    if previous is not None and _incident_id(previous, "previous") != incident_id:
        raise ValueError(
            f"previous snapshot is of incident {previous.get('id')!r}, not {incident_id!r}; "
            "compare snapshots of one incident"
        )
    resolved = frozenset(resolved_categories)
    events: list[LifecycleEvent] = []
    if previous is None:
        events.append(
            LifecycleEvent("incident.created", incident_id, parse_timestamp(current.get("created_at")))
        )
    else:
        changes = incident_changes(previous, current)
        if changes:
            events.append(
                LifecycleEvent(
                    "incident.updated", incident_id, parse_timestamp(current.get("updated_at")), changes
                )
            )
    was_resolved = previous is not None and _category(previous) in resolved
    if _category(current) in resolved and not was_resolved:
        resolved_at = _timestamp_value(current, "resolved at") or parse_timestamp(current.get("updated_at"))
        started = _timestamp_value(current, "reported at") or parse_timestamp(current.get("created_at"))
        seconds = (resolved_at - started).total_seconds() if resolved_at and started else None
        events.append(
            LifecycleEvent(
                "incident.resolved",
                incident_id,
                resolved_at,
                resolved_at=resolved_at,
                resolution_seconds=seconds,
            )
        )
    return events


def incident_changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every tracked field whose value differs between two snapshots of one incident.

    Args:
        previous: the older snapshot.
        current: the newer snapshot.

    Returns:
        Changes to :data:`TRACKED_FIELDS` first (in that order), then custom fields and roles sorted
        by name. A field that is absent from one snapshot counts as ``None`` there.
    """
    old, new = _comparable(previous), _comparable(current)
    ordered = [name for name in TRACKED_FIELDS]
    ordered += sorted((set(old) | set(new)) - set(TRACKED_FIELDS))
    return tuple(
        FieldChange(name, old.get(name), new.get(name)) for name in ordered if old.get(name) != new.get(name)
    )


def _comparable(incident: Mapping[str, Any]) -> dict[str, Any]:
    """The tracked fields of one snapshot, reduced to the values a person compares."""
    values: dict[str, Any] = {
        "name": incident.get("name"),
        "summary": incident.get("summary"),
        "severity": _name_of(incident.get("severity")),
        "status": _name_of(incident.get("incident_status")),
        "incident_type": _name_of(incident.get("incident_type")),
        "mode": incident.get("mode"),
        "visibility": incident.get("visibility"),
        "call_url": incident.get("call_url"),
    }
    for entry in _objects(incident.get("custom_field_entries")):
        definition = entry.get("custom_field")
        name = _name_of(definition)
        if name is None:
            continue
        field_type = definition.get("field_type") if isinstance(definition, Mapping) else None
        shown = [_custom_value(value) for value in _objects(entry.get("values"))]
        present = [value for value in shown if value is not None]
        if field_type == "multi_select":
            values[f"custom_fields.{name}"] = sorted(present, key=str) or None
        else:
            values[f"custom_fields.{name}"] = present[0] if len(present) == 1 else (present or None)
    for assignment in _objects(incident.get("incident_role_assignments")):
        role = _name_of(assignment.get("role"))
        if role is not None:
            values[f"roles.{role}"] = _name_of(assignment.get("assignee"))
    return values


def _custom_value(value: Mapping[str, Any]) -> Any:
    option = value.get("value_option")
    if isinstance(option, Mapping):
        return option.get("value")
    entry = value.get("value_catalog_entry")
    if isinstance(entry, Mapping):
        return entry.get("name")
    for key in ("value_text", "value_numeric", "value_link", "value_timestamp"):
        if value.get(key) is not None:
            return value[key]
    return None


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _name_of(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return str(value["name"])
    return None


def _category(incident: Mapping[str, Any]) -> str | None:
    status = incident.get("incident_status")
    category = status.get("category") if isinstance(status, Mapping) else None
    return category if isinstance(category, str) else None


def _timestamp_value(incident: Mapping[str, Any], name: str) -> datetime | None:
    """An incident timestamp (``incident_timestamp_values``) by its name, case-insensitively."""
    for entry in _objects(incident.get("incident_timestamp_values")):
        timestamp = entry.get("incident_timestamp")
        label = _name_of(timestamp)
        if label is not None and label.strip().lower() == name:
            value = entry.get("value")
            return parse_timestamp(value.get("value")) if isinstance(value, Mapping) else None
    return None


def _incident_id(incident: Mapping[str, Any], which: str) -> str:
    incident_id = incident.get("id") if isinstance(incident, Mapping) else None
    if not isinstance(incident_id, str) or not incident_id:
        raise ValueError(f"the {which} incident has no id; pass the incident object as the API returns it")
    return incident_id
