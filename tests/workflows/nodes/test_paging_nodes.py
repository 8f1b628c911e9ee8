"""The paging steps against the emulator: pages are made once per step, answered, and on-call is read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from incidentkit.api import Client
from incidentkit.emulator import Emulator
from incidentkit.workflows.nodes import NODE_TYPES, Completed, NodeContext, StepError
from tests.conftest import FakeClock

START = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # Mei Lin has the seeded "Primary on-call" week


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed="default", clock=FakeClock(START), random_seed=11)


def run(step_type: str, inputs: dict[str, Any], context: NodeContext) -> dict[str, Any]:
    node = NODE_TYPES[step_type]
    result = node.run(node.validate_inputs(inputs), context)
    assert isinstance(result, Completed)
    return result.output


def test_oncall_who_outputs_the_people_and_their_slack_mentions(context: NodeContext) -> None:
    output = run("incident_io.oncall.who", {"schedule": "Primary on-call"}, context)
    assert output["names"] == "Mei Lin" and output["count"] == 1
    assert output["mentions"] == "<@U062HDG5MLN>" and output["emails"] == ["mei@example.com"]
    later = run(
        "incident_io.oncall.who", {"schedule": "Primary on-call", "at": "2026-03-10T00:00:00Z"}, context
    )
    assert later["names"] == "Rob"


def test_a_page_through_a_path_is_made_once_however_often_the_step_runs(
    context: NodeContext, emulator: Emulator
) -> None:
    inputs = {"title": "Checkout down", "escalationPath": "Platform", "incidentId": "INC-1"}
    first = run("incident_io.escalation.create", inputs, context)
    again = run("incident_io.escalation.create", inputs, context)  # the engine's retry: same key
    assert again["escalation_id"] == first["escalation_id"]
    assert first["status"] == "triggered" and first["paged_names"] == "Mei Lin"
    assert first["incident_ids"] == [next(iter(emulator.state.incidents))]
    assert len(emulator.state.escalations) == 1
    other_step = dataclasses.replace(context, idempotency_key="run-1:step-2")
    assert run("incident_io.escalation.create", inputs, other_step)["escalation_id"] != first["escalation_id"]


def test_who_is_on_call_feeds_a_direct_page(context: NodeContext) -> None:
    who = run("incident_io.oncall.who", {"schedule": "Primary on-call"}, context)
    page = run("incident_io.escalation.create", {"title": "You're up", "users": who["user_ids"]}, context)
    assert page["paged_users"][0]["id"] == who["user_ids"][0]


@pytest.mark.parametrize(
    "inputs", [{"title": "x"}, {"title": "x", "escalationPath": "Platform", "users": ["a"]}]
)
def test_a_page_needs_a_path_or_users(inputs: dict[str, Any]) -> None:
    with pytest.raises(StepError, match="escalationPath or users") as refused:
        NODE_TYPES["incident_io.escalation.create"].validate_inputs(inputs)
    assert not refused.value.retryable


def test_a_dry_run_resolves_the_path_and_sends_nothing(context: NodeContext, emulator: Emulator) -> None:
    dry = dataclasses.replace(context, dry_run=True)
    output = run("incident_io.escalation.create", {"title": "x", "escalationPath": "Platform"}, dry)
    assert output["would_send"]["method"] == "POST" and output["would_send"]["path"] == "/v2/escalations"
    assert output["would_send"]["body"]["escalation_path_id"] == emulator.state.escalation_paths[0]["id"]
    assert output["would_send"]["body"]["idempotency_key"] == context.idempotency_key
    assert emulator.state.escalations == []


def test_acknowledging_the_page_leaves_the_incident_alone_and_the_other_way_round(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident = step_client.incidents.create(name="Triage me", status="Triage")
    page = run(
        "incident_io.escalation.create",
        {"title": "x", "escalationPath": "Platform", "incidentId": incident.id},
        context,
    )
    acked = run("incident_io.escalation.respond", {"escalationId": page["escalation_id"]}, context)
    assert (acked["previous_status"], acked["status"], acked["changed"]) == ("triggered", "acked", True)
    assert emulator.state.incidents[incident.id]["incident_status"]["category"] == "triage"
    again = run("incident_io.escalation.respond", {"escalationId": page["escalation_id"]}, context)
    assert again["changed"] is False

    other = run(
        "incident_io.escalation.create",
        {"title": "y", "escalationPath": "Platform", "incidentId": incident.id},
        dataclasses.replace(context, idempotency_key="k2"),
    )
    run(
        "incident_io.incident.acknowledge",
        {"incidentId": incident.id},
        dataclasses.replace(context, idempotency_key="k3"),
    )
    assert emulator.state.incidents[incident.id]["incident_status"]["category"] == "live"
    assert step_client.escalations.get(other["escalation_id"]).status == "triggered"


def test_snooze_for_a_duration_and_a_refused_decline(context: NodeContext) -> None:
    page = run("incident_io.escalation.create", {"title": "x", "users": ["sam@example.com"]}, context)
    snoozed = run(
        "incident_io.escalation.respond",
        {"escalationId": page["escalation_id"], "response": "snooze", "snoozeUntil": "30m"},
        context,
    )
    assert snoozed["status"] == "snoozed"
    node = NODE_TYPES["incident_io.escalation.respond"]
    with pytest.raises(StepError) as refused:
        node.run(node.validate_inputs({"escalationId": page["escalation_id"], "response": "nack"}), context)
    assert not refused.value.retryable and "decline" in refused.value.message
    with pytest.raises(StepError, match="snoozeUntil"):
        node.validate_inputs({"escalationId": "x", "response": "snooze"})
