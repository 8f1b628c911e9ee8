"""Alert sources and alert routes as the emulator's configuration: create, show, update, delete, list."""

from __future__ import annotations

from typing import Any

import pytest

from incidentkit.emulator import Emulator
from incidentkit.emulator.seed import MONITORING_ROUTE_ID, MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from tests.conftest import FakeClock
from tests.emulator.test_alerts import API

TEMPLATE = {
    "title": {"reference": "alert.title"},
    "description": {"reference": "alert.description"},
    "attributes": [],
    "expressions": [],
}


@pytest.fixture
def api(clock: FakeClock) -> API:
    return API(Emulator(seed="default", clock=clock, random_seed=9))


def test_the_seeded_source_and_route_are_listed(api: API) -> None:
    [source] = api("GET", "/v2/alert_sources")[1]["alert_sources"]
    assert (source["id"], source["name"], source["source_type"]) == (
        MONITORING_SOURCE_ID,
        "Monitoring",
        "http",
    )
    assert source["secret_token"] == MONITORING_SOURCE_TOKEN
    assert source["alert_events_url"].endswith(f"/v2/alert_events/http/{MONITORING_SOURCE_ID}")
    [route] = api("GET", "/v3/alert_routes")[1]["alert_routes"]
    assert route == {
        "id": MONITORING_ROUTE_ID,
        "name": "Monitoring alerts open triage incidents",
        "enabled": True,
    }
    assert api("GET", "/v2/alert_routes")[1]["alert_routes"] == [route]


def test_an_http_source_gets_its_own_events_url_and_token_and_can_take_events(api: API) -> None:
    status, body = api(
        "POST", "/v2/alert_sources", json={"name": "Nagios", "source_type": "http", "template": TEMPLATE}
    )
    assert status == 200
    source = body["alert_source"]
    assert source["secret_token"] and source["secret_token"] != MONITORING_SOURCE_TOKEN
    assert source["template"]["is_private"] is False
    assert source["template"]["title"] == {"reference": "alert.title", "label": "alert.title"}
    status, _ = api(
        "POST",
        f"/v2/alert_events/http/{source['id']}",
        params={"token": source["secret_token"]},
        json={"title": "Host down", "status": "firing"},
    )
    assert status == 202
    # The other source's token does not open this one.
    status, _ = api(
        "POST",
        f"/v2/alert_events/http/{source['id']}",
        params={"token": MONITORING_SOURCE_TOKEN},
        json={"title": "Host down", "status": "firing"},
    )
    assert status == 401


def test_sources_are_updated_and_deleted(api: API) -> None:
    source = api(
        "POST", "/v2/alert_sources", json={"name": "Old", "source_type": "http", "template": TEMPLATE}
    )[1]["alert_source"]
    status, body = api("PUT", f"/v2/alert_sources/{source['id']}", json={"name": "New", "template": TEMPLATE})
    assert status == 200
    assert (body["alert_source"]["name"], body["alert_source"]["secret_token"]) == (
        "New",
        source["secret_token"],
    )
    assert api("GET", f"/v2/alert_sources/{source['id']}")[1]["alert_source"]["name"] == "New"
    assert api("DELETE", f"/v2/alert_sources/{source['id']}")[0] == 204
    assert api("GET", f"/v2/alert_sources/{source['id']}")[0] == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"source_type": "http", "template": TEMPLATE}, "name"),
        ({"name": "X", "source_type": "carrier_pigeon", "template": TEMPLATE}, "source_type"),
        ({"name": "X", "source_type": "http"}, "template"),
        ({"name": "X", "source_type": "http", "template": {**TEMPLATE, "title": None}}, "template.title"),
        (
            {"name": "X", "source_type": "http", "template": {**TEMPLATE, "attributes": [{}]}},
            "template.attributes[0].alert_attribute_id",
        ),
        ({"name": "X", "source_type": "http_custom", "template": TEMPLATE}, "http_custom_options"),
        ({"name": "Monitoring", "source_type": "http", "template": TEMPLATE}, "name"),
        (
            {"name": "X", "source_type": "http", "template": TEMPLATE, "auto_resolve_timeout_minutes": "ten"},
            "auto_resolve_timeout_minutes",
        ),
    ],
)
def test_bad_sources_are_422_naming_the_field(api: API, payload: dict[str, Any], field: str) -> None:
    status, body = api("POST", "/v2/alert_sources", json=payload)
    assert status == 422, body
    assert body["errors"][0]["source"]["field"] == field


def route_v3(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Database alerts",
        "enabled": True,
        "is_private": False,
        "alert_sources": [{"alert_source_id": MONITORING_SOURCE_ID, "condition_groups": []}],
        "condition_groups": [],
        "expressions": [],
        "escalation_config": {"auto_cancel_escalations": False, "escalation_targets": []},
        "grouping_config": {"default": {"enabled": False}},
        "message_config": {"destinations": []},
        "incident_config": {"enabled": False},
    }
    return payload | changes


def test_v3_routes_are_created_shown_updated_with_the_next_version_and_deleted(api: API) -> None:
    status, body = api("POST", "/v3/alert_routes", json=route_v3())
    assert status == 201
    route = body["alert_route"]
    assert (route["version"], route["incident_config"]) == (1, {"enabled": False})
    assert api("GET", f"/v3/alert_routes/{route['id']}")[1]["alert_route"] == route
    status, body = api("PUT", f"/v3/alert_routes/{route['id']}", json=route_v3(name="DB", version=2))
    assert status == 200 and (body["alert_route"]["name"], body["alert_route"]["version"]) == ("DB", 2)
    status, body = api("PUT", f"/v3/alert_routes/{route['id']}", json=route_v3(version=2))
    assert status == 409 and body["errors"][0]["source"]["field"] == "version"
    assert api("DELETE", f"/v3/alert_routes/{route['id']}")[0] == 204
    assert api("GET", f"/v3/alert_routes/{route['id']}")[0] == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": None}, "name"),
        ({"enabled": "yes"}, "enabled"),
        (
            {"alert_sources": [{"alert_source_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "condition_groups": []}]},
            "alert_sources[0].alert_source_id",
        ),
        (
            {"incident_config": {"enabled": True, "template": {"name": {"autogenerated": False}}}},
            "incident_config.auto_decline_enabled",
        ),
        ({"incident_config": {"enabled": True, "auto_decline_enabled": False}}, "incident_config.template"),
        (
            {"grouping_config": {"default": {"enabled": True, "window_seconds": 5}}},
            "grouping_config.default.window_seconds",
        ),
        (
            {
                "condition_groups": [
                    {
                        "conditions": [
                            {"subject": "alert.title", "operation": "matches_regex", "param_bindings": []}
                        ]
                    }
                ]
            },
            "condition_groups[0].conditions[0].operation",
        ),
    ],
)
def test_bad_v3_routes_are_422_naming_the_field(api: API, changes: dict[str, Any], field: str) -> None:
    status, body = api("POST", "/v3/alert_routes", json=route_v3(**changes))
    assert status == 422, body
    assert body["errors"][0]["source"]["field"] == field


def test_v2_shows_the_same_routes_and_keeps_its_own_settings(api: API) -> None:
    seeded = api("GET", f"/v2/alert_routes/{MONITORING_ROUTE_ID}")[1]["alert_route"]
    assert seeded["incident_config"]["enabled"] is True
    assert seeded["incident_template"]["severity"]["merge_strategy"] == "max"
    payload = {
        "name": "Legacy route",
        "enabled": True,
        "is_private": False,
        "alert_sources": [{"alert_source_id": MONITORING_SOURCE_ID, "condition_groups": []}],
        "condition_groups": [],
        "expressions": [],
        "channel_config": [],
        "escalation_config": {"auto_cancel_escalations": False, "escalation_targets": []},
        "incident_template": {"name": {"autogenerated": True}},
        "incident_config": {
            "enabled": True,
            "auto_decline_enabled": False,
            "auto_relate_grouped_alerts": True,
            "condition_groups": [],
            "defer_time_seconds": 120,
            "grouping_keys": [{"reference": "alert.title"}],
            "grouping_window_seconds": 900,
        },
    }
    status, body = api("POST", "/v2/alert_routes", json=payload)
    assert status == 201
    route = body["alert_route"]
    assert route["incident_config"]["defer_time_seconds"] == 120
    assert route["incident_config"]["auto_relate_grouped_alerts"] is True
    v3 = api("GET", f"/v3/alert_routes/{route['id']}")[1]["alert_route"]
    assert v3["grouping_config"]["default"]["grouping_keys"] == [{"reference": "alert.title"}]
    assert v3["grouping_config"]["default"]["window_seconds"] == 900
    status, body = api(
        "PUT", f"/v2/alert_routes/{route['id']}", json={**payload, "name": "Renamed", "version": 2}
    )
    assert status == 200 and body["alert_route"]["name"] == "Renamed"
    assert api("DELETE", f"/v2/alert_routes/{route['id']}")[0] == 204


def test_a_disabled_route_opens_no_incident(api: API) -> None:
    route = api("GET", f"/v3/alert_routes/{MONITORING_ROUTE_ID}")[1]["alert_route"]
    payload = {key: value for key, value in route.items() if key not in ("id", "created_at", "updated_at")}
    payload["incident_config"]["template"]["name"] = {"autogenerated": False}
    status, body = api(
        "PUT", f"/v3/alert_routes/{MONITORING_ROUTE_ID}", json={**payload, "enabled": False, "version": 2}
    )
    assert status == 200, body
    api.event(title="Quiet", deduplication_key="q")
    assert api("GET", "/v2/incident_alerts")[1]["incident_alerts"] == []


def test_a_read_only_key_may_list_but_not_configure(clock: FakeClock) -> None:
    import httpx2

    emulator = Emulator(seed="default", clock=clock, read_only_keys=["viewer"])
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        headers={"Authorization": "Bearer viewer"},
    ) as http:
        assert http.get("/v2/alert_sources").status_code == 200
        assert http.get("/v2/alerts").status_code == 200
        refused = http.post(
            "/v2/alert_sources", json={"name": "X", "source_type": "http", "template": TEMPLATE}
        )
        assert refused.status_code == 403


def test_a_body_that_is_no_object_is_400(api: API) -> None:
    status, body = api("POST", "/v2/alert_sources", json=["Monitoring"])
    assert status == 400 and body["errors"][0]["code"] == "invalid_body"
