"""The pure interpreter: every decision comes from the workflow, the trigger, the checkpoints and ``now``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidentkit.workflows.interpreter import (
    Action,
    BeginWait,
    Checkpoint,
    CompleteStep,
    ParkForApproval,
    RunFinished,
    RunStep,
    SkipStep,
    WaitUntil,
    next_action,
)
from incidentkit.workflows.loader import Workflow, load_file, load_text

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

Handler = Callable[[RunStep], Checkpoint]


def incident(severity: str = "SEV-1", title: str = "Checkout is down") -> dict[str, Any]:
    return {
        "incident_io": {
            "incident_id": "01INC",
            "reference": "INC-7",
            "title": title,
            "severity": severity,
            "status_category": "triage",
        }
    }


def succeed(output: Any = None) -> Handler:
    return lambda action: Checkpoint(
        action.step_key, "succeeded", output if output is not None else {"ok": True}
    )


@dataclass
class Run:
    """A test engine: records what the interpreter asks for, as the real engine will."""

    workflow: Workflow
    trigger: dict[str, Any]
    handlers: dict[str, Handler] = field(default_factory=dict)
    now: datetime = T0
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    ran: list[RunStep | Logged] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def step(self) -> Action:
        action = next_action(self.workflow, self.trigger, self.checkpoints, self.now, metadata=self.metadata)
        if isinstance(action, RunStep):
            self.ran.append(action)
            handler = self.handlers.get(action.step_id, succeed())
            self.record(handler(action), at=self.now)
        elif isinstance(action, SkipStep):
            self.skipped[action.step_key] = action.reason
            self.record(Checkpoint(action.step_key, "skipped", error=action.reason))
        elif isinstance(action, CompleteStep):
            if action.log is not None:
                self.ran.append(Logged.of(action))
            self.record(Checkpoint(action.step_key, action.status, action.output, action.error))
        elif isinstance(action, BeginWait):
            self.record(Checkpoint(action.step_key, "waiting", until=action.until))
        elif isinstance(action, ParkForApproval):
            self.record(Checkpoint(action.step_key, "waiting", until=action.expires_at))
        return action

    def record(self, checkpoint: Checkpoint, at: datetime | None = None) -> None:
        if at is not None and checkpoint.finished_at is None:
            checkpoint = Checkpoint(**{**checkpoint.__dict__, "finished_at": at})
        self.checkpoints[checkpoint.step_key] = checkpoint

    def until_done(self, *, follow_waits: bool = True, limit: int = 200) -> RunFinished:
        for _ in range(limit):
            action = self.step()
            if isinstance(action, RunFinished):
                return action
            if isinstance(action, WaitUntil):
                assert follow_waits and action.until is not None, action
                self.now = action.until
        raise AssertionError("the run did not finish")

    def until_blocked(self) -> Action:
        for _ in range(200):
            action = self.step()
            if isinstance(action, WaitUntil | RunFinished):
                return action
        raise AssertionError("the run never blocked")

    @property
    def order(self) -> list[str]:
        return [action.step_key for action in self.ran]


@dataclass(frozen=True)
class Logged:
    """A ``log`` step, which the interpreter completes itself (it runs no node), as the tests read steps."""

    step_key: str
    inputs: dict[str, Any]
    index: int | None
    attempt: int = 1

    @classmethod
    def of(cls, action: CompleteStep) -> Logged:
        assert action.log is not None
        level, message = action.log
        item = re.search(r"\[(\d+)\]$", action.step_key)
        return cls(
            action.step_key, {"message": message, "level": level}, int(item.group(1)) if item else None
        )


# --- the documented examples -----------------------------------------------------------------------

ROUTING = load_file(EXAMPLES / "severity-routing.yaml")


def test_sev1_runs_its_branch_in_the_listed_order_and_skips_the_rest() -> None:
    run = Run(ROUTING, incident("SEV-1"))
    assert run.until_done() == RunFinished("succeeded")
    assert run.order == ["escalate_to_exec", "page_oncall", "dispatch_agent"]
    assert run.skipped == {
        "notify_team": "not selected by condition 'route_by_severity'",
        "create_linear_issue": "not selected by condition 'route_by_severity'",
        "notify_slack": "not selected by condition 'route_by_severity'",
    }
    assert run.checkpoints["route_by_severity"].output == {
        "value": "SEV-1",
        "selected": ["escalate_to_exec", "page_oncall", "dispatch_agent"],
    }
    escalate, page, dispatch = run.ran
    assert escalate.inputs == {"incidentId": "01INC", "severity": "SEV-1"}
    assert page.inputs == {"channel": "#oncall", "message": "🚨 SEV-1 Incident: Checkout is down"}
    assert dispatch.inputs == {
        "agentCard": "incident-responder",
        "payload": {"incidentId": "01INC", "severity": "SEV-1"},
    }


def test_sev2_and_default_branches() -> None:
    run = Run(ROUTING, incident("SEV-2"))
    run.until_done()
    assert run.order == ["notify_team", "dispatch_agent"]
    assert set(run.skipped) == {"escalate_to_exec", "page_oncall", "create_linear_issue", "notify_slack"}
    run = Run(ROUTING, incident("SEV-4"))
    run.until_done()
    assert run.order == ["create_linear_issue", "notify_slack"]
    assert run.ran[0].inputs["body"]["variables"] == {"title": "INC-7: Checkout is down"}


@pytest.mark.parametrize(
    "title",
    ["{{ 7*7 }}", "{{ $trigger.incident_io.incident_id }}", "🚨 ünïcödé ‮ rtl", "x" * 50_000, "}} {{"],
)
def test_a_hostile_title_flows_through_templates_untouched(title: str) -> None:
    run = Run(ROUTING, incident("SEV-1", title=title))
    run.until_done()
    assert run.ran[1].inputs["message"] == f"🚨 SEV-1 Incident: {title}"
    run = Run(ROUTING, incident("SEV-3", title=title))
    run.until_done()
    assert run.ran[1].inputs["message"] == f"INC-7 (SEV-3): {title}"


def test_the_first_example_pages_only_for_sev1() -> None:
    text = (FIXTURES / "example1_check_severity.yaml").read_text() + (
        "  - id: page_oncall\n    type: slack.post\n"
        "    inputs: {channel: '#oncall', message: '{{ $trigger.incident_io.title }}'}\n"
    )
    workflow = load_text(text)
    run = Run(workflow, incident("SEV-1"))
    run.until_done()
    assert run.order == ["page_oncall"]
    run = Run(workflow, incident("SEV-2"))
    run.until_done()
    assert run.order == [] and run.skipped == {"page_oncall": "not selected by condition 'check_severity'"}


def test_the_acknowledge_fragment_runs_with_its_inputs() -> None:
    run = Run(load_file(FIXTURES / "example2_acknowledge.yaml"), incident())
    assert run.until_done().status == "succeeded"
    assert run.ran[0].inputs == {"incidentId": "01INC", "message": "Acknowledged by automated workflow"}
    assert run.ran[0].step_type == "incident_io.incident.acknowledge"


def test_the_list_fragment_keeps_its_typed_inputs() -> None:
    run = Run(load_file(FIXTURES / "example3_list_open.yaml"), {})
    run.until_done()
    assert run.ran[0].inputs == {"status": "open", "team": "eng-on-call", "limit": 10}


def test_the_timeline_fragment_renders_workflow_metadata_and_step_outputs() -> None:
    fragment = (FIXTURES / "example4_log_action.yaml").read_text()
    alone = Run(
        load_file(FIXTURES / "example4_log_action.yaml"), incident(), metadata={"agent": {"name": "a1"}}
    )
    finished = alone.until_done()
    assert finished.status == "failed" and "no field 'agent'" in (finished.error or "")
    text = (
        "trigger: {type: trigger.incident_io.incident.created}\nsteps:\n"
        "- {id: agent, type: agent.dispatch, inputs: {agentCard: responder}}\n" + fragment
    )
    run = Run(
        load_text(text),
        incident(),
        handlers={"agent": succeed({"summary": "rolled back {{ 1+1 }}"})},
        metadata={"agent": {"name": "responder"}},
    )
    assert run.until_done().status == "succeeded"
    assert run.ran[1].inputs["description"] == ("Agent responder began mitigation:\nrolled back {{ 1+1 }}\n")


# --- step fields ------------------------------------------------------------------------------------


def workflow(steps: str, trigger: str = "{type: manual}") -> Workflow:
    return load_text(f"trigger: {trigger}\nsteps:\n{steps}")


def fail(message: str, *, retryable: bool = False, retry_after: datetime | None = None) -> Handler:
    def handler(action: RunStep) -> Checkpoint:
        return Checkpoint(
            action.step_key,
            "failed",
            error=message,
            retryable=retryable,
            attempt=action.attempt,
            retry_after=retry_after,
        )

    return handler


def test_if_false_or_missing_skips_with_the_reason() -> None:
    flow = workflow(
        "  - {id: a, type: log, message: a, if: \"{{ $trigger.sev == 'SEV-1' }}\"}\n"
        "  - {id: b, type: log, message: b, if: '$trigger.nope.deeper'}\n"
        "  - {id: c, type: log, message: c, if: '$trigger.sev != \"SEV-1\"'}\n"
    )
    run = Run(flow, {"sev": "SEV-2"})
    run.until_done()
    assert run.order == ["c"]
    assert run.skipped["a"] == "if was false: {{ $trigger.sev == 'SEV-1' }}"
    assert set(run.skipped) == {"a", "b"}


def test_foreach_has_one_checkpoint_per_item() -> None:
    flow = workflow(
        "  - id: each\n    type: slack.post\n    foreach: '{{ $trigger.channels }}'\n"
        "    inputs: {channel: '{{ $item }}', message: 'n{{ $index }}'}\n"
        "  - {id: after, type: log, message: '{{ size($steps.each) }} posted'}\n"
    )
    run = Run(
        flow,
        {"channels": ["#a", "#b", "#c"]},
        handlers={"each": lambda a: Checkpoint(a.step_key, "succeeded", {"ch": a.item})},
    )
    run.until_done()
    assert run.order == ["each[0]", "each[1]", "each[2]", "after"]
    assert [(a.index, a.inputs) for a in run.ran[:3]] == [
        (0, {"channel": "#a", "message": "n0"}),
        (1, {"channel": "#b", "message": "n1"}),
        (2, {"channel": "#c", "message": "n2"}),
    ]
    assert run.ran[3].inputs["message"] == "3 posted"
    empty = Run(flow, {"channels": []})
    empty.until_done()
    assert empty.skipped == {"each": "foreach list is empty"} and empty.order == ["after"]


def test_foreach_of_something_else_fails_the_step() -> None:
    flow = workflow("  - {id: each, type: log, foreach: '$trigger.x', message: '{{ $item }}'}\n")
    finished = Run(flow, {"x": "text"}).until_done()
    assert finished == RunFinished("failed", "foreach gave str, expected a list", "each")


def test_on_error_continue_goes_on_and_shows_the_failure() -> None:
    flow = workflow(
        "  - {id: a, type: slack.post, on_error: continue, inputs: {channel: x, message: y}}\n"
        '  - {id: b, type: log, message: "{{ $steps.a.status }}: {{ $steps.a.error }}"}\n'
    )
    run = Run(flow, {}, handlers={"a": fail("channel_not_found")})
    assert run.until_done().status == "succeeded"
    assert run.ran[1].inputs["message"] == "failed: channel_not_found"


def test_on_error_fail_ends_the_run() -> None:
    flow = workflow(
        "  - {id: a, type: slack.post, inputs: {channel: x, message: y}}\n"
        "  - {id: b, type: log, message: b}\n"
    )
    run = Run(flow, {}, handlers={"a": fail("403 forbidden")})
    assert run.until_done() == RunFinished("failed", "403 forbidden", "a")
    assert run.order == ["a"]


def test_on_error_goto_skips_forward() -> None:
    flow = workflow(
        "  - {id: a, type: slack.post, on_error: 'goto:recover', inputs: {channel: x, message: y}}\n"
        "  - {id: b, type: log, message: b}\n"
        "  - {id: c, type: log, message: c}\n"
        "  - {id: recover, type: log, message: 'recovering from {{ $steps.a.error }}'}\n"
    )
    run = Run(flow, {}, handlers={"a": fail("boom")})
    assert run.until_done().status == "succeeded"
    assert run.order == ["a", "recover"]
    assert run.skipped == {
        "b": "skipped: step 'a' failed and went to 'recover'",
        "c": "skipped: step 'a' failed and went to 'recover'",
    }
    assert run.ran[1].inputs["message"] == "recovering from boom"


def test_retries_are_scheduled_from_the_policy() -> None:
    flow = workflow(
        "  - id: a\n    type: slack.post\n    inputs: {channel: x, message: y}\n"
        "    retry: {maximum_attempts: 4, initial_interval: 2s, backoff_coefficient: 3,"
        " maximum_interval: 10s}\n"
    )
    run = Run(flow, {}, handlers={"a": fail("503", retryable=True)})
    waits = []
    for _ in range(3):
        blocked = run.until_blocked()
        assert isinstance(blocked, WaitUntil)
        waits.append(blocked.until - run.now)
        assert run.step() == blocked  # nothing to do before the time: same answer
        run.now = blocked.until
    assert waits == [timedelta(seconds=2), timedelta(seconds=6), timedelta(seconds=10)]
    assert run.until_done() == RunFinished("failed", "503 after 4 attempts", "a")
    assert [a.attempt for a in run.ran] == [1, 2, 3, 4]


def test_retry_after_from_the_server_wins_when_later() -> None:
    flow = workflow("  - {id: a, type: slack.post, inputs: {channel: x, message: y}}\n")
    later = T0 + timedelta(seconds=42)
    run = Run(flow, {}, handlers={"a": fail("429", retryable=True, retry_after=later)})
    assert run.until_blocked() == WaitUntil(later, "retry 2 of step 'a'", "a")


def test_a_non_retryable_failure_is_not_retried() -> None:
    flow = workflow("  - {id: a, type: slack.post, inputs: {channel: x, message: y}}\n")
    run = Run(flow, {}, handlers={"a": fail("400 bad request", retryable=False)})
    assert run.until_done() == RunFinished("failed", "400 bad request", "a")
    assert len(run.ran) == 1


def test_a_retry_that_then_succeeds_moves_on() -> None:
    flow = workflow(
        "  - {id: a, type: slack.post, inputs: {channel: x, message: y}}\n"
        "  - {id: b, type: log, message: b}\n"
    )
    outcomes = iter([fail("timeout", retryable=True), succeed({"ts": "1.2"})])
    run = Run(flow, {}, handlers={"a": lambda action: next(outcomes)(action)})
    assert run.until_done().status == "succeeded"
    assert run.order == ["a", "a", "b"]


def test_the_timeout_reaches_the_action_as_a_deadline() -> None:
    flow = workflow(
        "  - id: a\n    type: slack.post\n    timeout: 30s\n    inputs: {channel: x, message: y}\n"
    )
    action = Run(flow, incident()).step()
    assert isinstance(action, RunStep)
    assert action.deadline == T0 + timedelta(seconds=30)


def test_wait_is_durable() -> None:
    flow = workflow("  - {id: pause, type: wait, duration: 5m}\n  - {id: b, type: log, message: b}\n")
    run = Run(flow, {})
    assert run.step() == BeginWait("pause", T0 + timedelta(minutes=5))
    assert run.step() == WaitUntil(T0 + timedelta(minutes=5), "step 'pause' is waiting", "pause")
    run.now = T0 + timedelta(minutes=5)
    assert run.until_done().status == "succeeded"
    assert run.order == ["b"] and run.checkpoints["pause"].status == "succeeded"


def test_wait_until_a_rendered_time() -> None:
    flow = workflow("  - {id: pause, type: wait, until: '{{ $trigger.at }}'}\n")
    assert Run(flow, {"at": "2026-11-24T10:00:00Z"}).step() == BeginWait(
        "pause", datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    finished = Run(flow, {"at": "soon"}).until_done()
    assert finished.status == "failed" and "expected an RFC 3339 time" in (finished.error or "")


APPROVAL = EXAMPLES / "resolve-with-approval.yaml"


def test_approval_parks_then_the_decision_routes_the_next_step() -> None:
    run = Run(load_file(APPROVAL), incident())
    parked = run.step()
    assert parked == ParkForApproval(
        "approve_resolve",
        "Resolve INC-7 (Checkout is down)?",
        {"users": [], "roles": ["incident-lead"]},
        None,
        T0 + timedelta(minutes=30),
        "reject",
    )
    assert isinstance(run.step(), WaitUntil)
    run.record(Checkpoint("approve_resolve", "succeeded", {"decision": "approved", "decided_by": "ana"}))
    assert run.until_done().status == "succeeded"
    assert run.order == ["resolve", "record"]
    assert run.ran[1].inputs == {"message": "approval for INC-7: approved", "level": "info"}


def test_an_expired_approval_applies_on_timeout() -> None:
    run = Run(load_file(APPROVAL), incident())
    run.until_blocked()
    run.now = T0 + timedelta(minutes=30)
    assert run.until_done().status == "succeeded"
    assert run.checkpoints["approve_resolve"].output == {
        "decision": "rejected",
        "decided_by": None,
        "expired": True,
    }
    assert run.order == ["record"] and "resolve" in run.skipped
    strict = workflow("  - {id: ok, type: approval, timeout: 1h, on_timeout: fail}\n")
    run = Run(strict, {})
    run.until_blocked()
    run.now = T0 + timedelta(hours=1)
    assert run.until_done() == RunFinished("failed", "the approval expired without a decision", "ok")


def test_a_boolean_route_needs_a_boolean() -> None:
    flow = workflow(
        "  - {id: c, type: condition, condition: '{{ $trigger.x }}', onTrue: [a]}\n"
        "  - {id: a, type: log, message: a}\n"
    )
    finished = Run(flow, {"x": "yes"}).until_done()
    assert finished.status == "failed" and "expected true or false" in (finished.error or "")
    tolerant = workflow(
        "  - {id: c, type: condition, condition: '{{ $trigger.x }}', onTrue: [a], on_error: continue}\n"
        "  - {id: a, type: log, message: a}\n  - {id: b, type: log, message: b}\n"
    )
    run = Run(tolerant, {"x": "yes"})
    assert run.until_done().status == "succeeded"
    assert run.skipped == {"a": "condition 'c' failed"} and run.order == ["b"]
    skipped = Run(tolerant, {"x": True})
    skipped.until_done()
    assert skipped.order == ["a", "b"]


def test_a_rendering_error_fails_the_step_not_the_engine() -> None:
    flow = workflow("  - {id: a, type: log, message: '{{ $trigger.count + 1 }}'}\n")
    finished = Run(flow, {"count": "three"}).until_done()
    assert finished.status == "failed" and finished.failed_step == "a"


def test_replaying_the_same_checkpoints_gives_the_same_decision_and_skips_finished_steps() -> None:
    run = Run(ROUTING, incident("SEV-1"))
    for _ in range(3):
        run.step()
    snapshot = dict(run.checkpoints)
    first = next_action(ROUTING, incident("SEV-1"), snapshot, T0)
    again = next_action(ROUTING, incident("SEV-1"), snapshot, T0 + timedelta(hours=1))
    assert first == again
    assert isinstance(first, RunStep) and first.step_id == "dispatch_agent"


def test_vars_and_workflow_name_are_in_scope() -> None:
    flow = load_text(
        "name: wf\nvars: {channel: '#ops'}\ntrigger: {type: manual}\n"
        "steps:\n  - {id: a, type: log, message: '{{ $workflow.name }} -> {{ $vars.channel }}'}\n"
    )
    action = Run(flow, {}).step()
    assert action == CompleteStep("a", "succeeded", {"message": "wf -> #ops"}, log=("info", "wf -> #ops"))


NESTED = """
  - {id: outer, type: condition, condition: '$trigger.big', onTrue: [inner], onFalse: [small]}
  - {id: inner, type: condition, condition: '$trigger.urgent', onTrue: [page], onFalse: [email]}
  - {id: page, type: log, message: page}
  - {id: email, type: log, message: email}
  - {id: small, type: log, message: small}
  - {id: always, type: log, message: always}
"""


@pytest.mark.parametrize(
    ("trigger", "ran", "skipped"),
    [
        ({"big": True, "urgent": True}, ["page", "always"], ["email", "small"]),
        ({"big": True, "urgent": False}, ["email", "always"], ["page", "small"]),
        ({"big": False, "urgent": True}, ["small", "always"], ["inner", "page", "email"]),
    ],
)
def test_nested_conditions_skip_everything_below_an_unselected_branch(
    trigger: dict[str, bool], ran: list[str], skipped: list[str]
) -> None:
    run = Run(workflow(NESTED), trigger)
    assert run.until_done().status == "succeeded"
    assert run.order == ran
    assert sorted(run.skipped) == sorted(skipped)
    every = {"outer", "inner", "page", "email", "small", "always"}
    assert set(run.checkpoints) == every  # nothing silently dropped


def test_goto_over_a_condition_skips_its_branches_too() -> None:
    flow = workflow(
        "  - {id: a, type: slack.post, on_error: 'goto:end', inputs: {channel: x, message: y}}\n"
        "  - {id: c, type: condition, condition: 'true', onTrue: [t]}\n"
        "  - {id: t, type: log, message: t}\n"
        "  - {id: end, type: log, message: end}\n"
    )
    run = Run(flow, {}, handlers={"a": fail("boom")})
    assert run.until_done().status == "succeeded"
    assert run.order == ["a", "end"]
    assert run.skipped == {
        "c": "skipped: step 'a' failed and went to 'end'",
        "t": "condition 'c' was skipped",
    }


def test_a_parked_node_waits_for_its_answer_until_the_deadline() -> None:
    flow = workflow("  - {id: agent, type: agent.dispatch, inputs: {agentCard: responder}}\n")
    deadline = T0 + timedelta(minutes=10)
    run = Run(flow, {}, handlers={"agent": lambda a: Checkpoint(a.step_key, "waiting", until=deadline)})
    assert run.until_blocked() == WaitUntil(deadline, "step 'agent' is waiting", "agent")
    answered = dict(run.checkpoints, agent=Checkpoint("agent", "succeeded", {"summary": "done"}))
    assert next_action(flow, {}, answered, T0 + timedelta(minutes=1)) == RunFinished("succeeded")
    run.now = deadline
    assert run.until_done() == RunFinished("failed", "no answer before 2026-11-24T09:10:00Z", "agent")
