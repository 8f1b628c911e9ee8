"""Where the generic operations keep their records: by collection path, or in the hand-written state.

A collection is named by its concrete path: ``/v2/status_page_components``, or
``/v2/call_routes/01H.../options`` for one call route's options. Most live in
``OrgState.generic``; the collections the hand-written handlers own (severities, users,
incidents...) are read and changed where those handlers keep them, so a severity created with
the generic ``POST /v1/severities`` is listed by the hand-written ``GET /v1/severities``.
"""

from __future__ import annotations

from collections.abc import Callable

from incidentkit.emulator.state import OrgState, Record

Records = list[Record] | dict[str, Record]

# The collections the hand-written handlers keep, by the schema path of the collection.
OWNED: dict[str, Callable[[OrgState], Records]] = {
    "/v1/severities": lambda state: state.severities,
    "/v1/incident_statuses": lambda state: state.incident_statuses,
    "/v1/incident_types": lambda state: state.incident_types,
    "/v2/incident_roles": lambda state: state.incident_roles,
    "/v2/custom_fields": lambda state: state.custom_fields,
    "/v2/incident_timestamps": lambda state: state.incident_timestamps,
    "/v2/users": lambda state: state.users,
    "/v2/incidents": lambda state: state.incidents,
    "/v2/incident_updates": lambda state: state.incident_updates,
    "/v2/incident_timeline_items": lambda state: state.timeline_items,
    "/v3/follow_ups": lambda state: state.follow_ups,
    "/v3/catalog_types": lambda state: state.catalog_types,
    "/v3/catalog_entries": lambda state: state.catalog_entries,
    "/v3/teams": lambda state: state.teams,
    "/v2/alert_sources": lambda state: state.alert_sources,
    "/v3/alert_routes": lambda state: state.alert_routes,
    "/v2/alerts": lambda state: state.alerts,
    "/v2/incident_alerts": lambda state: state.incident_alerts,
    "/v2/schedules": lambda state: state.schedules,
    "/v2/schedule_overrides": lambda state: state.schedule_overrides,
    "/v2/escalation_paths": lambda state: state.escalation_paths,
    "/v2/escalations": lambda state: state.escalations,
    "/v1/incident_attachments": lambda state: state.incident_attachments,
    "/v1/postmortem_documents": lambda state: state.postmortem_documents,
}


def owned(collection: str) -> bool:
    """Whether the hand-written state keeps this collection."""
    return collection in OWNED


def exists(state: OrgState, collection: str) -> bool:
    """Whether the collection has been used (an owned one always has)."""
    return collection in OWNED or collection in state.generic


def records(state: OrgState, collection: str) -> list[Record]:
    """The collection's records, in the order they were added."""
    found = OWNED[collection](state) if collection in OWNED else state.generic.get(collection, {})
    return list(found.values()) if isinstance(found, dict) else list(found)


def get(state: OrgState, collection: str, record_id: str) -> Record | None:
    """One record by id (an incident also by the number of its reference)."""
    if collection == "/v2/incidents":
        return state.incident_by_reference(record_id)
    found = OWNED[collection](state) if collection in OWNED else state.generic.get(collection, {})
    if isinstance(found, dict):
        return found.get(record_id)
    return next((record for record in found if record.get("id") == record_id), None)


def add(state: OrgState, collection: str, record: Record) -> None:
    """Keep a new record (its ``id`` names it)."""
    if collection in OWNED:
        found = OWNED[collection](state)
        if isinstance(found, dict):
            found[record["id"]] = record
        else:
            found.append(record)
        return
    state.generic.setdefault(collection, {})[record["id"]] = record


def remove(state: OrgState, collection: str, record_id: str) -> bool:
    """Forget a record; whether it was there. Its nested collections go with it."""
    found = OWNED[collection](state) if collection in OWNED else state.generic.get(collection, {})
    if isinstance(found, dict):
        removed = found.pop(record_id, None) is not None
    else:
        before = len(found)
        found[:] = [record for record in found if record.get("id") != record_id]
        removed = len(found) < before
    prefix = f"{collection}/{record_id}/"
    for nested in [key for key in state.generic if key.startswith(prefix)]:
        del state.generic[nested]
    for nested in [key for key in state.documents if key.startswith(prefix)]:
        del state.documents[nested]
    return removed
