"""Workflow run records: a run, a step checkpoint, a log line and an approval as stored, what is
written to create or change them, and how each is read from and written to its row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from incidentkit.store.schema import run_logs, run_steps
from incidentkit.store.states import RunStatus
from incidentkit.timeutil import iso as _iso


@dataclass(frozen=True)
class NewRun:
    """What :meth:`RunStore.create_run` stores."""

    workflow: str
    event_key: str
    version: str
    spec: dict[str, Any]
    trigger: dict[str, Any]
    concurrency_key: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class Run:
    """One workflow run as stored."""

    id: str
    seq: int
    workflow: str
    event_key: str
    version: str
    spec: dict[str, Any]
    trigger: dict[str, Any]
    status: RunStatus
    dry_run: bool
    concurrency_key: str | None
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    finished_at: datetime | None
    error: str | None
    failed_step: str | None

    def to_dict(self, *, include_spec: bool = False) -> dict[str, Any]:
        """A JSON-ready view (timestamps in ISO 8601)."""
        view: dict[str, Any] = {
            "id": self.id,
            "workflow": self.workflow,
            "event_key": self.event_key,
            "version": self.version,
            "status": str(self.status),
            "dry_run": self.dry_run,
            "concurrency_key": self.concurrency_key,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "next_attempt_at": _iso(self.next_attempt_at),
            "finished_at": _iso(self.finished_at),
            "error": self.error,
            "failed_step": self.failed_step,
        }
        if include_spec:
            view["trigger"] = self.trigger
            view["spec"] = self.spec
        return view


@dataclass(frozen=True)
class StepRecord:
    """One step checkpoint as stored (the engine turns it into an interpreter ``Checkpoint``)."""

    run_id: str
    step_key: str
    status: str
    output: Any = None
    error: str | None = None
    retryable: bool = False
    attempt: int = 1
    finished_at: datetime | None = None
    retry_after: datetime | None = None
    until: datetime | None = None
    resume_token: str | None = None
    park: dict[str, Any] | None = None

    def __repr__(self) -> str:
        # The resume token lets whoever holds it finish the step: keep it out of logs.
        return f"StepRecord({self.run_id!r}, {self.step_key!r}, {self.status!r}, attempt={self.attempt})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view, without the resume token."""
        return {
            "step_key": self.step_key,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "attempt": self.attempt,
            "finished_at": _iso(self.finished_at),
            "retry_after": _iso(self.retry_after),
            "until": _iso(self.until),
        }


@dataclass(frozen=True)
class LogLine:
    """One line of a run's log."""

    at: datetime
    level: str
    step_key: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"at": _iso(self.at), "level": self.level, "step_key": self.step_key, "message": self.message}


@dataclass(frozen=True)
class NewLogLine:
    """A line to append with a checkpoint."""

    level: str
    message: str
    step_key: str | None = None


@dataclass(frozen=True)
class Approval:
    """An approval gate as stored."""

    id: str
    run_id: str
    step_key: str
    prompt: str
    approvers: dict[str, list[str]]
    channel: str | None
    on_timeout: str
    created_at: datetime
    expires_at: datetime | None
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "step_key": self.step_key,
            "prompt": self.prompt,
            "approvers": self.approvers,
            "channel": self.channel,
            "on_timeout": self.on_timeout,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "decision": self.decision,
            "decided_by": self.decided_by,
            "decided_at": _iso(self.decided_at),
        }


@dataclass(frozen=True)
class NewApproval:
    """An approval request to open with a checkpoint."""

    step_key: str
    prompt: str
    approvers: dict[str, list[str]]
    channel: str | None
    on_timeout: str
    expires_at: datetime | None


@dataclass(frozen=True)
class RunUpdate:
    """The run's next state, written with a checkpoint.

    Attributes:
        status: the new status; ``running`` keeps the lease, anything else releases it.
        next_attempt_at: when a ``waiting`` or ``pending`` run is due.
        error: the failure, for final states.
        failed_step: the step that failed.
    """

    status: RunStatus
    next_attempt_at: datetime | None = None
    error: str | None = None
    failed_step: str | None = None


def write_step(connection: sa.Connection, step: StepRecord) -> None:
    """Write a step's checkpoint, replacing the step's earlier one."""
    values = {
        "status": step.status,
        "output": step.output,
        "error": step.error,
        "retryable": step.retryable,
        "attempt": step.attempt,
        "finished_at": step.finished_at,
        "retry_after": step.retry_after,
        "until": step.until,
        "resume_token": step.resume_token,
        "park": step.park,
    }
    updated = connection.execute(
        run_steps.update()
        .where(run_steps.c.run_id == step.run_id, run_steps.c.step_key == step.step_key)
        .values(**values)
    ).rowcount
    if updated == 0:
        connection.execute(run_steps.insert().values(run_id=step.run_id, step_key=step.step_key, **values))


def write_logs(connection: sa.Connection, run_id: str, logs: Sequence[NewLogLine], now: datetime) -> None:
    """Append lines to a run's log."""
    if logs:
        connection.execute(
            run_logs.insert(),
            [
                {
                    "run_id": run_id,
                    "at": now,
                    "level": line.level,
                    "step_key": line.step_key,
                    "message": line.message,
                }
                for line in logs
            ],
        )


def run_from_row(row: sa.Row[Any]) -> Run:
    """The run a row holds."""
    return Run(
        id=row.id,
        seq=row.seq,
        workflow=row.workflow,
        event_key=row.event_key,
        version=row.version,
        spec=dict(row.spec),
        trigger=dict(row.trigger),
        status=RunStatus(row.status),
        dry_run=bool(row.dry_run),
        concurrency_key=row.concurrency_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
        next_attempt_at=row.next_attempt_at,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        finished_at=row.finished_at,
        error=row.error,
        failed_step=row.failed_step,
    )


def step_from_row(row: sa.Row[Any]) -> StepRecord:
    """The step checkpoint a row holds."""
    return StepRecord(
        run_id=row.run_id,
        step_key=row.step_key,
        status=row.status,
        output=row.output,
        error=row.error,
        retryable=bool(row.retryable),
        attempt=row.attempt,
        finished_at=row.finished_at,
        retry_after=row.retry_after,
        until=row.until,
        resume_token=row.resume_token,
        park=row.park,
    )


def approval_from_row(row: sa.Row[Any]) -> Approval:
    """The approval a row holds."""
    approvers: Mapping[str, Any] = row.approvers or {}
    return Approval(
        id=row.id,
        run_id=row.run_id,
        step_key=row.step_key,
        prompt=row.prompt,
        approvers={key: list(value) for key, value in approvers.items()},
        channel=row.channel,
        on_timeout=row.on_timeout,
        created_at=row.created_at,
        expires_at=row.expires_at,
        decision=row.decision,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
