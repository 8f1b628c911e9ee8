"""Incident history for the investigation: incidents copied from the API, and the sync's high-water mark.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentkit.store.schema import UTCDateTime

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The tables as they were at this revision (their own ``MetaData``, never ``schema.py``'s)."""
    md = sa.MetaData()
    sa.Table(
        "history_incidents",
        md,
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
        sa.Index("history_incidents_reference", "reference"),
        sa.Index("history_incidents_created_at", "created_at"),
        sa.Index("history_incidents_updated_at", "updated_at"),
        sa.Index("history_incidents_synced_at", "synced_at"),
    )
    sa.Table(
        "history_sync_state",
        md,
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("updated_at_high_water", UTCDateTime, nullable=True),
        sa.Column("last_synced_at", UTCDateTime, nullable=False),
    )
    md.create_all(op.get_bind())
