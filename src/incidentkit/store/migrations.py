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


def _run_tables(md: sa.MetaData) -> None:
    """The workflow run tables as they were at version 2."""
    sa.Table(
        "workflow_runs",
        md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("workflow", sa.Text, nullable=False),
        sa.Column("event_key", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("trigger", sa.JSON, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("concurrency_key", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Column("lease_owner", sa.Text, nullable=True),
        sa.Column("lease_expires_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("failed_step", sa.Text, nullable=True),
        sa.Index("workflow_runs_id", "id", unique=True),
        sa.Index("workflow_runs_workflow_event", "workflow", "event_key", unique=True),
        sa.Index("workflow_runs_status_next", "status", "next_attempt_at"),
        sa.Index("workflow_runs_concurrency", "concurrency_key", "status"),
    )
    sa.Table(
        "run_steps",
        md,
        sa.Column("run_id", sa.Text, primary_key=True),
        sa.Column("step_key", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("output", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("retryable", sa.Boolean, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("retry_after", UTCDateTime, nullable=True),
        sa.Column("until", UTCDateTime, nullable=True),
        sa.Column("resume_token", sa.Text, nullable=True),
        sa.Index("run_steps_resume_token", "resume_token", unique=True),
        sa.Column("park", sa.JSON, nullable=True),
    )
    sa.Table(
        "run_logs",
        md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("step_key", sa.Text, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Index("run_logs_run", "run_id", "seq"),
    )
    sa.Table(
        "approvals",
        md,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("step_key", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("approvers", sa.JSON, nullable=False),
        sa.Column("channel", sa.Text, nullable=True),
        sa.Column("on_timeout", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("decision", sa.Text, nullable=True),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Index("approvals_run_step", "run_id", "step_key", unique=True),
        sa.Index("approvals_decision", "decision"),
    )


def _v2_workflow_runs(connection: sa.Connection) -> None:
    md = sa.MetaData()
    _run_tables(md)
    md.create_all(connection)


def _v3_claim_owner_and_health(connection: sa.Connection) -> None:
    connection.execute(sa.text("ALTER TABLE inbox ADD COLUMN claimed_by TEXT"))
    md = sa.MetaData()
    sa.Table(
        "store_health",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("checked_at", UTCDateTime, nullable=False),
    )
    md.create_all(connection)


MIGRATIONS: list[Migration] = [
    Migration(1, "webhook inbox, seen webhook ids and incident snapshots", _v1_inbox_snapshots),
    Migration(2, "workflow runs, step checkpoints, run logs and approvals", _v2_workflow_runs),
    Migration(
        3, "inbox claims record their owner; a row for the health probe's write", _v3_claim_owner_and_health
    ),
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
