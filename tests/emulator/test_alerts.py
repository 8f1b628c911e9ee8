"""The emulator's alerting: HTTP alert events, alerts, alert routes opening incidents, incident alerts.

Every answer is checked against the official schema as well as for its behaviour.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.emulator.seed import MONITORING_ROUTE_ID, MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from tests.conftest import FakeClock
from tests.emulator import schema
from tests.webhooks.test_emulator_delivery import assert_matches_schema

EVENTS = f"/v2/alert_events/http/{MONITORING_SOURCE_ID}"


class API:
    """Raw HTTP to an emulator; every answer is validated against the schema."""

    def __init__(self, emulator: Emulator) -> None:
        self.http = httpx2.Client(
            base_url="https://api.incident.io",
            transport=emulator.transport(),
            headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
        )

    def __call__(self, method: str, path: str, **options: Any) -> tuple[int, Any]:
        response = self.http.request(method, path, **options)
        body = response.json() if response.content else None
        schema.validate(method, path, response.status_code, body)
        return response.status_code, body

    def event(self, token: str = MONITORING_SOURCE_TOKEN, **payload: Any) -> tuple[int, Any]:
        return self("POST", EVENTS, params={"token": token}, json={"status": "firing", **payload})


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def emulator(clock: FakeClock, events: list[tuple[str, dict[str, Any]]]) -> Emulator:
    emulator = Emulator(seed="default", clock=clock, random_seed=5)
    emulator.subscribe(lambda event_type, envelope: events.append((event_type, envelope)))
    return emulator


@pytest.fixture
def api(emulator: Emulator) -> API:
    return API(emulator)


def incident_alerts(api: API, **params: str) -> list[dict[str, Any]]:
    status, body = api("GET", "/v2/incident_alerts", params=params)
    assert status == 200
    links: list[dict[str, Any]] = body["incident_alerts"]
    return links


def test_a_firing_event_raises_an_alert_that_the_seeded_route_turns_into_a_triage_incident(
    api: API, emulator: Emulator, events: list[tuple[str, dict[str, Any]]]
) -> None:
    before = len(emulator.state.incidents)
    status, body = api.event(
        title="Checkout error rate above 5%",
        description="5xx on checkout-web",
        deduplication_key="checkout-5xx",
        source_url="https://grafana.example.com/d/1",
        metadata={"severity": "Major", "service": "checkout-web"},
    )
    assert (status, body) == (
        202,
        {
            "deduplication_key": "checkout-5xx",
            "message": "Event accepted for processing",
            "status": "success",
        },
    )
    [alert] = api("GET", "/v2/alerts")[1]["alerts"]
    assert (alert["title"], alert["status"], alert["alert_source_id"]) == (
        "Checkout error rate above 5%",
        "firing",
        MONITORING_SOURCE_ID,
    )
    assert alert["source_url"] == "https://grafana.example.com/d/1"
    assert len(emulator.state.incidents) == before + 1
    [link] = incident_alerts(api)
    assert link["alert"]["id"] == alert["id"]
    assert link["alert_route_id"] == MONITORING_ROUTE_ID
    incident = api("GET", f"/v2/incidents/{link['incident']['id']}")[1]["incident"]
    assert incident["name"] == "Checkout error rate above 5%"
    assert incident["summary"] == "5xx on checkout-web"
    assert incident["incident_status"]["category"] == "triage"
    assert incident["severity"]["name"] == "Major"
    assert incident["creator"] == {"alert": {"id": alert["id"], "title": alert["title"]}}
    assert link["incident"]["status_category"] == "triage"
    assert [event_type for event_type, _ in events] == [
        "public_alert.alert_created_v1",
        "public_incident.incident_created_v2",
    ]
    for _, envelope in events:
        assert_matches_schema(envelope)


def test_the_same_deduplication_key_updates_the_one_alert(api: API, emulator: Emulator) -> None:
    api.event(title="Disk 80% full", deduplication_key="disk-db-1")
    incidents = len(emulator.state.incidents)
    api.event(title="Disk 90% full", deduplication_key="disk-db-1", description="still growing")
    [alert] = api("GET", "/v2/alerts")[1]["alerts"]
    assert (alert["title"], alert["description"]) == ("Disk 90% full", "still growing")
    assert len(emulator.state.incidents) == incidents  # no second incident for the same alert
    assert len(incident_alerts(api)) == 1


def test_a_resolved_event_resolves_the_alert_and_a_later_firing_one_starts_a_new_alert(
    api: API, clock: FakeClock, events: list[tuple[str, dict[str, Any]]]
) -> None:
    api.event(title="API down", deduplication_key="api")
    clock.advance(minutes=5)
    assert api.event(title="API down", deduplication_key="api", status="resolved")[0] == 202
    [alert] = api("GET", "/v2/alerts")[1]["alerts"]
    assert alert["status"] == "resolved"
    assert alert["resolved_at"] == "2026-03-01T12:05:00.000000Z"
    assert events[-1][0] == "public_alert.alert_resolved_v1"
    assert_matches_schema(events[-1][1])
    api.event(title="API down again", deduplication_key="api")
    statuses = [a["status"] for a in api("GET", "/v2/alerts")[1]["alerts"]]
    assert statuses == ["firing", "resolved"]  # newest first


def test_a_resolved_event_for_no_firing_alert_is_accepted_and_changes_nothing(api: API) -> None:
    status, body = api.event(title="Unknown", deduplication_key="never-fired", status="resolved")
    assert status == 202 and "no firing alert" in body["message"]
    assert api("GET", "/v2/alerts")[1]["alerts"] == []


def test_an_event_without_a_key_gets_one_and_is_an_alert_of_its_own(api: API) -> None:
    first = api.event(title="Ping failed")[1]["deduplication_key"]
    second = api.event(title="Ping failed")[1]["deduplication_key"]
    assert first and second and first != second
    assert len(api("GET", "/v2/alerts")[1]["alerts"]) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {MONITORING_SOURCE_TOKEN}"},
        {
            "Authorization": "Basic "
            + base64.b64encode(f"monitor:{MONITORING_SOURCE_TOKEN}".encode()).decode()
        },
    ],
)
def test_the_token_may_come_in_the_authorization_header(api: API, headers: dict[str, str]) -> None:
    status, _ = api("POST", EVENTS, headers=headers, json={"title": "Via header", "status": "firing"})
    assert status == 202


def test_a_wrong_or_missing_token_is_refused_with_401_and_nothing_is_recorded(api: API) -> None:
    status, body = api.event(token="not-the-token", title="Sneaky")
    assert status == 401
    assert body["errors"][0]["code"] == "invalid_authorization_material"
    assert "not-the-token" not in str(body)
    status, body = api("POST", EVENTS, headers={"Authorization": ""}, json={"title": "x", "status": "firing"})
    assert status == 401 and body["errors"][0]["code"] == "missing_authorization_material"
    assert api("GET", "/v2/alerts")[1]["alerts"] == []


def test_an_unknown_source_is_404(api: API) -> None:
    status, _ = api(
        "POST",
        "/v2/alert_events/http/01HZZZZZZZZZZZZZZZZZZZZZZZ",
        params={"token": "x"},
        # A body the schema accepts: an invalid one is refused (422) before the source is looked up.
        json={"title": "x", "status": "firing"},
    )
    assert status == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "firing"}, "title"),
        ({"title": "x"}, "status"),
        ({"title": "x", "status": "burning"}, "status"),
        ({"title": "   ", "status": "firing"}, "title"),
        ({"title": "x", "status": "firing", "metadata": "severity=high"}, "metadata"),
        ({"title": "x", "status": "firing", "deduplication_key": 7}, "deduplication_key"),
    ],
)
def test_bad_events_are_422_naming_the_field(api: API, payload: dict[str, Any], field: str) -> None:
    status, body = api("POST", EVENTS, params={"token": MONITORING_SOURCE_TOKEN}, json=payload)
    assert status == 422
    assert body["errors"][0]["source"]["field"] == field


def test_resolving_an_alert_through_the_api(api: API, events: list[tuple[str, dict[str, Any]]]) -> None:
    api.event(title="Queue backlog", deduplication_key="queue")
    alert_id = api("GET", "/v2/alerts")[1]["alerts"][0]["id"]
    status, body = api("POST", f"/v2/alerts/{alert_id}/actions/resolve")
    assert status == 200 and body["alert"]["status"] == "resolved"
    resolved = [e for e, _ in events if e == "public_alert.alert_resolved_v1"]
    assert api("POST", f"/v2/alerts/{alert_id}/actions/resolve")[1]["alert"]["status"] == "resolved"
    assert [e for e, _ in events if e == "public_alert.alert_resolved_v1"] == resolved  # once only
    assert api("GET", "/v2/alerts/01HZZZZZZZZZZZZZZZZZZZZZZZ")[0] == 404


def test_alert_list_filters_and_pages(api: API, clock: FakeClock) -> None:
    for index in range(5):
        api.event(title=f"Alert {index}", deduplication_key=f"k{index}")
        clock.advance(minutes=1)
    first = api("GET", "/v2/alerts")[1]["alerts"][0]["id"]
    api("POST", f"/v2/alerts/{first}/actions/resolve")

    def keys(**params: Any) -> list[str]:
        status, body = api("GET", "/v2/alerts", params=params)
        assert status == 200, body
        return [a["deduplication_key"] for a in body["alerts"]]

    assert keys() == ["k4", "k3", "k2", "k1", "k0"]
    assert keys(**{"status[one_of]": "resolved"}) == ["k4"]
    assert keys(**{"status[not_in]": "resolved"}) == ["k3", "k2", "k1", "k0"]
    assert keys(**{"deduplication_key[is]": "k2"}) == ["k2"]
    assert keys(**{"alert_source[one_of]": MONITORING_SOURCE_ID}) == ["k4", "k3", "k2", "k1", "k0"]
    assert keys(**{"alert_source[not_in]": MONITORING_SOURCE_ID}) == []
    assert keys(**{"created_at[gte]": "2026-03-01T12:03:00Z"}) == ["k4", "k3"]
    assert keys(**{"has_notes[is]": "true"}) == []
    status, body = api("GET", "/v2/alerts", params={"page_size": "2"})
    assert len(body["alerts"]) == 2 and body["pagination_meta"]["after"] == body["alerts"][-1]["id"]
    rest = api("GET", "/v2/alerts", params={"page_size": "2", "after": body["pagination_meta"]["after"]})[1]
    assert [a["deduplication_key"] for a in rest["alerts"]] == ["k2", "k1"]
    for bad, field in (
        ({"status[one_of]": "on-fire"}, "status"),
        ({"status[is]": "firing"}, "status[is]"),
        ({"page_size": "51"}, "page_size"),
        ({"colour[is]": "red"}, "colour"),
    ):
        status, body = api("GET", "/v2/alerts", params=bad)
        assert status == 422 and body["errors"][0]["source"]["field"] == field


def test_tags_are_added_removed_set_listed_and_filtered(api: API) -> None:
    api.event(title="A", deduplication_key="a")
    api.event(title="B", deduplication_key="b")
    a, b = (x["id"] for x in reversed(api("GET", "/v2/alerts")[1]["alerts"]))
    assert [
        t["name"]
        for t in api("POST", f"/v2/alerts/{a}/actions/add_tags", json={"tags": ["noisy", "db"]})[1]["alert"][
            "tags"
        ]
    ] == ["noisy", "db"]
    api("POST", f"/v2/alerts/{b}/actions/set_tags", json={"tags": ["db"]})
    assert [
        t["name"]
        for t in api("POST", f"/v2/alerts/{a}/actions/remove_tags", json={"tags": ["db"]})[1]["alert"]["tags"]
    ] == ["noisy"]
    tags = api("GET", "/v2/alert_tags")[1]["alert_tags"]
    assert sorted(t["name"] for t in tags) == ["db", "noisy"]
    assert [t["name"] for t in api("GET", "/v2/alert_tags", params={"search": "NOI"})[1]["alert_tags"]] == [
        "noisy"
    ]
    by_tag = api("GET", "/v2/alerts", params={"tags[one_of]": "db"})[1]["alerts"]
    assert [x["id"] for x in by_tag] == [b]
    status, body = api("POST", f"/v2/alerts/{a}/actions/add_tags", json={"tags": ["ok", ""]})
    assert status == 422 and body["errors"][0]["source"]["field"] == "tags[1]"


def grouping_route(api: API, **incident_config: Any) -> str:
    payload = {
        "name": "Group by service",
        "enabled": True,
        "is_private": False,
        "alert_sources": [{"alert_source_id": MONITORING_SOURCE_ID, "condition_groups": []}],
        "condition_groups": [
            {
                "conditions": [
                    {
                        "subject": "alert.metadata.team",
                        "operation": "one_of",
                        "param_bindings": [{"array_value": [{"literal": "payments"}]}],
                    }
                ]
            }
        ],
        "expressions": [],
        "escalation_config": {"auto_cancel_escalations": True, "escalation_targets": []},
        "grouping_config": {
            "default": {
                "enabled": True,
                "grouping_keys": [{"reference": "alert.metadata.service"}],
                "window_seconds": 600,
            }
        },
        "message_config": {"destinations": []},
        "incident_config": {
            "enabled": True,
            "auto_decline_enabled": True,
            "template": {
                "name": {"autogenerated": False, "binding": {"value": {"literal": "Payments alerts"}}},
                "severity": {
                    "merge_strategy": "max",
                    "binding": {"value": {"reference": "alert.metadata.sev"}},
                },
                "start_in_triage": {"binding": {"value": {"literal": "true"}}},
            },
            **incident_config,
        },
    }
    # The seeded route would open an incident too; take it out of the way.
    api("DELETE", f"/v3/alert_routes/{MONITORING_ROUTE_ID}")
    status, body = api("POST", "/v3/alert_routes", json=payload)
    assert status == 201, body
    route_id: str = body["alert_route"]["id"]
    return route_id


def test_grouping_attaches_later_alerts_to_the_open_incident_and_merges_severity(
    api: API, emulator: Emulator, clock: FakeClock
) -> None:
    route_id = grouping_route(api)
    payments = {"team": "payments", "service": "payments-api"}
    before = len(emulator.state.incidents)
    api.event(title="Latency", deduplication_key="p1", metadata={**payments, "sev": "Minor"})
    clock.advance(minutes=3)
    api.event(title="Errors", deduplication_key="p2", metadata={**payments, "sev": "Critical"})
    api.event(
        title="Other service", deduplication_key="p3", metadata={"team": "payments", "service": "search"}
    )
    api.event(
        title="Not payments", deduplication_key="x1", metadata={"team": "growth", "service": "payments-api"}
    )
    assert len(emulator.state.incidents) == before + 2  # one per service; growth's alert matched nothing
    links = incident_alerts(api)
    assert {link["alert_route_id"] for link in links} == {route_id}
    by_key = {link["alert"]["deduplication_key"]: link["incident"]["id"] for link in links}
    assert by_key["p1"] == by_key["p2"] != by_key["p3"]
    assert "x1" not in by_key
    incident = emulator.state.incidents[by_key["p1"]]
    assert incident["name"] == "Payments alerts"
    assert incident["severity"]["name"] == "Critical"  # merge_strategy max
    clock.advance(minutes=11)  # past the 10-minute window
    api.event(title="Late", deduplication_key="p4", metadata=payments)
    assert len(emulator.state.incidents) == before + 3


def test_auto_decline_declines_the_triage_incident_when_its_last_alert_resolves(
    api: API, emulator: Emulator, events: list[tuple[str, dict[str, Any]]]
) -> None:
    grouping_route(api)
    payments = {"team": "payments", "service": "payments-api"}
    api.event(title="Latency", deduplication_key="p1", metadata=payments)
    api.event(title="Errors", deduplication_key="p2", metadata=payments)
    incident_id = incident_alerts(api)[0]["incident"]["id"]
    api.event(title="Latency", deduplication_key="p1", status="resolved")
    assert emulator.state.incidents[incident_id]["incident_status"]["category"] == "triage"
    api.event(title="Errors", deduplication_key="p2", status="resolved")
    assert emulator.state.incidents[incident_id]["incident_status"]["category"] == "declined"
    assert events[-1][0] == "public_incident.incident_status_updated_v2"
    assert_matches_schema(events[-1][1])


def test_attaching_and_unrelating_incident_alerts(api: API, emulator: Emulator) -> None:
    api.event(title="Disk", deduplication_key="disk")
    alert_id = api("GET", "/v2/alerts")[1]["alerts"][0]["id"]
    fixture_incident = next(i for i in emulator.state.incidents.values() if i["reference"] == "INC-1")
    status, body = api(
        "POST", "/v2/incident_alerts", json={"alert_id": alert_id, "incident_id": fixture_incident["id"]}
    )
    assert status == 201 and body["incident_alert"]["incident"]["reference"] == "INC-1"
    assert "alert_route_id" not in body["incident_alert"]
    assert len(incident_alerts(api, alert_id=alert_id)) == 2  # the route's incident and INC-1
    link_id = body["incident_alert"]["id"]
    assert (
        api("POST", f"/v2/incident_alerts/{link_id}/actions/transition", json={"state": "unrelated"})[0]
        == 200
    )
    assert [
        link["incident"]["reference"] for link in incident_alerts(api, incident_id=fixture_incident["id"])
    ] == []
    status, body = api(
        "POST", "/v2/incident_alerts", json={"alert_id": alert_id, "incident_id": fixture_incident["id"]}
    )
    assert status == 422 and body["errors"][0]["source"]["field"] == "re_relate"
    status, _ = api(
        "POST",
        "/v2/incident_alerts",
        json={"alert_id": alert_id, "incident_id": fixture_incident["id"], "re_relate": True},
    )
    assert status == 201
    assert len(incident_alerts(api, incident_id="1")) == 1  # by reference number too
    for payload, field in (
        ({"incident_id": fixture_incident["id"]}, "alert_id"),
        ({"alert_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "incident_id": fixture_incident["id"]}, "alert_id"),
        ({"alert_id": alert_id, "incident_id": "INC-999"}, "incident_id"),
    ):
        status, body = api("POST", "/v2/incident_alerts", json=payload)
        assert status == 422 and body["errors"][0]["source"]["field"] == field
    status, body = api("POST", f"/v2/incident_alerts/{link_id}/actions/transition", json={"state": "maybe"})
    assert status == 422 and body["errors"][0]["source"]["field"] == "state"


def test_a_private_source_sends_private_alert_webhooks_and_opens_private_incidents(
    api: API, emulator: Emulator, events: list[tuple[str, dict[str, Any]]]
) -> None:
    source = api("GET", f"/v2/alert_sources/{MONITORING_SOURCE_ID}")[1]["alert_source"]
    template = {**source["template"], "is_private": True}
    status, _ = api(
        "PUT",
        f"/v2/alert_sources/{MONITORING_SOURCE_ID}",
        json={"name": source["name"], "template": template},
    )
    assert status == 200
    api.event(title="Security scanner finding", deduplication_key="sec")
    assert [e for e, _ in events] == [
        "private_alert.alert_created_v1",
        "private_incident.incident_created_v2",
    ]
    alert_id = api("GET", "/v2/alerts")[1]["alerts"][0]["id"]
    assert events[0][1]["private_alert.alert_created_v1"] == {"id": alert_id}
    for _, envelope in events:
        assert_matches_schema(envelope)
