"""Normalised lifecycle events, computed from real-shaped incidents the emulator returns."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from incidentkit.emulator import Emulator
from incidentkit.webhooks.events import event_types
from incidentkit.webhooks.lifecycle import FieldChange, incident_changes, lifecycle_events
from tests.conftest import FakeClock
from tests.webhooks.conftest import declare


def status_id(emulator: Emulator, name: str) -> str:
    return next(s["id"] for s in emulator.state.incident_statuses if s["name"] == name)


def edit(api: httpx2.Client, incident_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post(
        f"/v2/incidents/{incident_id}/actions/edit",
        json={"incident": fields, "notify_incident_channel": False},
    )
    assert response.status_code == 200, response.text
    incident: dict[str, Any] = response.json()["incident"]
    return incident


def test_first_sight_is_created(api: httpx2.Client, clock: FakeClock) -> None:
    incident = declare(api)
    [event] = lifecycle_events(incident, None)
    assert event.event_type == "incident.created"
    assert event.incident_id == incident["id"]
    assert event.occurred_at == clock.now
    assert event.changes == ()


def test_nothing_meaningful_changed_gives_no_event(api: httpx2.Client, clock: FakeClock) -> None:
    before = declare(api)
    clock.advance(seconds=60)
    after = edit(api, str(before["id"]))  # touches updated_at and last_activity_at only
    assert after["updated_at"] != before["updated_at"]
    assert lifecycle_events(after, before) == []


def test_an_edit_lists_every_meaningful_change(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    before = declare(api)
    critical = next(s for s in emulator.state.severities if s["name"] == "Critical")
    service = next(f for f in emulator.state.custom_fields if f["name"] == "Affected service")
    search = next(o for o in emulator.state.custom_field_options[service["id"]] if o["value"] == "search")
    lead = next(r for r in emulator.state.incident_roles if r["name"] == "Incident Lead")
    priya = next(u for u in emulator.state.users if u["name"] == "Priya Shah")
    clock.advance(seconds=120)
    after = edit(
        api,
        str(before["id"]),
        name="Disk full on db-1",
        summary="The primary ran out of disk.",
        severity_id=critical["id"],
        incident_status_id=status_id(emulator, "Fixing"),
        custom_field_entries=[
            {"custom_field_id": service["id"], "values": [{"value_option_id": search["id"]}]}
        ],
        incident_role_assignments=[{"incident_role_id": lead["id"], "assignee": {"id": priya["id"]}}],
    )
    [event] = lifecycle_events(after, before)
    assert event.event_type == "incident.updated"
    assert event.occurred_at == clock.now
    assert [change.to_dict() for change in event.changes] == [
        {"field": "name", "old_value": "Disk full", "new_value": "Disk full on db-1"},
        {"field": "summary", "old_value": None, "new_value": "The primary ran out of disk."},
        {"field": "severity", "old_value": "Minor", "new_value": "Critical"},
        {"field": "status", "old_value": "Investigating", "new_value": "Fixing"},
        {"field": "custom_fields.Affected service", "old_value": None, "new_value": "search"},
        {"field": "roles.Incident Lead", "old_value": None, "new_value": "Priya Shah"},
    ]


def test_resolving_gives_updated_then_resolved_with_the_duration(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    before = declare(api)
    declared_at = clock.now
    clock.advance(seconds=5400)
    after = edit(api, str(before["id"]), incident_status_id=status_id(emulator, "Closed"))
    updated, resolved = lifecycle_events(after, before)
    assert updated.changes == (FieldChange("status", "Investigating", "Closed"),)
    assert resolved.event_type == "incident.resolved"
    assert resolved.resolved_at == resolved.occurred_at == declared_at + timedelta(seconds=5400)
    assert resolved.resolution_seconds == pytest.approx(5400)
    assert resolved.to_dict()["resolved_at"] == after["updated_at"].replace(".000000Z", "Z")


def test_post_incident_counts_as_resolved_and_closing_later_does_not_resolve_again(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    live = declare(api)
    clock.advance(seconds=600)
    learning = edit(api, str(live["id"]), incident_status_id=status_id(emulator, "Documenting"))
    assert [e.event_type for e in lifecycle_events(learning, live)] == [
        "incident.updated",
        "incident.resolved",
    ]
    clock.advance(seconds=86_400)
    closed = edit(api, str(live["id"]), incident_status_id=status_id(emulator, "Closed"))
    assert [e.event_type for e in lifecycle_events(closed, learning)] == ["incident.updated"]


def test_only_closed_counts_when_asked(api: httpx2.Client, emulator: Emulator) -> None:
    live = declare(api)
    learning = edit(api, str(live["id"]), incident_status_id=status_id(emulator, "Documenting"))
    events = lifecycle_events(learning, live, resolved_categories={"closed"})
    assert [e.event_type for e in events] == ["incident.updated"]


def test_a_retrospective_incident_is_created_and_resolved_at_once(api: httpx2.Client) -> None:
    incident = declare(api, mode="retrospective")
    assert incident["incident_status"]["category"] == "closed"  # type: ignore[index]
    assert [e.event_type for e in lifecycle_events(incident, None)] == [
        "incident.created",
        "incident.resolved",
    ]


def test_the_schema_example_incident_compares_field_by_field() -> None:
    example = event_types()["public_incident.incident_updated_v2"].example[
        "public_incident.incident_updated_v2"
    ]
    changed = copy.deepcopy(example)
    changed["custom_field_entries"][0]["values"][0]["value_option"]["value"] = "Platform"
    changed["incident_role_assignments"][0]["assignee"]["name"] = "Someone Else"
    changed["visibility"] = "private"
    fields = [change.field for change in incident_changes(example, changed)]
    assert fields == [
        "visibility",
        "custom_fields.Affected Team",
        f"roles.{example['incident_role_assignments'][0]['role']['name']}",
    ]


def test_resolved_at_comes_from_the_resolved_at_timestamp_when_present() -> None:
    example = event_types()["public_incident.incident_updated_v2"].example[
        "public_incident.incident_updated_v2"
    ]
    current = copy.deepcopy(example)
    current["incident_status"]["category"] = "closed"
    current["incident_timestamp_values"] = [
        {
            "incident_timestamp": {"id": "t1", "name": "Resolved at", "rank": 1},
            "value": {"value": "2021-08-17T15:28:57.801578Z"},
        },
        {
            "incident_timestamp": {"id": "t2", "name": "Reported at", "rank": 0},
            "value": {"value": "2021-08-17T13:28:57.801578Z"},
        },
    ]
    previous = copy.deepcopy(example)
    previous["incident_status"]["category"] = "live"
    resolved = lifecycle_events(current, previous)[-1]
    assert resolved.resolved_at == datetime(2021, 8, 17, 15, 28, 57, 801578, tzinfo=UTC)
    assert resolved.resolution_seconds == 7200


def test_snapshots_of_different_incidents_are_refused() -> None:
    with pytest.raises(ValueError, match="previous snapshot is of incident 'b', not 'a'"):
        lifecycle_events({"id": "a"}, {"id": "b"})


def test_an_incident_without_an_id_is_refused() -> None:
    with pytest.raises(ValueError, match="current incident has no id"):
        lifecycle_events({"name": "x"}, None)
