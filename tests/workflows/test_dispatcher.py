"""A run by hand on an incident gets the $trigger a webhook would have given it, built by the same code."""

from __future__ import annotations

import pytest

from incidentkit.workflows.dispatcher import IncidentTriggerError
from tests.harness import Harness

CREATED = """
name: on-created
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: say
    type: log
    message: "{{ $trigger.incident_io.reference }} {{ $trigger.incident_io.severity }}"
"""

UPDATED = """
name: on-status
trigger:
  type: trigger.incident_io.incident.updated
  filter: "{{ $trigger.incident_io.field == 'status' }}"
steps:
  - id: say
    type: log
    message: "{{ $trigger.incident_io.old_value }} -> {{ $trigger.incident_io.new_value }}"
"""


def test_the_trigger_is_the_webhooks(harness: Harness) -> None:
    harness.add(CREATED)
    incident = harness.declare()
    [by_webhook] = harness.runs.list_runs()
    by_hand = harness.dispatcher.start_for_incident(
        "on-created", harness.incident(incident["id"]), dry_run=True
    )
    assert by_hand.trigger["incident_io"] == by_webhook.trigger["incident_io"]
    assert by_hand.trigger["type"] == by_webhook.trigger["type"] == "trigger.incident_io.incident.created"
    assert by_hand.dry_run and by_hand.id != by_webhook.id


def test_an_updated_trigger_carries_the_change_given(harness: Harness) -> None:
    harness.add(UPDATED)
    incident = harness.declare()
    run = harness.dispatcher.start_for_incident(
        "on-status", harness.incident(incident["id"]), changed={"status": "Investigating"}
    )
    fields = run.trigger["incident_io"]
    assert (fields["field"], fields["old_value"], fields["new_value"]) == (
        "status",
        "Investigating",
        incident["incident_status"]["name"],
    )
    with pytest.raises(IncidentTriggerError, match="is false for"):
        harness.dispatcher.start_for_incident(
            "on-status", harness.incident(incident["id"]), changed={"name": "Old name"}
        )
