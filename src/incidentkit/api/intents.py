"""The intents on top of the raw operations: acknowledge, escalate and close an incident.

Each looks the incident up, decides where the intent takes it from the organisation's own
statuses and severities (never hard-coded), and leaves an incident that is already there alone;
the outcome is an :class:`IncidentChange`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from incidentkit.api.core import Op
from incidentkit.api.errors import InvalidArgumentError
from incidentkit.api.lookups import Lookups, load_severities, load_statuses, resolve_severity
from incidentkit.api.operations import create_incident_update, get_incident, send_edit
from incidentkit.api.refs import IncidentRef

if TYPE_CHECKING:
    # The models are imported where they are used: pydantic is the heaviest import of the client,
    # and a program that wants the API's JSON (``SyncPager.raw()``) never needs it.
    from incidentkit.api.models import Incident, IncidentStatus, IncidentUpdate, Severity


@dataclass(frozen=True)
class IncidentChange:
    """The outcome of an intent such as acknowledge, escalate or close.

    Attributes:
        incident: the incident as it is now.
        changed: False when the incident was already where the intent would take it.
        description: a sentence saying what happened, for people.
        update: the incident update posted with the change, if a message was given.
    """

    incident: Incident
    changed: bool
    description: str
    update: IncidentUpdate | None = None


def _move(
    lookups: Lookups,
    incident: Incident,
    *,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    message: str | None,
    idempotency_key: str | None,
    notify_incident_channel: bool,
) -> Op[tuple[Incident, IncidentUpdate | None]]:
    """Apply a status and/or severity change, as an incident update when there is a message."""
    if message:
        # One incident update both changes the incident and tells people why, atomically.
        update = yield from create_incident_update(
            lookups,
            incident.id,
            message=message,
            status=status.id if status else None,
            severity=severity.id if severity else None,
            idempotency_key=idempotency_key,
        )
        return (yield from get_incident(lookups, IncidentRef(id=incident.id))), update
    changes: dict[str, Any] = {}
    if status is not None:
        changes["incident_status_id"] = status.id
    if severity is not None:
        changes["severity_id"] = severity.id
    return (yield from send_edit(incident.id, changes, notify_incident_channel)), None


def acknowledge_incident(
    lookups: Lookups,
    incident: str | IncidentRef,
    *,
    message: str | None = None,
    idempotency_key: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[IncidentChange]:
    """Move a triage incident to the organisation's first live status.

    An incident that is not in triage is left alone (``changed`` is False). With ``message``,
    the change is posted as an incident update carrying that message.
    """
    current = yield from get_incident(lookups, incident)
    if current.status_category != "triage":
        return IncidentChange(
            current,
            False,
            f"{current.reference} is not in triage (it is {current.incident_status.name}); nothing to do",
        )
    return (
        yield from _move_to_first_status(
            lookups, current, "live", "acknowledged", message, idempotency_key, notify_incident_channel
        )
    )


def _move_to_first_status(
    lookups: Lookups,
    current: Incident,
    category: str,
    done: str,
    message: str | None,
    idempotency_key: str | None,
    notify_incident_channel: bool,
) -> Op[IncidentChange]:
    """Move ``current`` to the first status of ``category``; ``done`` says what that was ("closed")."""
    target = yield from _first_status(lookups, category)
    after, update = yield from _move(
        lookups,
        current,
        status=target,
        message=message,
        idempotency_key=idempotency_key,
        notify_incident_channel=notify_incident_channel,
    )
    change = f"{after.reference} {done}: {current.incident_status.name} → {target.name}"
    return IncidentChange(after, True, change, update)


def _first_status(lookups: Lookups, category: str) -> Op[IncidentStatus]:
    """The organisation's first status (lowest rank) of ``category``, looked up, never hard-coded."""
    statuses = [s for s in (yield from load_statuses(lookups)) if s.category == category]
    if not statuses:
        raise InvalidArgumentError(f"the organisation has no status of category {category!r}")
    return min(statuses, key=lambda s: s.rank)


def escalate_incident(
    lookups: Lookups,
    incident: str | IncidentRef,
    *,
    to: str | None = None,
    message: str | None = None,
    idempotency_key: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[IncidentChange]:
    """Raise an incident's severity one step by rank, or to the severity named by ``to``.

    An incident already at the most severe level (or at ``to``) is left alone.
    """
    current = yield from get_incident(lookups, incident)
    severities = yield from load_severities(lookups)
    if to is not None:
        target: Severity | None = yield from resolve_severity(lookups, to)
    else:
        rank = current.severity.rank if current.severity else None
        higher = [s for s in severities if rank is None or s.rank > rank]
        target = min(higher, key=lambda s: s.rank) if higher else None
    if target is None or (current.severity is not None and current.severity.id == target.id):
        where = current.severity.name if current.severity else "no severity"
        return IncidentChange(current, False, f"{current.reference} is already at {where}; nothing to do")
    after, update = yield from _move(
        lookups,
        current,
        severity=target,
        message=message,
        idempotency_key=idempotency_key,
        notify_incident_channel=notify_incident_channel,
    )
    before = current.severity.name if current.severity else "no severity"
    return IncidentChange(after, True, f"{after.reference} escalated: {before} → {target.name}", update)


def close_incident(
    lookups: Lookups,
    incident: str | IncidentRef,
    *,
    message: str | None = None,
    idempotency_key: str | None = None,
    notify_incident_channel: bool = False,
) -> Op[IncidentChange]:
    """Move an incident to the organisation's first status of category ``closed``.

    The status is looked up, never hard-coded. An incident already closed is left alone.
    """
    current = yield from get_incident(lookups, incident)
    if current.status_category == "closed":
        return IncidentChange(
            current,
            False,
            f"{current.reference} is already closed ({current.incident_status.name}); nothing to do",
        )
    return (
        yield from _move_to_first_status(
            lookups, current, "closed", "closed", message, idempotency_key, notify_incident_channel
        )
    )
