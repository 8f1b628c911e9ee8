"""The documented examples, end to end: emulator → signed webhook over HTTP → receiver → run → effects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from incidentkit.store.states import RunStatus
from tests.harness import AgentServer, Harness, agent_settings

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "workflows"


def test_example_1_check_severity_routes_a_sev1_to_paging(harness: Harness) -> None:
    # The documented fragment names page_oncall without defining it: the loader demands the step.
    text = (FIXTURES / "example1_check_severity.yaml").read_text() + (
        "  - id: page_oncall\n"
        "    type: slack.post\n"
        "    inputs:\n"
        '      channel: "#oncall"\n'
        '      message: "Paging for {{ $trigger.incident_io.reference }}: {{ $trigger.incident_io.title }}"\n'
    )
    harness.add(text, "check-severity")
    incident = harness.declare("Checkout down", severity="Critical")
    harness.engine.run_until_idle()

    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert harness.steps(run) == {"check_severity": "succeeded", "page_oncall": "succeeded"}
    [message] = harness.slack.messages
    assert (message.channel, message.text) == (
        "#oncall",
        f"Paging for {incident['reference']}: Checkout down",
    )


def test_example_1_skips_paging_for_a_minor_incident(harness: Harness) -> None:
    text = (FIXTURES / "example1_check_severity.yaml").read_text() + (
        "  - id: page_oncall\n    type: slack.post\n"
        "    inputs:\n      channel: '#oncall'\n      message: page\n"
    )
    harness.add(text, "check-severity")
    harness.declare("Slow page", severity="Minor")
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED
    assert harness.steps(run) == {"check_severity": "succeeded", "page_oncall": "skipped"}
    assert harness.slack.messages == []


def test_fragments_2_to_4_run_as_steps_of_one_workflow(
    harness_factory: Callable[..., Harness], agent_server: AgentServer
) -> None:
    harness = harness_factory(
        agents=agent_settings(agent_server.url),
        workflow_metadata={"fragments": {"agent": {"name": "incident-responder"}}},
    )
    steps = "".join(
        "\n".join("  " + line if line else line for line in (FIXTURES / name).read_text().splitlines()) + "\n"
        for name in ("example2_acknowledge.yaml", "example3_list_open.yaml", "example4_log_action.yaml")
    )
    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\nsteps:\n"
        "  - id: agent\n    type: agent.dispatch\n    inputs:\n      agentCard: incident-responder\n"
        "      payload:\n        incidentId: '{{ $trigger.incident_io.incident_id }}'\n" + steps,
        "fragments",
    )
    incident = harness.declare("Queue backlog", severity="Major", status="Triage")
    harness.engine.run_until_idle()
    # The run parked on the agent without holding the worker; the agent answers, the run goes on.
    parked = harness.only_run()
    assert parked.status is RunStatus.WAITING
    [dispatched] = agent_server.received
    assert dispatched["incident"]["incident_id"] == incident["id"]
    harness.engine.answer_agent(dispatched["resume_token"], {"summary": "rolled back the deploy"})
    harness.engine.run_until_idle()

    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert harness.steps(run) == {
        "agent": "succeeded",
        "acknowledge": "succeeded",
        "list_open": "succeeded",
        "log_action": "succeeded",
    }
    after = harness.incident(incident["id"])
    assert after["incident_status"]["category"] == "live"
    messages = [u.get("message") for u in harness.updates(incident["id"])]
    assert "Acknowledged by automated workflow" in messages
    [log_action] = [r for r in harness.runs.steps(run.id) if r.step_key == "log_action"]
    assert log_action.output is not None
    timeline = harness.api.request(
        "GET", "/v2/incident_timeline_items", params={"incident_id": incident["id"]}
    )
    described = [item.get("description") for item in timeline.get("incident_timeline_items", [])]
    assert any(
        "Agent incident-responder began mitigation:\nrolled back the deploy" in (d or "") for d in described
    ), log_action.output


def test_example_5_with_its_missing_steps_routes_each_severity(harness: Harness) -> None:
    harness.add((EXAMPLES / "severity-routing.yaml").read_text(), "severity-routing")
    harness.declare("Minor blip", severity="Minor")
    harness.engine.run_until_idle()
    run = harness.only_run()
    steps = harness.steps(run)
    assert steps["route_by_severity"] == "succeeded"
    assert steps["escalate_to_exec"] == steps["page_oncall"] == steps["notify_team"] == "skipped"
    # No host is allow-listed for http.request: the step fails, on_error: continue goes on.
    assert steps["create_linear_issue"] == "failed"
    [linear] = [r for r in harness.runs.steps(run.id) if r.step_key == "create_linear_issue"]
    assert "host 'api.linear.app' is not allow-listed" in (linear.error or "")
    assert steps["notify_slack"] == "succeeded"
    assert run.status is RunStatus.SUCCEEDED
    assert [m.channel for m in harness.slack.messages] == ["#incidents"]
    assert "(SEV-3)" in (harness.slack.messages[0].text or "")


def test_a_redelivered_webhook_starts_no_second_run(harness: Harness) -> None:
    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\n"
        "steps:\n  - id: a\n    type: log\n    message: hi\n"
    )
    harness.declare()
    [stored] = harness.store.list_events()
    harness.store.replay(stored.webhook_id)
    assert harness.pump() == []
    assert harness.runs.count_runs() == 1


def test_a_hostile_title_flows_through_templates_untouched(harness: Harness) -> None:
    title = "{{ 7*7 }} ${jndi:x} " + "ü🚨" * 50 + "x" * 400
    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\nsteps:\n"
        "  - id: say\n    type: slack.post\n    inputs:\n      channel: '#x'\n"
        "      message: 'New: {{ $trigger.incident_io.title }}'\n"
        "  - id: note\n    type: log\n    message: '{{ $trigger.incident_io.title }}'\n"
    )
    harness.declare(title)
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert harness.slack.messages[0].text == f"New: {title}"
    assert harness.runs.logs(run.id)[-2].message == title


def test_the_shipped_acknowledge_and_digest_examples_run(harness: Harness) -> None:
    for name in ("acknowledge-and-announce", "open-incidents-digest", "resolve-with-approval"):
        harness.add((EXAMPLES / f"{name}.yaml").read_text(), name)
    incident = harness.declare("Login errors", severity="Major", status="Triage")
    harness.engine.run_until_idle()
    [run] = harness.runs.list_runs()
    assert (run.workflow, run.status) == ("acknowledge-and-announce", RunStatus.SUCCEEDED)
    assert harness.incident(incident["id"])["incident_status"]["name"] == "Investigating"
    assert harness.slack.messages[0].text == f"{incident['reference']} acknowledged: Login errors"

    harness.api.incidents.edit(incident["id"], status="Monitoring")
    harness.pump()
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    harness.runs.decide(approval.id, "rejected", "ana")
    harness.engine.run_until_idle()
    gated = harness.runs.get_run(approval.run_id)
    assert gated.status is RunStatus.SUCCEEDED and harness.steps(gated)["resolve"] == "skipped"
    assert harness.incident(incident["id"])["incident_status"]["name"] == "Monitoring"

    digest = harness.dispatcher.start_manual("open-incidents-digest", {})
    harness.engine.run_until_idle()
    assert harness.runs.get_run(digest.id).status is RunStatus.SUCCEEDED
    # The default organisation comes with one open incident (INC-1).
    assert harness.slack.messages[-1].text == f'2 open incidents: ["{incident["reference"]}", "INC-1"]'


def test_updated_and_resolved_triggers_carry_the_changes(harness: Harness) -> None:
    harness.add(
        "name: on-update\ntrigger:\n  type: trigger.incident_io.incident.updated\nsteps:\n"
        "  - id: say\n    type: slack.post\n    inputs:\n      channel: '#x'\n"
        "      message: '{{ $trigger.incident_io.field }}: {{ $trigger.incident_io.old_value }} -> "
        "{{ $trigger.incident_io.new_value }}'\n",
        "on-update",
    )
    harness.add(
        "name: on-resolve\ntrigger:\n  type: trigger.incident_io.incident.resolved\nsteps:\n"
        "  - id: say\n    type: slack.post\n    inputs:\n      channel: '#y'\n"
        "      message: 'resolved {{ $trigger.incident_io.reference }}"
        " ({{ $trigger.incident_io.status }})'\n",
        "on-resolve",
    )
    incident = harness.declare("Flaky DNS", severity="Minor")
    harness.clock.advance(minutes=5)
    harness.api.incidents.edit(incident["id"], severity="Major")
    harness.pump()
    harness.clock.advance(minutes=5)
    harness.api.incidents.edit(incident["id"], status="Closed")
    harness.pump()
    harness.engine.run_until_idle()
    assert [(m.channel, m.text) for m in harness.slack.messages] == [
        ("#x", "severity: Minor -> Major"),
        ("#x", "status: Investigating -> Closed"),
        ("#y", f"resolved {incident['reference']} (Closed)"),
    ]
    assert {r.status for r in harness.runs.list_runs()} == {RunStatus.SUCCEEDED}


def test_example_5_files_the_issue_when_its_url_points_at_an_allow_listed_host(
    harness_factory: Callable[..., Harness],
) -> None:
    from incidentkit.demo import issue_tracker, point_var_at
    from incidentkit.workflows.nodes import HttpSettings

    harness = harness_factory(http=HttpSettings(allowed_hosts=frozenset({"127.0.0.1"})))
    with issue_tracker() as tracker:
        text = point_var_at(
            (EXAMPLES / "severity-routing.yaml").read_text(), "linear_graphql_url", tracker.url
        )
        harness.add(text, "severity-routing")
        incident = harness.declare("Minor blip {{ 7*7 }}", severity="Minor")
        harness.engine.run_until_idle()
    run = harness.only_run()
    steps = harness.steps(run)
    assert (steps["create_linear_issue"], steps["notify_slack"]) == ("succeeded", "succeeded")
    assert tracker.titles == [f"{incident['reference']}: Minor blip {{{{ 7*7 }}}}"]
    [linear] = [r for r in harness.runs.steps(run.id) if r.step_key == "create_linear_issue"]
    assert linear.output is not None and linear.output["body"]["data"]["issueCreate"]["success"] is True
