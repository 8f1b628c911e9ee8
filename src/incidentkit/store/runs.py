"""Durable workflow runs: runs, step checkpoints, run logs, approvals and parked steps.

A run is created once per (workflow, event key): a redelivered webhook finds the row already there
and starts nothing. Workers claim due runs with a lease (PostgreSQL skips rows another transaction
holds with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers with ``BEGIN IMMEDIATE``); every
checkpoint is written in the same transaction as the run's state, and only while the writer still
holds the lease, so a worker that lost its run can never overwrite what the next one did.

Statuses: ``pending`` (due at ``next_attempt_at``, or now), ``running`` (leased by a worker),
``waiting`` (a retry back-off, a wait, an approval or an agent's answer; due at
``next_attempt_at``), and the final ``succeeded``, ``failed``, ``cancelled`` and ``dead`` (a step
failed every retry). Runs with the same concurrency key in ``queue`` mode run one at a time, in
the order they were created.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from incidentkit.store.db import READ_ONLY_OPTION
from incidentkit.store.errors import AlreadyDecidedError, LeaseLostError, RunNotFoundError, RunStateError
from incidentkit.store.schema import approvals, run_logs, run_steps, workflow_runs
from incidentkit.store.states import ACTIVE_STATUSES, FINAL_STATUSES, Decision, RunMode, RunStatus
from incidentkit.store.store import Store
from incidentkit.timeutil import iso as _iso

__all__ = [
    "DEFAULT_RUN_LEASE",
    "Approval",
    "LogLine",
    "NewApproval",
    "NewLogLine",
    "NewRun",
    "Run",
    "RunStatus",
    "RunStore",
    "RunUpdate",
    "StepRecord",
]

DEFAULT_RUN_LEASE = timedelta(seconds=60)


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


class RunStore:
    """Workflow runs in the same database as the inbox (the store migrates both tables).

    Args:
        store: an open :class:`~incidentkit.store.Store`; its engine and clock are used.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def _reading(self) -> sa.Connection:
        """A connection for reads only: on SQLite a snapshot that never waits for the write lock."""
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    @property
    def clock(self) -> Any:
        """The store's clock."""
        return self.store.clock

    # Creating runs

    def create_run(self, new: NewRun, *, mode: RunMode = RunMode.QUEUE) -> tuple[Run, bool]:
        """Store a pending run, unless one exists for (workflow, event key).

        Args:
            new: the run.
            mode: for a run with a concurrency key: ``queue`` (wait for the earlier runs with the
                key), ``skip`` (store it cancelled when another run with the key is active) or
                ``replace`` (cancel the active runs with the key, then queue this one).

        Returns:
            The run and whether it was created now (False: it existed, nothing changed).
        """
        now = self.clock()
        with self.engine.begin() as connection:
            existing = connection.execute(
                sa.select(workflow_runs).where(
                    workflow_runs.c.workflow == new.workflow, workflow_runs.c.event_key == new.event_key
                )
            ).first()
            if existing is not None:
                return _run(existing), False
            status, error = RunStatus.PENDING, None
            if new.concurrency_key is not None and mode != "queue":
                active = sa.and_(
                    workflow_runs.c.concurrency_key == new.concurrency_key,
                    workflow_runs.c.status.in_(ACTIVE_STATUSES),
                )
                if mode == "skip":
                    busy = connection.execute(sa.select(workflow_runs.c.id).where(active).limit(1)).first()
                    if busy is not None:
                        status, error = RunStatus.CANCELLED, f"skipped: run {busy.id} holds the same key"
                elif mode == "replace":
                    connection.execute(
                        workflow_runs.update()
                        .where(active)
                        .values(
                            status=RunStatus.CANCELLED.value,
                            error="replaced by a newer run with the same concurrency key",
                            finished_at=now,
                            updated_at=now,
                            lease_owner=None,
                            lease_expires_at=None,
                        )
                    )
            run_id = "run_" + secrets.token_hex(10)
            insert = _insert_ignoring_duplicates(connection, workflow_runs).values(
                id=run_id,
                workflow=new.workflow,
                event_key=new.event_key,
                version=new.version,
                spec=new.spec,
                trigger=new.trigger,
                status=status.value,
                dry_run=new.dry_run,
                concurrency_key=new.concurrency_key,
                created_at=now,
                updated_at=now,
                next_attempt_at=None,
                finished_at=now if status is RunStatus.CANCELLED else None,
                error=error,
            )
            created = connection.execute(insert.returning(workflow_runs.c.id)).first() is not None
            row = connection.execute(
                sa.select(workflow_runs).where(
                    workflow_runs.c.workflow == new.workflow, workflow_runs.c.event_key == new.event_key
                )
            ).one()
        return _run(row), created

    # Reading

    def get_run(self, run_id: str) -> Run:
        """The run with this id.

        Raises:
            RunNotFoundError: there is none.
        """
        with self._reading() as connection:
            row = connection.execute(sa.select(workflow_runs).where(workflow_runs.c.id == run_id)).first()
        if row is None:
            raise RunNotFoundError(f"no workflow run {run_id!r} in the store")
        return _run(row)

    def list_runs(
        self,
        *,
        status: RunStatus | str | Sequence[RunStatus | str] | None = None,
        workflow: str | None = None,
        limit: int | None = 100,
    ) -> list[Run]:
        """Runs, newest first; ``status`` may be one status or several (such as :data:`NEEDS_ATTENTION`)."""
        query = sa.select(workflow_runs).order_by(workflow_runs.c.seq.desc())
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            query = query.where(workflow_runs.c.status.in_([RunStatus(one).value for one in wanted]))
        if workflow is not None:
            query = query.where(workflow_runs.c.workflow == workflow)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [_run(row) for row in connection.execute(query)]

    def count_runs(self, status: RunStatus | str | None = None) -> int:
        """How many runs are stored (with this status)."""
        query = sa.select(sa.func.count()).select_from(workflow_runs)
        if status is not None:
            query = query.where(workflow_runs.c.status == RunStatus(status).value)
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    def steps(self, run_id: str) -> list[StepRecord]:
        """A run's checkpoints, in the order they were first written."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(run_steps).where(run_steps.c.run_id == run_id).order_by(run_steps.c.finished_at)
            )
            return [_step(row) for row in rows]

    def steps_of(self, run_ids: Sequence[str]) -> dict[str, list[StepRecord]]:
        """The checkpoints of several runs in one read: run id → its checkpoints."""
        found: dict[str, list[StepRecord]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return found
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(run_steps)
                .where(run_steps.c.run_id.in_(list(run_ids)))
                .order_by(run_steps.c.finished_at)
            )
            for row in rows:
                found[row.run_id].append(_step(row))
        return found

    def logs(self, run_id: str) -> list[LogLine]:
        """A run's log, oldest first."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(run_logs).where(run_logs.c.run_id == run_id).order_by(run_logs.c.seq)
            )
            return [LogLine(row.at, row.level, row.step_key, row.message) for row in rows]

    # Claiming and leases

    def claim_runs(self, owner: str, limit: int = 1, *, lease: timedelta = DEFAULT_RUN_LEASE) -> list[Run]:
        """Lease up to ``limit`` due runs to ``owner``, oldest first, and mark them running.

        Due: pending runs whose time has come, waiting runs whose ``next_attempt_at`` has come, and
        running runs whose lease expired (their worker died). A run whose concurrency key is held by
        an earlier active run waits its turn.
        """
        now = self.clock()
        runs = workflow_runs
        earlier = runs.alias("earlier")
        due = sa.or_(
            sa.and_(
                runs.c.status == RunStatus.PENDING.value,
                sa.or_(runs.c.next_attempt_at.is_(None), runs.c.next_attempt_at <= now),
            ),
            sa.and_(runs.c.status == RunStatus.WAITING.value, runs.c.next_attempt_at <= now),
            sa.and_(runs.c.status == RunStatus.RUNNING.value, runs.c.lease_expires_at < now),
        )
        queued_behind = (
            sa.select(earlier.c.seq)
            .where(
                earlier.c.concurrency_key == runs.c.concurrency_key,
                earlier.c.status.in_(ACTIVE_STATUSES),
                earlier.c.seq < runs.c.seq,
            )
            .exists()
        )
        with self.engine.begin() as connection:
            query = (
                sa.select(runs.c.seq)
                .where(due, sa.or_(runs.c.concurrency_key.is_(None), ~queued_behind))
                .order_by(runs.c.seq)
                .limit(limit)
            )
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(of=runs, skip_locked=True)
            seqs = list(connection.execute(query).scalars())
            if not seqs:
                return []
            connection.execute(
                runs.update()
                .where(runs.c.seq.in_(seqs))
                .values(
                    status=RunStatus.RUNNING.value,
                    lease_owner=owner,
                    lease_expires_at=now + lease,
                    updated_at=now,
                )
            )
            rows = connection.execute(sa.select(runs).where(runs.c.seq.in_(seqs)).order_by(runs.c.seq))
            return [_run(row) for row in rows]

    def renew_lease(self, run_id: str, owner: str, *, lease: timedelta = DEFAULT_RUN_LEASE) -> None:
        """Extend ``owner``'s lease on a running run.

        Raises:
            LeaseLostError: the run is no longer ``owner``'s.
        """
        now = self.clock()
        with self.engine.begin() as connection:
            self._check_lease(connection, run_id, owner)
            connection.execute(
                workflow_runs.update()
                .where(workflow_runs.c.id == run_id)
                .values(lease_expires_at=now + lease, updated_at=now)
            )

    def _check_lease(self, connection: sa.Connection, run_id: str, owner: str) -> None:
        query = sa.select(
            workflow_runs.c.status, workflow_runs.c.lease_owner, workflow_runs.c.lease_expires_at
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query.where(workflow_runs.c.id == run_id)).first()
        if row is None:
            raise RunNotFoundError(f"no workflow run {run_id!r} in the store")
        if row.status != RunStatus.RUNNING.value or row.lease_owner != owner:
            raise LeaseLostError(f"run {run_id} is no longer held by this worker (it is {row.status})")
        if row.lease_expires_at is not None and row.lease_expires_at < self.clock():
            raise LeaseLostError(f"this worker's lease on run {run_id} expired")

    # Checkpoints

    def checkpoint(
        self,
        run_id: str,
        owner: str,
        *,
        step: StepRecord | None = None,
        run: RunUpdate | None = None,
        logs: Sequence[NewLogLine] = (),
        approval: NewApproval | None = None,
        expire_approval: str | None = None,
        lease: timedelta = DEFAULT_RUN_LEASE,
        steps: Sequence[StepRecord] = (),
        expire_approvals: Sequence[str] = (),
    ) -> Approval | None:
        """Write a step's result, the run's next state, log lines and a new approval, atomically.

        Only while ``owner`` holds the run's lease: a worker that lost it writes nothing.

        Args:
            run_id: the run.
            owner: the worker holding the lease.
            step: the checkpoint to write (replacing the step's earlier one).
            run: the run's next state; without one it stays running and the lease is renewed.
            logs: lines for the run log.
            approval: an approval to open (its step is usually checkpointed ``waiting`` with it).
            expire_approval: the step key of an approval that expired without a decision.
            lease: how far to extend the lease when the run stays running.
            steps: more checkpoints to write, in order (after ``step``).
            expire_approvals: more expired approvals.

        Returns:
            The approval opened, if any.

        Raises:
            LeaseLostError: ``owner`` no longer holds the run.
        """
        now = self.clock()
        opened: Approval | None = None
        with self.engine.begin() as connection:
            self._check_lease(connection, run_id, owner)
            for record in [step, *steps] if step is not None else steps:
                _write_step(connection, record)
            if approval is not None:
                opened = _open_approval(connection, run_id, approval, now)
            expired = [expire_approval, *expire_approvals] if expire_approval else list(expire_approvals)
            for step_key in expired:
                connection.execute(
                    approvals.update()
                    .where(
                        approvals.c.run_id == run_id,
                        approvals.c.step_key == step_key,
                        approvals.c.decision.is_(None),
                    )
                    .values(decision="expired", decided_at=now)
                )
            _write_logs(connection, run_id, logs, now)
            values: dict[str, Any] = {"updated_at": now}
            if run is None or run.status is RunStatus.RUNNING:
                values["lease_expires_at"] = now + lease
            else:
                values.update(
                    status=run.status.value,
                    next_attempt_at=run.next_attempt_at,
                    lease_owner=None,
                    lease_expires_at=None,
                    error=run.error,
                    failed_step=run.failed_step,
                    finished_at=now if run.status in FINAL_STATUSES else None,
                )
            connection.execute(workflow_runs.update().where(workflow_runs.c.id == run_id).values(**values))
        return opened

    def release(self, run_id: str, owner: str) -> None:
        """Give a run back (pending, due now) without finishing it; nothing happens if it is not ours."""
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(
                workflow_runs.update()
                .where(
                    workflow_runs.c.id == run_id,
                    workflow_runs.c.lease_owner == owner,
                    workflow_runs.c.status == RunStatus.RUNNING.value,
                )
                .values(
                    status=RunStatus.PENDING.value, lease_owner=None, lease_expires_at=None, updated_at=now
                )
            )

    # People acting on runs

    def cancel(self, run_id: str, *, reason: str = "cancelled by a person") -> Run:
        """Cancel an active run (a worker holding it loses its lease at its next checkpoint).

        Raises:
            RunNotFoundError: no such run.
            RunStateError: the run already finished.
        """
        now = self.clock()
        with self.engine.begin() as connection:
            run = self._locked_run(connection, run_id)
            if run.status in FINAL_STATUSES:
                raise RunStateError(f"run {run_id} already finished ({run.status}); nothing to cancel")
            connection.execute(
                workflow_runs.update()
                .where(workflow_runs.c.id == run_id)
                .values(
                    status=RunStatus.CANCELLED.value,
                    error=reason,
                    finished_at=now,
                    updated_at=now,
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )
            connection.execute(
                approvals.update()
                .where(approvals.c.run_id == run_id, approvals.c.decision.is_(None))
                .values(decision="cancelled", decided_at=now)
            )
            _write_logs(connection, run_id, [NewLogLine("warning", reason)], now)
        return self.get_run(run_id)

    def retry(
        self, run_id: str, step_keys_to_forget: Sequence[str], *, note: str, succeeded_too: bool = False
    ) -> Run:
        """Put a failed, dead or cancelled run back in the queue, forgetting some checkpoints.

        Args:
            run_id: the run.
            step_keys_to_forget: checkpoints to delete (``id`` also deletes ``id[n]``), so those
                steps run again; every other finished step is kept and skipped.
            note: the line written to the run log.
            succeeded_too: a succeeded run may be queued again as well (a re-run on purpose).

        Raises:
            RunNotFoundError: no such run.
            RunStateError: the run is still active, or succeeded without ``succeeded_too``.
        """
        now = self.clock()
        allowed = {RunStatus.FAILED, RunStatus.DEAD, RunStatus.CANCELLED}
        if succeeded_too:
            allowed.add(RunStatus.SUCCEEDED)
        with self.engine.begin() as connection:
            run = self._locked_run(connection, run_id)
            if run.status is RunStatus.SUCCEEDED and not succeeded_too:
                raise RunStateError(
                    f"run {run_id} succeeded: to run steps of it again on purpose, give "
                    "--from-step STEP --force"
                )
            if run.status not in allowed:
                raise RunStateError(
                    f"run {run_id} is {run.status}: only failed, dead or cancelled runs can be retried "
                    "(and, with --force, succeeded ones)"
                )
            for key in step_keys_to_forget:
                connection.execute(
                    run_steps.delete().where(
                        run_steps.c.run_id == run_id,
                        sa.or_(
                            run_steps.c.step_key == key,
                            run_steps.c.step_key.startswith(key + "[", autoescape=True),
                        ),
                    )
                )
            connection.execute(
                workflow_runs.update()
                .where(workflow_runs.c.id == run_id)
                .values(
                    status=RunStatus.PENDING.value,
                    error=None,
                    failed_step=None,
                    finished_at=None,
                    next_attempt_at=None,
                    updated_at=now,
                )
            )
            _write_logs(connection, run_id, [NewLogLine("info", note)], now)
        return self.get_run(run_id)

    def _locked_run(self, connection: sa.Connection, run_id: str) -> Run:
        query = sa.select(workflow_runs).where(workflow_runs.c.id == run_id)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            raise RunNotFoundError(f"no workflow run {run_id!r} in the store")
        return _run(row)

    # Approvals

    def get_approval(self, approval_id: str) -> Approval:
        """The approval with this id.

        Raises:
            RunNotFoundError: there is none.
        """
        with self._reading() as connection:
            row = connection.execute(sa.select(approvals).where(approvals.c.id == approval_id)).first()
        if row is None:
            raise RunNotFoundError(f"no approval {approval_id!r} in the store")
        return _approval(row)

    def list_approvals(self, *, pending_only: bool = True, limit: int | None = 100) -> list[Approval]:
        """Approvals, newest first; by default only those still waiting for a decision."""
        query = sa.select(approvals).order_by(approvals.c.created_at.desc(), approvals.c.id)
        if pending_only:
            query = query.where(approvals.c.decision.is_(None))
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [_approval(row) for row in connection.execute(query)]

    def decide(self, approval_id: str, decision: Decision | str, decided_by: str) -> Approval:
        """Approve or reject: the first decision wins, and the run is due again at once.

        Args:
            approval_id: the approval.
            decision: ``approved`` or ``rejected``.
            decided_by: who decided (kept with the decision and shown as ``$steps.<id>.decided_by``).

        Raises:
            RunNotFoundError: no such approval.
            AlreadyDecidedError: it was decided (or expired) before.
            ValueError: the decision is neither approved nor rejected, or nobody is named.

        Who may decide is not checked here: the store cannot tell who a person is. Callers go
        through :func:`incidentkit.workflows.approvers.decide_approval`, which identifies the
        decider through incident.io and checks the step's approvers first.
        """
        if decision not in tuple(Decision):
            raise ValueError(f"a decision is 'approved' or 'rejected', not {decision!r}")
        if not decided_by.strip():
            raise ValueError("say who decides (--by NAME)")
        now = self.clock()
        with self.engine.begin() as connection:
            claimed = connection.execute(
                approvals.update()
                .where(approvals.c.id == approval_id, approvals.c.decision.is_(None))
                .values(decision=decision, decided_by=decided_by, decided_at=now)
            ).rowcount
            row = connection.execute(sa.select(approvals).where(approvals.c.id == approval_id)).first()
            if row is None:
                raise RunNotFoundError(f"no approval {approval_id!r} in the store")
            approval = _approval(row)
            if claimed == 0:
                by = f" by {approval.decided_by}" if approval.decided_by else ""
                raise AlreadyDecidedError(
                    f"approval {approval_id} was already decided: {approval.decision}{by}"
                    f" at {_iso(approval.decided_at)}"
                )
            _write_step(
                connection,
                StepRecord(
                    approval.run_id,
                    approval.step_key,
                    "succeeded",
                    output={"decision": decision, "decided_by": decided_by, "expired": False},
                    finished_at=now,
                ),
            )
            _write_logs(
                connection,
                approval.run_id,
                [NewLogLine("info", f"approval {decision} by {decided_by}", approval.step_key)],
                now,
            )
            _wake(connection, approval.run_id, now)
        return approval

    # Parked steps (an agent's answer)

    def parked_step(self, resume_token: str) -> StepRecord:
        """The waiting step that this resume token finishes.

        Raises:
            RunNotFoundError: no step waits for this token (unknown, or already answered).
        """
        with self._reading() as connection:
            row = connection.execute(
                sa.select(run_steps).where(run_steps.c.resume_token == resume_token)
            ).first()
        if row is None or row.status != "waiting":
            raise RunNotFoundError("no step is waiting for this token (unknown, or already answered)")
        return _step(row)

    def finish_parked(self, record: StepRecord, log: NewLogLine) -> None:
        """Replace a waiting step's checkpoint with its answer, and make the run due now.

        Raises:
            AlreadyDecidedError: the step was finished by another answer (or expired) meanwhile.
        """
        now = self.clock()
        with self.engine.begin() as connection:
            current = connection.execute(
                sa.select(run_steps.c.status).where(
                    run_steps.c.run_id == record.run_id, run_steps.c.step_key == record.step_key
                )
            ).first()
            if current is None or current.status != "waiting":
                raise AlreadyDecidedError(f"step {record.step_key} was already answered")
            _write_step(connection, record)
            _write_logs(connection, record.run_id, [log], now)
            _wake(connection, record.run_id, now)


def _wake(connection: sa.Connection, run_id: str, now: datetime) -> None:
    """A waiting run is due now (a running one picks the change up at its next decision)."""
    connection.execute(
        workflow_runs.update()
        .where(workflow_runs.c.id == run_id, workflow_runs.c.status == RunStatus.WAITING.value)
        .values(status=RunStatus.PENDING.value, next_attempt_at=now, updated_at=now)
    )


def _write_step(connection: sa.Connection, step: StepRecord) -> None:
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


def _write_logs(connection: sa.Connection, run_id: str, logs: Sequence[NewLogLine], now: datetime) -> None:
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


def _open_approval(connection: sa.Connection, run_id: str, new: NewApproval, now: datetime) -> Approval:
    approval_id = "apr_" + secrets.token_hex(10)
    connection.execute(
        approvals.insert().values(
            id=approval_id,
            run_id=run_id,
            step_key=new.step_key,
            prompt=new.prompt,
            approvers=new.approvers,
            channel=new.channel,
            on_timeout=new.on_timeout,
            created_at=now,
            expires_at=new.expires_at,
        )
    )
    row = connection.execute(sa.select(approvals).where(approvals.c.id == approval_id)).one()
    return _approval(row)


def _insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _run(row: sa.Row[Any]) -> Run:
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


def _step(row: sa.Row[Any]) -> StepRecord:
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


def _approval(row: sa.Row[Any]) -> Approval:
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
