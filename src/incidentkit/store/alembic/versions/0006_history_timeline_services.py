"""Incident history: timeline items on each incident, and the catalog's services.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentkit.store.schema import UTCDateTime

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The new column and table as they were at this revision (never ``schema.py``'s definitions)."""
    # Incidents synced before this revision have no timeline items until they change or a full sync.
    with op.batch_alter_table("history_incidents") as batch:
        batch.add_column(sa.Column("timeline_items", sa.JSON, nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        "history_services",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("tier", sa.Text, nullable=True),
        sa.Column("depends_on", sa.JSON, nullable=False),
        sa.Column("catalog_entry_id", sa.Text, nullable=True),
        sa.Column("synced_at", UTCDateTime, nullable=False),
    )
