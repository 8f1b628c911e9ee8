"""Approvals and parked steps: opening an approval, a person's decision on it, and an agent's answer to a
parked step; either makes the waiting run due again."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from incidentkit.store.errors import AlreadyDecidedError, RunNotFoundError
from incidentkit.store.run_reads import RunReader
from incidentkit.store.run_records import (
    Approval,
    NewApproval,
    NewLogLine,
    StepRecord,
    approval_from_row,
    step_from_row,
    write_logs,
    write_step,
)
from incidentkit.store.schema import approvals, run_steps, workflow_runs
from incidentkit.store.states import Decision, RunStatus
from incidentkit.timeutil import iso as _iso


class ApprovalsMixin(RunReader):
    """Approvals and parked steps (see :class:`~incidentkit.store.runs.RunStore`)."""

    def get_approval(self, approval_id: str) -> Approval:
        """The approval with this id.

        Raises:
            RunNotFoundError: there is none.
        """
        with self._reading() as connection:
            row = connection.execute(sa.select(approvals).where(approvals.c.id == approval_id)).first()
        if row is None:
            raise RunNotFoundError(f"no approval {approval_id!r} in the store")
        return approval_from_row(row)

    def approval_for_step(self, run_id: str, step_key: str) -> Approval | None:
        """The approval that a run's step opened, or None when it has opened none (yet)."""
        query = sa.select(approvals).where(approvals.c.run_id == run_id, approvals.c.step_key == step_key)
        with self._reading() as connection:
            row = connection.execute(query).first()
        return None if row is None else approval_from_row(row)

    def list_approvals(self, *, pending_only: bool = True, limit: int | None = 100) -> list[Approval]:
        """Approvals, newest first; by default only those still waiting for a decision."""
        query = sa.select(approvals).order_by(approvals.c.created_at.desc(), approvals.c.id)
        if pending_only:
            query = query.where(approvals.c.decision.is_(None))
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [approval_from_row(row) for row in connection.execute(query)]

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
            approval = approval_from_row(row)
            if claimed == 0:
                by = f" by {approval.decided_by}" if approval.decided_by else ""
                raise AlreadyDecidedError(
                    f"approval {approval_id} was already decided: {approval.decision}{by}"
                    f" at {_iso(approval.decided_at)}"
                )
            write_step(
                connection,
                StepRecord(
                    approval.run_id,
                    approval.step_key,
                    "succeeded",
                    output={"decision": decision, "decided_by": decided_by, "expired": False},
                    finished_at=now,
                ),
            )
            write_logs(
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
        return step_from_row(row)

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
            write_step(connection, record)
            write_logs(connection, record.run_id, [log], now)
            _wake(connection, record.run_id, now)


def _wake(connection: sa.Connection, run_id: str, now: datetime) -> None:
    """A waiting run is due now (a running one picks the change up at its next decision)."""
    connection.execute(
        workflow_runs.update()
        .where(workflow_runs.c.id == run_id, workflow_runs.c.status == RunStatus.WAITING.value)
        .values(status=RunStatus.PENDING.value, next_attempt_at=now, updated_at=now)
    )


def open_approval(connection: sa.Connection, run_id: str, new: NewApproval, now: datetime) -> Approval:
    """Store a new approval request for a run's step; the approval as stored."""
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
    return approval_from_row(row)
