"""Follow-ups in the emulator: their lifecycle, webhooks, list filters and issue links."""

from __future__ import annotations

from typing import Any

import httpx2
import jsonschema
import pytest

from incidentkit.emulator import Emulator
from incidentkit.webhooks.events import event_types
from tests.conftest import FakeClock
from tests.emulator import schema
from tests.emulator.schema import _FORMATS, _components
from tests.emulator.test_catalog import call, refused

Body = dict[str, Any]
Events = list[tuple[str, Body]]


@pytest.fixture
def events(demo: Emulator) -> Events:
    seen: Events = []
    demo.subscribe(lambda kind, envelope: seen.append((kind, envelope)))
    return seen


def assert_webhook_matches_schema(envelope: Body) -> None:
    components = _components()
    root = {**components["schemas"][event_types()[envelope["event_type"]].schema], "components": components}
    errors = list(jsonschema.Draft7Validator(root, format_checker=_FORMATS).iter_errors(envelope))
    assert not errors, [e.message for e in errors]


def an_incident(demo: Emulator, visibility: str = "public") -> Body:
    return next(
        i for i in demo.state.incidents.values() if i["mode"] == "standard" and i["visibility"] == visibility
    )


def team_id(http: httpx2.Client, name: str) -> str:
    return next(t["id"] for t in call(http, "GET", "/v3/teams", 200)["teams"] if t["name"] == name)


def test_a_follow_up_from_creation_to_deletion(
    demo: Emulator, http: httpx2.Client, clock: FakeClock, events: Events
) -> None:
    incident = an_incident(demo)
    growth = team_id(http, "Growth")
    created = call(
        http,
        "POST",
        "/v3/follow_ups",
        201,
        json={
            "incident_id": incident["id"],
            "title": "Add a canary",
            "assignee_team_id": growth,
            "labels": ["ci"],
        },
    )["follow_up"]
    assert created["assignee_team"] == {"id": growth, "name": "Growth"}
    # Adding a follow-up is activity on the incident.
    assert demo.state.incidents[incident["id"]]["updated_at"] == created["created_at"]
    path = f"/v3/follow_ups/{created['id']}"
    assert call(http, "GET", path, 200)["follow_up"] == created

    clock.advance(minutes=5)
    user = demo.state.users[1]
    done = call(
        http,
        "PUT",
        path,
        200,
        json={"title": "Add a canary stage", "status": "completed", "assignee_id": user["id"]},
    )["follow_up"]
    assert done["completed_at"] == done["updated_at"] != created["updated_at"]
    assert done["labels"] == ["ci"] and done["assignee_team"]["id"] == growth  # left out: kept
    assert done["assignee"]["id"] == user["id"]
    reopened = call(
        http,
        "PUT",
        path,
        200,
        json={"title": "Add a canary stage", "status": "outstanding", "assignee_team_id": None},
    )["follow_up"]
    assert "completed_at" not in reopened and "assignee_team" not in reopened

    assert refused(http, "PUT", path, json={"title": "x", "status": "deleted"})["source"]["field"] == "status"
    assert refused(http, "PUT", path, json={"title": "x"})["source"]["field"] == "status"
    assert refused(http, "PUT", path, json={"status": "completed"})["source"]["field"] == "title"
    bad_team = refused(
        http, "PUT", path, json={"title": "x", "status": "completed", "assignee_team_id": "nope"}
    )
    assert bad_team["source"]["field"] == "assignee_team_id"
    assert call(http, "GET", path, 200)["follow_up"] == reopened  # a refused update changed nothing

    call(http, "DELETE", path, 204)
    assert call(http, "GET", path, 200)["follow_up"]["status"] == "deleted"
    assert (
        refused(http, "PUT", path, json={"title": "x", "status": "outstanding"})["source"]["field"]
        == "status"
    )
    call(http, "GET", "/v3/follow_ups/01HZZZZZZZZZZZZZZZZZZZZZZZ", 404)

    kinds = [kind for kind, _ in events]
    assert kinds == ["public_incident.follow_up_created_v2"] + ["public_incident.follow_up_updated_v2"] * 3
    for _, envelope in events:
        assert_webhook_matches_schema(envelope)
    assert events[-1][1]["public_incident.follow_up_updated_v2"]["status"] == "deleted"


def test_a_private_incident_s_follow_up_webhooks_carry_only_the_id(
    demo: Emulator, http: httpx2.Client, events: Events
) -> None:
    severity = demo.state.severities[0]
    private = call(
        http,
        "POST",
        "/v2/incidents",
        200,
        json={"idempotency_key": "p", "visibility": "private", "severity_id": severity["id"]},
    )["incident"]
    events.clear()
    created = call(
        http, "POST", "/v3/follow_ups", 201, json={"incident_id": private["id"], "title": "Rotate keys"}
    )
    assert events == [
        (
            "private_incident.follow_up_created_v2",
            {
                "event_type": "private_incident.follow_up_created_v2",
                "private_incident.follow_up_created_v2": {"id": created["follow_up"]["id"]},
            },
        )
    ]


def test_the_list_filters_by_team_and_time(demo: Emulator, http: httpx2.Client, clock: FakeClock) -> None:
    incident = an_incident(demo)
    platform = team_id(http, "Platform")
    first = call(http, "POST", "/v3/follow_ups", 201, json={"incident_id": incident["id"], "title": "One"})
    clock.advance(days=3)
    second = call(
        http,
        "POST",
        "/v3/follow_ups",
        201,
        json={"incident_id": incident["id"], "title": "Two", "assignee_team_id": platform},
    )

    def listed(**params: Any) -> list[str]:
        body = call(http, "GET", "/v3/follow_ups", 200, params={"incident_id": incident["id"], **params})
        return [f["title"] for f in body["follow_ups"]]

    cut = second["follow_up"]["created_at"][:10]
    assert listed() == ["One", "Two"]
    assert listed(assignee_team_id=platform) == ["Two"]
    assert listed(**{"created_at[gte]": cut}) == ["Two"]
    assert listed(**{"created_at[lte]": first["follow_up"]["created_at"][:10]}) == ["One"]
    assert listed(**{"updated_at[date_range]": f"{cut}~{cut}"}) == ["Two"]
    assert refused(http, "GET", "/v3/follow_ups", params={"created_at[after]": cut})["source"]["field"] == (
        "created_at[after]"
    )
    assert refused(http, "GET", "/v3/follow_ups", params={"title[one_of]": "x"})["source"]["field"] == "title"
    assert refused(http, "GET", "/v3/follow_ups", params={"created_at[gte]": "soon"})["source"]["field"] == (
        "created_at[gte]"
    )


def test_follow_ups_page_with_the_cursor(demo: Emulator, http: httpx2.Client) -> None:
    incident = an_incident(demo)
    for index in range(5):
        call(http, "POST", "/v3/follow_ups", 201, json={"incident_id": incident["id"], "title": f"F{index}"})
    titles, after = [], None
    while True:
        params: Body = {"incident_id": incident["id"], "page_size": 2, **({"after": after} if after else {})}
        page = call(http, "GET", "/v3/follow_ups", 200, params=params)
        titles += [f["title"] for f in page["follow_ups"]]
        after = page["pagination_meta"].get("after")
        if not after:
            break
    assert titles == [f"F{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("url", "provider", "name"),
    [
        ("https://linear.app/acme/issue/ENG-123/add-a-canary", "linear", "ENG-123"),
        ("https://github.com/acme/api/issues/42", "github", "acme/api#42"),
        ("https://acme.atlassian.net/browse/OPS-7", "jira", "OPS-7"),
        ("https://gitlab.com/acme/api/-/issues/9", "gitlab", "acme/api#9"),
    ],
)
def test_a_follow_up_made_from_an_issue_link(
    demo: Emulator, http: httpx2.Client, events: Events, url: str, provider: str, name: str
) -> None:
    incident = an_incident(demo)
    made = call(
        http,
        "POST",
        "/v3/follow_ups/actions/create_from_link",
        201,
        json={"incident_id": incident["id"], "url": url},
    )["follow_up"]
    assert made["external_issue_reference"] == {
        "provider": provider,
        "issue_name": name,
        "issue_permalink": url,
    }
    assert made["title"] == name and made["status"] == "outstanding"
    assert [kind for kind, _ in events] == ["public_incident.follow_up_created_v2"]
    assert_webhook_matches_schema(events[0][1])


def test_issue_links_are_checked(demo: Emulator, http: httpx2.Client) -> None:
    incident = an_incident(demo)
    for url in ("not a url", "https://example.com/ticket/1", "https://linear.app/"):
        error = refused(
            http,
            "POST",
            "/v3/follow_ups/actions/create_from_link",
            json={"incident_id": incident["id"], "url": url},
        )
        assert error["source"]["field"] == "url", url
    follow_up = call(http, "POST", "/v3/follow_ups", 201, json={"incident_id": incident["id"], "title": "T"})
    path = f"/v3/follow_ups/{follow_up['follow_up']['id']}/actions/connect_external_issue"
    wrong = refused(http, "POST", path, json={"provider": "jira", "url": "https://linear.app/a/issue/ENG-1"})
    assert wrong["source"]["field"] == "url"
    assert (
        refused(http, "POST", path, json={"provider": "trello", "url": "https://x.y/1"})["source"]["field"]
        == "provider"
    )
    # A self-hosted tracker's host says nothing: the provider given is trusted.
    connected = call(
        http,
        "POST",
        path,
        200,
        json={"provider": "jira_server", "url": "https://jira.acme.internal/browse/OPS-1"},
    )["follow_up"]
    assert connected["external_issue_reference"]["issue_name"] == "OPS-1"
    again = refused(
        http, "POST", path, json={"provider": "linear", "url": "https://linear.app/a/issue/ENG-1"}
    )
    assert again["code"] == "already_connected"


def test_creates_still_refuse_what_the_organisation_lacks(demo: Emulator, http: httpx2.Client) -> None:
    incident = an_incident(demo)
    for field in (
        "follow_up_category_id",
        "follow_up_priority_option_id",
        "external_issue_reference_id",
        "assignee_team_id",
    ):
        error = refused(
            http, "POST", "/v3/follow_ups", json={"incident_id": incident["id"], "title": "T", field: "x"}
        )
        assert error["source"]["field"] == field
    schema.validate("GET", "/v3/follow_ups", 200, call(http, "GET", "/v3/follow_ups", 200))
