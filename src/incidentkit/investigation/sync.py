"""``incidentkit sync``: copy incident history and the catalog's services from the API into the store.

Each sync asks only for incidents whose ``updated_at`` is at or after the newest one the previous sync
copied (the store remembers it per API), leaves out those whose ``updated_at`` the history already
has (nothing changed), and copies the rest with their updates, timeline items and follow-ups, in
bulk. A first sync (or one with many changes) lists updates and follow-ups for the whole
organisation, a few requests per thousand, instead of two per incident; a small incremental sync asks
per incident. Timeline items can only be listed per incident (the API requires ``incident_id``), so a
first sync makes one request per incident for them, and later syncs one per changed incident.

The catalog's services (name, aliases, owner, tier, dependencies) are read on every sync and replace
the ones kept before when they differ (see :class:`~incidentkit.investigation.ServiceDirectory`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incidentkit.investigation.config import InvestigationConfig
from incidentkit.investigation.history import History, HistoryIncident, incident_from_api
from incidentkit.investigation.service_catalog import KnownService
from incidentkit.investigation.service_directory import ServiceDirectory
from incidentkit.timeutil import parse_iso

if TYPE_CHECKING:
    from incidentkit.api import Client

__all__ = ["SyncResult", "sync_history"]

PAGE_SIZE = 250
# Above this many changed incidents, listing the whole organisation's updates costs fewer requests.
_PER_INCIDENT_LIMIT = 50
_WRITE_BATCH = 1000

Progress = Callable[[int, int | None], None]
"""Called with (incidents written so far, incidents to write or None while unknown)."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync copied.

    Attributes:
        incidents: incidents written (new or changed).
        updates: incident updates copied with them.
        follow_ups: follow-ups copied with them.
        high_water: the newest ``updated_at`` copied; the next sync starts there.
        full: whether this was a first, full sync.
        timeline_items: timeline items copied with them.
        services: the catalog's services now kept; None when the catalog could not be read (the
            services of the previous sync are kept).
        catalog_note: why no services were copied, when none were.
    """

    incidents: int
    updates: int
    follow_ups: int
    high_water: datetime | None
    full: bool
    timeline_items: int = 0
    services: int | None = None
    catalog_note: str | None = None


def sync_history(
    client: Client,
    history: History,
    config: InvestigationConfig,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Copy what changed since the last sync from the API into ``history``, and the catalog's services.

    A full sync streams the incidents page by page and writes them a thousand at a time, so memory
    holds one batch of incidents (and the organisation's updates and follow-ups, slimmed to what the
    history keeps), not the whole history.

    Args:
        client: a client for the organisation.
        history: where the history is kept.
        config: which custom fields hold root causes and services.
        full: ignore where the last sync left off and copy everything again.
        progress: told how far the writing has got (the total is None while unknown).
    """
    source = client.base_url
    since = None if full else history.high_water(source)
    listing: Iterable[dict[str, Any]] = client.incidents.list(page_size=PAGE_SIZE, updated_at_gte=since).raw()
    total: int | None = None
    if since is None:
        ids: set[str] | None = None  # every incident: list the organisation's updates once
    else:
        # Only what changed: few, as a rule. The incident that set the mark comes back (the listing
        # is "at or after"), as do any the history already has as they are: those are left out.
        listed = list(listing)
        stored = history.updated_at_of(str(incident["id"]) for incident in listed)
        listing = [incident for incident in listed if _changed(incident, stored)]
        ids = {str(incident["id"]) for incident in listing}
        total = len(listing)
    per_incident = ids is not None and len(ids) <= _PER_INCIDENT_LIMIT
    updates = _grouped(_updates(client, ids, per_incident), ids, _slim_update)
    follow_ups = _grouped(_follow_ups(client, ids, per_incident), ids, _slim_follow_up)

    written = copied_updates = copied_follow_ups = copied_items = 0
    high_water = since
    batch: list[HistoryIncident] = []
    if progress:
        progress(0, total)
    for incident in listing:
        incident_id = str(incident["id"])
        item = incident_from_api(
            incident,
            # Popped: what is written needs no keeping, which bounds memory on a full sync.
            updates=updates.pop(incident_id, []),
            follow_ups=follow_ups.pop(incident_id, []),
            timeline_items=_timeline_items(client, incident_id),
            alert_sources=_alert_sources(incident),
            root_cause_fields=config.root_cause_fields,
            service_fields=config.service_fields,
        )
        batch.append(item)
        copied_updates += len(item.updates)
        copied_follow_ups += len(item.follow_ups)
        copied_items += len(item.timeline_items)
        if high_water is None or item.updated_at > high_water:
            high_water = item.updated_at
        if len(batch) == _WRITE_BATCH:
            written += history.upsert(batch)
            batch = []
            if progress:
                progress(written, total)
    if batch:
        written += history.upsert(batch)
    if progress:
        progress(written, written)
    history.set_high_water(source, high_water)
    services, note = sync_services(client, ServiceDirectory(history.store))
    return SyncResult(
        incidents=written,
        updates=copied_updates,
        follow_ups=copied_follow_ups,
        high_water=high_water.astimezone(UTC) if high_water else None,
        full=since is None,
        timeline_items=copied_items,
        services=services,
        catalog_note=note,
    )


def sync_services(client: Client, directory: ServiceDirectory) -> tuple[int | None, str | None]:
    """Replace the kept services with the catalog's; returns how many are kept, and why none, if none.

    A catalog without a Service type leaves no services (that is what it says); one that cannot be
    read (not found, or a key without the scope) keeps the previous sync's, and says so (None).
    """
    from incidentkit.api.errors import NotFoundError, PermissionDeniedError, UnknownNameError

    note = None
    try:
        found = client.catalog.services()
    except UnknownNameError:
        found, note = [], "the catalog has no Service type"
    except (NotFoundError, PermissionDeniedError) as error:
        return None, f"the catalog could not be read ({error.status}): the services synced before are kept"
    services = [
        KnownService(
            name=service.name,
            aliases=service.aliases,
            owner=service.owner,
            tier=service.tier,
            depends_on=service.depends_on,
            catalog_entry_id=service.id,
        )
        for service in found
    ]
    return directory.replace(services), note


def _changed(incident: dict[str, Any], stored: dict[str, datetime]) -> bool:
    """Whether the history lacks ``incident`` or has it with another ``updated_at``."""
    kept = stored.get(str(incident["id"]))
    if kept is None:
        return True
    value = incident.get("updated_at") or incident.get("created_at")
    return value is None or parse_iso(str(value), assume_utc=True) != kept


def _timeline_items(client: Client, incident_id: str) -> list[dict[str, Any]]:
    """The incident's timeline items, cut down to what the history keeps."""
    return [
        {
            "timestamp": item.get("timestamp"),
            "title": item.get("title"),
            "description": item.get("description"),
        }
        for item in client.incident_timeline_items.list(incident_id, page_size=PAGE_SIZE).raw()
    ]


def _updates(client: Client, ids: set[str] | None, per_incident: bool) -> Iterator[dict[str, Any]]:
    """Incident updates: of the changed incidents (``ids``), or of the whole organisation."""
    if ids is not None and not ids:
        return
    if per_incident and ids is not None:
        for incident_id in sorted(ids):
            yield from client.incident_updates.list(incident_id, page_size=PAGE_SIZE).raw()
    else:
        yield from client.incident_updates.list(page_size=PAGE_SIZE).raw()


def _follow_ups(client: Client, ids: set[str] | None, per_incident: bool) -> Iterator[dict[str, Any]]:
    """Follow-ups (``GET /v3/follow_ups``): of the changed incidents, or of the whole organisation."""
    if ids is not None and not ids:
        return
    wanted: list[str | None] = list(sorted(ids)) if per_incident and ids is not None else [None]
    for incident_id in wanted:
        after: str | None = None
        while True:
            params = [("page_size", str(PAGE_SIZE))]
            if incident_id is not None:
                params.append(("incident_id", incident_id))
            if after:
                params.append(("after", after))
            body = client.request("GET", "/v3/follow_ups", params=params)
            yield from body.get("follow_ups") or []
            after = (body.get("pagination_meta") or {}).get("after")
            if not after:
                break


def _grouped(
    items: Iterator[dict[str, Any]], ids: set[str] | None, slim: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Items by incident id (only of ``ids`` when given), each cut down to what the history keeps."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        incident_id = str(item.get("incident_id"))
        if ids is None or incident_id in ids:
            grouped.setdefault(incident_id, []).append(slim(item))
    return grouped


def _slim_update(update: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": update.get("created_at"),
        "message": update.get("message"),
        "new_incident_status": {"name": (update.get("new_incident_status") or {}).get("name")},
        "new_severity": {"name": (update.get("new_severity") or {}).get("name")},
    }


def _slim_follow_up(follow_up: dict[str, Any]) -> dict[str, Any]:
    return {"title": follow_up.get("title"), "status": follow_up.get("status")}


def _alert_sources(incident: dict[str, Any]) -> list[str]:
    """The alert source that declared the incident, when an alert did (``creator.alert``)."""
    alert = (incident.get("creator") or {}).get("alert") or {}
    name = (
        alert.get("alert_source_name") or alert.get("name") or (alert.get("alert_source") or {}).get("name")
    )
    return [str(name)] if name else []
