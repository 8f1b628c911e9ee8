"""Workflow runs drained per second: 10,000 queued runs of a one-step no-op workflow, one and two workers.

Each run is claimed with a lease, its step is executed through the node registry and checkpointed,
and the run is finished: the same transactions as a real run, on the embedded SQLite store (WAL,
``synchronous=FULL``: every commit flushed). The step type ``bench.noop`` is registered by this
script only. The baseline, measured in the same run, is the store's bare write rate: one empty
committed transaction per run (``BEGIN IMMEDIATE; COMMIT`` of a one-row update), which bounds what
any durable per-run design on this disk can do.

Target: at least 200 runs/second with one worker.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from incidentkit.store import Store
from incidentkit.store.runs import RunStore
from incidentkit.store.schema import workflow_runs
from incidentkit.store.states import RunStatus
from incidentkit.workflows.engine import Engine
from incidentkit.workflows.loader import load_text
from incidentkit.workflows.nodes import Completed, NodeContext, StepInputs
from incidentkit.workflows.nodes.registry import register
from incidentkit.workflows.run_state import spec_snapshot

RUNS = 10_000
WORKFLOW = "name: noop\ntrigger:\n  type: manual\nsteps:\n  - id: noop\n    type: bench.noop\n"


class NoInputs(StepInputs):
    """The no-op step takes nothing."""


@register("bench.noop", NoInputs, writes=False)
def noop(inputs: NoInputs, context: NodeContext) -> Completed:
    """Does nothing: the figure is the engine's own cost."""
    return Completed({"ok": True})


def queue_runs(store: Store, count: int) -> None:
    """Insert ``count`` pending runs in one transaction (setting up, not measured)."""
    workflow = load_text(WORKFLOW, "noop.yaml")
    spec = spec_snapshot(workflow)
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"run_{secrets.token_hex(10)}",
            "workflow": workflow.name,
            "event_key": f"bench:{index}",
            "version": workflow.version,
            "spec": spec,
            "trigger": {"type": "manual", "inputs": {}},
            "status": RunStatus.PENDING.value,
            "dry_run": False,
            "created_at": now,
            "updated_at": now,
        }
        for index in range(count)
    ]
    with store.engine.begin() as connection:
        connection.execute(workflow_runs.insert(), rows)


def drain(store: Store, workers: int) -> float:
    """Seconds for ``workers`` threads, each with its own engine, to finish every queued run."""
    runs = RunStore(store)
    engines = [Engine(runs, None, owner=f"bench-{index}") for index in range(workers)]

    def work(engine: Engine) -> None:
        while engine.run_once(limit=20):
            pass

    threads = [threading.Thread(target=work, args=(engine,)) for engine in engines]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done = runs.count_runs(RunStatus.SUCCEEDED)
    if done != RUNS:
        sys.exit(f"only {done} of {RUNS} runs succeeded")
    return elapsed


def bare_commits(store: Store, count: int) -> float:
    """Seconds for ``count`` committed one-row updates: the durable-write baseline."""
    started = time.perf_counter()
    for _ in range(count):
        with store.engine.begin() as connection:
            connection.execute(
                sa.update(workflow_runs).where(workflow_runs.c.seq == 1).values(updated_at=datetime.now(UTC))
            )
    return time.perf_counter() - started


def main() -> None:
    print(f"{RUNS} queued runs of a one-step no-op workflow, embedded SQLite (WAL, synchronous=FULL)")
    with tempfile.TemporaryDirectory() as folder:
        with Store.open(f"sqlite:///{Path(folder) / 'baseline.db'}") as store:
            queue_runs(store, 1)
            baseline_count = 2_000
            commits_per_second = baseline_count / bare_commits(store, baseline_count)
        results = {}
        for workers in (1, 2):
            with Store.open(f"sqlite:///{Path(folder) / f'drain{workers}.db'}") as store:
                queue_runs(store, RUNS)
                results[workers] = RUNS / drain(store, workers)
    print(f"baseline: {commits_per_second:,.0f} bare durable commits/second")
    for workers, rate in results.items():
        print(
            f"{workers} worker{'s' if workers > 1 else ''}: {rate:,.0f} runs/second "
            f"({rate / commits_per_second:.2f} runs per bare commit; target >= 200 runs/s with one worker)"
        )


if __name__ == "__main__":
    main()
