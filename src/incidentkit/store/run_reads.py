"""Reading workflow runs, their checkpoints and their logs: the base that every part of
:class:`~incidentkit.store.runs.RunStore` builds on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from incidentkit.store.db import reading
from incidentkit.store.errors import RunNotFoundError
from incidentkit.store.run_records import LogLine, Run, StepRecord, run_from_row, step_from_row
from incidentkit.store.schema import run_logs, run_steps, workflow_runs
from incidentkit.store.states import RunStatus
from incidentkit.store.store import Store


class RunReader:
    """The store's engine and clock, and the reads of runs, checkpoints and logs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def _reading(self) -> sa.Connection:
        """A connection for reads only: on SQLite a snapshot that never waits for the write lock."""
        return reading(self.engine)

    @property
    def clock(self) -> Any:
        """The store's clock."""
        return self.store.clock

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
        return run_from_row(row)

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
            return [run_from_row(row) for row in connection.execute(query)]

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
            return [step_from_row(row) for row in rows]

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
                found[row.run_id].append(step_from_row(row))
        return found

    def logs(self, run_id: str) -> list[LogLine]:
        """A run's log, oldest first."""
        with self._reading() as connection:
            rows = connection.execute(
                sa.select(run_logs).where(run_logs.c.run_id == run_id).order_by(run_logs.c.seq)
            )
            return [LogLine(row.at, row.level, row.step_key, row.message) for row in rows]
