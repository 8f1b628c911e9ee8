"""The ``investigate`` step and the example workflow that investigates serious incidents, end to end."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from incidentkit.investigation import ChangeLog
from incidentkit.investigation.write_back import COMPLETE, ROOT_CAUSE, STARTED
from incidentkit.store.states import RunStatus
from incidentkit.workflows.nodes import NODE_TYPES, NodeContext
from tests.harness import Harness

EXAMPLE = (
    Path(__file__).resolve().parents[3] / "examples" / "workflows" / "investigate-serious-incidents.yaml"
)


def _titles(harness: Harness, incident_id: str) -> list[str]:
    body = harness.api.request("GET", "/v2/incident_timeline_items", params={"incident_id": incident_id})
    return [item["title"] for item in body["incident_timeline_items"]]


def test_the_example_investigates_a_serious_incident_and_writes_the_findings_back(harness: Harness) -> None:
    harness.add(EXAMPLE.read_text(), "investigate-serious-incidents")
    ChangeLog(harness.store).record(
        "checkout-web", version="v2.3.1", at=harness.clock() - timedelta(minutes=12), source="cli"
    )
    incident = harness.declare("Checkout errors for every customer", severity="Critical")
    harness.engine.run_until_idle()

    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED, run.error
    [step] = harness.runs.steps(run.id)
    output = step.output or {}
    assert output["summary"].startswith("checkout-web deployed v2.3.1 twelve minutes before impact")
    assert output["services"] == ["checkout-web"] and output["root_cause"]
    assert sorted(
        t for t in _titles(harness, incident["id"]) if "nvestigation" in t or "Root" in t
    ) == sorted([STARTED, ROOT_CAUSE, COMPLETE])
    assert any(
        "checkout-web deployed v2.3.1" in (u.get("message") or "") for u in harness.updates(incident["id"])
    )
    [message] = harness.slack.messages
    assert message.channel == incident["slack_channel_id"] and "INC-" in (message.text or "")


def test_a_minor_incident_is_not_investigated(harness: Harness) -> None:
    harness.add(EXAMPLE.read_text(), "investigate-serious-incidents")
    harness.declare("Search a little slow", severity="Minor")
    harness.engine.run_until_idle()
    assert harness.runs.list_runs(limit=None) == []


def test_a_dry_run_investigates_and_sends_nothing(harness: Harness) -> None:
    incident = harness.api.incidents.create(name="Checkout errors", severity="Major")
    node = NODE_TYPES["investigate"]
    inputs = node.validate_inputs({"incidentId": incident.id, "writeFindings": True})
    context = NodeContext(client=harness.api, dry_run=True, store=harness.store, clock=harness.clock)
    result = node.run(inputs, context)
    output = result.output  # type: ignore[union-attr]
    assert output["dry_run"] is True and output["summary"]
    assert output["would_send"]["method"] == "POST"
    assert output["would_send"]["path"] == "/v2/incident_timeline_items"
    assert output["would_send"]["body"]["title"] == STARTED
    assert STARTED not in _titles(harness, incident.id)


def test_without_write_findings_nothing_is_written(harness: Harness) -> None:
    incident = harness.api.incidents.create(name="Checkout errors", severity="Major")
    node = NODE_TYPES["investigate"]
    context = NodeContext(client=harness.api, store=harness.store, clock=harness.clock)
    result = node.run(node.validate_inputs({"incidentId": incident.reference}), context)
    output = result.output  # type: ignore[union-attr]
    assert output["written"] is None and output["reference"] == incident.reference
    assert output["services"] == ["checkout-web"]
    assert _titles(harness, incident.id) == []
