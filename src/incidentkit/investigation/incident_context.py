"""Everything about one incident that an investigation (a person or an agent) reads first.

:func:`context` fetches an incident by any of its references (ULID, ``INC-123``, ``123`` or a
dashboard URL of the key's own organisation), with its updates, timeline items, attached alerts
(``GET /v2/incident_alerts``) and follow-ups, reads its affected services (see
:mod:`incidentkit.investigation.affected_services`) with their owners and dependencies from the
catalog, and puts together its severity and status history: from the updates, the store's last
snapshot of it (when a history in a store is given) and its current state.

:meth:`IncidentContext.to_json` is the compact JSON that ``incidentkit context --json`` prints and
agents read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.affected_services import AffectedService, find_affected_services
from incidentkit.investigation.config import InvestigationConfig, load_investigation_config
from incidentkit.investigation.history import History, HistoryIncident, custom_field_values, incident_from_api
from incidentkit.investigation.priority import severity_priority
from incidentkit.investigation.service_catalog import ServiceCatalog
from incidentkit.timeutil import iso

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.api.alert_models import IncidentAlert
    from incidentkit.api.models import FollowUp, Incident, IncidentUpdate, TimelineItem

__all__ = ["IncidentContext", "RoleHolder", "StateChange", "context"]

PAGE_SIZE = 250
ALERT_PAGE_SIZE = 50  # the most GET /v2/incident_alerts allows


@dataclass(frozen=True)
class RoleHolder:
    """Who holds one incident role (``assignee`` None while nobody does)."""

    role: str
    role_type: str | None
    assignee: str | None
    email: str | None

    def to_json(self) -> dict[str, Any]:
        """The assignment as JSON."""
        return {
            "role": self.role,
            "role_type": self.role_type,
            "assignee": self.assignee,
            "email": self.email,
        }


@dataclass(frozen=True)
class StateChange:
    """One moment the incident's severity or status was seen to become something.

    Attributes:
        at: when.
        field: ``severity`` or ``status``.
        value: the severity's or status's name.
        source: where it was seen: ``update`` (an incident update), ``snapshot`` (the store's last
            snapshot from webhooks) or ``current`` (the incident as fetched).
        category: the status's category, for a status.
    """

    at: datetime
    field: str
    value: str
    source: str
    category: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The change as JSON."""
        found = {"at": iso(self.at), "field": self.field, "value": self.value, "source": self.source}
        if self.category is not None:
            found["category"] = self.category
        return found


@dataclass(frozen=True)
class IncidentContext:
    """An incident with what surrounds it. Build one with :func:`context`.

    Attributes:
        incident: the incident as fetched.
        priority: its severity as the priority agents use (``P0``...), when the severity maps to one.
        started_at: when impact started (the ``Impact started at`` timestamp), else when it was declared.
        roles: who holds which role, the lead first.
        custom_fields: custom field name → its values as text.
        updates: its updates, oldest first.
        timeline: its timeline items, oldest first.
        state_history: its severity and status changes, oldest first.
        alerts: the alerts attached to it.
        follow_ups: its follow-ups.
        services: its affected services, and how each was found.
        catalog: the known services the investigation reads (dependencies, aliases).
        notes: what could not be read, and why.
    """

    incident: Incident
    priority: str | None
    started_at: datetime
    roles: tuple[RoleHolder, ...]
    custom_fields: Mapping[str, tuple[str, ...]]
    updates: tuple[IncidentUpdate, ...]
    timeline: tuple[TimelineItem, ...]
    state_history: tuple[StateChange, ...]
    alerts: tuple[IncidentAlert, ...]
    follow_ups: tuple[FollowUp, ...]
    services: tuple[AffectedService, ...]
    catalog: ServiceCatalog = field(default_factory=ServiceCatalog, repr=False, compare=False)
    notes: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The incident's ULID."""
        return self.incident.id

    @property
    def reference(self) -> str:
        """``INC-123``."""
        return self.incident.reference

    @property
    def lead(self) -> RoleHolder | None:
        """Who holds the lead role, when someone does."""
        return next((r for r in self.roles if r.role_type == "lead" and r.assignee), None)

    @property
    def service_names(self) -> tuple[str, ...]:
        """The affected services' names."""
        return tuple(service.name for service in self.services)

    def to_history_incident(self, config: InvestigationConfig) -> HistoryIncident:
        """The incident as similar-incident search sees it (with the services found here)."""
        from dataclasses import replace

        flat = incident_from_api(
            self.incident.to_json(),
            updates=[update.to_json() for update in self.updates],
            follow_ups=[follow_up.to_json() for follow_up in self.follow_ups],
            alert_sources=[a.alert.alert_source_id for a in self.alerts],
            root_cause_fields=config.root_cause_fields,
            service_fields=config.service_fields,
        )
        return replace(flat, services=self.service_names)

    def to_json(self) -> dict[str, Any]:
        """The context as compact JSON, for agents and ``--json``."""
        incident = self.incident
        severity = incident.severity
        lead = self.lead
        return {
            "incident": {
                "id": incident.id,
                "reference": incident.reference,
                "name": incident.name,
                "summary": incident.summary,
                "permalink": incident.permalink,
                "status": incident.incident_status.name,
                "status_category": incident.incident_status.category,
                "severity": severity.name if severity else None,
                "priority": self.priority,
                "mode": incident.mode,
                "visibility": incident.visibility,
                "incident_type": incident.incident_type.name if incident.incident_type else None,
                "slack_channel_id": incident.slack_channel_id,
                "created_at": iso(incident.created_at),
                "updated_at": iso(incident.updated_at),
                "started_at": iso(self.started_at),
            },
            "lead": lead.to_json() if lead else None,
            "roles": [role.to_json() for role in self.roles],
            "custom_fields": {name: list(values) for name, values in self.custom_fields.items()},
            "services": [service.to_json() for service in self.services],
            "state_history": [change.to_json() for change in self.state_history],
            "updates": [
                {
                    "at": iso(update.created_at),
                    "by": update.updater.display_name if update.updater else None,
                    "message": update.message,
                    "status": update.new_incident_status.name,
                    "severity": update.new_severity.name if update.new_severity else None,
                }
                for update in self.updates
            ],
            "timeline": [
                {"at": iso(item.timestamp), "title": item.title, "description": item.description}
                for item in self.timeline
            ],
            "alerts": [
                {
                    "id": attached.alert.id,
                    "title": attached.alert.title,
                    "status": attached.alert.status,
                    "alert_source_id": attached.alert.alert_source_id,
                    "created_at": iso(attached.alert.created_at),
                    "source_url": attached.alert.source_url,
                }
                for attached in self.alerts
            ],
            "follow_ups": [
                {
                    "id": follow_up.id,
                    "title": follow_up.title,
                    "status": follow_up.status,
                    "assignee": follow_up.assignee.name if follow_up.assignee else None,
                }
                for follow_up in self.follow_ups
            ],
            "catalog": self.catalog.source,
            "notes": list(self.notes),
        }


def context(
    client: Client,
    ref: str,
    *,
    config: InvestigationConfig | None = None,
    history: History | None = None,
) -> IncidentContext:
    """The context of incident ``ref``: see the module's description.

    Args:
        client: a client for the incident's organisation.
        ref: the incident's ULID, ``INC-123``, ``123`` or dashboard URL.
        config: the ``[investigation]`` configuration; the configuration file's when None.
        history: the store's history; its store's snapshot of the incident adds to the state history.

    Raises:
        InvalidReferenceError: ``ref`` is not an incident reference.
        OrganisationMismatchError: a dashboard URL of another organisation than the key's.
        NotFoundError: no such incident.
    """
    config = config or load_investigation_config()
    incident = client.incidents.get(ref)
    updates = sorted(
        client.incident_updates.list(incident.id, page_size=PAGE_SIZE), key=lambda update: update.created_at
    )
    timeline = sorted(
        client.incident_timeline_items.list(incident.id, page_size=PAGE_SIZE), key=lambda item: item.timestamp
    )
    alerts = list(client.incident_alerts.list(incident.id, page_size=ALERT_PAGE_SIZE))
    follow_ups = list(client.follow_ups.list(incident.id, incident_mode=incident.mode, page_size=PAGE_SIZE))
    catalog = ServiceCatalog.load(client, config)
    data = incident.to_json()
    services = find_affected_services(
        data, [attached.alert.to_json() for attached in alerts], catalog, service_fields=config.service_fields
    )
    snapshot = history.store.get_snapshot(incident.id) if history is not None else None
    severity = incident.severity.name if incident.severity else None
    return IncidentContext(
        incident=incident,
        priority=severity_priority(severity, config.priorities),
        started_at=incident.timestamp("Impact started at") or incident.created_at,
        roles=_roles(incident),
        custom_fields=custom_field_values(data),
        updates=tuple(updates),
        timeline=tuple(timeline),
        state_history=tuple(
            _state_history(
                incident,
                updates,
                None
                if snapshot is None
                else (snapshot.incident_updated_at or snapshot.stored_at, snapshot.data),
            )
        ),
        alerts=tuple(alerts),
        follow_ups=tuple(follow_ups),
        services=tuple(services),
        catalog=catalog,
        notes=(catalog.note,) if catalog.note else (),
    )


def _roles(incident: Incident) -> tuple[RoleHolder, ...]:
    holders = [
        RoleHolder(
            role=assignment.role.name,
            role_type=assignment.role.role_type,
            assignee=assignment.assignee.name if assignment.assignee else None,
            email=assignment.assignee.email if assignment.assignee else None,
        )
        for assignment in incident.incident_role_assignments
    ]
    holders.sort(key=lambda holder: holder.role_type != "lead")
    return tuple(holders)


def _state_history(
    incident: Incident,
    updates: Sequence[IncidentUpdate],
    snapshot: tuple[datetime, Mapping[str, Any]] | None,
) -> list[StateChange]:
    """Every observation of severity and status, oldest first, keeping only those that changed something."""
    seen: list[StateChange] = []
    for update in updates:
        status = update.new_incident_status
        seen.append(StateChange(update.created_at, "status", status.name, "update", status.category))
        if update.new_severity is not None:
            seen.append(StateChange(update.created_at, "severity", update.new_severity.name, "update"))
    if snapshot is not None:
        at, data = snapshot
        status_data = data.get("incident_status") or {}
        if status_data.get("name"):
            seen.append(
                StateChange(at, "status", str(status_data["name"]), "snapshot", status_data.get("category"))
            )
        if (data.get("severity") or {}).get("name"):
            seen.append(StateChange(at, "severity", str(data["severity"]["name"]), "snapshot"))
    status = incident.incident_status
    seen.append(StateChange(incident.updated_at, "status", status.name, "current", status.category))
    if incident.severity is not None:
        seen.append(StateChange(incident.updated_at, "severity", incident.severity.name, "current"))
    # Stable: at the same moment an update comes before the snapshot and the current state.
    seen.sort(key=lambda change: change.at)
    changes: list[StateChange] = []
    last: dict[str, str] = {}
    for change in seen:
        if last.get(change.field) != change.value:
            last[change.field] = change.value
            changes.append(change)
    return changes
