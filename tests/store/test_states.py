"""Step statuses, run modes and decisions are string enums whose values are the strings stored before."""

from __future__ import annotations

from incidentkit.store.run_records import StepRecord
from incidentkit.store.states import Decision, RunMode, StepStatus
from incidentkit.workflows.loader import load_text
from incidentkit.workflows.run_state import checkpoint_of as _checkpoint


def test_the_values_are_the_strings_stored_before() -> None:
    assert [s.value for s in StepStatus] == ["succeeded", "failed", "skipped", "waiting"]
    assert [m.value for m in RunMode] == ["queue", "skip", "replace"]
    assert [d.value for d in Decision] == ["approved", "rejected"]
    assert StepStatus("waiting") == "waiting" and Decision.APPROVED == "approved"


def test_a_stored_step_reads_back_as_its_enum_and_an_unknown_one_as_failed() -> None:
    assert _checkpoint(StepRecord("run", "a", "skipped")).status is StepStatus.SKIPPED
    assert _checkpoint(StepRecord("run", "a", "paused-by-a-newer-version")).status is StepStatus.FAILED


def test_a_workflows_concurrency_mode_is_a_run_mode() -> None:
    flow = load_text(
        "name: wf\ntrigger: {type: manual}\nconcurrency: {key: x, mode: skip}\n"
        "steps:\n  - {id: a, type: log, message: a}\n"
    )
    assert flow.spec.concurrency is not None and flow.spec.concurrency.mode is RunMode.SKIP
