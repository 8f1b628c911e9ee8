"""The schema-driven operations: what the emulator does for an operation no hand-written route answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from incidentkit.api import Client, NotFoundError, UnprocessableEntityError
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, routes
from incidentkit.emulator.routes import _route
from tests.conftest import FakeClock
from tests.emulator import schema


def _ok(response: httpx2.Response, method: str, path: str) -> Any:
    assert response.status_code < 300, response.text
    body = response.json() if response.content else None
    schema.validate(method, path, response.status_code, body)
    return body


def _error(response: httpx2.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["errors"][0]
    return error


def test_create_show_list_update_delete_a_status_page_component(http: httpx2.Client) -> None:
    created = _ok(
        http.post("/v2/status_page_components", json={"name": "API", "description": "The public API"}),
        "POST",
        "/v2/status_page_components",
    )["status_page_component"]
    assert created["name"] == "API" and created["description"] == "The public API"
    assert len(created["id"]) == 26  # a ULID
    path = f"/v2/status_page_components/{created['id']}"
    assert _ok(http.get(path), "GET", path)["status_page_component"] == created
    listed = _ok(http.get("/v2/status_page_components"), "GET", "/v2/status_page_components")
    assert [c["id"] for c in listed["status_page_components"]] == [created["id"]]
    updated = _ok(http.put(path, json={"name": "Public API"}), "PUT", path)["status_page_component"]
    assert updated["name"] == "Public API" and updated["description"] == "The public API"
    assert http.delete(path).status_code == 204
    missing = http.get(path)
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    assert http.delete(path).status_code == 404


def test_timestamps_come_from_the_emulator_clock(
    demo: Emulator, http: httpx2.Client, clock: FakeClock
) -> None:
    created = http.post("/v1/maintenance_windows", json=_body("POST", "/v1/maintenance_windows")).json()
    assert created["maintenance_window"]["created_at"].startswith(clock.now.strftime("%Y-%m-%dT%H:%M"))


def _body(method: str, template: str) -> dict[str, Any]:
    import random

    from tests.emulator.generic_session import request_body

    body = request_body(method, template, random.Random(1))
    assert body is not None
    return body


def test_a_body_the_schema_refuses_is_422_naming_the_field(http: httpx2.Client) -> None:
    missing = http.post("/v2/status_page_components", json={"description": "no name"})
    assert missing.status_code == 422
    assert _error(missing)["source"]["field"] == "name" and _error(missing)["code"] == "is_required"
    wrong = http.post("/v2/status_page_components", json={"name": 7})
    assert wrong.status_code == 422 and "name must be a string, not a number" in _error(wrong)["message"]
    not_object = http.post("/v2/status_page_components", json=["x"])
    assert not_object.status_code == 400
    schema.validate("POST", "/v2/status_page_components", 422, missing.json())


def test_a_nested_collection_needs_its_parent(http: httpx2.Client) -> None:
    pay_config = http.post("/v2/pay_configs", json=_body("POST", "/v2/pay_configs")).json()["pay_config"]
    rules = f"/v2/pay_configs/{pay_config['id']}/weekly_rules"
    rule = http.post(rules, json=_body("POST", "/v2/pay_configs/{pay_config_id}/weekly_rules"))
    assert rule.status_code == 201
    assert [r["id"] for r in http.get(rules).json()["weekly_rules"]] == [rule.json()["weekly_rule"]["id"]]
    orphan = http.get("/v2/pay_configs/01HZZZZZZZZZZZZZZZZZZZZZZZ/weekly_rules")
    assert orphan.status_code == 404 and "pay config" in _error(orphan)["message"]
    assert http.delete(f"/v2/pay_configs/{pay_config['id']}").status_code == 204
    assert http.get(rules).status_code == 404


def test_lists_page_with_the_after_cursor(http: httpx2.Client) -> None:
    made = [
        http.post("/v2/secrets", json={**_body("POST", "/v2/secrets"), "name": f"s{n}"}).json()["secret"][
            "id"
        ]
        for n in range(5)
    ]
    first = _ok(http.get("/v2/secrets", params={"page_size": "2"}), "GET", "/v2/secrets")
    assert [s["id"] for s in first["secrets"]] == made[:2]
    second = http.get("/v2/secrets", params={"page_size": "2", "after": first["pagination_meta"]["after"]})
    assert [s["id"] for s in second.json()["secrets"]] == made[2:4]
    too_big = http.get("/v2/secrets", params={"page_size": "251"})
    assert too_big.status_code == 422 and _error(too_big)["source"]["field"] == "page_size"


def test_a_query_parameter_naming_a_property_filters_the_list(http: httpx2.Client) -> None:
    for alert_id in ("01HAAAAAAAAAAAAAAAAAAAAAAA", "01HBBBBBBBBBBBBBBBBBBBBBBB"):
        http.post("/v1/alert_notes", json={"content": "note", "alert_id": alert_id})
    notes = http.get("/v1/alert_notes", params={"alert_id": "01HBBBBBBBBBBBBBBBBBBBBBBB"}).json()[
        "alert_notes"
    ]
    assert [n["alert_id"] for n in notes] == ["01HBBBBBBBBBBBBBBBBBBBBBBB"]


def test_a_collection_nobody_can_create_in_starts_with_one_record_whose_actions_work(
    http: httpx2.Client,
) -> None:
    findings = http.get("/v2/policy_findings").json()["policy_findings"]
    assert len(findings) == 1
    path = f"/v2/policy_findings/{findings[0]['id']}/actions/dismiss"
    dismissed = _ok(
        http.post(path, json=_body("POST", "/v2/policy_findings/{id}/actions/dismiss")), "POST", path
    )
    assert dismissed["policy_finding"]["state"] == "dismissed"
    shown = http.get(f"/v2/policy_findings/{findings[0]['id']}").json()["policy_finding"]
    assert shown["state"] == "dismissed"
    restored = http.post(f"/v2/policy_findings/{findings[0]['id']}/actions/restore").json()["policy_finding"]
    assert restored["state"] == "pending"


def test_a_generic_create_in_a_hand_written_collection_is_listed_by_its_handler(http: httpx2.Client) -> None:
    created = http.post("/v1/severities", json={"name": "Trivial", "description": "Barely", "rank": 0})
    assert created.status_code == 201
    names = [s["name"] for s in http.get("/v1/severities").json()["severities"]]
    assert "Trivial" in names
    severity_id = created.json()["severity"]["id"]
    assert (
        http.put(f"/v1/severities/{severity_id}", json={"name": "Tiny", "description": "x"}).status_code
        == 200
    )
    assert http.get(f"/v1/severities/{severity_id}").json()["severity"]["name"] == "Tiny"
    assert http.delete(f"/v1/severities/{severity_id}").status_code == 202
    assert http.get(f"/v1/severities/{severity_id}").status_code == 404


def test_a_document_is_built_once_and_changed_by_its_write(http: httpx2.Client) -> None:
    before = _ok(http.get("/v1/ip_allowlists"), "GET", "/v1/ip_allowlists")["ip_allowlist"]
    assert http.get("/v1/ip_allowlists").json()["ip_allowlist"] == before
    entry = {"value": "10.0.0.0/8", "label": "office"}
    changed = http.put("/v1/ip_allowlists", json={"allowlist": [entry], "enabled": True, "version": 2})
    assert _ok(changed, "PUT", "/v1/ip_allowlists")["ip_allowlist"]["allowlist"] == [entry]
    assert http.get("/v1/ip_allowlists").json()["ip_allowlist"]["enabled"] is True


def test_a_download_answers_its_declared_content_type(http: httpx2.Client) -> None:
    report = http.post("/v2/pay_reports", json=_body("POST", "/v2/pay_reports"))
    assert report.status_code == 202
    download = http.get(f"/v2/pay_reports/{report.json()['pay_report']['id']}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "text/csv"
    assert download.text.splitlines()[0].split(",")[:3] == ["created_at", "end_date", "id"]
    assert "attachment" in download.headers["content-disposition"]


def test_the_schema_document_is_served(http: httpx2.Client) -> None:
    document = http.get("/v1/openapiV3.json").json()
    assert document["openapi"].startswith("3.") and "/v2/incidents" in document["paths"]


def test_a_read_only_key_may_not_write(http: httpx2.Client) -> None:
    refused = http.post(
        "/v2/status_page_components", json={"name": "x"}, headers={"Authorization": "Bearer viewer-key"}
    )
    assert refused.status_code == 403 and "status_pages.configure" in _error(refused)["message"]


def test_an_idempotency_key_replays_the_first_create(http: httpx2.Client) -> None:
    body = {**_body("POST", "/v2/policies"), "idempotency_key": "once"}
    first = http.post("/v2/policies", json=body).json()["policy"]
    again = http.post("/v2/policies", json=body).json()["policy"]
    assert first["id"] == again["id"]
    listed = http.get("/v2/policies").json()["policies"]
    assert [p["id"] for p in listed] == [first["id"]]


def test_a_hand_written_route_wins_over_the_generic_one(
    http: httpx2.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def own(call: object) -> tuple[int, dict[str, Any]]:
        return 200, {"status_page_components": [{"id": "hand", "name": "written"}]}

    monkeypatch.setattr(
        routes, "ROUTES", [*routes.ROUTES, _route("GET", "/v2/status_page_components", own, None)]
    )
    from incidentkit.emulator import dispatch

    monkeypatch.setattr(dispatch, "ROUTES", routes.ROUTES)
    assert http.get("/v2/status_page_components").json()["status_page_components"][0]["id"] == "hand"


def test_generic_records_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    state = tmp_path / "org.json"
    first = Emulator(seed="demo", state_file=state, clock=clock)
    with Client(SANDBOX_API_KEY, transport=first.transport(), rate_limit=None) as client:
        made = client.request("POST", "/v2/glossary_entries", json=_body("POST", "/v2/glossary_entries"))
    again = Emulator(seed="demo", state_file=state, clock=clock)
    with Client(SANDBOX_API_KEY, transport=again.transport(), rate_limit=None) as client:
        entry_id = made["glossary_entry"]["id"]
        assert client.request("GET", f"/v2/glossary_entries/{entry_id}")["glossary_entry"]["id"] == entry_id


def test_the_client_reaches_generic_operations_with_its_retries_and_errors(demo: Emulator) -> None:
    sleeps: list[float] = []
    with Client(SANDBOX_API_KEY, transport=demo.transport(), rate_limit=None, sleep=sleeps.append) as client:
        demo.inject_fault(status=503, path="/v2/workflows", method="POST", times=1, retry_after=2)
        body = {**_body("POST", "/v2/workflows"), "idempotency_key": "wf-1"}
        created = client.request("POST", "/v2/workflows", json=body)["workflow"]
        assert sleeps == [2.0]
        assert client.request("GET", f"/v2/workflows/{created['id']}")["workflow"]["id"] == created["id"]
        with pytest.raises(NotFoundError):
            client.request("GET", "/v2/workflows/01HZZZZZZZZZZZZZZZZZZZZZZZ")
        with pytest.raises(UnprocessableEntityError) as refused:
            client.request("POST", "/v2/workflows", json={})
        assert refused.value.errors[0].field is not None
