"""Durable workflow runs: :class:`RunStore`, and a run's life from its creation through leases and
checkpoints to its end.

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

RunStore's other jobs are parts it is made of: reading runs (:mod:`incidentkit.store.run_reads`),
what people do to runs (:mod:`incidentkit.store.run_actions`), and approvals and parked steps
(:mod:`incidentkit.store.run_approvals`). Its records are in :mod:`incidentkit.store.run_records`,
the states in :mod:`incidentkit.store.states`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from incidentkit.store.db import insert_ignoring_duplicates
from incidentkit.store.errors import LeaseLostError, RunNotFoundError
from incidentkit.store.run_actions import RunActionsMixin
from incidentkit.store.run_approvals import ApprovalsMixin, open_approval
from incidentkit.store.run_records import (
    Approval,
    NewApproval,
    NewLogLine,
    NewRun,
    Run,
    RunUpdate,
    StepRecord,
    run_from_row,
    write_logs,
    write_step,
)
from incidentkit.store.schema import approvals, workflow_runs
from incidentkit.store.states import ACTIVE_STATUSES, FINAL_STATUSES, RunMode, RunStatus

__all__ = ["DEFAULT_RUN_LEASE", "RunStatus", "RunStore"]

DEFAULT_RUN_LEASE = timedelta(seconds=60)


class RunStore(RunActionsMixin, ApprovalsMixin):
    """Workflow runs in the same database as the inbox (the store migrates both tables).

    Args:
        store: an open :class:`~incidentkit.store.Store`; its engine and clock are used.
    """

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
                return run_from_row(existing), False
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
            insert = insert_ignoring_duplicates(connection, workflow_runs).values(
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
        return run_from_row(row), created

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
            return [run_from_row(row) for row in rows]

    def claim_run(self, run_id: str, owner: str, *, lease: timedelta = DEFAULT_RUN_LEASE) -> Run | None:
        """Lease this one run to ``owner`` if it is due now (as :meth:`claim_runs` means due); else None.

        For the code that made a run and drives it at once, without taking other runs that are
        due (the agent tools' approval requests): a run whose concurrency key is held by an earlier
        active run is not due.

        Raises:
            RunNotFoundError: there is no such run.
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
            if connection.execute(sa.select(runs.c.seq).where(runs.c.id == run_id)).first() is None:
                raise RunNotFoundError(f"no workflow run {run_id!r} in the store")
            claimed = connection.execute(
                runs.update()
                .where(
                    runs.c.id == run_id,
                    due,
                    sa.or_(runs.c.concurrency_key.is_(None), ~queued_behind),
                )
                .values(
                    status=RunStatus.RUNNING.value,
                    lease_owner=owner,
                    lease_expires_at=now + lease,
                    updated_at=now,
                )
            ).rowcount
            if not claimed:
                return None
            return run_from_row(connection.execute(sa.select(runs).where(runs.c.id == run_id)).one())

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
                write_step(connection, record)
            if approval is not None:
                opened = open_approval(connection, run_id, approval, now)
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
            write_logs(connection, run_id, logs, now)
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
