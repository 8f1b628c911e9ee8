"""The on-call set-up of the seeded organisations: a "Primary on-call" schedule and a "Platform" path.

The schedule is a weekly rotation over the organisation's responders, handing over on Mondays at
09:00 London time; the escalation path pages whoever the schedule has on call, then, after five
minutes without an acknowledgement, the organisation's administrator.
"""

from __future__ import annotations

import random

from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import embedded_user
from incidentkit.emulator.state import OrgState

CONFIGURED_AT = 1698139642.0  # 2023-10-24T09:27:22Z, when the fixture organisation was set up
FIRST_HANDOVER = "2023-10-23T08:00:00.000000Z"  # Monday 09:00 in London (BST ends on 29 October)
TIME_TO_ACK_SECONDS = 300
SCHEDULE_NAME = "Primary on-call"
PATH_NAME = "Platform"


def add_on_call(state: OrgState) -> None:
    """Add the schedule and the escalation path; needs the seeded users (the first four take shifts)."""
    rng = random.Random("incidentkit-oncall")
    configured = rfc3339(CONFIGURED_AT)
    schedule_id = new_ulid(CONFIGURED_AT, rng)
    rotation_id = new_ulid(CONFIGURED_AT, rng)
    responders = [embedded_user(user) for user in state.users[:4]]
    state.schedules.append(
        {
            "id": schedule_id,
            "name": SCHEDULE_NAME,
            "timezone": "Europe/London",
            "team_ids": [],
            "annotations": {},
            "permalink": f"https://app.incident.io/{state.organisation_slug}/on-call/schedules/{schedule_id}",
            "config": {
                "rotations": [
                    {
                        "id": rotation_id,
                        "name": "Weekly",
                        "layers": [{"id": new_ulid(CONFIGURED_AT, rng), "name": "Primary"}],
                        "users": responders,
                        "handover_start_at": FIRST_HANDOVER,
                        "handovers": [{"interval_type": "weekly", "interval": 1}],
                        "working_intervals": [],
                        "working_interval": [],
                    }
                ]
            },
            "created_at": configured,
            "updated_at": configured,
        }
    )
    administrator = next(user for user in state.users if user["role"] == "administrator")
    state.escalation_paths.append(
        {
            "id": new_ulid(CONFIGURED_AT, rng),
            "name": PATH_NAME,
            "kind": "standalone",
            "team_ids": [],
            "path": [
                {
                    "id": "level-1",
                    "type": "level",
                    "level": {
                        "targets": [
                            {
                                "type": "schedule",
                                "id": schedule_id,
                                "urgency": "high",
                                "schedule_mode": "currently_on_call",
                            }
                        ],
                        "time_to_ack_seconds": TIME_TO_ACK_SECONDS,
                    },
                },
                {
                    "id": "level-2",
                    "type": "level",
                    "level": {
                        "targets": [{"type": "user", "id": administrator["id"], "urgency": "high"}],
                        "time_to_ack_seconds": TIME_TO_ACK_SECONDS,
                    },
                },
            ],
        }
    )
