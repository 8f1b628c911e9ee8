"""The emulator behaves like incident.io: auth, scopes, errors, pagination, filters, idempotency, limits."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.emulator.errors import ERROR_TYPES
from tests.conftest import FakeClock
from tests.emulator.schema import validate


def error_of(response: httpx2.Response) -> dict[str, object]:
    body = response.json()
    assert body["type"] == ERROR_TYPES[response.status_code]
    assert body["status"] == response.status_code and body["request_id"]
    error: dict[str, object] = body["errors"][0]
    return error


def ids(response: httpx2.Response) -> list[str]:
    return [incident["id"] for incident in response.json()["incidents"]]


def declare(http: httpx2.Client, key: str = "k1", **fields: object) -> httpx2.Response:
    severity = http.get("/v1/severities").json()["severities"][-1]["id"]
    body = {
        "idempotency_key": key,
        "visibility": "public",
        "name": "Disk full",
        "severity_id": severity,
        **fields,
    }
    return http.post("/v2/incidents", json=body)


# Authentication and scopes


def test_a_missing_key_is_401_in_the_api_shape(demo: Emulator) -> None:
    with httpx2.Client(base_url="https://api.incident.io", transport=demo.transport()) as anonymous:
        response = anonymous.get("/v2/incidents")
    assert response.status_code == 401
    assert error_of(response)["code"] == "missing_authorization_material"


def test_an_unknown_key_is_401_and_is_not_echoed(http: httpx2.Client) -> None:
    response = http.get("/v2/incidents", headers={"Authorization": "Bearer sk-live-secret-value"})
    assert response.status_code == 401
    assert "sk-live-secret-value" not in response.text


def test_a_read_only_key_reads_but_may_not_write(http: httpx2.Client) -> None:
    viewer = {"Authorization": "Bearer viewer-key"}
    assert http.get("/v2/incidents", headers=viewer).status_code == 200
    assert http.get("/v1/identity", headers=viewer).json()["identity"]["roles"] == ["viewer"]
    response = http.post(
        "/v2/incidents", headers=viewer, json={"idempotency_key": "x", "visibility": "public"}
    )
    assert response.status_code == 403
    assert "incidents.create" in str(error_of(response)["message"])


def test_unknown_paths_and_methods(http: httpx2.Client) -> None:
    assert error_of(http.get("/v2/nothing"))["code"] == "not_found"
    response = http.delete("/v2/incidents")
    assert response.status_code == 405 and "GET, POST" in str(error_of(response)["message"])


# Incidents: show, create, idempotency, validation


def test_show_by_id_and_by_reference_number(http: httpx2.Client) -> None:
    first = http.get("/v2/incidents/1").json()["incident"]
    assert first["reference"] == "INC-1"
    assert http.get(f"/v2/incidents/{first['id']}").json()["incident"]["reference"] == "INC-1"
    assert http.get("/v2/incidents/99999").status_code == 404


def test_create_answers_200_and_the_same_key_returns_the_first_incident(http: httpx2.Client) -> None:
    before = http.get("/v2/incidents").json()["pagination_meta"]["total_record_count"]
    first = declare(http, "same-key")
    second = declare(http, "same-key", name="A different name")
    assert first.status_code == second.status_code == 200
    assert first.json()["incident"]["id"] == second.json()["incident"]["id"]
    assert second.json()["incident"]["name"] == "Disk full"
    assert http.get("/v2/incidents").json()["pagination_meta"]["total_record_count"] == before + 1


def test_a_new_incident_has_the_next_reference_and_an_update(http: httpx2.Client) -> None:
    incident = declare(http).json()["incident"]
    latest = max(
        int(i["reference"][4:])
        for i in http.get("/v2/incidents", params={"page_size": 120}).json()["incidents"]
    )
    assert incident["reference"] == f"INC-{latest}"
    assert incident["creator"]["api_key"]["name"]
    updates = http.get("/v2/incident_updates", params={"incident_id": incident["id"]}).json()[
        "incident_updates"
    ]
    assert [u["new_incident_status"]["name"] for u in updates] == ["Investigating"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": "public"}, "idempotency_key"),
        ({"idempotency_key": "a"}, "visibility"),
        ({"idempotency_key": "a", "visibility": "secret"}, "visibility"),
        ({"idempotency_key": "a", "visibility": "public", "severity_id": "nope"}, "severity_id"),
        ({"idempotency_key": "a", "visibility": "public"}, "severity_id"),
        ({"idempotency_key": "a", "visibility": "public", "mode": "drill"}, "mode"),
        (
            {
                "idempotency_key": "a",
                "visibility": "public",
                "custom_field_entries": [{"custom_field_id": "x", "values": []}],
            },
            "custom_field_entries[0].custom_field_id",
        ),
    ],
)
def test_create_validation_names_the_field(http: httpx2.Client, body: dict[str, object], field: str) -> None:
    response = http.post("/v2/incidents", json=body)
    assert response.status_code == 422
    assert error_of(response)["source"] == {"field": field, "pointer": "/" + field.replace(".", "/")}


def test_a_body_that_is_not_json_is_400(http: httpx2.Client) -> None:
    response = http.post("/v2/incidents", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_json"


def test_an_oversized_body_is_413(http: httpx2.Client) -> None:
    response = http.post("/v2/incidents", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413


def test_status_moves_follow_the_lifecycle(http: httpx2.Client) -> None:
    statuses = {s["name"]: s["id"] for s in http.get("/v1/incident_statuses").json()["incident_statuses"]}
    incident = declare(http).json()["incident"]
    edit = f"/v2/incidents/{incident['id']}/actions/edit"
    closed = http.post(
        edit, json={"incident": {"incident_status_id": statuses["Closed"]}, "notify_incident_channel": False}
    )
    assert closed.status_code == 200
    reopened = http.post(
        edit,
        json={
            "incident": {"incident_status_id": statuses["Investigating"]},
            "notify_incident_channel": False,
        },
    )
    assert reopened.status_code == 422
    assert error_of(reopened)["source"]["field"] == "incident.incident_status_id"  # type: ignore[index]


def test_edit_needs_notify_incident_channel(http: httpx2.Client) -> None:
    response = http.post("/v2/incidents/1/actions/edit", json={"incident": {"name": "x"}})
    assert response.status_code == 422 and error_of(response)["source"]["field"] == "notify_incident_channel"  # type: ignore[index]


# Listing: default mode, filters, pagination


def test_the_default_list_hides_test_and_tutorial_incidents(http: httpx2.Client, demo: Emulator) -> None:
    modes = {i["mode"] for i in demo.state.incidents.values()}
    assert "test" in modes
    listed = http.get("/v2/incidents", params={"page_size": 120}).json()["incidents"]
    assert {i["mode"] for i in listed} == {"standard", "retrospective"}
    every = http.get(
        "/v2/incidents", params=[("page_size", "500"), *[("mode[one_of]", m) for m in sorted(modes)]]
    )
    assert len(every.json()["incidents"]) == len(demo.state.incidents)


def test_pages_chain_by_cursor_and_the_last_has_no_after(http: httpx2.Client) -> None:
    everything = ids(http.get("/v2/incidents", params={"page_size": 500}))
    walked: list[str] = []
    after = None
    while True:
        params = {"page_size": "7", **({"after": after} if after else {})}
        page = http.get("/v2/incidents", params=params).json()
        walked += [i["id"] for i in page["incidents"]]
        assert page["pagination_meta"]["total_record_count"] == len(everything)
        after = page["pagination_meta"].get("after")
        if after is None:
            break
    assert walked == everything
    assert everything == sorted(everything, reverse=True)  # newest first


@pytest.mark.parametrize("size", ["0", "501", "ten"])
def test_a_bad_page_size_is_422(http: httpx2.Client, size: str) -> None:
    response = http.get("/v2/incidents", params={"page_size": size})
    assert response.status_code == 422 and error_of(response)["source"]["field"] == "page_size"  # type: ignore[index]


def test_filters(http: httpx2.Client, demo: Emulator) -> None:
    severities = {s["name"]: s for s in demo.state.severities}
    every = [i for i in demo.state.incidents.values() if i["mode"] in ("standard", "retrospective")]

    def listed(*params: tuple[str, str]) -> set[str]:
        return set(ids(http.get("/v2/incidents", params=[("page_size", "500"), *params])))

    assert listed(("status_category[one_of]", "live")) == {
        i["id"] for i in every if i["incident_status"]["category"] == "live"
    }
    assert listed(("status_category[not_in]", "closed")) == {
        i["id"] for i in every if i["incident_status"]["category"] != "closed"
    }
    assert listed(("severity[gte]", severities["Major"]["id"])) == {
        i["id"] for i in every if i.get("severity", {}).get("rank", -1) >= 1
    }
    cutoff = sorted(i["created_at"] for i in every)[len(every) // 2][:10]
    assert listed(("created_at[gte]", cutoff)) == {i["id"] for i in every if i["created_at"][:10] >= cutoff}
    assert listed(("created_at[date_range]", f"{cutoff}~{cutoff}")) == {
        i["id"] for i in every if i["created_at"][:10] == cutoff
    }
    service = demo.state.custom_fields[-1]
    option = demo.state.custom_field_options[service["id"]][0]
    with_option = {
        i["id"]
        for i in every
        for entry in i["custom_field_entries"]
        if entry["custom_field"]["id"] == service["id"]
        and any(v.get("value_option") == option for v in entry["values"])
    }
    assert with_option and listed((f"custom_field[{service['id']}][one_of]", option["id"])) == with_option
    either = listed(
        ("filter_mode", "any"),
        ("status_category[one_of]", "triage"),
        ("severity[one_of]", severities["Critical"]["id"]),
    )
    assert either == {
        i["id"]
        for i in every
        if i["incident_status"]["category"] == "triage" or i.get("severity", {}).get("name") == "Critical"
    }


def test_an_unknown_filter_operator_is_422(http: httpx2.Client) -> None:
    response = http.get("/v2/incidents", params={"severity[above]": "x"})
    assert response.status_code == 422 and "one_of" in str(error_of(response)["message"])


# Rate limits and faults


def test_the_rate_limit_answers_429_like_incident_io(clock: FakeClock) -> None:
    emulator = Emulator(seed="empty", api_keys=["k"], rate_limit=60, clock=clock)
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        headers={"Authorization": "Bearer k"},
    ) as http:
        answers = [http.get("/v1/severities") for _ in range(61)]
        assert [a.status_code for a in answers[:60]] == [200] * 60
        limited = answers[60]
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.headers["X-RateLimit-Limit"].startswith("60")
        body = limited.json()
        assert body["type"] == "too_many_requests" and body["rate_limit"]["limit"] == 60
        assert answers[0].headers["X-RateLimit-Remaining"] == "59"
        clock.advance(seconds=1)
        assert http.get("/v1/severities").status_code == 200


def test_injected_faults_fail_the_chosen_requests(http: httpx2.Client, demo: Emulator) -> None:
    demo.inject_fault(status=500, path="/v2/incidents", method="GET", skip=1, times=1)
    assert http.get("/v2/incidents").status_code == 200
    assert http.get("/v2/incidents").status_code == 500
    assert http.get("/v2/incidents").status_code == 200
    demo.inject_fault(status=502, path="/v1/severities", malformed=True)
    broken = http.get("/v1/severities")
    assert broken.status_code == 502 and broken.headers["Content-Type"] == "text/html"


# State, admin endpoints, events


def test_the_state_file_keeps_the_organisation_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    first = Emulator(seed="default", state_file=state, api_keys=["k"])
    headers = {"Authorization": "Bearer k"}
    with httpx2.Client(base_url="https://x", transport=first.transport(), headers=headers) as http:
        created = declare(http).json()["incident"]
    second = Emulator(seed="empty", state_file=state)
    with httpx2.Client(base_url="https://x", transport=second.transport(), headers=headers) as http:
        assert http.get(f"/v2/incidents/{created['id']}").json()["incident"]["name"] == "Disk full"
        assert declare(http, "k1").json()["incident"]["id"] == created["id"]  # idempotency survives too


def test_a_corrupt_state_file_is_refused_with_its_name(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    state.write_text("{broken")
    with pytest.raises(ValueError, match=r"org\.json"):
        Emulator(state_file=state)


def test_admin_paths_route_like_the_api_405_for_another_method_404_for_none(http: httpx2.Client) -> None:
    """One routing style: the admin table answers a known path with another method as the API does."""
    wrong = http.delete("/_emulator/state")
    assert wrong.status_code == 405 and "use GET" in wrong.json()["errors"][0]["message"]
    assert http.get("/_emulator/nothing").status_code == 404
    bad = http.post("/_emulator/reset", content=b"{broken")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["errors"][0]["message"]
    assert http.post("/_emulator/reset", json=[1]).json()["errors"][0]["code"] == "invalid_body"


def test_admin_endpoints(http: httpx2.Client, demo: Emulator) -> None:
    assert http.post("/_emulator/api_keys", json={"key": "new-key", "read_only": True}).status_code == 201
    listed = http.get("/_emulator/api_keys").json()["api_keys"]
    assert "new-key" not in json.dumps(listed) and SANDBOX_API_KEY not in json.dumps(listed)
    assert http.get("/v2/incidents", headers={"Authorization": "Bearer new-key"}).status_code == 200

    assert http.put("/_emulator/rate_limit", json={"per_minute": 1}).status_code == 200
    assert http.get("/v1/severities").status_code == 200
    assert http.get("/v1/severities").status_code == 429
    http.put("/_emulator/rate_limit", json={"per_minute": None})

    assert http.post("/_emulator/faults", json={"status": 503, "path": "/v1/identity"}).status_code == 201
    assert http.get("/v1/identity").status_code == 503
    assert http.post("/_emulator/faults", json={"status": 500, "bogus": 1}).status_code == 422

    endpoint = http.post("/_emulator/webhook_endpoints", json={"url": "http://127.0.0.1:9/hook"}).json()
    assert endpoint["webhook_endpoint"]["secret"].startswith("whsec_")
    assert http.post("/_emulator/webhook_endpoints", json={"url": "ftp://x"}).status_code == 422

    declare(http)
    assert http.get("/_emulator/state").json()["incidents"] == len(demo.state.incidents)
    assert http.post("/_emulator/reset", json={"seed": "empty"}).json() == {"seed": "empty"}
    assert http.get("/v2/incidents").json()["incidents"] == []
    assert http.get("/v1/identity").status_code == 200  # keys survive a reset


def test_changes_emit_webhook_events(http: httpx2.Client, demo: Emulator) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    demo.subscribe(lambda kind, payload: events.append((kind, payload)))
    incident = declare(http).json()["incident"]
    closed = next(s["id"] for s in demo.state.incident_statuses if s["category"] == "closed")
    http.post(
        "/v2/incident_updates",
        json={"idempotency_key": "u", "incident_id": incident["id"], "to_incident_status_id": closed},
    )
    http.post(
        f"/v2/incidents/{incident['id']}/actions/edit",
        json={"incident": {"summary": "s"}, "notify_incident_channel": True},
    )
    assert [kind for kind, _ in events] == [
        "public_incident.incident_created_v2",
        "public_incident.incident_status_updated_v2",
        "public_incident.incident_updated_v2",
    ]
    status_change = events[1][1]["public_incident.incident_status_updated_v2"]
    assert status_change["new_status"]["category"] == "closed"  # type: ignore[index]
    assert status_change["previous_status"]["category"] == "live"  # type: ignore[index]


def test_bulk_incidents_for_load_tests(http: httpx2.Client, demo: Emulator) -> None:
    before = len(demo.state.incidents)
    listed_before = http.get("/v2/incidents").json()["pagination_meta"]["total_record_count"]
    added = http.post("/_emulator/incidents", json={"count": 60})
    assert added.status_code == 201
    assert added.json() == {"added": 60, "incidents": before + 60}
    page = http.get("/v2/incidents", params={"page_size": 120}).json()
    assert page["pagination_meta"]["total_record_count"] == listed_before + 60
    validate("GET", "/v2/incidents", 200, page)  # generated incidents are valid IncidentV2s
    references = [int(i["reference"].removeprefix("INC-")) for i in page["incidents"]]
    assert references == sorted(references, reverse=True)  # newest first, one a minute apart
    for bad in (0, -1, 100_001, "10", True):
        refused = http.post("/_emulator/incidents", json={"count": bad})
        assert refused.status_code == 422 and refused.json()["errors"][0]["source"]["field"] == "count"
    http.post("/_emulator/reset", json={"seed": "empty"})
    empty = http.post("/_emulator/incidents", json={"count": 1})
    assert empty.status_code == 422 and "seed default or demo" in empty.text


# Follow-ups


def test_follow_ups_are_created_and_listed_per_incident(http: httpx2.Client, demo: Emulator) -> None:
    first, second = list(demo.state.incidents)[-2:]
    user = demo.state.users[1]
    made = http.post(
        "/v3/follow_ups",
        json={"incident_id": first, "title": "Add alerting", "assignee_id": user["id"], "labels": ["ops"]},
    )
    assert made.status_code == 201
    follow_up = made.json()["follow_up"]
    assert follow_up["status"] == "outstanding" and follow_up["assignee"]["id"] == user["id"]
    http.post("/v3/follow_ups", json={"incident_id": second, "title": "Write the runbook"})
    listed = http.get("/v3/follow_ups", params={"incident_id": first}).json()["follow_ups"]
    assert [f["title"] for f in listed] == ["Add alerting"]
    page = http.get("/v3/follow_ups", params={"page_size": "1"}).json()
    assert len(page["follow_ups"]) == 1 and page["pagination_meta"]["after"] == follow_up["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No incident"}, "incident_id"),
        ({"incident_id": "INCIDENT", "title": ""}, "title"),
        (
            {"incident_id": "INCIDENT", "title": "x", "assignee_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ"},
            "assignee_id",
        ),
        (
            {"incident_id": "INCIDENT", "title": "x", "follow_up_category_id": "01HZZ"},
            "follow_up_category_id",
        ),
        ({"incident_id": "INCIDENT", "title": "x", "labels": "ops"}, "labels"),
    ],
)
def test_a_bad_follow_up_is_422_naming_the_field(
    http: httpx2.Client, demo: Emulator, body: dict[str, object], field: str
) -> None:
    incident_id = next(iter(demo.state.incidents))
    payload = {key: incident_id if value == "INCIDENT" else value for key, value in body.items()}
    response = http.post("/v3/follow_ups", json=payload)
    assert response.status_code == 422
    assert error_of(response)["source"]["field"] == field  # type: ignore[index]
    assert demo.state.follow_ups == []
