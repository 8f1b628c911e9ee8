"""Every response the emulator gives during a full session of the client matches the official schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2
import pytest

from incidentkit.api import Client, NotFoundError, UnprocessableEntityError
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.emulator.routes import ROUTES
from incidentkit.emulator.spec import operations
from tests.emulator import schema
from tests.emulator.generic_session import GenericSession


@dataclass
class Recorder:
    """Wraps the emulator's transport and keeps every exchange."""

    emulator: Emulator
    exchanges: list[tuple[str, str, int, bytes, str]] = field(default_factory=list)

    def transport(self) -> httpx2.MockTransport:
        inner = self.emulator.transport()

        def handle(request: httpx2.Request) -> httpx2.Response:
            response = inner.handle_request(request)
            body = response.read()
            content_type = response.headers.get("content-type", "")
            self.exchanges.append(
                (request.method, request.url.path, response.status_code, body, content_type)
            )
            return httpx2.Response(response.status_code, content=body, headers=response.headers)

        return httpx2.MockTransport(handle)


def exercise_every_operation(client: Client) -> None:
    """Call every operation the client has, successes and refusals."""
    # The client answers severities, statuses and types by id from its catalogue, so fetch them directly.
    client.request("GET", f"/v1/severities/{client.severities.list()[0].id}")
    client.request("GET", f"/v1/incident_statuses/{client.incident_statuses.list()[0].id}")
    client.request("GET", f"/v1/incident_types/{client.incident_types.list()[0].id}")
    role = client.incident_roles.list()[0]
    client.incident_roles.get(role.id)
    custom_field = client.custom_fields.list()[0]
    client.custom_fields.get(custom_field.id)
    user = next(iter(client.users.list()))
    client.users.get(user.id)
    client.identity.get()

    incident = client.incidents.create(
        name="Schema check", summary="Every field", severity="Minor", status="Triage", incident_type="Default"
    )
    client.incidents.get(incident.id)
    client.incidents.get(incident.reference)
    client.incidents.edit(incident.id, summary="Edited", severity="Major")
    client.incidents.acknowledge(incident.id, message="Looking")
    client.incidents.escalate(incident.id)
    client.incident_updates.create(incident.id, message="Progress")
    list(client.incident_updates.list(incident.id, page_size=1))
    item = client.incident_timeline_items.create(incident.id, title="Rolled back", description="Deploy 42")
    client.incident_timeline_items.update(item.id, title="Rolled back deploy 42")
    list(client.incident_timeline_items.list(incident.id))
    client.incidents.close(incident.id, message="Resolved")
    client.request(
        "POST",
        "/v3/follow_ups",
        json={
            "incident_id": incident.id,
            "title": "Add alerting on replica lag",
            "description": "Page before the pool runs dry",
            "assignee_id": user.id,
            "labels": ["monitoring"],
        },
    )
    client.request("POST", "/v3/follow_ups", json={"incident_id": incident.id, "title": "Write it up"})
    client.request("GET", "/v3/follow_ups", params={"incident_id": incident.id, "page_size": "1"})
    client.request("GET", "/v3/follow_ups")
    for options in (
        {},
        {"status_category": "closed"},
        {"severity_gte": "Major", "created_at_gte": datetime(2020, 1, 1, tzinfo=UTC)},
        {"mode": ["standard", "test"], "sort_by": "created_at_oldest_first"},
    ):
        list(client.incidents.list(page_size=7, **options))  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        client.incidents.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v2/incidents", json={"visibility": "public"})
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v3/follow_ups", json={"incident_id": incident.id})
    # Every other operation of the schema, answered by the generic mechanism.
    GenericSession(client).run()


# GET /v1/openapiV3.json answers the schema document itself, which the schema declares as a
# JSON "string" of format binary: the schema's quirk, so that one answer is checked for its
# content instead.
_SCHEMA_DOCUMENT = "/v1/openapiV3.json"


def _check_exchange(method: str, path: str, status: int, body: bytes, content_type: str) -> None:
    if path == _SCHEMA_DOCUMENT and status == 200:
        assert set(json.loads(body)) >= {"openapi", "paths", "components"}
        return
    if content_type != "application/json":
        _, operation = schema.operation_for(method, path)
        declared = operation["responses"][str(status)]["content"]
        assert content_type in declared, f"{method} {path} answered {content_type}; declared {list(declared)}"
        return
    schema.validate(method, path, status, json.loads(body) if body else None)


def test_every_response_matches_the_official_schema() -> None:
    recorder = Recorder(Emulator(seed="demo", random_seed=1))
    with Client(SANDBOX_API_KEY, transport=recorder.transport(), rate_limit=None) as client:
        exercise_every_operation(client)

    seen = set()
    for method, path, status, body, content_type in recorder.exchanges:
        _check_exchange(method, path, status, body, content_type)
        template, _ = schema.operation_for(method, path)
        if status < 400:
            assert status == schema.success_status(method, path), f"{method} {path}"
            seen.add((method, template))
    hand_written = {(route.method, route.template) for route in ROUTES}
    assert hand_written - seen == set(), "hand-written operations the session never called"
    every = {(method, template) for method, template, _ in operations()}
    assert every - seen == set(), "operations of the schema the session never called successfully"


@pytest.mark.parametrize("seed", ["default", "demo"])
def test_seeded_records_match_the_schema(seed: str) -> None:
    emulator = Emulator(seed=seed)
    state = emulator.state
    checks = [
        ("GET", "/v1/severities", {"severities": state.severities}),
        ("GET", "/v1/incident_statuses", {"incident_statuses": state.incident_statuses}),
        ("GET", "/v1/incident_types", {"incident_types": state.incident_types}),
        ("GET", "/v2/incident_roles", {"incident_roles": state.incident_roles}),
        ("GET", "/v2/custom_fields", {"custom_fields": state.custom_fields}),
        ("GET", "/v2/users", {"users": state.users, "pagination_meta": {"page_size": 25}}),
        ("GET", "/v2/incidents", {"incidents": list(state.incidents.values())}),
        ("GET", "/v2/incident_updates", {"incident_updates": state.incident_updates}),
    ]
    for method, path, body in checks:
        schema.validate(method, path, 200, body)
    for incident in state.incidents.values():
        items = [i for i in state.timeline_items.values() if i["incident_id"] == incident["id"]]
        schema.validate("GET", "/v2/incident_timeline_items", 200, {"incident_timeline_items": items})


def test_the_strict_check_catches_an_invented_field() -> None:
    emulator = Emulator()
    severities = [{**emulator.state.severities[0], "colour": "red"}]
    with pytest.raises(AssertionError, match="colour"):
        schema.validate("GET", "/v1/severities", 200, {"severities": severities})
