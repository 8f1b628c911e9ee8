"""Workflow runs, step checkpoints, run logs and approvals.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentkit.store.schema import UTCDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The tables as they were at this revision (their own ``MetaData``, never ``schema.py``'s)."""
    md = sa.MetaData()
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
    md.create_all(op.get_bind())
