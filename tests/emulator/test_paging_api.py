"""The emulator's escalations, escalation paths, schedules and overrides, over HTTP, as the schema says.

Every response is checked against the official schema; the clock is a fake one, moved by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.conftest import FakeClock
from tests.emulator import schema

# Wednesday 4 March 2026, noon: Mei Lin has the seeded "Primary on-call" week (from Monday 09:00).
START = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


class API:
    """Raw HTTP to the emulator; every answer is validated against the schema."""

    def __init__(self, http: httpx2.Client) -> None:
        self.http = http

    def call(self, method: str, path: str, expect: int | None = None, **options: Any) -> Any:
        response = self.http.request(method, path, **options)
        body = response.json() if response.content else None
        schema.validate(method, path, response.status_code, body)
        if expect is not None:
            assert response.status_code == expect, body
        return body

    def refused(self, method: str, path: str, field: str, **options: Any) -> dict[str, Any]:
        """A 422 that names ``field``; returns the error."""
        body = self.call(method, path, 422, **options)
        error: dict[str, Any] = body["errors"][0]
        assert error["source"]["field"] == field, error
        return error


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(seed="default", read_only_keys=["viewer-key"], clock=clock, random_seed=5)


@pytest.fixture
def events(emulator: Emulator) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    emulator.subscribe(lambda event_type, envelope: seen.append(envelope))
    return seen


@pytest.fixture
def api(emulator: Emulator) -> Iterator[API]:
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
    ) as http:
        yield API(http)


def seeded(api: API) -> tuple[dict[str, Any], dict[str, Any]]:
    schedule = api.call("GET", "/v2/schedules", 200)["schedules"][0]
    path = api.call("GET", "/v2/escalation_paths", 200)["escalation_paths"][0]
    return schedule, path


def users(api: API) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in api.call("GET", "/v2/users", 200)["users"]}


def names(people: list[dict[str, Any]]) -> list[str]:
    return [p["name"] for p in people]


def event_types(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_type"] for e in events]


# Seeds


def test_the_seeded_schedule_and_path_page_whoever_is_on_call(api: API) -> None:
    schedule, path = seeded(api)
    assert schedule["name"] == "Primary on-call"
    assert names([s["user"] for s in schedule["current_shifts"]]) == ["Mei Lin"]
    assert names([s["user"] for s in schedule["next_shifts"]]) == ["Rob"]
    assert path["name"] == "Platform"
    assert [node["level"]["targets"][0]["type"] for node in path["path"]] == ["schedule", "user"]
    assert names(path["current_responders"]) == ["Mei Lin"]


# Escalations


def test_an_escalation_pages_the_on_call_user_then_the_next_level_after_the_time_to_ack(
    api: API, clock: FakeClock, events: list[dict[str, Any]]
) -> None:
    _, path = seeded(api)
    body = {
        "idempotency_key": "page-1",
        "title": "Checkout down",
        "escalation_path_id": path["id"],
        "incident_id": "1",
    }
    escalation = api.call("POST", "/v2/escalations", 201, json=body)["escalation"]
    assert escalation["status"] == "triggered"
    assert [e["event"] for e in escalation["events"]] == ["triggered", "notified_users"]
    assert names(escalation["events"][1]["users"]) == ["Mei Lin"]
    assert escalation["related_incidents"][0]["reference"] == "INC-1"
    assert escalation["description"].startswith("This is an incident")  # the incident's summary
    assert event_types(events) == ["public_escalation.escalation_created_v1"]
    assert events[0]["public_escalation.escalation_created_v1"]["id"] == escalation["id"]

    clock.advance(minutes=4, seconds=59)
    still = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert len(still["events"]) == 2
    clock.advance(seconds=1)
    moved = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert names(moved["events"][-1]["users"]) == ["Priya Shah"]
    assert moved["events"][-1]["occurred_at"] == "2026-03-04T12:05:00.000000Z"

    clock.advance(minutes=10)  # nobody answered level 2 either
    expired = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert expired["status"] == "expired" and expired["events"][-1]["event"] == "expired"
    change = events[-1]["public_escalation.escalation_status_updated_v1"]
    assert (change["previous_status"], change["new_status"]) == ("triggered", "expired")


def test_the_same_idempotency_key_returns_the_same_escalation_and_pages_once(
    api: API, events: list[dict[str, Any]]
) -> None:
    _, path = seeded(api)
    body = {"idempotency_key": "same", "title": "Disk full", "escalation_path_id": path["id"]}
    first = api.call("POST", "/v2/escalations", 201, json=body)["escalation"]
    again = api.call("POST", "/v2/escalations", 201, json={**body, "title": "Something else"})["escalation"]
    assert again["id"] == first["id"] and again["title"] == "Disk full"
    assert event_types(events) == ["public_escalation.escalation_created_v1"]
    assert len(api.call("GET", "/v2/escalations", 200)["escalations"]) == 1


def test_acknowledging_stops_the_paging_and_sends_the_status_change(
    api: API, clock: FakeClock, events: list[dict[str, Any]]
) -> None:
    people = users(api)
    body = {"idempotency_key": "k", "title": "Page Tomás", "user_ids": [people["tomas@example.com"]["id"]]}
    escalation = api.call("POST", "/v2/escalations", 201, json=body)["escalation"]
    assert names(escalation["events"][1]["users"]) == ["Tomás García"]
    respond = f"/v2/escalations/{escalation['id']}/actions/respond"
    assert api.call("POST", respond, 200, json={"response": "ack"}) is None
    acked = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert acked["status"] == "acked" and acked["events"][-1]["event"] == "acked"
    change = events[-1]["public_escalation.escalation_status_updated_v1"]
    assert (change["previous_status"], change["new_status"]) == ("triggered", "acked")
    assert change["actor"]["api_key"]["name"] == "Full access key"
    api.call("POST", respond, 200, json={"response": "ack"})  # twice: nothing more happens
    assert len(events) == 2
    clock.advance(hours=2)
    assert api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]["status"] == "acked"


def test_a_snoozed_escalation_pages_again_when_the_snooze_ends(api: API, clock: FakeClock) -> None:
    people = users(api)
    body = {"idempotency_key": "z", "title": "Noisy", "user_ids": [people["mei@example.com"]["id"]]}
    escalation = api.call("POST", "/v2/escalations", 201, json=body)["escalation"]
    respond = f"/v2/escalations/{escalation['id']}/actions/respond"
    until = (START + timedelta(minutes=30)).isoformat()
    api.call("POST", respond, 200, json={"response": "snooze", "snooze_details": {"snooze_until": until}})
    assert api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]["status"] == "snoozed"
    clock.advance(minutes=31)
    woken = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert woken["status"] == "triggered"
    assert [e["event"] for e in woken["events"]].count("notified_users") == 2


def test_cancel_stops_a_page_once_and_is_a_no_op_after(api: API, events: list[dict[str, Any]]) -> None:
    _, path = seeded(api)
    escalation = api.call(
        "POST",
        "/v2/escalations",
        201,
        json={"idempotency_key": "c", "title": "x", "escalation_path_id": path["id"]},
    )["escalation"]
    cancel = f"/v2/escalations/{escalation['id']}/actions/cancel"
    assert api.call("POST", cancel, 200) is None
    assert api.call("POST", cancel, 200) is None
    shown = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert shown["status"] == "cancelled" and [e["event"] for e in shown["events"]][-1] == "cancelled"
    assert event_types(events).count("public_escalation.escalation_status_updated_v1") == 1
    api.refused(
        "POST", f"/v2/escalations/{escalation['id']}/actions/respond", "response", json={"response": "ack"}
    )


def test_an_escalation_on_a_private_incident_sends_only_its_id(
    api: API, events: list[dict[str, Any]]
) -> None:
    severity = api.call("GET", "/v1/severities", 200)["severities"][0]["id"]
    incident = api.call(
        "POST",
        "/v2/incidents",
        200,
        json={"idempotency_key": "p", "visibility": "private", "name": "Breach", "severity_id": severity},
    )["incident"]
    _, path = seeded(api)
    body = {
        "idempotency_key": "pp",
        "title": "x",
        "escalation_path_id": path["id"],
        "incident_id": incident["id"],
    }
    escalation = api.call("POST", "/v2/escalations", 201, json=body)["escalation"]
    sent = events[-1]
    assert sent == {
        "event_type": "private_escalation.escalation_created_v1",
        "private_escalation.escalation_created_v1": {"id": escalation["id"]},
    }


def test_list_filters_and_pages(api: API, clock: FakeClock) -> None:
    _, path = seeded(api)
    people = users(api)
    made = []
    for index in range(5):
        clock.advance(minutes=1)
        body: dict[str, Any] = {"idempotency_key": f"batch-{index}", "title": f"Page {index}"}
        if index % 2:
            body["user_ids"] = [people["sam@example.com"]["id"]]
        else:
            body["escalation_path_id"] = path["id"]
        made.append(api.call("POST", "/v2/escalations", 201, json=body)["escalation"])
    api.call("POST", f"/v2/escalations/{made[0]['id']}/actions/cancel", 200)

    def ids(**params: Any) -> list[str]:
        return [e["id"] for e in api.call("GET", "/v2/escalations", 200, params=params)["escalations"]]

    newest_first = [e["id"] for e in reversed(made)]
    assert ids() == newest_first
    assert ids(**{"escalation_path[one_of]": path["id"]}) == [made[4]["id"], made[2]["id"], made[0]["id"]]
    assert ids(**{"status[one_of]": "cancelled"}) == [made[0]["id"]]
    assert ids(**{"status[not_in]": "cancelled", "escalation_path[one_of]": path["id"]}) == [
        made[4]["id"],
        made[2]["id"],
    ]
    assert ids(**{"idempotency_key[is]": "batch-3"}) == [made[3]["id"]]
    assert len(ids(**{"idempotency_key[starts_with]": "batch-"})) == 5
    assert ids(**{"created_at[gte]": "2026-03-04T12:04:00Z"}) == newest_first[:2]
    first = api.call("GET", "/v2/escalations", 200, params={"page_size": 2})
    assert first["pagination_meta"]["after"] == made[3]["id"]
    second = api.call("GET", "/v2/escalations", 200, params={"page_size": 2, "after": made[3]["id"]})
    assert [e["id"] for e in second["escalations"]] == [made[2]["id"], made[1]["id"]]
    api.refused("GET", "/v2/escalations", "page_size", params={"page_size": 51})
    api.refused(
        "GET", "/v2/escalations", "idempotency_key[contains]", params={"idempotency_key[contains]": "x"}
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "user_ids": ["u"]}, "idempotency_key"),
        ({"idempotency_key": "k", "user_ids": ["u"]}, "title"),
        ({"idempotency_key": "k", "title": "x"}, "escalation_path_id"),
        ({"idempotency_key": "k", "title": "x", "escalation_path_id": "nope"}, "escalation_path_id"),
        ({"idempotency_key": "k", "title": "x", "user_ids": ["01HZZZZZZZZZZZZZZZZZZZZZZZ"]}, "user_ids[0]"),
        ({"idempotency_key": "k", "title": "x", "user_ids": "everyone"}, "user_ids"),
    ],
)
def test_create_refusals_name_the_field(api: API, body: dict[str, Any], field: str) -> None:
    api.refused("POST", "/v2/escalations", field, json=body)


def test_both_a_path_and_users_is_refused(api: API) -> None:
    _, path = seeded(api)
    people = users(api)
    body = {
        "idempotency_key": "k",
        "title": "x",
        "escalation_path_id": path["id"],
        "user_ids": [people["sam@example.com"]["id"]],
    }
    assert "not both" in api.refused("POST", "/v2/escalations", "escalation_path_id", json=body)["message"]


def test_respond_refusals(api: API) -> None:
    people = users(api)
    body = {"idempotency_key": "r", "title": "x", "user_ids": [people["sam@example.com"]["id"]]}
    escalation = api.call("POST", "/v2/escalations", 201, json=body)["escalation"]
    respond = f"/v2/escalations/{escalation['id']}/actions/respond"
    assert "cannot decline" in api.refused("POST", respond, "response", json={"response": "nack"})["message"]
    api.refused("POST", respond, "response", json={"response": "maybe"})
    api.refused("POST", respond, "snooze_details.snooze_until", json={"response": "snooze"})
    past = {"response": "snooze", "snooze_details": {"snooze_until": "2020-01-01T00:00:00Z"}}
    api.refused("POST", respond, "snooze_details.snooze_until", json=past)
    api.call(
        "POST", "/v2/escalations/01HZZZZZZZZZZZZZZZZZZZZZZZ/actions/respond", 404, json={"response": "ack"}
    )


def test_a_read_only_key_can_look_but_not_page(emulator: Emulator) -> None:
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        headers={"Authorization": "Bearer viewer-key"},
    ) as http:
        assert http.get("/v2/escalations").status_code == 200
        refused = http.post("/v2/escalations", json={"idempotency_key": "k", "title": "x", "user_ids": []})
        assert refused.status_code == 403 and "escalations.create" in refused.json()["errors"][0]["message"]


# Escalation paths


def test_escalation_path_crud_and_refusals(api: API) -> None:
    schedule, _ = seeded(api)
    people = users(api)
    nodes = [
        {
            "id": "a",
            "type": "level",
            "level": {
                "targets": [{"type": "schedule", "id": schedule["id"], "urgency": "high"}],
                "time_to_ack_seconds": 60,
            },
        },
        {"id": "b", "type": "repeat", "repeat": {"to_node": "a", "repeat_times": 2}},
    ]
    created = api.call("POST", "/v2/escalation_paths", 201, json={"name": "Payments", "path": nodes})[
        "escalation_path"
    ]
    assert created["kind"] == "standalone" and names(created["current_responders"]) == ["Mei Lin"]
    user_level = {
        "id": "c",
        "type": "level",
        "level": {"targets": [{"type": "user", "id": people["sam@example.com"]["id"], "urgency": "low"}]},
    }
    updated = api.call(
        "PUT", f"/v2/escalation_paths/{created['id']}", 200, json={"name": "Payments 2", "path": [user_level]}
    )["escalation_path"]
    assert updated["name"] == "Payments 2" and names(updated["current_responders"]) == ["Sam Okafor"]
    assert (
        api.call("GET", f"/v2/escalation_paths/{created['id']}", 200)["escalation_path"]["name"]
        == "Payments 2"
    )
    assert api.call("DELETE", f"/v2/escalation_paths/{created['id']}", 204) is None
    api.call("GET", f"/v2/escalation_paths/{created['id']}", 404)

    bad_target = [
        {
            "id": "a",
            "type": "level",
            "level": {"targets": [{"type": "user", "id": "nobody", "urgency": "high"}]},
        }
    ]
    api.refused(
        "POST", "/v2/escalation_paths", "path[0].level.targets[0].id", json={"name": "x", "path": bad_target}
    )
    api.refused("POST", "/v2/escalation_paths", "name", json={"path": nodes})
    api.refused("POST", "/v2/escalation_paths", "path", json={"name": "x"})
    api.refused(
        "POST",
        "/v2/escalation_paths",
        "path[0].type",
        json={"name": "x", "path": [{"id": "a", "type": "page"}]},
    )
    loop = [{"id": "a", "type": "repeat", "repeat": {"to_node": "z", "repeat_times": 1}}]
    api.refused("POST", "/v2/escalation_paths", "path[0].repeat.to_node", json={"name": "x", "path": loop})
    api.refused(
        "POST",
        "/v2/escalation_paths",
        "template_id",
        json={"name": "x", "path": [], "kind": "templated", "template_id": "t"},
    )


def test_a_repeat_node_pages_its_level_again(api: API, clock: FakeClock) -> None:
    people = users(api)
    nodes = [
        {
            "id": "a",
            "type": "level",
            "level": {
                "targets": [{"type": "user", "id": people["mei@example.com"]["id"], "urgency": "high"}],
                "time_to_ack_seconds": 60,
            },
        },
        {"id": "b", "type": "repeat", "repeat": {"to_node": "a", "repeat_times": 1}},
    ]
    path = api.call("POST", "/v2/escalation_paths", 201, json={"name": "Twice", "path": nodes})[
        "escalation_path"
    ]
    escalation = api.call(
        "POST",
        "/v2/escalations",
        201,
        json={"idempotency_key": "t", "title": "x", "escalation_path_id": path["id"]},
    )["escalation"]
    clock.advance(minutes=3)
    shown = api.call("GET", f"/v2/escalations/{escalation['id']}", 200)["escalation"]
    assert [e["event"] for e in shown["events"]] == [
        "triggered",
        "notified_users",
        "notified_users",
        "expired",
    ]


# Schedules, entries and overrides


def weekly(people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "schedule": {
            "name": "Database",
            "timezone": "UTC",
            "config": {
                "rotations": [
                    {
                        "name": "DBAs",
                        "users": [
                            {"email": "tomas@example.com"},
                            {"id": people["mei@example.com"]["id"]},
                            {"email": "sam@example.com"},
                        ],
                        "handover_start_at": "2026-03-02T09:00:00Z",
                        "handovers": [{"interval_type": "weekly", "interval": 1}],
                        "layers": [{"name": "Primary"}],
                    }
                ]
            },
        }
    }


def test_schedule_crud_with_webhooks(api: API, events: list[dict[str, Any]]) -> None:
    created = api.call("POST", "/v2/schedules", 201, json=weekly(users(api)))["schedule"]
    assert names([s["user"] for s in created["current_shifts"]]) == ["Tomás García"]
    assert names(created["config"]["rotations"][0]["users"]) == ["Tomás García", "Mei Lin", "Sam Okafor"]
    assert event_types(events) == ["schedule.created_v1", "schedule.shift_change_v1"]
    renamed = api.call("PUT", f"/v2/schedules/{created['id']}", 200, json={"schedule": {"name": "DB"}})[
        "schedule"
    ]
    assert renamed["name"] == "DB" and renamed["config"] == created["config"]
    assert event_types(events)[-1] == "schedule.updated_v1"
    listed = api.call("GET", "/v2/schedules", 200)
    assert listed["pagination_meta"]["total_record_count"] == 2
    assert api.call("DELETE", f"/v2/schedules/{created['id']}", 202) is None
    assert events[-1]["schedule.deleted_v1"]["name"] == "DB"
    api.call("GET", f"/v2/schedules/{created['id']}", 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "schedule.name"),
        ({"timezone": "Mars/Olympus"}, "schedule.timezone"),
        ({"config": {"rotations": [{"users": []}]}}, "schedule.config.rotations[0].name"),
        (
            {"config": {"rotations": [{"name": "r", "users": [{"email": "who@example.com"}]}]}},
            "schedule.config.rotations[0].users[0].email",
        ),
        (
            {
                "config": {
                    "rotations": [{"name": "r", "handovers": [{"interval_type": "monthly", "interval": 1}]}]
                }
            },
            "schedule.config.rotations[0].handovers[0].interval_type",
        ),
        (
            {"config": {"rotations": [{"name": "r", "handover_start_at": "soon"}]}},
            "schedule.config.rotations[0].handover_start_at",
        ),
        (
            {
                "config": {
                    "rotations": [
                        {
                            "name": "r",
                            "working_intervals": [
                                {"weekday": "monday", "start_time": "17:00", "end_time": "09:00"}
                            ],
                        }
                    ]
                }
            },
            "schedule.config.rotations[0].working_intervals[0].end_time",
        ),
    ],
)
def test_schedule_refusals_name_the_field(api: API, change: dict[str, Any], field: str) -> None:
    body = {"schedule": {"name": "x", **change}}
    body["schedule"] = {k: v for k, v in body["schedule"].items() if v is not None}
    api.refused("POST", "/v2/schedules", field, json=body)


def test_entries_of_a_window_with_an_override_and_its_crud(api: API, events: list[dict[str, Any]]) -> None:
    schedule = api.call("POST", "/v2/schedules", 201, json=weekly(users(api)))["schedule"]
    rotation = schedule["config"]["rotations"][0]
    window = {
        "schedule_id": schedule["id"],
        "entry_window_start": "2026-03-02T09:00:00Z",
        "entry_window_end": "2026-03-23T09:00:00Z",
    }
    entries = api.call("GET", "/v2/schedule_entries", 200, params=window)["schedule_entries"]
    assert names([e["user"] for e in entries["final"]]) == ["Tomás García", "Mei Lin", "Sam Okafor"]
    assert entries["overrides"] == [] and entries["scheduled"] == entries["final"]

    cover = {
        "schedule_id": schedule["id"],
        "rotation_id": rotation["id"],
        "layer_id": rotation["layers"][0]["id"],
        "start_at": "2026-03-04T10:00:00Z",
        "end_at": "2026-03-04T14:00:00Z",
        "user": {"email": "priya@example.com"},
    }
    override = api.call("POST", "/v2/schedule_overrides", 201, json=cover)["override"]
    # It covers the emulator's now (12:00), so who is on call changed.
    change = events[-1]["schedule.shift_change_v1"]
    assert names(change["previous_users"]) == ["Tomás García"] and names(change["current_users"]) == [
        "Priya Shah"
    ]
    entries = api.call("GET", "/v2/schedule_entries", 200, params=window)["schedule_entries"]
    assert names([e["user"] for e in entries["final"]])[:3] == ["Tomás García", "Priya Shah", "Tomás García"]
    assert entries["overrides"][0]["entry_id"] == override["id"]

    moved = {**cover, "start_at": "2026-03-10T10:00:00Z", "end_at": "2026-03-10T11:00:00Z"}
    moved.pop("schedule_id")
    api.call("PUT", f"/v2/schedule_overrides/{override['id']}", 200, json=moved)
    listed = api.call("GET", "/v2/schedule_overrides", 200, params={"schedule_id": schedule["id"]})[
        "overrides"
    ]
    assert [o["start_at"] for o in listed] == ["2026-03-10T10:00:00.000000Z"]
    assert (
        api.call("GET", f"/v2/schedule_overrides/{override['id']}", 200)["override"]["user"]["name"]
        == "Priya Shah"
    )
    assert api.call("DELETE", f"/v2/schedule_overrides/{override['id']}", 204) is None
    assert (
        api.call("GET", "/v2/schedule_overrides", 200, params={"schedule_id": schedule["id"]})["overrides"]
        == []
    )


def test_override_refusals_name_the_field(api: API) -> None:
    schedule = api.call("POST", "/v2/schedules", 201, json=weekly(users(api)))["schedule"]
    rotation = schedule["config"]["rotations"][0]
    good = {
        "schedule_id": schedule["id"],
        "rotation_id": rotation["id"],
        "layer_id": rotation["layers"][0]["id"],
        "start_at": "2026-03-04T10:00:00Z",
        "end_at": "2026-03-04T14:00:00Z",
        "user": {"email": "priya@example.com"},
    }
    for change, field in (
        ({"schedule_id": "nope"}, "schedule_id"),
        ({"rotation_id": "nope"}, "rotation_id"),
        ({"layer_id": "nope"}, "layer_id"),
        ({"end_at": "2026-03-04T09:00:00Z"}, "end_at"),
        ({"user": {"email": "nobody@example.com"}}, "user.email"),
        ({"user": None}, "user"),
    ):
        api.refused("POST", "/v2/schedule_overrides", field, json={**good, **change})
    api.refused("GET", "/v2/schedule_overrides", "schedule_id")


def test_entries_page_through_a_long_window_with_the_cursor(api: API) -> None:
    hourly = weekly(users(api))
    hourly["schedule"]["config"]["rotations"][0]["handovers"] = [{"interval_type": "hourly", "interval": 1}]
    schedule = api.call("POST", "/v2/schedules", 201, json=hourly)["schedule"]
    params = {
        "schedule_id": schedule["id"],
        "entry_window_start": "2026-03-02T09:00:00Z",
        "entry_window_end": "2026-03-22T09:00:00Z",
    }
    seen: list[str] = []
    pages = 0
    while True:
        body = api.call("GET", "/v2/schedule_entries", 200, params=params)
        seen += [e["start_at"] for e in body["schedule_entries"]["final"]]
        pages += 1
        if "pagination_meta" not in body:
            break
        assert body["pagination_meta"]["after_url"].startswith("/v2/schedule_entries?")
        params = {**params, "entry_window_start": body["pagination_meta"]["after"]}
    assert pages == 2 and len(seen) == 20 * 24 and len(set(seen)) == len(seen)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "schedule_id"),
        ({"entry_window_start": "tomorrow"}, "entry_window_start"),
        (
            {"entry_window_start": "2026-03-05T00:00:00Z", "entry_window_end": "2026-03-04T00:00:00Z"},
            "entry_window_end",
        ),
        (
            {"entry_window_start": "2026-01-01T00:00:00Z", "entry_window_end": "2028-01-01T00:00:00Z"},
            "entry_window_end",
        ),
    ],
)
def test_entries_refusals_name_the_parameter(api: API, params: dict[str, str], field: str) -> None:
    schedule, _ = seeded(api)
    query = {"schedule_id": schedule["id"], **params} if field != "schedule_id" else params
    api.refused("GET", "/v2/schedule_entries", field, params=query)


def test_the_state_file_keeps_schedules_and_escalations(tmp_path: Any, clock: FakeClock) -> None:
    state = tmp_path / "state.json"
    first = Emulator(seed="default", state_file=state, clock=clock, random_seed=1)
    path = first.state.escalation_paths[0]
    with httpx2.Client(
        base_url="https://x",
        transport=first.transport(),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
    ) as http:
        made = http.post(
            "/v2/escalations", json={"idempotency_key": "s", "title": "x", "escalation_path_id": path["id"]}
        ).json()
    again = Emulator(seed="default", state_file=state, clock=clock)
    assert again.state.escalations[0]["id"] == made["escalation"]["id"]
    assert again.state.escalation_progress[made["escalation"]["id"]]["key"] == "s"
