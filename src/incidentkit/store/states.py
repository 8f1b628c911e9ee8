"""The states a workflow's steps, runs and approvals are stored in, as string enums.

Each value is the string stored before these were enums, so stored data stays valid, and a
member compares equal to its string.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where a workflow run is."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"


ACTIVE_STATUSES = (RunStatus.PENDING.value, RunStatus.RUNNING.value, RunStatus.WAITING.value)
# The runs a person must look at: a step failed for good (``failed``) or every retry (``dead``).
NEEDS_ATTENTION = (RunStatus.FAILED.value, RunStatus.DEAD.value)
FINAL_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.DEAD})


class StepStatus(StrEnum):
    """Where one step (or one ``foreach`` item) is."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"


class RunMode(StrEnum):
    """What a new run does while another run with its concurrency key is active."""

    QUEUE = "queue"
    """Wait its turn."""
    SKIP = "skip"
    """Is not started."""
    REPLACE = "replace"
    """Cancels the active run and starts."""


class Decision(StrEnum):
    """A human's answer to an approval."""

    APPROVED = "approved"
    REJECTED = "rejected"
