"""The run store on SQLite and PostgreSQL: one run per event, leases, checkpoints, approvals, concurrency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidentkit.store import Store
from incidentkit.store.errors import AlreadyDecidedError, LeaseLostError, RunStateError
from incidentkit.store.run_records import NewApproval, NewRun, RunUpdate, StepRecord
from incidentkit.store.runs import RunStore
from incidentkit.store.states import RunStatus
from tests.conftest import FakeClock

SPEC = {"trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "log", "message": "hi"}]}


def new_run(event_key: str = "evt_1", key: str | None = None) -> NewRun:
    return NewRun("wf", event_key, "v1", SPEC, {"type": "manual"}, key)


@pytest.fixture
def runs(store: Store) -> RunStore:
    return RunStore(store)


def test_one_run_per_workflow_and_event(runs: RunStore) -> None:
    first, created = runs.create_run(new_run())
    again, created_again = runs.create_run(new_run())
    assert (created, created_again) == (True, False)
    assert again.id == first.id and runs.count_runs() == 1
    assert runs.create_run(NewRun("other", "evt_1", "v1", SPEC, {}))[1] is True


def test_a_claimed_run_is_leased_to_one_worker_until_the_lease_expires(
    runs: RunStore, clock: FakeClock
) -> None:
    run, _ = runs.create_run(new_run())
    [claimed] = runs.claim_runs("a", lease=timedelta(seconds=30))
    assert (claimed.id, claimed.status, claimed.lease_owner) == (run.id, RunStatus.RUNNING, "a")
    assert runs.claim_runs("b") == []
    clock.advance(seconds=31)
    [taken] = runs.claim_runs("b")
    assert taken.lease_owner == "b"
    with pytest.raises(LeaseLostError):
        runs.checkpoint(run.id, "a", step=StepRecord(run.id, "a", "succeeded", finished_at=clock()))
    assert runs.steps(run.id) == []


def test_a_checkpoint_writes_the_step_the_log_and_the_run_state_together(
    runs: RunStore, clock: FakeClock
) -> None:
    run, _ = runs.create_run(new_run())
    runs.claim_runs("a")
    step = StepRecord(run.id, "a", "failed", error="boom", retryable=True, finished_at=clock())
    clock.advance(seconds=1)
    from incidentkit.store.run_records import NewLogLine

    runs.checkpoint(
        run.id,
        "a",
        step=step,
        logs=[NewLogLine("warning", "boom", "a")],
        run=RunUpdate(RunStatus.WAITING, next_attempt_at=clock() + timedelta(seconds=10)),
    )
    stored = runs.get_run(run.id)
    assert (stored.status, stored.lease_owner) == (RunStatus.WAITING, None)
    assert [(s.step_key, s.status, s.error) for s in runs.steps(run.id)] == [("a", "failed", "boom")]
    assert [line.message for line in runs.logs(run.id)] == ["boom"]
    assert runs.claim_runs("a") == []  # not due yet
    clock.advance(seconds=10)
    assert [r.id for r in runs.claim_runs("a")] == [run.id]


def test_queued_runs_with_the_same_key_run_one_at_a_time_in_order(runs: RunStore) -> None:
    first, _ = runs.create_run(new_run("e1", key="inc_1"))
    second, _ = runs.create_run(new_run("e2", key="inc_1"))
    other, _ = runs.create_run(new_run("e3", key="inc_2"))
    assert [r.id for r in runs.claim_runs("a", limit=10)] == [first.id, other.id]
    runs.checkpoint(first.id, "a", run=RunUpdate(RunStatus.SUCCEEDED))
    assert [r.id for r in runs.claim_runs("a", limit=10)] == [second.id]


def test_skip_and_replace_modes(runs: RunStore) -> None:
    first, _ = runs.create_run(new_run("e1", key="inc_1"))
    skipped, _ = runs.create_run(new_run("e2", key="inc_1"), mode="skip")
    assert skipped.status is RunStatus.CANCELLED and first.id in (skipped.error or "")
    newest, _ = runs.create_run(new_run("e3", key="inc_1"), mode="replace")
    assert runs.get_run(first.id).status is RunStatus.CANCELLED
    assert newest.status is RunStatus.PENDING


def test_approvals_first_decision_wins(runs: RunStore, clock: FakeClock) -> None:
    run, _ = runs.create_run(new_run())
    runs.claim_runs("a")
    approval = runs.checkpoint(
        run.id,
        "a",
        step=StepRecord(run.id, "gate", "waiting", finished_at=clock()),
        approval=NewApproval("gate", "Ship it?", {"users": ["ana"], "roles": []}, None, "reject", None),
        run=RunUpdate(RunStatus.WAITING),
    )
    assert approval is not None
    assert [a.id for a in runs.list_approvals()] == [approval.id]
    runs.decide(approval.id, "approved", "ana")
    with pytest.raises(AlreadyDecidedError, match="already decided: approved by ana"):
        runs.decide(approval.id, "rejected", "bob")
    assert runs.list_approvals() == []
    [gate] = runs.steps(run.id)
    assert gate.output == {"decision": "approved", "decided_by": "ana", "expired": False}
    assert runs.get_run(run.id).status is RunStatus.PENDING


def test_retry_and_cancel(runs: RunStore, clock: FakeClock) -> None:
    run, _ = runs.create_run(new_run())
    with pytest.raises(RunStateError, match="only failed, dead or cancelled"):
        runs.retry(run.id, ["a"], note="again")
    runs.claim_runs("a")
    runs.checkpoint(
        run.id,
        "a",
        step=StepRecord(run.id, "a", "failed", error="boom", finished_at=clock()),
        run=RunUpdate(RunStatus.FAILED, error="boom", failed_step="a"),
    )
    retried = runs.retry(run.id, ["a"], note="retried by a person")
    assert (retried.status, retried.error, runs.steps(run.id)) == (RunStatus.PENDING, None, [])
    cancelled = runs.cancel(run.id)
    assert cancelled.status is RunStatus.CANCELLED
    with pytest.raises(RunStateError, match="already finished"):
        runs.cancel(run.id)


def test_cancelling_a_run_closes_its_open_approval(runs: RunStore, clock: FakeClock) -> None:
    run, _ = runs.create_run(new_run())
    runs.claim_runs("a")
    approval = runs.checkpoint(
        run.id,
        "a",
        step=StepRecord(run.id, "gate", "waiting", finished_at=clock()),
        approval=NewApproval("gate", "Ship it?", {"users": [], "roles": []}, None, "reject", None),
        run=RunUpdate(RunStatus.WAITING),
    )
    assert approval is not None
    runs.cancel(run.id)
    assert runs.list_approvals() == []
    with pytest.raises(AlreadyDecidedError, match="already decided: cancelled"):
        runs.decide(approval.id, "approved", "anyone")
