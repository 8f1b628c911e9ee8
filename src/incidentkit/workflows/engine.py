"""The step executor: drive a claimed run through the pure interpreter, do each step, checkpoint it.

The engine never sleeps on a run. For each run it claims (with a lease) it loops: the
interpreter (:func:`~incidentkit.workflows.interpreter.next_action`) decides the next action from
the workflow, the trigger, the checkpoints and the clock; the engine performs it (a node step
through :data:`~incidentkit.workflows.nodes.NODE_TYPES`, a log line, an approval gate) and writes
the result as a checkpoint in one transaction with the run's state. When the interpreter says
there is nothing to do before some time (a retry back-off, a ``wait``, an approval, an agent's
answer), the run is stored ``waiting`` until then and the engine moves on; a later claim resumes
it, skipping every finished step. The worker thread that calls it is in
:mod:`incidentkit.workflows.worker`.

Every step sends an idempotency key derived from the run id and the step key
(:mod:`incidentkit.workflows.step_context`), so a create is never made twice. The client must be
built with its own retries off; the engine schedules retries itself.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incidentkit.api.retry import rate_limit_wait
from incidentkit.logs import log_context
from incidentkit.store.errors import LeaseLostError
from incidentkit.store.run_records import NewApproval, NewLogLine, Run, RunUpdate, StepRecord
from incidentkit.store.runs import DEFAULT_RUN_LEASE, RunStore
from incidentkit.store.states import RunStatus
from incidentkit.workflows.interpreter import (
    BeginWait,
    CompleteStep,
    ParkForApproval,
    RunFinished,
    RunStep,
    SkipStep,
    WaitUntil,
    next_action,
)
from incidentkit.workflows.loader import Workflow
from incidentkit.workflows.nodes import (
    NODE_TYPES,
    Completed,
    NodeContext,
    NodeType,
    Park,
    StepError,
)
from incidentkit.workflows.run_state import checkpoint_of, workflow_of
from incidentkit.workflows.schema import ApprovalStep
from incidentkit.workflows.step_context import EngineSettings, RunLog, node_context, seconds_left
from incidentkit.workflows.worker import LeaseHeartbeat

if TYPE_CHECKING:
    from incidentkit.api import Client

logger = logging.getLogger("incidentkit.workflows.engine")

RATE_LIMIT_BUDGET = timedelta(minutes=2)
"""How long a step without a ``timeout:`` may wait out rate limits (429s) before one counts as a failure."""
RATE_LIMIT_DEFAULT_WAIT = 1.0
"""Seconds to wait after a 429 that named no wait."""

MAX_ACTIONS_PER_CLAIM = 10_000
"""A guard against a workflow that never finishes deciding (it cannot, but a bug should not spin)."""


class Engine:
    """Executes runs: claim, decide, act, checkpoint.

    Args:
        runs: the run store.
        client: the incident.io client, built with retries off (``RetryPolicy(max_retries=0)``).
        settings: what steps may use.
        clock: the current time (aware); tests inject one.
        owner: this worker's name in leases; random by default.
        lease: how long a claim holds a run without a checkpoint.
        node_types: the step types (the registry by default).
        on_event: called with a short description of each thing done (the demo prints them).
        heartbeat: seconds between lease renewals while a step runs (real time; a third of the
            lease by default), so a slow step keeps its run and a dead worker's lease runs out.
        sleep: how to wait out a rate limit inside a step; tests inject one that moves their clock.
    """

    def __init__(
        self,
        runs: RunStore,
        client: Client | None = None,
        *,
        settings: EngineSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        owner: str | None = None,
        lease: timedelta = DEFAULT_RUN_LEASE,
        node_types: Mapping[str, NodeType] | None = None,
        on_event: Callable[[Run, str], None] | None = None,
        heartbeat: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.runs = runs
        self.sleep = sleep
        self.client = client
        self.settings = settings or EngineSettings()
        self.clock = clock or runs.clock
        self.owner = owner or "worker-" + secrets.token_hex(4)
        self.lease = lease
        self.node_types = node_types if node_types is not None else NODE_TYPES
        self.on_event = on_event
        self._workflows: dict[tuple[str, str], Workflow] = {}
        self._pending = _Pending()
        self.heartbeat = heartbeat if heartbeat is not None else lease.total_seconds() / 3
        self._heartbeat = LeaseHeartbeat(runs, self.owner, lease, self.heartbeat)
        self._stopping = threading.Event()

    # Driving

    def run_once(self, limit: int = 10) -> int:
        """Claim up to ``limit`` due runs and drive each as far as it goes now; returns how many."""
        if self._stopping.is_set():
            return 0
        claimed = self.runs.claim_runs(self.owner, limit, lease=self.lease)
        checkpoints = self.runs.steps_of([run.id for run in claimed])
        for run in claimed:
            self.drive(run, checkpoints[run.id])
        return len(claimed)

    def run_until_idle(self, *, max_rounds: int = 10_000) -> int:
        """Drive runs until none is due at the clock's current time; returns how many claims were made."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            if not done:
                return total
            total += done
        raise RuntimeError(f"runs were still due after {max_rounds} rounds")

    def drive(self, run: Run, checkpoints: list[StepRecord] | None = None) -> None:
        """Drive one claimed run until it waits, finishes, or this worker loses it.

        Args:
            run: a run this worker claimed.
            checkpoints: its checkpoints, when already read (else they are read here).
        """
        # Every line logged while this run is in hand, by any module, names the run and workflow.
        with log_context(run_id=run.id, workflow=run.workflow):
            try:
                self._drive(run, self.runs.steps(run.id) if checkpoints is None else checkpoints)
            except LeaseLostError as error:
                logger.warning("Run %s: %s; leaving it", run.id, error)

    def _drive(self, run: Run, checkpoints: list[StepRecord]) -> None:
        self._pending = _Pending()
        workflow = self._workflow(run)
        records = {record.step_key: record for record in checkpoints}
        metadata = self.settings.workflow_metadata.get(run.workflow, {})
        for _ in range(MAX_ACTIONS_PER_CLAIM):
            if self._stopping.is_set():
                # Shutting down: what was done is made durable and the run goes back to the queue,
                # due at once, for this process after a restart or another worker now.
                self._flush(run)
                self.runs.release(run.id, self.owner)
                self._tell(run, "released: the worker is stopping")
                return
            state = {key: checkpoint_of(record) for key, record in records.items()}
            action = next_action(workflow, run.trigger, state, self.clock(), metadata=metadata)
            if isinstance(action, WaitUntil):
                self._flush(run, RunUpdate(RunStatus.WAITING, next_attempt_at=action.until))
                self._tell(run, f"waiting: {action.reason}")
                return
            if isinstance(action, RunFinished):
                self._finish(run, action, records)
                return
            with log_context(step=getattr(action, "step_key", None)):
                record = self._act(run, workflow, action)
            records[record.step_key] = record
        raise RuntimeError(f"run {run.id} took more than {MAX_ACTIONS_PER_CLAIM} actions in one claim")

    def _act(self, run: Run, workflow: Workflow, action: Any) -> StepRecord:
        """Perform one action and checkpoint it; returns the checkpoint written."""
        now = self.clock()
        if isinstance(action, SkipStep):
            record = StepRecord(run.id, action.step_key, "skipped", error=action.reason, finished_at=now)
            self._write(run, record, [NewLogLine("info", f"skipped: {action.reason}", action.step_key)])
            return record
        if isinstance(action, CompleteStep):
            record = StepRecord(
                run.id,
                action.step_key,
                action.status,
                output=action.output,
                error=action.error,
                finished_at=now,
            )
            expired = _is_approval(workflow, action.step_key) and (
                action.status == "failed"
                or (isinstance(action.output, dict) and action.output.get("expired"))
            )
            text = f"{action.status}" + (f": {action.error}" if action.error else "")
            level = "info" if action.status == "succeeded" else "error"
            if action.log is not None:
                level, text = action.log
            self._write(
                run,
                record,
                [NewLogLine(level, text, action.step_key)],
                expire_approval=action.step_key if expired else None,
            )
            return record
        if isinstance(action, BeginWait):
            if run.dry_run:
                record = StepRecord(
                    run.id, action.step_key, "succeeded", output={"dry_run": True}, finished_at=now
                )
                self._write(run, record, [NewLogLine("info", "dry run: not waiting", action.step_key)])
                return record
            record = StepRecord(run.id, action.step_key, "waiting", finished_at=now, until=action.until)
            self._write(
                run,
                record,
                [NewLogLine("info", f"waiting until {action.until.isoformat()}", action.step_key)],
            )
            return record
        if isinstance(action, ParkForApproval):
            return self._park_for_approval(run, action, now)
        if isinstance(action, RunStep):
            return self._run_step(run, action)
        raise TypeError(f"unexpected action {action!r}")

    def _park_for_approval(self, run: Run, action: ParkForApproval, now: datetime) -> StepRecord:
        if run.dry_run:
            output = {"decision": "approved", "decided_by": "dry run", "expired": False}
            record = StepRecord(run.id, action.step_key, "succeeded", output=output, finished_at=now)
            self._write(
                run, record, [NewLogLine("info", "dry run: approval taken as approved", action.step_key)]
            )
            return record
        record = StepRecord(run.id, action.step_key, "waiting", finished_at=now, until=action.expires_at)
        pending, self._pending = self._pending, _Pending()
        approval = self.runs.checkpoint(
            run.id,
            self.owner,
            steps=[*pending.steps, record],
            logs=[
                *pending.logs,
                NewLogLine("info", f"waiting for approval: {action.prompt}", action.step_key),
            ],
            expire_approvals=pending.expired,
            approval=NewApproval(
                action.step_key,
                action.prompt,
                action.approvers,
                action.channel,
                action.on_timeout,
                action.expires_at,
            ),
            lease=self.lease,
        )
        if approval is not None:
            self._tell(run, f"approval {approval.id} requested: {action.prompt}")
        return record

    def _run_step(self, run: Run, action: RunStep) -> StepRecord:
        key = action.step_key
        log = RunLog(logger, run.id, key)
        # What was decided so far is made durable before anything is sent.
        self._flush(run)
        log.info("%s (attempt %d)", action.step_type, action.attempt)
        node = self.node_types.get(action.step_type)
        try:
            if node is None:
                raise StepError(f"no step type {action.step_type!r} in this engine", retryable=False)
            inputs = node.validate_inputs(action.inputs)
            context = node_context(
                run,
                key,
                log,
                action.deadline,
                client=self.client,
                settings=self.settings,
                clock=self.clock,
                store=self.runs.store,
            )
            with self._heartbeat.beating(run.id):
                result = self._run_node(node, inputs, context, action, log)
        except StepError as error:
            now = self.clock()
            retry_after = now + timedelta(seconds=error.retry_after) if error.retry_after else None
            record = StepRecord(
                run.id,
                key,
                "failed",
                error=error.message,
                retryable=error.retryable,
                attempt=action.attempt,
                finished_at=now,
                retry_after=retry_after,
            )
            kind = "will retry" if error.retryable else "not retryable"
            log.warning("failed (%s): %s", kind, error.message)
        except Exception as error:  # a bug in a step: fail the step, keep the worker
            logger.exception("Run %s step %s raised", run.id, key)
            record = StepRecord(
                run.id,
                key,
                "failed",
                error=f"{type(error).__name__}: {error}",
                attempt=action.attempt,
                finished_at=self.clock(),
            )
        else:
            if isinstance(result, Park):
                record = StepRecord(
                    run.id,
                    key,
                    "waiting",
                    attempt=action.attempt,
                    finished_at=self.clock(),
                    until=result.deadline,
                    resume_token=result.resume_token,
                    park={
                        "kind": result.kind,
                        "payload": result.payload,
                        "deadline": result.deadline.isoformat(),
                    },
                )
                log.info("parked until %s, waiting for %s", result.deadline.isoformat(), result.kind)
            else:
                assert isinstance(result, Completed)
                record = StepRecord(
                    run.id,
                    key,
                    "succeeded",
                    output=result.output,
                    attempt=action.attempt,
                    finished_at=self.clock(),
                )
                log.info("succeeded")
        self._write(run, record, log.lines)
        self._tell(
            run,
            f"step {key} ({action.step_type}) {record.status}"
            + (f": {record.error}" if record.error else ""),
        )
        return record

    def _run_node(
        self, node: NodeType, inputs: Any, context: NodeContext, action: RunStep, log: RunLog
    ) -> Any:
        """Run a node; a 429 is waited out (as ``Retry-After`` says) and the node run again, no attempt spent.

        The waits together stay within the step's ``timeout:`` (or :data:`RATE_LIMIT_BUDGET`);
        a 429 whose wait does not fit fails the attempt as before. The wait is shared with every
        thread using the client: its rate limiter holds them all for as long.
        """
        budget_ends = action.deadline or self.clock() + RATE_LIMIT_BUDGET
        while True:
            try:
                with self._api_bound(action.deadline):
                    return node.run(inputs, context)
            except StepError as error:
                if rate_limit_wait(error) is None:
                    raise
                wait = error.retry_after if error.retry_after is not None else RATE_LIMIT_DEFAULT_WAIT
                if self.clock() + timedelta(seconds=wait) >= budget_ends:
                    raise
                log.info("rate limited by the API; waiting %.1f s, as it asked, before trying again", wait)
                limiter = getattr(self.client, "rate_limiter", None)
                if limiter is not None:
                    limiter.hold(wait)
                self.sleep(wait)

    def request_stop(self) -> None:
        """Stop driving runs at the next step boundary: the run in hand is checkpointed and released."""
        self._stopping.set()

    def resume(self) -> None:
        """Drive runs again after :meth:`request_stop` (a worker started again)."""
        self._stopping.clear()

    def close(self) -> None:
        """Stop the lease heartbeat thread, if it was started."""
        self._heartbeat.close()

    def _api_bound(self, deadline: datetime | None) -> AbstractContextManager[None]:
        """The step's ``timeout:`` bounds each incident.io call it makes, like its Slack and HTTP calls."""
        if deadline is None or self.client is None:
            return nullcontext()
        return self.client.timeout_cap(seconds_left(deadline, self.clock))

    def _finish(self, run: Run, finished: RunFinished, records: Mapping[str, StepRecord]) -> None:
        if finished.status == "succeeded":
            update = RunUpdate(RunStatus.SUCCEEDED)
            line = NewLogLine("info", "run succeeded")
        else:
            failed = records.get(finished.failed_step or "")
            exhausted = failed is not None and failed.retryable
            update = RunUpdate(
                RunStatus.DEAD if exhausted else RunStatus.FAILED,
                error=finished.error,
                failed_step=finished.failed_step,
            )
            line = NewLogLine("error", f"run {update.status}: step {finished.failed_step}: {finished.error}")
        self._pending.logs.append(line)
        self._flush(run, update)
        logger.info("Run %s of %s %s", run.id, run.workflow, update.status)
        self._tell(run, f"run {update.status}" + (f": {finished.error}" if finished.error else ""))

    def _write(
        self, run: Run, record: StepRecord, logs: list[NewLogLine], *, expire_approval: str | None = None
    ) -> None:
        """Record a checkpoint; it is written with the next one that must be durable (see ``_flush``)."""
        self._pending.steps.append(record)
        self._pending.logs.extend(logs)
        if expire_approval is not None:
            self._pending.expired.append(expire_approval)

    def _flush(self, run: Run, update: RunUpdate | None = None) -> None:
        """Write the pending checkpoints (and the run's next state) in one transaction.

        Decisions that send nothing (skips, conditions, a step's result) are pure, so they can wait
        for the next write: before a step sends anything, when the run waits, when it finishes.
        """
        pending, self._pending = self._pending, _Pending()
        if update is None and not pending.steps and not pending.logs:
            return
        self.runs.checkpoint(
            run.id,
            self.owner,
            steps=pending.steps,
            logs=pending.logs,
            expire_approvals=pending.expired,
            run=update,
            lease=self.lease,
        )

    def _workflow(self, run: Run) -> Workflow:
        cache_key = (run.workflow, run.version)
        found = self._workflows.get(cache_key)
        if found is None:
            found = self._workflows[cache_key] = workflow_of(run)
        return found

    def _tell(self, run: Run, message: str) -> None:
        if self.on_event is not None:
            self.on_event(run, message)

    # Answers from outside

    def answer_agent(self, token: str, result: Mapping[str, Any]) -> StepRecord:
        """Finish a parked ``agent.dispatch`` step with the agent's answer, and make its run due.

        Raises:
            RunNotFoundError: no step waits for this token.
            AgentAnswerError: the answer is not a JSON object.
            AlreadyDecidedError: the step was answered meanwhile.
        """
        from incidentkit.workflows.nodes import complete_agent_dispatch

        parked = self.runs.parked_step(token)
        park_data = parked.park or {}
        park = Park(
            kind=str(park_data.get("kind")),
            resume_token=parked.resume_token or "",
            payload=dict(park_data.get("payload") or {}),
            deadline=datetime.fromisoformat(str(park_data.get("deadline"))),
        )
        now = self.clock()
        try:
            completed = complete_agent_dispatch(park, token, result)
        except StepError as error:
            record = replace(parked, status="failed", error=error.message, retryable=False, finished_at=now)
        else:
            record = replace(parked, status="succeeded", output=completed.output, error=None, finished_at=now)
        record = replace(record, resume_token=None)
        self.runs.finish_parked(
            record, NewLogLine("info", f"agent answered: {record.status}", record.step_key)
        )
        return record


@dataclass
class _Pending:
    """Checkpoints decided but not yet written."""

    steps: list[StepRecord] = field(default_factory=list)
    logs: list[NewLogLine] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


def _is_approval(workflow: Workflow, step_key: str) -> bool:
    step_id = step_key.split("[", 1)[0]
    try:
        return isinstance(workflow.spec.step(step_id), ApprovalStep)
    except KeyError:
        return False
