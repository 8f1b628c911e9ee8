"""What people do to runs (CLI, HTTP): retry from a step, and the checks around it."""

from __future__ import annotations

from incidentkit.store.errors import RunStateError
from incidentkit.store.run_records import Run
from incidentkit.store.runs import RunStore
from incidentkit.workflows.run_state import workflow_of


def retry_run(runs: RunStore, run_id: str, *, from_step: str | None = None, force: bool = False) -> Run:
    """Queue a failed, dead or cancelled run again; with ``force``, a succeeded one too.

    Without ``from_step`` only the failing step runs again (every finished step is kept and
    skipped); with it, that step and every step after it in the file run again. A succeeded run
    has no failing step, so re-running one on purpose needs both ``from_step`` and ``force``.
    Steps run again send the same idempotency keys as the first time (run id and step), so a
    create that already succeeded gives back what it made instead of making a second one.

    Raises:
        RunNotFoundError: no such run.
        RunStateError: the run is still active, succeeded without ``force`` and ``from_step``,
            or ``from_step`` is not one of its steps.
    """
    run = runs.get_run(run_id)
    steps = [step.id for step in workflow_of(run).spec.steps]
    if force and from_step is None and run.status == "succeeded":
        raise RunStateError(
            f"run {run_id} succeeded, so no step failed: say where to start with --from-step "
            f"(its steps: {', '.join(steps)})"
        )
    if from_step is not None:
        if from_step not in steps:
            raise RunStateError(f"run {run_id} has no step {from_step!r}; its steps: {', '.join(steps)}")
        forget = steps[steps.index(from_step) :]
        note = f"retried from step {from_step}" + (" (forced)" if force else "")
    else:
        forget = [run.failed_step] if run.failed_step else []
        note = f"retried (step {run.failed_step} runs again)" if run.failed_step else "retried"
    return runs.retry(run_id, forget, note=note, succeeded_too=force and from_step is not None)
