"""What people do to workflow runs: cancel an active run, or retry a finished one from a step."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from incidentkit.store.errors import RunNotFoundError, RunStateError
from incidentkit.store.run_reads import RunReader
from incidentkit.store.run_records import NewLogLine, Run, run_from_row, write_logs
from incidentkit.store.schema import approvals, run_steps, workflow_runs
from incidentkit.store.states import FINAL_STATUSES, RunStatus


class RunActionsMixin(RunReader):
    """Cancelling and retrying runs (see :class:`~incidentkit.store.runs.RunStore`)."""

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
            write_logs(connection, run_id, [NewLogLine("warning", reason)], now)
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
            write_logs(connection, run_id, [NewLogLine("info", note)], now)
        return self.get_run(run_id)

    def _locked_run(self, connection: sa.Connection, run_id: str) -> Run:
        query = sa.select(workflow_runs).where(workflow_runs.c.id == run_id)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            raise RunNotFoundError(f"no workflow run {run_id!r} in the store")
        return run_from_row(row)
