"""Inbox claims record their owner; one row for the health probe's write.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentkit.store.schema import UTCDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``inbox.claimed_by`` (batch mode: SQLite copies the table) and the ``store_health`` table."""
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.Text, nullable=True))
    op.create_table(
        "store_health",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("checked_at", UTCDateTime, nullable=False),
    )
