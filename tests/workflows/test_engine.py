"""The engine: scheduled retries, errors that fail at once, approvals, dead runs, manual and cron runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from incidentkit.store.errors import AlreadyDecidedError
from incidentkit.store.states import RunStatus
from incidentkit.webhooks.handling import IncidentEventHandler
from incidentkit.workflows.engine import Engine
from incidentkit.workflows.nodes import HttpSettings
from incidentkit.workflows.run_state import spec_snapshot, workflow_of
from incidentkit.workflows.step_context import idempotency_key
from tests.harness import Harness

POST_UPDATE = """
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: announce
    type: incident_io.update.post
    retry:
      maximum_attempts: 4
      initial_interval: 10s
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      message: "Automation is looking at {{ $trigger.incident_io.reference }}"
  - id: mark
    type: incident_io.timeline.add_event
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      eventType: custom
      title: "Automation started"
"""


def messages(harness: Harness, incident_id: str) -> list[str]:
    return [
        str(u.get("message")) for u in harness.updates(incident_id) if "Automation" in str(u.get("message"))
    ]


def test_a_429_is_waited_out_inside_the_step_without_spending_an_attempt(harness: Harness) -> None:
    harness.add(POST_UPDATE)
    incident = harness.declare()
    harness.emulator.inject_fault(status=429, method="POST", retry_after=30, times=3)
    started = harness.clock()
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    steps = {r.step_key: r for r in harness.runs.steps(run.id)}
    # Three 429s, each waited out as Retry-After said, on the same (first) attempt.
    assert (steps["announce"].status, steps["announce"].attempt) == ("succeeded", 1)
    assert harness.clock() - started == timedelta(seconds=90)
    assert messages(harness, incident["id"]) == [f"Automation is looking at {incident['reference']}"]


def test_a_429_that_outlasts_the_steps_timeout_fails_the_attempt_and_the_run_waits(harness: Harness) -> None:
    harness.add(POST_UPDATE.replace("    retry:\n", "    timeout: 20s\n    retry:\n", 1))
    harness.declare()
    harness.emulator.inject_fault(status=429, method="POST", retry_after=30, times=1)
    harness.engine.run_until_idle()
    run = harness.only_run()
    [announce] = harness.runs.steps(run.id)
    assert (run.status, announce.status, announce.attempt) == (RunStatus.WAITING, "failed", 1)
    # Retry-After (30 s) is later than the back-off (10 s): the run is due in 30 s, not before.
    assert run.next_attempt_at == harness.clock() + timedelta(seconds=30)
    harness.clock.advance(seconds=30)
    harness.engine.run_until_idle()
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED


def test_a_500_is_retried_on_the_backoff_schedule(harness: Harness) -> None:
    harness.add(POST_UPDATE)
    incident = harness.declare()
    harness.emulator.inject_fault(status=500, method="POST", times=2)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.next_attempt_at == harness.clock() + timedelta(seconds=10)
    harness.clock.advance(seconds=10)
    harness.engine.run_until_idle()
    run = harness.runs.get_run(run.id)
    # Second failure: back-off 10 s * 2 = 20 s.
    assert run.next_attempt_at == harness.clock() + timedelta(seconds=20)
    harness.clock.advance(seconds=20)
    harness.engine.run_until_idle()

    run = harness.runs.get_run(run.id)
    assert run.status is RunStatus.SUCCEEDED, run.error
    steps = {r.step_key: r for r in harness.runs.steps(run.id)}
    assert (steps["announce"].attempt, steps["mark"].status) == (3, "succeeded")
    assert messages(harness, incident["id"]) == [f"Automation is looking at {incident['reference']}"]


def test_a_422_fails_the_step_at_once_with_the_apis_message(harness: Harness) -> None:
    harness.add(POST_UPDATE)
    harness.declare()
    harness.emulator.inject_fault(status=422, method="POST", times=1)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.FAILED
    assert run.failed_step == "announce"
    assert "Injected fault: HTTP 422" in (run.error or "")
    assert harness.steps(run) == {"announce": "failed"}


def test_exhausted_retries_make_a_dead_run_that_runs_retry_finishes(harness: Harness) -> None:
    harness.add(POST_UPDATE)
    incident = harness.declare()
    harness.emulator.inject_fault(status=503, method="POST", times=4)
    for _ in range(4):
        harness.engine.run_until_idle()
        harness.clock.advance(seconds=120)
    run = harness.only_run()
    assert run.status is RunStatus.DEAD
    assert run.failed_step == "announce"
    assert "Injected fault: HTTP 503" in (run.error or "") and (run.error or "").endswith("after 4 attempts")

    from incidentkit.workflows.run_retry import retry_run

    retry_run(harness.runs, run.id)
    harness.engine.run_until_idle()
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED
    assert len(messages(harness, incident["id"])) == 1


APPROVAL = """
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: gate
    type: approval
    prompt: "Resolve {{{{ $trigger.incident_io.reference }}}}?"
    approvers: [ana]
    timeout: 30m
    on_timeout: {on_timeout}
  - id: resolve
    type: incident_io.incident.resolve
    if: "{{{{ $steps.gate.decision == 'approved' }}}}"
    inputs:
      incidentId: "{{{{ $trigger.incident_io.incident_id }}}}"
      message: "Resolved after approval"
"""


def test_an_approval_parks_the_run_and_the_first_decision_wins(harness: Harness) -> None:
    harness.add(APPROVAL.format(on_timeout="reject"))
    incident = harness.declare()
    harness.engine.run_until_idle()
    assert harness.only_run().status is RunStatus.WAITING
    [approval] = harness.runs.list_approvals()
    assert approval.prompt == f"Resolve {incident['reference']}?"

    harness.runs.decide(approval.id, "approved", "ana")
    with pytest.raises(AlreadyDecidedError, match="already decided"):
        harness.runs.decide(approval.id, "rejected", "bob")
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert harness.steps(run) == {"gate": "succeeded", "resolve": "succeeded"}
    assert harness.incident(incident["id"])["incident_status"]["category"] == "closed"


@pytest.mark.parametrize(
    ("on_timeout", "resolve_status", "run_status"),
    [
        ("reject", "skipped", RunStatus.SUCCEEDED),
        ("approve", "succeeded", RunStatus.SUCCEEDED),
        ("fail", None, RunStatus.FAILED),
    ],
)
def test_an_expired_approval_applies_on_timeout(
    harness: Harness, on_timeout: str, resolve_status: str | None, run_status: RunStatus
) -> None:
    harness.add(APPROVAL.format(on_timeout=on_timeout))
    harness.declare()
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    harness.clock.advance(minutes=29)
    assert harness.engine.run_until_idle() == 0
    harness.clock.advance(minutes=1)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is run_status
    assert harness.steps(run).get("resolve") == resolve_status
    with pytest.raises(AlreadyDecidedError, match="already decided: expired"):
        harness.runs.decide(approval.id, "approved", "ana")


def test_a_manual_dry_run_sends_nothing(harness: Harness) -> None:
    harness.add(
        """
name: announce-manually
trigger:
  type: manual
  inputs:
    incident: string
steps:
  - id: post
    type: incident_io.update.post
    inputs:
      incidentId: "{{ $trigger.inputs.incident }}"
      message: "hello"
""",
        "announce-manually",
    )
    incident = harness.declare()
    before = len(harness.updates(incident["id"]))
    run = harness.dispatcher.start_manual("announce-manually", {"incident": incident["id"]}, dry_run=True)
    harness.engine.run_until_idle()
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED
    [post] = harness.runs.steps(run.id)
    assert post.output["dry_run"] is True
    assert post.output["would_send"]["path"] == "/v2/incident_updates"
    assert post.output["would_send"]["body"]["incident_id"] == incident["id"]
    assert post.output["would_send"]["body"]["message"] == "hello"
    assert len(harness.updates(incident["id"])) == before


def test_a_schedule_starts_one_run_per_tick(harness: Harness) -> None:
    harness.add(
        "trigger:\n  type: schedule\n  cron: '*/5 * * * *'\nsteps:\n"
        "  - id: tick\n    type: log\n    message: 'tick {{ $trigger.fired_at }}'\n"
    )
    assert harness.dispatcher.tick() == []  # the first call only starts the clock
    harness.clock.advance(minutes=11)
    started = harness.dispatcher.tick()
    assert [r.trigger["fired_at"] for r in started] == ["2026-03-01T12:05:00Z", "2026-03-01T12:10:00Z"]
    assert harness.dispatcher.tick() == []
    harness.engine.run_until_idle()
    assert {r.status for r in harness.runs.list_runs()} == {RunStatus.SUCCEEDED}


def test_a_run_keeps_its_version_and_idempotency_keys_are_stable(harness: Harness) -> None:
    workflow = harness.add(POST_UPDATE)
    harness.declare()
    run = harness.only_run()
    assert workflow_of(run).spec == workflow.spec
    assert spec_snapshot(workflow_of(run)) == run.spec
    assert (
        idempotency_key(run.id, "a[1]") == idempotency_key(run.id, "a[1]") != idempotency_key(run.id, "a[2]")
    )


def test_a_private_incident_is_fetched_once_for_the_handler_and_the_dispatcher(harness: Harness) -> None:
    """The handler fetches it through the typed client and hands it on; the dispatcher fetches nothing."""
    harness.add(POST_UPDATE)
    incident = harness.api.incidents.create(name="Private trouble", severity="Minor", visibility="private")
    harness.seen.clear()
    [run] = harness.pump()
    assert run.trigger["incident_io"]["title"] == "Private trouble"
    assert harness.seen.count(("GET", f"/v2/incidents/{incident.id}")) == 1


def test_a_replayed_dead_event_dispatches_its_runs(harness: Harness) -> None:
    harness.add(POST_UPDATE)
    handler = harness.processor.handler
    assert isinstance(handler, IncidentEventHandler)
    handler.client = None  # private incidents cannot be fetched: their events die
    incident = harness.api.incidents.create(name="Private trouble", severity="Minor", visibility="private")
    harness.pump()
    [dead] = harness.store.list_events(status="dead")
    assert dead.event_type == "private_incident.incident_created_v2"
    assert harness.runs.count_runs() == 0

    handler.client = harness.dispatcher.client  # a key is configured now; `events replay` the event
    harness.store.replay(dead.webhook_id)
    [run] = harness.pump()
    assert run.trigger["incident_io"]["title"] == "Private trouble"  # fetched, not in the event
    harness.engine.run_until_idle()
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED
    assert len(messages(harness, incident.id)) == 1
    harness.store.replay(dead.webhook_id)  # replayed again: the same event starts nothing new
    assert harness.pump() == []


def test_two_workers_on_one_store_run_each_run_once(
    harness_factory: Callable[..., Harness], store_url: str
) -> None:
    harness = harness_factory(store_url)
    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\nsteps:\n"
        "  - id: say\n    type: slack.post\n    inputs:\n      channel: '#x'\n"
        "      message: '{{ $trigger.incident_io.reference }}'\n"
    )
    for index in range(8):
        harness.api.incidents.create(name=f"Incident {index}", severity="Minor")
    assert len(harness.pump()) == 8
    other = Engine(harness.runs, harness.engine.client, settings=harness.engine.settings, owner="worker-b")
    threads = [threading.Thread(target=engine.run_until_idle) for engine in (harness.engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {run.status for run in harness.runs.list_runs()} == {RunStatus.SUCCEEDED}
    texts = sorted(m.text or "" for m in harness.slack.messages)
    assert len(texts) == 8 and len(set(texts)) == 8


def test_a_slow_step_keeps_its_lease_by_heartbeat(harness_factory: Callable[..., Harness]) -> None:
    from tests.harness import SlowHook, wait_for

    harness = harness_factory(http=HttpSettings(allowed_hosts=frozenset({"127.0.0.1"})))
    harness.add(
        "name: slow\ntrigger:\n  type: manual\n  inputs:\n    hook: string\nsteps:\n"
        "  - id: call\n    type: http.request\n    inputs:\n      method: POST\n"
        "      url: '{{ $trigger.inputs.hook }}'\n",
        "slow",
    )
    hook = SlowHook()
    try:
        run = harness.dispatcher.start_manual("slow", {"hook": hook.url})
        engine = Engine(harness.runs, None, settings=harness.engine.settings, owner="slow", heartbeat=0.01)
        worker = threading.Thread(target=engine.run_until_idle)
        worker.start()
        assert hook.arrived.wait(30)
        claimed_until = harness.runs.get_run(run.id).lease_expires_at
        harness.clock.advance(seconds=45)  # most of the 60 s lease has gone by
        renewed_until = harness.clock() + timedelta(seconds=60)
        wait_for(lambda: harness.runs.get_run(run.id).lease_expires_at == renewed_until, "a lease renewal")
        assert claimed_until is not None and claimed_until < renewed_until
        assert harness.runs.claim_runs("thief") == []  # still held
        hook.release.set()
        worker.join(30)
    finally:
        hook.close()
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED


def test_foreach_items_and_a_durable_wait(harness: Harness) -> None:
    harness.add(
        """
trigger:
  type: trigger.incident_io.incident.created
vars:
  notes: ["first look", "second look"]
steps:
  - id: pause
    type: wait
    duration: 10m
  - id: note
    type: incident_io.update.post
    foreach: "{{ $vars.notes }}"
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      message: "Automation {{ $index }}: {{ $item }}"
"""
    )
    incident = harness.declare()
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert (run.status, run.next_attempt_at) == (RunStatus.WAITING, harness.clock() + timedelta(minutes=10))
    harness.clock.advance(minutes=9)
    assert harness.engine.run_until_idle() == 0  # nothing is due; no worker is held meanwhile
    harness.clock.advance(minutes=1)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert harness.steps(run) == {"pause": "succeeded", "note[0]": "succeeded", "note[1]": "succeeded"}
    assert sorted(messages(harness, incident["id"])) == [
        "Automation 0: first look",
        "Automation 1: second look",
    ]


def test_a_step_timeout_bounds_an_outside_call(harness_factory: Callable[..., Harness]) -> None:
    from tests.harness import SlowHook

    harness = harness_factory(http=HttpSettings(allowed_hosts=frozenset({"127.0.0.1"})))
    harness.add(
        "name: bounded\ntrigger:\n  type: manual\n  inputs:\n    hook: string\nsteps:\n"
        "  - id: call\n    type: http.request\n    timeout: 0.1s\n    retry:\n      maximum_attempts: 1\n"
        "    inputs:\n      method: POST\n      url: '{{ $trigger.inputs.hook }}'\n",
        "bounded",
    )
    hook = SlowHook()  # never answers until closed
    try:
        run = harness.dispatcher.start_manual("bounded", {"hook": hook.url})
        harness.engine.run_until_idle()
    finally:
        hook.close()
    finished = harness.runs.get_run(run.id)
    assert finished.status is RunStatus.DEAD and finished.failed_step == "call"
    assert (finished.error or "").endswith("failed: ReadTimeout: timed out")


BOUNDED_API_CALLS = """
name: bounded-api
trigger:
  type: manual
  inputs:
    incident: string
steps:
  - id: note
    type: incident_io.update.post
    timeout: 2s
    retry:
      maximum_attempts: 1
    inputs:
      incidentId: "{{ $trigger.inputs.incident }}"
      message: "Automation bounded"
  - id: unbounded
    type: incident_io.timeline.add_event
    inputs:
      incidentId: "{{ $trigger.inputs.incident }}"
      eventType: custom
      title: "Automation unbounded"
"""


def test_a_step_timeout_bounds_its_incident_io_calls(harness: Harness) -> None:
    harness.add(BOUNDED_API_CALLS, "bounded-api")
    incident = harness.declare()
    harness.seen.clear()
    harness.read_timeouts.clear()
    run = harness.dispatcher.start_manual("bounded-api", {"incident": incident["id"]})
    harness.engine.run_until_idle()
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED
    calls = list(zip(harness.seen, harness.read_timeouts, strict=True))
    # The clock stands still, so the bounded step's calls carry exactly its 2 s; the step
    # without a timeout keeps the client's default.
    note = [timeout for (_, path), timeout in calls if "incident_updates" in path]
    timeline = [timeout for (_, path), timeout in calls if "timeline" in path]
    assert note and set(note) == {2.0}
    assert timeline and set(timeline) == {30.0}


def test_an_incident_io_call_that_outlives_the_step_timeout_fails_the_step(
    harness: Harness,
) -> None:
    from incidentkit.api import Client, RetryPolicy
    from tests.harness import SlowHook

    harness.add(BOUNDED_API_CALLS.replace("timeout: 2s", "timeout: 0.1s"), "bounded-api")
    hook = SlowHook()  # an "API" that holds every POST until closed
    base_url = hook.url.removesuffix("/hook")
    silent = Client("key", base_url=base_url, rate_limit=None, retry=RetryPolicy(max_retries=0))
    engine = Engine(harness.runs, silent, clock=harness.clock, owner="worker-b")
    try:
        run = harness.dispatcher.start_manual("bounded-api", {"incident": "01HQ0000000000000000000000"})
        engine.run_until_idle()
    finally:
        hook.close()
        engine.close()
        silent.close()
    finished = harness.runs.get_run(run.id)
    assert finished.status is RunStatus.DEAD and finished.failed_step == "note"
    assert "could not reach the API" in (finished.error or "") and "timed out" in (finished.error or "")
    assert hook.count == 1


def test_a_replay_starts_runs_only_for_workflows_without_one_for_that_event(harness: Harness) -> None:
    harness.add(POST_UPDATE, "announce")
    incident = harness.declare()  # delivers and dispatches
    [first] = harness.runs.list_runs(limit=None)
    harness.engine.run_until_idle()
    [created] = [e for e in harness.store.list_events() if e.event_type.endswith("incident_created_v2")]

    # Workflows added later. A raw event-type trigger starts on the replayed event; a normalised
    # one does not: the change the event carried was already seen (lifecycle events come from
    # comparing with the stored snapshot of the incident).
    log_step = "steps:\n  - {id: a, type: log, message: hi}\n"
    harness.add(f"trigger:\n  type: public_incident.incident_created_v2\n{log_step}", "late-raw")
    harness.add(f"trigger:\n  type: trigger.incident_io.incident.created\n{log_step}", "late-normalised")
    harness.store.replay(created.webhook_id)
    [late] = harness.pump()
    assert late.workflow == "late-raw"
    harness.engine.run_until_idle()
    assert harness.runs.get_run(first.id).status is RunStatus.SUCCEEDED
    assert len(messages(harness, incident["id"])) == 1  # the first workflow's run was not repeated
    assert sorted(r.workflow for r in harness.runs.list_runs(limit=None)) == ["announce", "late-raw"]

    harness.store.replay(created.webhook_id)  # and again: every workflow has its run for this event
    assert harness.pump() == []


def test_runs_retry_from_a_step_runs_it_and_the_later_ones_again_and_keeps_the_earlier(
    harness: Harness,
) -> None:
    from incidentkit.workflows.run_retry import retry_run

    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\nsteps:\n"
        "  - {id: first_step, type: log, message: one}\n"
        "  - {id: second, type: log, message: two}\n"
        "  - id: third\n    type: incident_io.timeline.add_event\n    retry: {maximum_attempts: 1}\n"
        "    inputs: {incidentId: '{{ $trigger.incident_io.incident_id }}', eventType: custom, title: T}\n"
    )
    harness.declare()
    harness.emulator.inject_fault(status=503, method="POST", times=1)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert (run.status, run.failed_step) == (RunStatus.DEAD, "third")
    before = {r.step_key: r.finished_at for r in harness.runs.steps(run.id)}

    harness.clock.advance(seconds=5)
    retry_run(harness.runs, run.id, from_step="second")
    harness.engine.run_until_idle()
    after = {r.step_key: r for r in harness.runs.steps(run.id)}
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED
    assert after["first_step"].finished_at == before["first_step"]  # kept, not re-run
    assert after["second"].finished_at == harness.clock()  # ran again, at the new time
    assert after["third"].status == "succeeded"
    assert "retried from step second" in [line.message for line in harness.runs.logs(run.id)]


def test_a_retry_forgets_only_the_named_step_even_when_its_id_holds_a_like_wildcard(
    harness: Harness,
) -> None:
    from incidentkit.workflows.run_retry import retry_run

    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\nsteps:\n"
        "  - {id: axb, type: log, foreach: '{{ [1, 2] }}', message: 'item {{ $item }}'}\n"
        "  - id: a_b\n    type: incident_io.timeline.add_event\n    retry: {maximum_attempts: 1}\n"
        "    inputs: {incidentId: '{{ $trigger.incident_io.incident_id }}', eventType: custom, title: T}\n"
    )
    harness.declare()
    harness.emulator.inject_fault(status=503, method="POST", times=1)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert (run.status, run.failed_step) == (RunStatus.DEAD, "a_b")
    before = {r.step_key: r.finished_at for r in harness.runs.steps(run.id)}
    assert {"axb[0]", "axb[1]"} <= set(before)

    harness.clock.advance(seconds=5)
    retry_run(harness.runs, run.id)  # `_` in "a_b" must not match the "x" of "axb[0]"
    harness.engine.run_until_idle()
    after = {r.step_key: r.finished_at for r in harness.runs.steps(run.id)}
    assert harness.runs.get_run(run.id).status is RunStatus.SUCCEEDED
    assert (after["axb[0]"], after["axb[1]"]) == (before["axb[0]"], before["axb[1]"])
