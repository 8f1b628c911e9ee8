"""The alert steps against the emulator: an alert raised by a workflow opens an incident through the route."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from incidentkit.emulator import Emulator
from incidentkit.emulator.seed import MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from incidentkit.workflows.nodes import NODE_TYPES, Completed, NodeContext, StepError
from tests.workflows.nodes.conftest import Seen


@pytest.fixture(autouse=True)
def source_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENT_IO_ALERT_SOURCE", MONITORING_SOURCE_ID)
    monkeypatch.setenv("INCIDENT_IO_ALERT_TOKEN", MONITORING_SOURCE_TOKEN)


def run(step_type: str, inputs: dict[str, Any], context: NodeContext) -> dict[str, Any]:
    node = NODE_TYPES[step_type]
    result = node.run(node.validate_inputs(inputs), context)
    assert isinstance(result, Completed)
    return result.output


def test_send_raises_an_alert_that_the_route_turns_into_an_incident(
    context: NodeContext, emulator: Emulator
) -> None:
    output = run(
        "incident_io.alert.send",
        {
            "title": "Synthetic check failed",
            "metadata": {"severity": "Major"},
            "sourceUrl": "https://x.example",
        },
        context,
    )
    assert output["accepted"] is True
    assert output["deduplication_key"] == "run-1:step-1"  # the step's idempotency key
    [alert] = emulator.state.alerts
    assert (alert["title"], alert["source_url"]) == ("Synthetic check failed", "https://x.example")
    [link] = emulator.state.incident_alerts
    incident = emulator.state.incidents[link["incident_id"]]
    assert incident["severity"]["name"] == "Major"


def test_a_retried_send_updates_the_one_alert(context: NodeContext, emulator: Emulator) -> None:
    run("incident_io.alert.send", {"title": "Queue stuck"}, context)
    run("incident_io.alert.send", {"title": "Queue stuck (retry)"}, context)
    assert [a["title"] for a in emulator.state.alerts] == ["Queue stuck (retry)"]
    assert len(emulator.state.incident_alerts) == 1


def test_send_resolved_then_resolve_by_key_is_a_no_op(context: NodeContext, emulator: Emulator) -> None:
    run("incident_io.alert.send", {"title": "Disk", "deduplicationKey": "disk"}, context)
    run(
        "incident_io.alert.send", {"title": "Disk", "deduplicationKey": "disk", "status": "resolved"}, context
    )
    assert emulator.state.alerts[0]["status"] == "resolved"
    output = run("incident_io.alert.resolve", {"deduplicationKey": "disk"}, context)
    assert (output["resolved"], output["changed"]) == (False, False)


def test_resolve_by_id_and_by_key(context: NodeContext, emulator: Emulator) -> None:
    run("incident_io.alert.send", {"title": "A", "deduplicationKey": "a"}, context)
    run("incident_io.alert.send", {"title": "B", "deduplicationKey": "b"}, context)
    a, b = (alert["id"] for alert in emulator.state.alerts)
    by_id = run("incident_io.alert.resolve", {"alertId": a}, context)
    assert (by_id["alert_id"], by_id["resolved"], by_id["changed"]) == (a, True, True)
    assert run("incident_io.alert.resolve", {"alertId": a}, context)["changed"] is False
    by_key = run("incident_io.alert.resolve", {"deduplicationKey": "b", "source": "Monitoring"}, context)
    assert by_key["alert_id"] == b
    assert {alert["status"] for alert in emulator.state.alerts} == {"resolved"}


def test_a_dry_run_sends_nothing_and_never_shows_the_token(
    context: NodeContext, emulator: Emulator, seen: Seen
) -> None:
    dry = dataclasses.replace(context, dry_run=True)
    output = run("incident_io.alert.send", {"title": "Dry", "token": MONITORING_SOURCE_TOKEN}, dry)
    assert output["would_send"] == {
        "method": "POST",
        "path": f"/v2/alert_events/http/{MONITORING_SOURCE_ID}",
        "body": {"title": "Dry", "status": "firing", "deduplication_key": "run-1:step-1"},
    }
    assert MONITORING_SOURCE_TOKEN not in str(output)
    run("incident_io.alert.send", {"title": "Real", "deduplicationKey": "r"}, context)
    alert_id = emulator.state.alerts[0]["id"]
    resolve = run("incident_io.alert.resolve", {"alertId": alert_id}, dry)
    assert resolve["would_send"]["path"] == f"/v2/alerts/{alert_id}/actions/resolve"
    assert emulator.state.alerts[0]["status"] == "firing"
    assert ("POST", f"/v2/alerts/{alert_id}/actions/resolve") not in seen.requests


def test_missing_settings_and_a_wrong_token_fail_without_retrying(
    context: NodeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INCIDENT_IO_ALERT_TOKEN")
    node = NODE_TYPES["incident_io.alert.send"]
    with pytest.raises(StepError, match="INCIDENT_IO_ALERT_TOKEN") as missing:
        node.run(node.validate_inputs({"title": "x"}), context)
    assert missing.value.retryable is False
    with pytest.raises(StepError, match="401") as refused:
        node.run(node.validate_inputs({"title": "x", "token": "wrong"}), context)
    assert refused.value.retryable is False and "wrong" not in str(refused.value)
    resolve = NODE_TYPES["incident_io.alert.resolve"]
    with pytest.raises(StepError, match="alertId"):
        resolve.run(resolve.validate_inputs({}), context)
    with pytest.raises(StepError, match="input 'status'"):
        node.validate_inputs({"title": "x", "status": "burning"})
