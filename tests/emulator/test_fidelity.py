"""Corners where the emulator once answered unlike incident.io: each test failed before its fix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.emulator.ids import rfc3339
from tests.conftest import FakeClock


def _error(response: httpx2.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json", response.text
    error: dict[str, Any] = response.json()["errors"][0]
    return error


def _incident_id(http: httpx2.Client) -> str:
    incident_id: str = http.get("/v2/incidents", params={"page_size": "1"}).json()["incidents"][0]["id"]
    return incident_id


def _timeline_item(http: httpx2.Client, timestamp: str, key: str = "k") -> httpx2.Response:
    return http.post(
        "/v2/incident_timeline_items",
        json={
            "idempotency_key": key,
            "incident_id": _incident_id(http),
            "title": "Note",
            "timestamp": timestamp,
        },
    )


# Timestamps out of the years 1 to 9999 once overflowed into a plain-text 500.


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timeline_timestamp_out_of_range_is_422_naming_it(http: httpx2.Client, timestamp: str) -> None:
    created = _timeline_item(http, timestamp)
    assert created.status_code == 422 and _error(created)["source"]["field"] == "timestamp"
    item = _timeline_item(http, "2026-03-01T12:00:00Z").json()["incident_timeline_item"]
    updated = http.patch(f"/v2/incident_timeline_items/{item['id']}", json={"timestamp": timestamp})
    assert updated.status_code == 422 and _error(updated)["source"]["field"] == "timestamp"


def test_a_date_range_ending_at_the_last_day_there_is_is_422_naming_it(http: httpx2.Client) -> None:
    response = http.get("/v2/incidents", params={"created_at[date_range]": "9999-12-31~9999-12-31"})
    assert response.status_code == 422
    assert _error(response)["source"]["field"] == "created_at[date_range]"


def test_a_bound_an_offset_carries_out_of_range_is_422(http: httpx2.Client) -> None:
    response = http.get("/v2/incidents", params={"created_at[gte]": "0001-01-01T00:00:00+01:00"})
    assert response.status_code == 422 and _error(response)["source"]["field"] == "created_at[gte]"


# Years before 1000 were written without their leading zeros (30-08-15T...).


def test_timestamps_before_year_1000_have_four_digit_years() -> None:
    assert rfc3339(datetime(30, 3, 15, tzinfo=UTC).timestamp()) == "0030-03-15T00:00:00.000000Z"
    assert rfc3339(0.5) == "1970-01-01T00:00:00.500000Z"


def test_an_early_timeline_item_keeps_the_format_and_sorts_first(http: httpx2.Client) -> None:
    _timeline_item(http, "2020-01-01T00:00:00Z", key="late")
    early = _timeline_item(http, "0030-08-15T10:00:00Z", key="early").json()["incident_timeline_item"]
    assert early["timestamp"] == "0030-08-15T10:00:00.000000Z"
    listed = http.get("/v2/incident_timeline_items", params={"incident_id": _incident_id(http)}).json()
    assert listed["incident_timeline_items"][0]["id"] == early["id"]


# A 405 never said which methods were allowed.


def test_a_405_names_the_allowed_methods_in_allow(http: httpx2.Client) -> None:
    incident = http.delete(f"/v2/incidents/{_incident_id(http)}")
    assert incident.status_code == 405 and incident.headers["allow"] == "GET"
    severity = http.patch("/v1/severities/01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert severity.status_code == 405 and severity.headers["allow"] == "DELETE, GET, PUT"
    assert _error(severity)["code"] == "method_not_allowed"


# A path with a newline in it got Starlette's plain-text 404 from the served emulator.


@pytest.fixture
def served() -> Iterator[httpx2.Client]:
    with (
        serve_in_thread(Emulator(seed="demo", rate_limit=None).asgi_app()) as running,
        httpx2.Client(base_url=running.url, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}) as http,
    ):
        yield http


def test_a_served_id_with_a_newline_is_the_apis_json_404(served: httpx2.Client) -> None:
    response = served.get("/v2/users/a%0Ab")
    assert response.status_code == 404 and _error(response)["code"] == "not_found"
    assert served.delete("/v2/incidents/x").headers["allow"] == "GET"


def test_a_path_with_a_trailing_newline_is_not_the_path_without_it(http: httpx2.Client) -> None:
    response = http.get("/v2/users%0A")
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


# A null was ignored where the schema does not allow one.


def test_a_null_title_is_refused_naming_the_field(http: httpx2.Client) -> None:
    item = _timeline_item(http, "2026-03-01T12:00:00Z").json()["incident_timeline_item"]
    response = http.patch(f"/v2/incident_timeline_items/{item['id']}", json={"title": None})
    assert response.status_code == 422 and _error(response)["source"]["field"] == "title"
    assert "not null" in _error(response)["message"]
    kept = http.get("/v2/incident_timeline_items", params={"incident_id": item["incident_id"]}).json()
    assert {i["title"] for i in kept["incident_timeline_items"] if i["id"] == item["id"]} == {"Note"}


@pytest.mark.parametrize("name", ["name", "summary", "severity_id"])
def test_a_null_in_an_incident_edit_is_refused_naming_the_field(http: httpx2.Client, name: str) -> None:
    response = http.post(
        f"/v2/incidents/{_incident_id(http)}/actions/edit",
        json={"incident": {name: None}, "notify_incident_channel": False},
    )
    assert response.status_code == 422 and _error(response)["source"]["field"] == f"incident.{name}"


# The emulator never gave an exactly full last page a cursor; the real API does.


def test_an_exactly_full_last_page_has_a_cursor_and_an_empty_next_page(clock: FakeClock) -> None:
    emulator = Emulator(seed="demo", clock=clock)
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
    ) as http:
        count = len(emulator.state.users)
        full = http.get("/v2/users", params={"page_size": str(count)}).json()
        assert len(full["users"]) == count and full["pagination_meta"]["after"] == full["users"][-1]["id"]
        after = full["pagination_meta"]["after"]
        empty = http.get("/v2/users", params={"page_size": str(count), "after": after}).json()
        assert empty["users"] == [] and "after" not in empty["pagination_meta"]


def test_the_full_page_cursor_can_be_turned_off(clock: FakeClock) -> None:
    emulator = Emulator(seed="demo", clock=clock, cursor_on_full_page=False)
    with Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        count = len(emulator.state.users)
        meta = client.request("GET", "/v2/users", params={"page_size": str(count)})["pagination_meta"]
        assert "after" not in meta


def test_the_pager_reads_an_empty_final_page(clock: FakeClock) -> None:
    emulator = Emulator(seed="demo", clock=clock)
    pages: list[int] = []

    def count_users_pages(request: httpx2.Request) -> httpx2.Response:
        response = emulator.transport().handle_request(request)
        body = response.read()
        if request.url.path == "/v2/users":
            pages.append(len(httpx2.Response(200, content=body).json()["users"]))
        return httpx2.Response(response.status_code, content=body, headers=response.headers)

    with Client(
        SANDBOX_API_KEY, transport=httpx2.MockTransport(count_users_pages), rate_limit=None
    ) as client:
        users = client.users.list(page_size=1).to_list()
    assert len(users) == len(emulator.state.users) == len({u.id for u in users})
    assert pages == [1] * len(users) + [0]
