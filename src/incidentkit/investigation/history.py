"""Incident history in the store: what similar-incident search reads, as plain data.

:class:`HistoryIncident` is one past incident flattened (title, summary, severity, services, alert
sources, custom fields by name, root-cause labels, updates, timeline items and follow-ups).
:class:`History` keeps
them in the store's ``history_incidents`` table (SQLite or PostgreSQL), in bulk, and remembers where
the last sync left off. :func:`incident_from_api` turns the API's JSON into one, so that the sync,
the webhook-fed store and the incident view can all feed the same search.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from incidentkit.api.view import service_names, value_names
from incidentkit.store import Store
from incidentkit.store.db import reading
from incidentkit.store.schema import history_incidents, history_sync_state
from incidentkit.timeutil import parse_iso

__all__ = [
    "History",
    "HistoryIncident",
    "HistoryTimelineItem",
    "HistoryUpdate",
    "custom_field_values",
    "incident_from_api",
    "labels_of",
]

# The timeline items the investigation's write-back adds (see write_back.py): they restate its own
# findings, which name other incidents, so they are kept but never compared as the incident's text.
INVESTIGATION_ITEM_TITLES = frozenset(
    {"Investigation started", "Root cause identified", "Investigation complete"}
)

# Rows per INSERT statement: under SQLite's limit of 32,766 bound parameters (20 columns a row).
_BATCH = 1000


@dataclass(frozen=True)
class HistoryUpdate:
    """One incident update: when, its message, and the status and severity it set."""

    created_at: datetime
    message: str = ""
    status: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class HistoryTimelineItem:
    """One item of an incident's timeline: when it happened, its title and its description."""

    timestamp: datetime
    title: str = ""
    description: str = ""

    @property
    def text(self) -> str:
        """Its title and description, for text similarity."""
        return "\n".join(part for part in (self.title, self.description) if part)


@dataclass(frozen=True)
class HistoryIncident:
    """One incident as similar-incident search sees it.

    Attributes:
        id: the incident's ULID (or any unique id, for history imported from elsewhere).
        reference: ``INC-123``.
        title: the incident's name.
        summary: its summary (often the closing summary, for a resolved incident).
        status_category: ``live``, ``closed``...
        created_at: when it was declared.
        updated_at: when it last changed (the sync's high-water mark).
        severity: its severity's name.
        resolved_at: when it was resolved, when known.
        services: the affected services' names.
        alert_sources: the alert sources that fired for it.
        custom_fields: custom field name → its values as text.
        root_causes: the organisation's root-cause / category labels (from the configured field).
        updates: its updates, oldest first.
        timeline_items: the items on its timeline, oldest first.
        follow_ups: its follow-ups' titles (with their status in brackets when known).
        permalink: its dashboard URL.
    """

    id: str
    reference: str
    title: str
    summary: str
    status_category: str
    created_at: datetime
    updated_at: datetime
    severity: str | None = None
    resolved_at: datetime | None = None
    services: tuple[str, ...] = ()
    alert_sources: tuple[str, ...] = ()
    custom_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    root_causes: tuple[str, ...] = ()
    updates: tuple[HistoryUpdate, ...] = ()
    follow_ups: tuple[str, ...] = ()
    permalink: str | None = None
    timeline_items: tuple[HistoryTimelineItem, ...] = ()

    @property
    def updates_text(self) -> str:
        """The updates' messages and the timeline items' text, joined, for text similarity.

        The investigation's own timeline items are left out: comparing them would make incidents
        alike because they were investigated, and the findings they restate name other incidents.
        """
        return "\n".join(
            [update.message for update in self.updates if update.message]
            + [
                item.text
                for item in self.timeline_items
                if item.text and item.title not in INVESTIGATION_ITEM_TITLES
            ]
        )


def labels_of(custom_fields: Mapping[str, Sequence[str]], field_names: Sequence[str]) -> tuple[str, ...]:
    """The values of the first of ``field_names`` (any case) that ``custom_fields`` has."""
    by_lower = {name.lower(): values for name, values in custom_fields.items()}
    for name in field_names:
        values = by_lower.get(name.lower())
        if values:
            return tuple(values)
    return ()


def _field_values(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """What a custom field entry says: each value's name (as the incident view reads it), link or number."""
    values: list[str] = []
    for value in entry.get("values") or []:
        values += value_names(value)
        values += [str(extra) for extra in (value.get("value_link"), value.get("value_numeric")) if extra]
    return tuple(values)


def custom_field_values(incident: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """An incident's custom fields by name → what each says as text (fields without a value left out)."""
    custom: dict[str, tuple[str, ...]] = {}
    for entry in incident.get("custom_field_entries") or []:
        name = (entry.get("custom_field") or {}).get("name")
        values = _field_values(entry)
        if name and values:
            custom[str(name)] = values
    return custom


def _time(value: Any) -> datetime | None:
    return parse_iso(str(value), assume_utc=True) if value else None


def incident_from_api(
    incident: Mapping[str, Any],
    *,
    updates: Sequence[Mapping[str, Any]] = (),
    follow_ups: Sequence[Mapping[str, Any]] = (),
    timeline_items: Sequence[Mapping[str, Any]] = (),
    alert_sources: Sequence[str] = (),
    root_cause_fields: Sequence[str] = ("Root cause",),
    service_fields: Sequence[str] = (),
) -> HistoryIncident:
    """Flatten an incident as the API returns it (``IncidentV2`` JSON) with its updates and follow-ups.

    Args:
        incident: the incident's JSON.
        updates: its ``IncidentUpdateV2`` JSON objects, any order.
        follow_ups: its follow-ups' JSON objects.
        timeline_items: its ``IncidentTimelineItemV2`` JSON objects, any order.
        alert_sources: names of the alert sources that fired for it, when known.
        root_cause_fields: custom field names holding the root-cause label (first found wins).
        service_fields: custom field names listing the affected services (all found are merged);
            none: every field whose name contains "service", as the incident view reads them
            (:func:`incidentkit.api.view.service_values` is the one rule).
    """
    custom = custom_field_values(incident)
    services = tuple(service_names(incident, service_fields))
    history_updates = sorted(
        (
            HistoryUpdate(
                created_at=_time(update["created_at"]) or datetime.min.replace(tzinfo=UTC),
                message=str(update.get("message") or ""),
                status=(update.get("new_incident_status") or {}).get("name"),
                severity=(update.get("new_severity") or {}).get("name"),
            )
            for update in updates
        ),
        key=lambda update: update.created_at,
    )
    history_items = sorted(
        (
            HistoryTimelineItem(
                timestamp=_time(item.get("timestamp")) or datetime.min.replace(tzinfo=UTC),
                title=str(item.get("title") or ""),
                description=str(item.get("description") or ""),
            )
            for item in timeline_items
        ),
        key=lambda item: item.timestamp,
    )
    status = incident.get("incident_status") or {}
    created_at = _time(incident["created_at"])
    updated_at = _time(incident.get("updated_at")) or created_at
    assert created_at is not None and updated_at is not None
    return HistoryIncident(
        id=str(incident["id"]),
        reference=str(incident.get("reference") or incident["id"]),
        title=str(incident.get("name") or ""),
        summary=str(incident.get("summary") or ""),
        status_category=str(status.get("category") or "unknown"),
        created_at=created_at,
        updated_at=updated_at,
        severity=(incident.get("severity") or {}).get("name"),
        resolved_at=_resolved_at(incident, history_updates),
        services=services,
        alert_sources=tuple(dict.fromkeys(alert_sources)),
        custom_fields=custom,
        root_causes=labels_of(custom, root_cause_fields),
        updates=tuple(history_updates),
        follow_ups=tuple(_follow_up_text(follow_up) for follow_up in follow_ups),
        permalink=incident.get("permalink"),
        timeline_items=tuple(history_items),
    )


def _follow_up_text(follow_up: Mapping[str, Any]) -> str:
    title = str(follow_up.get("title") or "")
    status = follow_up.get("status")
    return f"{title} [{status}]" if status else title


def _resolved_at(incident: Mapping[str, Any], updates: Sequence[HistoryUpdate]) -> datetime | None:
    """The "Resolved at" incident timestamp when set, else None (updates carry names, not categories)."""
    for value in incident.get("incident_timestamp_values") or []:
        name = str((value.get("incident_timestamp") or {}).get("name") or "").lower()
        stamp = (value.get("value") or {}).get("value")
        if "resolved" in name and stamp:
            return _time(stamp)
    if str((incident.get("incident_status") or {}).get("category")) == "closed" and updates:
        return updates[-1].created_at
    return None


class History:
    """The incident history kept in a store.

    Args:
        store: an open store (migrated: the history tables exist).
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def upsert(self, incidents: Iterable[HistoryIncident]) -> int:
        """Insert or replace incidents by id, in bulk (a statement per thousand); returns how many.

        Every write stamps its rows with a ``synced_at`` later than any before it (even with a clock
        that stands still), which is what :meth:`fingerprint` reads.
        """
        count = 0
        batch: list[dict[str, Any]] = []
        with self.store.engine.begin() as connection:
            newest = _aware(
                connection.execute(sa.select(sa.func.max(history_incidents.c.synced_at))).scalar()
            )
            now = self.store.clock()
            if newest is not None and now <= newest:
                now = newest + timedelta(microseconds=1)
            for incident in incidents:
                batch.append(_row(incident, now))
                if len(batch) >= _BATCH:
                    count += self._write(connection, batch)
                    batch = []
            if batch:
                count += self._write(connection, batch)
        return count

    def _write(self, connection: sa.Connection, rows: list[dict[str, Any]]) -> int:
        table = history_incidents
        if self.store.backend == "postgresql":
            pg = pg_dialect.insert(table)
            statement: Any = pg.on_conflict_do_update(
                index_elements=[table.c.id], set_={c: pg.excluded[c] for c in rows[0] if c != "id"}
            )
        else:
            lite = sqlite_dialect.insert(table)
            statement = lite.on_conflict_do_update(
                index_elements=[table.c.id], set_={c: lite.excluded[c] for c in rows[0] if c != "id"}
            )
        connection.execute(statement, rows)
        return len(rows)

    def count(self) -> int:
        """How many incidents the history holds."""
        with self._reading() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(history_incidents)).scalar_one()
            )

    def fingerprint(self) -> datetime | None:
        """The newest ``synced_at``: it changes whenever the history does, to invalidate caches.

        One look-up in an index, so checking it before every query costs nothing at 100,000 incidents.
        """
        with self._reading() as connection:
            return _aware(connection.execute(sa.select(sa.func.max(history_incidents.c.synced_at))).scalar())

    def get(self, ref: str) -> HistoryIncident | None:
        """The incident with this id (ULID) or reference (``INC-123``, ``123``), or None."""
        text = ref.strip()
        number = text[4:] if text[:4].upper() == "INC-" else text
        reference = f"INC-{number}" if number.isdigit() else text
        table = history_incidents
        with self._reading() as connection:
            row = connection.execute(
                sa.select(table).where(sa.or_(table.c.id == text, table.c.reference == reference)).limit(1)
            ).first()
        return None if row is None else _incident(row._mapping)

    def updated_at_of(self, ids: Iterable[str]) -> dict[str, datetime]:
        """The stored ``updated_at`` of each of ``ids`` that the history has (to skip what is unchanged)."""
        wanted = sorted(set(ids))
        found: dict[str, datetime] = {}
        table = history_incidents
        with self._reading() as connection:
            for start in range(0, len(wanted), _BATCH):
                chunk = wanted[start : start + _BATCH]
                query = sa.select(table.c.id, table.c.updated_at).where(table.c.id.in_(chunk))
                found.update({row.id: row.updated_at for row in connection.execute(query)})
        return found

    def all(self, *, since: datetime | None = None) -> Iterator[HistoryIncident]:
        """Every incident (created at or after ``since`` when given), oldest first."""
        query = sa.select(history_incidents).order_by(history_incidents.c.created_at, history_incidents.c.id)
        if since is not None:
            query = query.where(history_incidents.c.created_at >= since)
        with self._reading() as connection:
            for row in connection.execute(query):
                yield _incident(row._mapping)

    def high_water(self, source: str) -> datetime | None:
        """The newest ``updated_at`` the last sync from ``source`` copied, or None before the first."""
        with self._reading() as connection:
            value = connection.execute(
                sa.select(history_sync_state.c.updated_at_high_water).where(
                    history_sync_state.c.source == source
                )
            ).scalar()
        return value if isinstance(value, datetime) else None

    def set_high_water(self, source: str, high_water: datetime | None) -> None:
        """Remember where the sync from ``source`` left off."""
        now = self.store.clock()
        values = {"source": source, "updated_at_high_water": high_water, "last_synced_at": now}
        with self.store.engine.begin() as connection:
            table = history_sync_state
            if self.store.backend == "postgresql":
                pg = pg_dialect.insert(table).values(values)
                connection.execute(
                    pg.on_conflict_do_update(
                        index_elements=[table.c.source], set_={**values, "source": source}
                    )
                )
            else:
                lite = sqlite_dialect.insert(table).values(values)
                connection.execute(
                    lite.on_conflict_do_update(
                        index_elements=[table.c.source], set_={**values, "source": source}
                    )
                )

    def _reading(self) -> sa.Connection:
        return reading(self.store.engine)


def _aware(value: Any) -> datetime | None:
    """A timestamp read through an aggregate (which bypasses the column type) as an aware UTC one."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(incident: HistoryIncident, now: datetime) -> dict[str, Any]:
    return {
        "id": incident.id,
        "reference": incident.reference,
        "title": incident.title,
        "summary": incident.summary,
        "severity": incident.severity,
        "status_category": incident.status_category,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
        "resolved_at": incident.resolved_at,
        "services": list(incident.services),
        "alert_sources": list(incident.alert_sources),
        "custom_fields": {name: list(values) for name, values in incident.custom_fields.items()},
        "root_causes": list(incident.root_causes),
        "updates": [
            {
                "created_at": update.created_at.isoformat(),
                "message": update.message,
                "status": update.status,
                "severity": update.severity,
            }
            for update in incident.updates
        ],
        "follow_ups": list(incident.follow_ups),
        "permalink": incident.permalink,
        "synced_at": now,
        "timeline_items": [
            {"timestamp": item.timestamp.isoformat(), "title": item.title, "description": item.description}
            for item in incident.timeline_items
        ],
    }


def _incident(row: sa.RowMapping) -> HistoryIncident:
    return HistoryIncident(
        id=row["id"],
        reference=row["reference"],
        title=row["title"],
        summary=row["summary"],
        status_category=row["status_category"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        severity=row["severity"],
        resolved_at=row["resolved_at"],
        services=tuple(row["services"]),
        alert_sources=tuple(row["alert_sources"]),
        custom_fields={name: tuple(values) for name, values in row["custom_fields"].items()},
        root_causes=tuple(row["root_causes"]),
        updates=tuple(
            HistoryUpdate(
                created_at=datetime.fromisoformat(update["created_at"]),
                message=update.get("message") or "",
                status=update.get("status"),
                severity=update.get("severity"),
            )
            for update in row["updates"]
        ),
        follow_ups=tuple(row["follow_ups"]),
        permalink=row["permalink"],
        timeline_items=tuple(
            HistoryTimelineItem(
                timestamp=datetime.fromisoformat(item["timestamp"]),
                title=item.get("title") or "",
                description=item.get("description") or "",
            )
            for item in row["timeline_items"] or ()
        ),
    )
