"""A stored run as the interpreter reads it: the workflow it started with, and its checkpoints.

A run keeps a JSON snapshot of its workflow's spec (:func:`spec_snapshot`), so it goes on with
the version it started with when the file changes; :func:`workflow_of` reads it back. Its step
records become the interpreter's :class:`~incidentkit.workflows.interpreter.Checkpoint`\\ s
through :func:`checkpoint_of`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from incidentkit.store.run_records import Run, StepRecord
from incidentkit.store.states import StepStatus
from incidentkit.workflows.interpreter import Checkpoint
from incidentkit.workflows.loader import Workflow
from incidentkit.workflows.schema import WorkflowSpec


def workflow_of(run: Run) -> Workflow:
    """The workflow exactly as the run started with it (its stored spec and version)."""
    return Workflow(
        name=run.workflow,
        spec=WorkflowSpec.model_validate(run.spec),
        version=run.version,
        file=f"<run {run.id}>",
    )


def spec_snapshot(workflow: Workflow) -> dict[str, Any]:
    """The JSON kept with a run so that it keeps its version when the file changes."""
    snapshot: dict[str, Any] = _plain(
        workflow.spec.model_dump(mode="python", by_alias=True, exclude_none=True)
    )
    return snapshot


def _plain(value: Any) -> Any:
    """JSON-ready data that validates back into the same spec (durations as seconds)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def checkpoint_of(record: StepRecord) -> Checkpoint:
    """A step record as the interpreter reads it."""
    # A status this version does not know (a newer one's) reads as failed rather than as a crash.
    known = record.status in tuple(StepStatus)
    return Checkpoint(
        step_key=record.step_key,
        status=StepStatus(record.status) if known else StepStatus.FAILED,
        output=record.output,
        error=record.error,
        retryable=record.retryable,
        attempt=record.attempt,
        finished_at=record.finished_at,
        retry_after=record.retry_after,
        until=record.until,
    )
