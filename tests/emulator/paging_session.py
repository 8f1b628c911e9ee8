"""The on-call part of the conformance session: every escalation, path, schedule and override operation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidentkit.api import Client, NotFoundError, UnprocessableEntityError


def exercise_paging(client: Client) -> None:
    """Call every on-call operation, through the client, successes and refusals."""
    seeded = next(iter(client.schedules.list()))
    client.schedules.get(seeded.id)
    client.schedules.entries(seeded.id)
    users = [u for u in client.users.list()]
    schedule = client.schedules.create(
        name="Conformance",
        timezone="Europe/London",
        rotations=[
            {
                "name": "Daily",
                "users": [{"id": users[0].id}, {"email": users[1].email}],
                "handover_start_at": "2026-01-05T09:00:00Z",
                "handovers": [{"interval_type": "daily", "interval": 1}],
                "layers": [{"name": "Primary"}, {"name": "Secondary"}],
                "working_intervals": [{"weekday": "monday", "start_time": "09:00", "end_time": "17:00"}],
            }
        ],
        annotations={"source": "conformance"},
    )
    client.schedules.update(schedule.id, name="Conformance 2")
    start = datetime.now(UTC)
    override = client.schedule_overrides.create(
        schedule.id, user=users[2].id, start=start, end=start + timedelta(hours=1), layer="Secondary"
    )
    client.schedule_overrides.get(override.id)
    client.schedule_overrides.update(override.id, end=start + timedelta(hours=2))
    list(client.schedule_overrides.list(schedule.id, page_size=1))
    client.schedules.entries(schedule.id, start=start - timedelta(days=2), end=start + timedelta(days=2))
    client.oncall.now(schedule.id)

    path = client.escalation_paths.create(
        name="Conformance path",
        path=[
            {
                "id": "first",
                "type": "level",
                "level": {
                    "targets": [{"type": "schedule", "id": schedule.id, "urgency": "high"}],
                    "time_to_ack_seconds": 300,
                    "ack_mode": "first",
                    "round_robin_config": {"enabled": False},
                },
            },
            {"id": "wait", "type": "delay", "delay": {"delay_seconds": 60}},
            {
                "id": "branch",
                "type": "if_else",
                "if_else": {
                    "conditions": [
                        {
                            "subject": "incident.severity",
                            "operation": "one_of",
                            "param_bindings": [{"array_value": [{"literal": "critical"}]}],
                        }
                    ],
                    "then_path": [
                        {
                            "id": "loud",
                            "type": "notify_channel",
                            "notify_channel": {
                                "targets": [{"type": "slack_channel", "id": "C123", "urgency": "high"}]
                            },
                        }
                    ],
                    "else_path": [
                        {"id": "again", "type": "repeat", "repeat": {"to_node": "first", "repeat_times": 1}}
                    ],
                },
            },
        ],
        repeat_config={"repeat_after_seconds": 600, "delay_repeat_on_activity": False},
        working_hours=[
            {
                "id": "office",
                "name": "Office hours",
                "timezone": "Europe/London",
                "weekday_intervals": [{"weekday": "monday", "start_time": "09:00", "end_time": "17:00"}],
            }
        ],
    )
    client.escalation_paths.get(path.id)
    client.escalation_paths.update(path.id, name="Conformance path 2")
    list(client.escalation_paths.list())
    paged = client.escalations.create(title="Conformance", path=path.id, incident="INC-1")
    direct = client.escalations.create(title="Direct", users=[users[0].email or users[0].id])
    client.escalations.get(paged.id)
    list(client.escalations.list(status="triggered", page_size=1))
    client.escalations.acknowledge(paged.id)
    client.escalations.respond(direct.id, "snooze", snooze_until=start + timedelta(hours=1))
    client.escalations.cancel(direct.id)
    with pytest.raises(UnprocessableEntityError):
        client.escalations.respond(paged.id, "nack")
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v2/escalations", json={"idempotency_key": "x", "title": "x"})
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v2/schedules", json={"schedule": {}})
    with pytest.raises(NotFoundError):
        client.escalations.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    client.escalation_paths.delete(path.id)
    client.schedule_overrides.delete(override.id)
    client.schedules.delete(schedule.id)
