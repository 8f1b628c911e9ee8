"""The change log for the investigation: deploys, configuration changes and feature flags.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentkit.store.schema import UTCDateTime

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The ``changes`` table as it was at this revision (its own definition, never ``schema.py``'s)."""
    op.create_table(
        "changes",
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
