"""The pure interpreter: given a workflow, its trigger, the finished steps and the time, what next.

``next_action`` does no I/O and reads no clock: the engine records each action's result as a
``Checkpoint`` and calls again. Replaying the checkpoints always gives the same decisions, so a
run resumed after a crash skips what already finished.

Order: steps run in file order, except steps named by a ``condition``'s branches, which run only
when selected, right after the condition and in the order listed; steps of branches not taken
are recorded as skipped. ``on_error: goto:<step>`` skips forward to that step (the steps in
between are recorded as skipped). A ``foreach`` step has one checkpoint per item, keyed
``id[index]``. Retries are scheduled: a failed, retryable attempt yields ``WaitUntil`` the next
attempt time from the retry policy (or the server's ``Retry-After``, if later).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from incidentkit.store.states import StepStatus
from incidentkit.timeutil import iso, parse_iso
from incidentkit.workflows.errors import ExpressionError, MissingFieldError
from incidentkit.workflows.expressions import compile_condition, compile_template, is_template
from incidentkit.workflows.loader import Workflow
from incidentkit.workflows.schema import (
    ApprovalStep,
    Case,
    ConditionStep,
    LogStep,
    NodeStep,
    Step,
    StepRetry,
    WaitStep,
)

DEFAULT_RETRY = StepRetry()


@dataclass(frozen=True)
class Checkpoint:
    """The recorded result of one step (or one ``foreach`` item), as the engine stored it.

    Attributes:
        step_key: The step id, or ``id[index]`` for a ``foreach`` item.
        status: ``waiting`` is a started ``wait`` or ``approval`` (``until`` says until when).
        output: The step's output; for a decided approval ``{"decision": ..., "decided_by": ...}``.
        error: Why it failed, or why it was skipped.
        retryable: The caller's classification of the failure (network, 408/409/429/5xx).
        attempt: How many attempts were made.
        finished_at: When the last attempt ended.
        retry_after: The earliest next attempt the server asked for (``Retry-After``).
        until: For ``waiting``: when the wait ends or the approval expires.
    """

    step_key: str
    status: StepStatus
    output: Any = None
    error: str | None = None
    retryable: bool = False
    attempt: int = 1
    finished_at: datetime | None = None
    retry_after: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class RunStep:
    """Run a node step with these evaluated inputs, or for a ``log`` step write ``inputs["message"]``.

    A node that parks (waits for an answer from outside) is recorded as a ``waiting`` checkpoint
    with ``until`` = its deadline; the answer, when it comes, replaces it.
    """

    step_id: str
    step_key: str
    step_type: str
    inputs: dict[str, Any]
    attempt: int = 1
    index: int | None = None
    item: Any = None
    deadline: datetime | None = None


@dataclass(frozen=True)
class SkipStep:
    """Record the step as skipped, with the reason."""

    step_key: str
    reason: str


@dataclass(frozen=True)
class CompleteStep:
    """Record a result decided without running anything (a condition, a log line, a finished wait, an expiry).

    ``log`` is the line the step itself writes, as (level, message): a ``log`` step's message.
    """

    step_key: str
    status: StepStatus
    output: Any = None
    error: str | None = None
    log: tuple[str, str] | None = None


@dataclass(frozen=True)
class BeginWait:
    """Record the ``wait`` step as waiting until ``until``; call again then."""

    step_key: str
    until: datetime


@dataclass(frozen=True)
class ParkForApproval:
    """Create an approval request, record the step as waiting until ``expires_at``."""

    step_key: str
    prompt: str
    approvers: dict[str, list[str]]
    channel: str | None
    expires_at: datetime | None
    on_timeout: str


@dataclass(frozen=True)
class WaitUntil:
    """Nothing to do before ``until`` (a retry back-off, a wait, an approval); record nothing."""

    until: datetime | None
    reason: str
    step_key: str | None = None


@dataclass(frozen=True)
class RunFinished:
    """The run is over."""

    status: Literal["succeeded", "failed"]
    error: str | None = None
    failed_step: str | None = None


Action = RunStep | SkipStep | CompleteStep | BeginWait | ParkForApproval | WaitUntil | RunFinished


@dataclass(frozen=True)
class _Outcome:
    """A step's final state, as far as the rest of the run is concerned."""

    status: StepStatus
    output: Any = None
    error: str | None = None


@dataclass
class _PlanItem:
    step_id: str
    skip_reason: str | None = None


@dataclass
class _Run:
    workflow: Workflow
    trigger: Mapping[str, Any]
    checkpoints: Mapping[str, Checkpoint]
    now: datetime
    metadata: Mapping[str, Any]
    steps: dict[str, Any] = field(default_factory=dict)

    def scope(self, item: Any = None, index: int | None = None) -> dict[str, Any]:
        scope: dict[str, Any] = {
            "trigger": self.trigger,
            "steps": self.steps,
            "vars": self.workflow.spec.vars,
            "workflow": {"name": self.workflow.name, "version": self.workflow.version, **self.metadata},
        }
        if index is not None:
            scope["item"], scope["index"] = item, index
        return scope


def next_action(
    workflow: Workflow,
    trigger: Mapping[str, Any],
    checkpoints: Mapping[str, Checkpoint],
    now: datetime,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> Action:
    """The next thing the engine must do for a run.

    Args:
        workflow: The loaded workflow (the version the run started with).
        trigger: What ``$trigger`` holds.
        checkpoints: Finished (or waiting) steps by step key.
        now: The current time, from the engine's clock.
        metadata: Extra ``$workflow`` fields (``agent``, ...).
    """
    run = _Run(workflow, trigger, checkpoints, now, metadata or {})
    spec = workflow.spec
    routed = {
        target for step in spec.steps if isinstance(step, ConditionStep) for target in step.routed_steps()
    }
    plan = deque(_PlanItem(step.id) for step in spec.steps if step.id not in routed)
    while plan:
        entry = plan.popleft()
        step = spec.step(entry.step_id)
        if entry.skip_reason is not None:
            done = checkpoints.get(step.id)
            if done is None:
                return SkipStep(step.id, entry.skip_reason)
            skipped = _Outcome(StepStatus.SKIPPED, error=done.error)
            run.steps[step.id] = _view(skipped)
            if isinstance(step, ConditionStep):
                _route(plan, step, skipped)  # what it would have routed is skipped too, and says so
            continue
        decided = _step(run, step)
        if not isinstance(decided, _Outcome):
            return decided
        run.steps[step.id] = _view(decided)
        if isinstance(step, ConditionStep):
            _route(plan, step, decided)
        if decided.status == "failed" and step.on_error != "continue":
            target = step.goto_target
            if target is None:
                return RunFinished("failed", decided.error, step.id)
            _goto(plan, step.id, target)
    return RunFinished("succeeded")


def _view(outcome: _Outcome) -> Any:
    """What ``$steps.<id>`` shows: the output of a success, else the status and the reason."""
    if outcome.status == "succeeded":
        return outcome.output
    key = "error" if outcome.status == "failed" else "reason"
    return {"status": outcome.status, key: outcome.error}


def _route(plan: deque[_PlanItem], step: ConditionStep, outcome: _Outcome) -> None:
    """Put the selected steps next, then the unselected ones as skips."""
    selected: list[str] = outcome.output.get("selected", []) if outcome.status == "succeeded" else []
    if outcome.status == "succeeded":
        reason = f"not selected by condition '{step.id}'"
    else:
        reason = f"condition '{step.id}' {'failed' if outcome.status == 'failed' else 'was skipped'}"
    others = [target for target in step.routed_steps() if target not in selected]
    items = [_PlanItem(target) for target in selected] + [_PlanItem(target, reason) for target in others]
    plan.extendleft(reversed(items))


def _goto(plan: deque[_PlanItem], source: str, target: str) -> None:
    """Skip planned steps up to ``target`` (recorded as skipped); run ``target`` next."""
    reason = f"skipped: step '{source}' failed and went to '{target}'"
    remaining = list(plan)
    plan.clear()
    found = next((i for i, item in enumerate(remaining) if item.step_id == target), None)
    if found is None:
        plan.extend(_PlanItem(item.step_id, item.skip_reason or reason) for item in remaining)
        plan.append(_PlanItem(target))
        return
    plan.extend(_PlanItem(item.step_id, item.skip_reason or reason) for item in remaining[:found])
    plan.extend(remaining[found:])


def _step(run: _Run, step: Step) -> Action | _Outcome:
    """The action for a step, or its outcome when it is finished."""
    if step.foreach is None:
        return _attempt(run, step, step.id, None, None)
    finished = run.checkpoints.get(step.id)
    if finished is not None:
        status = finished.status if finished.status != StepStatus.WAITING else StepStatus.FAILED
        return _Outcome(status, error=finished.error)
    try:
        items = compile_condition(step.foreach).evaluate(run.scope())
    except ExpressionError as error:
        return CompleteStep(step.id, StepStatus.FAILED, error=f"foreach: {error}")
    if not isinstance(items, list):
        return CompleteStep(
            step.id, StepStatus.FAILED, error=f"foreach gave {type(items).__name__}, expected a list"
        )
    if not items:
        return SkipStep(step.id, "foreach list is empty")
    outputs: list[Any] = []
    for index, item in enumerate(items):
        decided = _attempt(run, step, f"{step.id}[{index}]", item, index)
        if not isinstance(decided, _Outcome):
            return decided
        if decided.status == "failed" and step.on_error != "continue":
            return decided
        outputs.append(decided.output if decided.status == "succeeded" else _view(decided))
    return _Outcome(StepStatus.SUCCEEDED, outputs)


def _attempt(run: _Run, step: Step, key: str, item: Any, index: int | None) -> Action | _Outcome:
    """Decide one step (or one foreach item) from its checkpoint, or start it."""
    done = run.checkpoints.get(key)
    if done is not None:
        return _from_checkpoint(run, step, key, done, item, index)
    scope = run.scope(item, index)
    if step.if_ is not None:
        try:
            wanted = _truth(compile_condition(step.if_).evaluate(scope))
        except MissingFieldError:
            wanted = False
        except ExpressionError as error:
            return CompleteStep(key, StepStatus.FAILED, error=f"if: {error}")
        if not wanted:
            return SkipStep(key, f"if was false: {step.if_}")
    return _start(run, step, key, scope, item, index, attempt=1)


def _from_checkpoint(
    run: _Run, step: Step, key: str, done: Checkpoint, item: Any, index: int | None
) -> Action | _Outcome:
    if done.status in ("succeeded", "skipped"):
        return _Outcome(done.status, done.output, done.error)
    if done.status == "waiting":
        if done.until is None or run.now < done.until:
            return WaitUntil(done.until, f"step '{key}' is waiting", key)
        if isinstance(step, WaitStep):
            return CompleteStep(key, StepStatus.SUCCEEDED, {"waited_until": iso(done.until)})
        if isinstance(step, ApprovalStep):
            if step.on_timeout == "fail":
                return CompleteStep(key, StepStatus.FAILED, error="the approval expired without a decision")
            decision = "approved" if step.on_timeout == "approve" else "rejected"
            return CompleteStep(
                key, StepStatus.SUCCEEDED, {"decision": decision, "decided_by": None, "expired": True}
            )
        # A parked node (an agent's answer): the engine records the answer when it arrives.
        return CompleteStep(key, StepStatus.FAILED, error=f"no answer before {iso(done.until)}")
    policy = step.retry or DEFAULT_RETRY
    if not done.retryable or done.attempt >= policy.maximum_attempts:
        tries = f" after {done.attempt} attempts" if done.attempt > 1 else ""
        return _Outcome(StepStatus.FAILED, error=f"{done.error}{tries}")
    ended = done.finished_at or run.now
    due = ended + policy.delay(done.attempt)
    if done.retry_after is not None:
        due = max(due, done.retry_after)
    if run.now < due:
        return WaitUntil(due, f"retry {done.attempt + 1} of step '{key}'", key)
    return _start(run, step, key, run.scope(item, index), item, index, attempt=done.attempt + 1)


def _start(
    run: _Run, step: Step, key: str, scope: dict[str, Any], item: Any, index: int | None, *, attempt: int
) -> Action:
    """The action that starts (or retries) a step."""
    try:
        if isinstance(step, ConditionStep):
            return _condition(step, key, scope)
        if isinstance(step, WaitStep):
            return BeginWait(key, _wait_until(step, scope, run.now))
        if isinstance(step, ApprovalStep):
            return ParkForApproval(
                key,
                _text(step.prompt, scope),
                {"users": list(step.approvers.users), "roles": list(step.approvers.roles)},
                _text(step.channel, scope) if step.channel else None,
                run.now + step.timeout if step.timeout else None,
                step.on_timeout,
            )
        if isinstance(step, LogStep):
            message = _text(step.message, scope)
            return CompleteStep(key, StepStatus.SUCCEEDED, {"message": message}, log=(step.level, message))
        inputs = render(step.inputs if isinstance(step, NodeStep) else {}, scope)
        return RunStep(
            step.id,
            key,
            step.type,
            inputs,
            attempt,
            index,
            item,
            run.now + step.timeout if step.timeout else None,
        )
    except ExpressionError as error:
        return CompleteStep(key, StepStatus.FAILED, error=str(error))


def _condition(step: ConditionStep, key: str, scope: dict[str, Any]) -> CompleteStep:
    try:
        value = compile_condition(step.condition).evaluate(scope)
    except MissingFieldError:
        value = None if step.cases is not None else False
    if step.cases is None:
        if not isinstance(value, bool):
            raise ExpressionError(f"condition gave {value!r}, expected true or false", source=step.condition)
        selected = step.on_true if value else step.on_false
        return CompleteStep(key, StepStatus.SUCCEEDED, {"value": value, "selected": list(selected or [])})
    for case in step.cases:
        if isinstance(case, Case):
            if case.value == value:
                return CompleteStep(key, StepStatus.SUCCEEDED, {"value": value, "selected": list(case.steps)})
        else:
            return CompleteStep(key, StepStatus.SUCCEEDED, {"value": value, "selected": list(case.default)})
    return CompleteStep(key, StepStatus.SUCCEEDED, {"value": value, "selected": []})


def _wait_until(step: WaitStep, scope: dict[str, Any], now: datetime) -> datetime:
    if step.duration is not None:
        return now + step.duration
    text = _text(step.until or "", scope)
    try:
        return parse_iso(text, assume_utc=True)
    except ValueError:
        raise ExpressionError(
            f"until gave {text!r}, expected an RFC 3339 time", source=step.until or ""
        ) from None


def _truth(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ExpressionError(f"gave {value!r}, expected true or false", source=repr(value))


def _text(text: str, scope: Mapping[str, Any]) -> str:
    if not is_template(text):
        return text
    value = compile_template(text).render(scope)
    return value if isinstance(value, str) else str(value)


def render(value: Any, scope: Mapping[str, Any]) -> Any:
    """Render every template inside a value (dicts and lists are walked); other values are kept.

    Raises:
        ExpressionError: an expression failed.
    """
    if is_template(value):
        return compile_template(value).render(scope)
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def retry_delay(policy: StepRetry | None, failed_attempts: int) -> timedelta:
    """The back-off after ``failed_attempts`` failures under ``policy`` (the default when None)."""
    return (policy or DEFAULT_RETRY).delay(failed_attempts)
