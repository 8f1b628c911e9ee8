"""The store's tables as the code reads and writes them today (the latest migration's result).

The migrations (Alembic revisions in ``store/alembic/versions``, run by :mod:`incidentkit.store.migrations`)
build these tables; a test reflects a migrated database and compares it with these definitions, so the
two cannot drift apart unnoticed.
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
    # Which processor holds the claim (``claimed_at`` is when it last renewed it).
    sa.Column("claimed_by", sa.Text, nullable=True),
)

# One row, written by the health probe: a write that proves the store takes writes now.
store_health = sa.Table(
    "store_health",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("checked_at", UTCDateTime, nullable=False),
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

# Workflow runs: one row per (workflow, event); the spec is the version the run started with.
# ``seq`` orders runs (queued runs with the same concurrency key go in this order).
workflow_runs = sa.Table(
    "workflow_runs",
    metadata,
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

# One checkpoint per step (or foreach item, ``id[index]``) of a run, written with the run's state.
run_steps = sa.Table(
    "run_steps",
    metadata,
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

# What a run did, line by line.
run_logs = sa.Table(
    "run_logs",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("step_key", sa.Text, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("run_logs_run", "run_id", "seq"),
)

# Approval gates: the first decision wins (``decision`` is written only while it is NULL).
approvals = sa.Table(
    "approvals",
    metadata,
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

# Incident history, copied from the API by `incidentkit sync` for similar-incident search. One row per
# incident with what the search reads (text, services, alert sources, root-cause labels) and what it
# shows of how the incident was resolved (its updates and follow-ups), denormalised so that loading
# 100,000 incidents is one scan. Custom fields are kept by name: ``{"Root cause": ["Config"]}``.
history_incidents = sa.Table(
    "history_incidents",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=True),
    sa.Column("status_category", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("services", sa.JSON, nullable=False),
    sa.Column("alert_sources", sa.JSON, nullable=False),
    sa.Column("custom_fields", sa.JSON, nullable=False),
    sa.Column("root_causes", sa.JSON, nullable=False),
    sa.Column("updates", sa.JSON, nullable=False),
    sa.Column("follow_ups", sa.JSON, nullable=False),
    sa.Column("permalink", sa.Text, nullable=True),
    sa.Column("synced_at", UTCDateTime, nullable=False),
    # Its timeline items ({"timestamp", "title", "description"}), oldest first; added in 0006.
    sa.Column("timeline_items", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    sa.Index("history_incidents_reference", "reference"),
    sa.Index("history_incidents_created_at", "created_at"),
    sa.Index("history_incidents_updated_at", "updated_at"),
    sa.Index("history_incidents_synced_at", "synced_at"),
)

# Where each history sync left off: the newest ``updated_at`` copied, so the next sync asks only for
# what changed since (``source`` names the API and organisation the history came from).
history_sync_state = sa.Table(
    "history_sync_state",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("updated_at_high_water", UTCDateTime, nullable=True),
    sa.Column("last_synced_at", UTCDateTime, nullable=False),
)

# The change log: deploys, configuration changes and feature flags, for "what changed before this
# incident?". Services are kept as given and matched in any case. A change reported twice (a GitHub
# delivery retried, a CI step run again) carries the same ``external_id`` from the same ``source`` and
# is recorded once (NULLs never collide: changes without one are all kept).
changes = sa.Table(
    "changes",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("service", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("link", sa.Text, nullable=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("external_id", sa.Text, nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Index("changes_at", "at"),
    sa.Index("changes_service_at", "service", "at"),
    sa.Index("changes_source_external_id", "source", "external_id", unique=True),
)

# The catalog's services as the last `incidentkit sync` found them (replaced whole on each sync: the
# catalog is small), so the investigation can read services and their dependencies offline.
# ``depends_on`` holds names; who depends on a service is worked out from everyone's ``depends_on``.
history_services = sa.Table(
    "history_services",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("aliases", sa.JSON, nullable=False),
    sa.Column("owner", sa.Text, nullable=True),
    sa.Column("tier", sa.Text, nullable=True),
    sa.Column("depends_on", sa.JSON, nullable=False),
    sa.Column("catalog_entry_id", sa.Text, nullable=True),
    sa.Column("synced_at", UTCDateTime, nullable=False),
)
