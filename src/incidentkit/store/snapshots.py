"""Incident snapshots: the last state seen of each incident, never replaced by an older one (deliveries
arrive out of order)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from incidentkit.store.base import StoreBase
from incidentkit.store.schema import incident_snapshots


@dataclass(frozen=True)
class Snapshot:
    """The last state seen of one incident."""

    incident_id: str
    data: dict[str, Any]
    incident_updated_at: datetime | None
    stored_at: datetime
    webhook_id: str | None


class SnapshotsMixin(StoreBase):
    """The store's incident snapshots (see :class:`~incidentkit.store.Store`)."""

    def get_snapshot(self, incident_id: str) -> Snapshot | None:
        """The last state stored for an incident, or None before its first event."""
        with self._reading() as connection:
            row = connection.execute(
                sa.select(incident_snapshots).where(incident_snapshots.c.incident_id == incident_id)
            ).first()
        if row is None:
            return None
        return Snapshot(
            incident_id=row.incident_id,
            data=row.data,
            incident_updated_at=row.incident_updated_at,
            stored_at=row.stored_at,
            webhook_id=row.webhook_id,
        )

    def save_snapshot(
        self,
        incident_id: str,
        data: Mapping[str, Any],
        *,
        incident_updated_at: datetime | None,
        webhook_id: str | None = None,
    ) -> bool:
        """Store an incident's state, unless the stored one is newer (deliveries arrive out of order).

        Returns:
            True when the snapshot was written; False when a newer one was already stored.
        """
        values = {
            "data": dict(data),
            "incident_updated_at": incident_updated_at,
            "stored_at": self.clock(),
            "webhook_id": webhook_id,
        }
        with self.engine.begin() as connection:
            current = connection.execute(
                sa.select(incident_snapshots.c.incident_updated_at)
                .where(incident_snapshots.c.incident_id == incident_id)
                .with_for_update()
            ).first()
            if current is None:
                inserted = connection.execute(
                    self._insert_ignoring_duplicates(incident_snapshots)
                    .values(incident_id=incident_id, **values)
                    .returning(incident_snapshots.c.incident_id)
                ).first()
                if inserted is not None:
                    return True
                # Another process stored the first snapshot in the meantime: compare with it.
                current = connection.execute(
                    sa.select(incident_snapshots.c.incident_updated_at)
                    .where(incident_snapshots.c.incident_id == incident_id)
                    .with_for_update()
                ).one()
            stored_updated_at = current.incident_updated_at
            if (
                stored_updated_at is not None
                and incident_updated_at is not None
                and stored_updated_at > incident_updated_at
            ):
                return False
            connection.execute(
                incident_snapshots.update()
                .where(incident_snapshots.c.incident_id == incident_id)
                .values(**values)
            )
            return True
