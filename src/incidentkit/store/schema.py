"""The store's tables as the code reads and writes them today (the latest migration's result).

The migrations in :mod:`incidentkit.store.migrations` build these tables; a test reflects a migrated
database and compares it with these definitions, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as a timezone-aware ``datetime``.

    SQLite has no timezone-aware type, so there the value is kept as naive UTC; PostgreSQL keeps
    ``timestamptz``. Naive datetimes are refused on the way in: their meaning is ambiguous.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given to the store: pass a timezone-aware one"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

# One row per webhook delivery that was accepted: the raw body exactly as received, so nothing is lost
# even when it cannot be parsed.
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("webhook_id", sa.Text, primary_key=True),
    sa.Column("event_type", sa.Text, nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("claimed_at", UTCDateTime, nullable=True),
    sa.Column("processed_at", UTCDateTime, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("outcome", sa.JSON, nullable=True),
    sa.Index("inbox_status_received_at", "status", "received_at"),
    sa.Index("inbox_event_type", "event_type"),
)

# Webhook ids seen recently, kept after their inbox row is purged so that a late retry is still
# recognised as a duplicate.
seen_webhook_ids = sa.Table(
    "seen_webhook_ids",
    metadata,
    sa.Column("webhook_id", sa.Text, primary_key=True),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
    sa.Index("seen_webhook_ids_first_seen_at", "first_seen_at"),
)

# The last state seen of each incident, to tell what changed when the next event arrives.
incident_snapshots = sa.Table(
    "incident_snapshots",
    metadata,
    sa.Column("incident_id", sa.Text, primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("incident_updated_at", UTCDateTime, nullable=True),
    sa.Column("stored_at", UTCDateTime, nullable=False),
    sa.Column("webhook_id", sa.Text, nullable=True),
)
