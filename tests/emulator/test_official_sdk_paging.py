"""The official incident.io SDK pages people and reads on-call schedules against the served emulator.

The on-call half of ``test_official_sdk.py`` (same server and helpers), kept apart so each area
adds its own calls: escalation paths, escalations, schedules, entries and overrides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incident_io import AuthenticatedClient
from incident_io.api.escalations_v2 import (
    escalations_v2_cancel_escalation,
    escalations_v2_create,
    escalations_v2_create_path,
    escalations_v2_list,
    escalations_v2_list_paths,
    escalations_v2_respond_escalation,
    escalations_v2_show,
    escalations_v2_show_path,
)
from incident_io.api.schedules_v2 import (
    schedules_v2_create,
    schedules_v2_create_override,
    schedules_v2_destroy_override,
    schedules_v2_list,
    schedules_v2_list_overrides,
    schedules_v2_list_schedule_entries,
    schedules_v2_show,
)
from incident_io.models import (
    ErrorResponse,
    EscalationsCreatePathPayloadV2,
    EscalationsCreatePayloadV2,
    EscalationsRespondEscalationPayloadV2,
    EscalationsV2ListStatus,
    SchedulesCreateOverridePayloadV2,
    SchedulesCreatePayloadV2,
)

from tests.emulator.test_official_sdk import ok, sdk, server

__all__ = ["sdk", "server"]  # the fixtures, shared with the rest of the SDK tests


def test_schedules_entries_and_overrides(sdk: AuthenticatedClient) -> None:
    schedules = ok(schedules_v2_list.sync(client=sdk)).schedules
    seeded = next(s for s in schedules if s.name == "Primary on-call")
    shown = ok(schedules_v2_show.sync(seeded.id, client=sdk)).schedule
    assert len(shown.current_shifts) == 1 and shown.config.rotations[0].name == "Weekly"
    now = datetime.now(UTC)
    entries = ok(
        schedules_v2_list_schedule_entries.sync(
            client=sdk,
            schedule_id=seeded.id,
            entry_window_start=now.isoformat(),
            entry_window_end=now + timedelta(days=14),
        )
    ).schedule_entries
    assert len(entries.final) >= 2 and entries.final[0].user.name

    users = [u["id"] for u in sdk.get_httpx_client().get("/v2/users").json()["users"]]
    created = ok(
        schedules_v2_create.sync(
            client=sdk,
            body=SchedulesCreatePayloadV2.from_dict(
                {
                    "schedule": {
                        "name": "SDK schedule",
                        "timezone": "UTC",
                        "config": {
                            "rotations": [
                                {
                                    "name": "Daily",
                                    "users": [{"id": users[0]}, {"id": users[1]}],
                                    "handover_start_at": "2026-01-01T09:00:00Z",
                                    "handovers": [{"interval_type": "daily", "interval": 1}],
                                    "layers": [{"name": "Primary"}],
                                }
                            ]
                        },
                    }
                }
            ),
        )
    ).schedule
    rotation = created.config.rotations[0]
    override = ok(
        schedules_v2_create_override.sync(
            client=sdk,
            body=SchedulesCreateOverridePayloadV2.from_dict(
                {
                    "schedule_id": created.id,
                    "rotation_id": rotation.id,
                    "layer_id": rotation.layers[0].id,
                    "start_at": now.isoformat(),
                    "end_at": (now + timedelta(hours=1)).isoformat(),
                    "user": {"id": users[2]},
                }
            ),
        )
    ).override
    listed = ok(schedules_v2_list_overrides.sync(client=sdk, schedule_id=created.id)).overrides
    assert [o.id for o in listed] == [override.id]
    assert not isinstance(schedules_v2_destroy_override.sync(override.id, client=sdk), ErrorResponse)
    assert ok(schedules_v2_list_overrides.sync(client=sdk, schedule_id=created.id)).overrides == []


def test_a_page_through_a_path_acknowledged_and_another_cancelled(sdk: AuthenticatedClient) -> None:
    paths = ok(escalations_v2_list_paths.sync(client=sdk)).escalation_paths
    platform = next(p for p in paths if p.name == "Platform")
    assert ok(escalations_v2_show_path.sync(platform.id, client=sdk)).escalation_path.current_responders
    schedule_id = platform.path[0].level.targets[0].id
    made = ok(
        escalations_v2_create_path.sync(
            client=sdk,
            body=EscalationsCreatePathPayloadV2.from_dict(
                {
                    "name": "SDK path",
                    "path": [
                        {
                            "id": "one",
                            "type": "level",
                            "level": {
                                "targets": [{"type": "schedule", "id": schedule_id, "urgency": "high"}],
                                "time_to_ack_seconds": 120,
                            },
                        }
                    ],
                }
            ),
        )
    ).escalation_path
    assert made.name == "SDK path"

    page = EscalationsCreatePayloadV2.from_dict(
        {"idempotency_key": "sdk-page-1", "title": "SDK page", "escalation_path_id": platform.id}
    )
    escalation = ok(escalations_v2_create.sync(client=sdk, body=page)).escalation
    assert escalation.status.value == "triggered"
    assert ok(escalations_v2_create.sync(client=sdk, body=page)).escalation.id == escalation.id
    answer = EscalationsRespondEscalationPayloadV2.from_dict({"response": "ack"})
    assert not isinstance(
        escalations_v2_respond_escalation.sync(escalation.id, client=sdk, body=answer), ErrorResponse
    )
    assert ok(escalations_v2_show.sync(escalation.id, client=sdk)).escalation.status.value == "acked"

    other = ok(
        escalations_v2_create.sync(
            client=sdk,
            body=EscalationsCreatePayloadV2.from_dict(
                {"idempotency_key": "sdk-page-2", "title": "Wrong team", "escalation_path_id": made.id}
            ),
        )
    ).escalation
    assert not isinstance(escalations_v2_cancel_escalation.sync(other.id, client=sdk), ErrorResponse)
    cancelled = ok(
        escalations_v2_list.sync(
            client=sdk, status=EscalationsV2ListStatus.from_dict({"one_of": ["cancelled"]})
        )
    ).escalations
    assert [e.id for e in cancelled] == [other.id]


def test_a_refused_page_comes_back_as_the_sdk_error(sdk: AuthenticatedClient) -> None:
    refused = escalations_v2_create.sync(
        client=sdk, body=EscalationsCreatePayloadV2.from_dict({"idempotency_key": "k", "title": "nobody"})
    )
    assert isinstance(refused, ErrorResponse) and refused.status == 422
    assert refused.errors[0].source.field == "escalation_path_id"
