"""Schema migrations: a short ordered list, applied in order, each recorded in ``schema_version``.

Why not alembic: the store needs a handful of tables and must migrate itself on start-up, with no
separate tool or configuration directory for users to carry around. Each migration is a function of
a connection, numbered; :func:`migrate` applies the ones a database has not had yet, inside one
transaction that also takes a lock (an advisory lock on PostgreSQL; SQLite's single writer), so two
processes starting at once cannot both apply the same step.

Each migration describes its tables as they were *at that version* (its own ``MetaData``), never by
importing :mod:`incidentkit.store.schema`, so that later changes to the current tables do not rewrite
history. To change the schema, append a migration (``ALTER TABLE`` or new tables) and update
``schema.py`` to match; a test checks that a migrated database matches ``schema.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from incidentkit.store.schema import UTCDateTime, schema_version

# An arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_MIGRATION_LOCK_ID = 0x1C1DE7C17


@dataclass(frozen=True)
class Migration:
    """One step of the schema's history."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _v1_inbox_snapshots(connection: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "inbox",
        md,
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
    sa.Table(
        "seen_webhook_ids",
        md,
        sa.Column("webhook_id", sa.Text, primary_key=True),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Index("seen_webhook_ids_first_seen_at", "first_seen_at"),
    )
    sa.Table(
        "incident_snapshots",
        md,
        sa.Column("incident_id", sa.Text, primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("incident_updated_at", UTCDateTime, nullable=True),
        sa.Column("stored_at", UTCDateTime, nullable=False),
        sa.Column("webhook_id", sa.Text, nullable=True),
    )
    md.create_all(connection)


MIGRATIONS: list[Migration] = [
    Migration(1, "webhook inbox, seen webhook ids and incident snapshots", _v1_inbox_snapshots),
]


def latest_version() -> int:
    """The version a fully migrated database has."""
    return MIGRATIONS[-1].version


def current_version(connection: sa.Connection) -> int:
    """The version of the schema behind ``connection``: 0 for an empty database."""
    if not sa.inspect(connection).has_table(schema_version.name):
        return 0
    found = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
    return int(found or 0)


def migrate(engine: sa.Engine, *, now: datetime) -> list[int]:
    """Bring the database up to the latest version; returns the versions applied (often none).

    Raises:
        RuntimeError: the database is newer than this code (it was migrated by a later release).
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_ID})
        schema_version.create(connection, checkfirst=True)
        version = current_version(connection)
        if version > latest_version():
            raise RuntimeError(
                f"the store's schema is at version {version} but this incidentkit knows only up to "
                f"{latest_version()}: upgrade incidentkit"
            )
        applied = []
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            migration.apply(connection)
            connection.execute(
                schema_version.insert().values(
                    version=migration.version, description=migration.description, applied_at=now
                )
            )
            applied.append(migration.version)
        return applied
