"""Every response the emulator gives during a full session of the client matches the official schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2
import pytest

from incidentkit.api import AuthenticationError, Client, NotFoundError, UnprocessableEntityError
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.emulator.routes import ROUTES
from incidentkit.emulator.spec import operations
from tests.emulator import schema
from tests.emulator.catalog_session import exercise_catalog_and_follow_ups
from tests.emulator.generic_session import GenericSession
from tests.emulator.incident_extras_session import exercise_incident_extras
from tests.emulator.paging_session import exercise_paging


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
    exercise_catalog_and_follow_ups(client, incident.id)
    for options in (
        {},
        {"status_category": "closed"},
        {"severity_gte": "Major", "created_at_gte": datetime(2020, 1, 1, tzinfo=UTC)},
        {"mode": ["standard", "test"], "sort_by": "created_at_oldest_first"},
    ):
        list(client.incidents.list(page_size=7, **options))  # type: ignore[arg-type]
    exercise_alerting(client, incident.id)
    with pytest.raises(NotFoundError):
        client.incidents.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v2/incidents", json={"visibility": "public"})
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v3/follow_ups", json={"incident_id": incident.id})
    exercise_paging(client)
    exercise_incident_extras(client)

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


def exercise_alerting(client: Client, incident_id: str) -> None:
    """Alert sources, routes (v2 and v3), events, alerts, tags and incident alerts."""
    template = {"title": {"reference": "alert.title"}, "description": {}, "attributes": [], "expressions": []}
    source = client.alert_sources.create(name="Schema check", template=template)
    client.alert_sources.get(source.id)
    client.alert_sources.update(source.id, name="Schema check 2", template=template)
    client.request(
        "POST", "/v2/alert_sources/actions/validate", json={"source_type": "http", "template": template}
    )
    assert source.secret_token is not None
    client.alert_events.send(source.id, source.secret_token, title="Schema", metadata={"severity": "Minor"})
    with pytest.raises(AuthenticationError):
        client.alert_events.send(source.id, "wrong", title="Schema")
    route_payload = {
        "name": "Schema route",
        "enabled": True,
        "is_private": False,
        "alert_sources": [{"alert_source_id": source.id, "condition_groups": []}],
        "condition_groups": [],
        "expressions": [{"label": "L", "reference": "r", "root_reference": "alert", "operations": []}],
        "escalation_config": {"auto_cancel_escalations": False, "escalation_targets": []},
        "grouping_config": {"default": {"enabled": True, "grouping_keys": [{"reference": "alert.title"}]}},
        "message_config": {"destinations": []},
        "incident_config": {
            "enabled": True,
            "auto_decline_enabled": True,
            "template": {"name": {"autogenerated": False}, "severity": {"merge_strategy": "max"}},
        },
    }
    route = client.alert_routes.create(route_payload)
    client.alert_routes.get(route.id)
    client.alert_routes.update(route.id, route_payload)
    list(client.alert_routes.list(page_size=1))
    client.request("GET", "/v2/alert_routes")
    client.request("GET", f"/v2/alert_routes/{route.id}")
    v2 = client.request(
        "POST",
        "/v2/alert_routes",
        json={
            **{k: v for k, v in route_payload.items() if k not in ("grouping_config", "message_config")},
            "channel_config": [],
            "incident_template": {"name": {"autogenerated": True}},
            "incident_config": {
                "enabled": False,
                "auto_decline_enabled": False,
                "auto_relate_grouped_alerts": False,
                "condition_groups": [],
                "defer_time_seconds": 0,
                "grouping_keys": [],
                "grouping_window_seconds": 0,
            },
        },
    )["alert_route"]
    client.request("PUT", f"/v2/alert_routes/{v2['id']}", json={**v2, "version": 2})
    client.request("DELETE", f"/v2/alert_routes/{v2['id']}")
    client.alert_events.send(source.id, source.secret_token, title="Grouped", deduplication_key="g")
    client.alert_events.send(source.id, source.secret_token, title="Grouped", deduplication_key="g2")
    alert = next(iter(client.alerts.list(alert_source=source.id, page_size=1)))
    client.alerts.get(alert.id)
    client.alerts.add_tags(alert.id, ["noisy"])
    client.alerts.set_tags(alert.id, ["noisy", "db"])
    client.alerts.remove_tags(alert.id, "db")
    list(client.alerts.tags(search="no"))
    list(client.alerts.list(status="firing", tags="noisy", created_at_gte=datetime(2020, 1, 1, tzinfo=UTC)))
    link = client.incident_alerts.attach(incident_id, alert.id)
    list(client.incident_alerts.list(incident_id, page_size=1))
    client.incident_alerts.transition(link.id, "unrelated")
    client.alerts.resolve(alert.id)
    client.alert_events.send(
        source.id, source.secret_token, title="Grouped", deduplication_key="g2", status="resolved"
    )
    with pytest.raises(UnprocessableEntityError):
        client.request("POST", "/v2/incident_alerts", json={"alert_id": alert.id})
    with pytest.raises(NotFoundError):
        client.alerts.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    client.alert_routes.delete(route.id)
    client.alert_sources.delete(source.id)
    client.alert_sources.list()


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
        ("GET", "/v2/alert_sources", {"alert_sources": state.alert_sources}),
        ("GET", "/v2/schedules", {"schedules": state.schedules}),
        (
            "GET",
            "/v2/escalation_paths",
            {"escalation_paths": state.escalation_paths, "pagination_meta": {"page_size": 25}},
        ),
    ]
    for route in state.alert_routes:
        schema.validate("GET", f"/v3/alert_routes/{route['id']}", 200, {"alert_route": route})
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
