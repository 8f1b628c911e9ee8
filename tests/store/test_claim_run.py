"""Claiming one run by id (the agent tools drive the approval runs they make), on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidentkit.store import Store
from incidentkit.store.errors import RunNotFoundError
from incidentkit.store.run_records import NewApproval, NewRun, RunUpdate, StepRecord
from incidentkit.store.runs import RunStore
from incidentkit.store.states import RunStatus
from tests.conftest import FakeClock

SPEC = {"trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "approval"}]}


@pytest.fixture
def runs(store: Store) -> RunStore:
    return RunStore(store)


def test_only_the_run_named_is_claimed(runs: RunStore) -> None:
    first, _ = runs.create_run(NewRun("wf", "one", "v1", SPEC, {}))
    second, _ = runs.create_run(NewRun("wf", "two", "v1", SPEC, {}))
    claimed = runs.claim_run(second.id, "me")
    assert claimed is not None and claimed.id == second.id and claimed.lease_owner == "me"
    assert runs.get_run(first.id).status == RunStatus.PENDING
    assert runs.claim_run(second.id, "someone else") is None  # running, its lease still held
    with pytest.raises(RunNotFoundError):
        runs.claim_run("run_missing", "me")


def test_a_waiting_run_is_claimed_once_due_and_its_approval_found(runs: RunStore, clock: FakeClock) -> None:
    run, _ = runs.create_run(NewRun("wf", "one", "v1", SPEC, {}))
    assert runs.claim_run(run.id, "me") is not None
    assert runs.approval_for_step(run.id, "a") is None
    opened = runs.checkpoint(
        run.id,
        "me",
        step=StepRecord(run.id, "a", "waiting"),
        approval=NewApproval("a", "ok?", {"users": []}, None, "reject", clock() + timedelta(minutes=5)),
        run=RunUpdate(RunStatus.WAITING, next_attempt_at=clock() + timedelta(minutes=5)),
    )
    assert opened is not None and runs.approval_for_step(run.id, "a") == opened
    assert runs.claim_run(run.id, "me") is None
    clock.advance(minutes=5)
    assert runs.claim_run(run.id, "me") is not None
