"""Webhook inbox, seen webhook ids and incident snapshots.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentkit.store.schema import UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The tables as they were at this revision (their own ``MetaData``, never ``schema.py``'s)."""
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
    md.create_all(op.get_bind())
