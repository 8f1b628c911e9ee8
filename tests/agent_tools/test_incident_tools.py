"""The incident tools over the MCP client, in process, against the demo organisation."""

from __future__ import annotations

from typing import Any

import pytest

from incidentkit.emulator import Emulator
from tests.agent_tools.conftest import call, fails

pytestmark = pytest.mark.anyio


async def test_list_pages_through_live_incidents_with_refs_and_permalinks(tools: Any, demo: Emulator) -> None:
    first = await call(tools, "incident_io_incidents", {"action": "list", "page_size": 2})
    assert first["count"] == 2
    assert all(i["status_category"] == "live" for i in first["incidents"])
    assert all(
        i["reference"].startswith("INC-") and i["permalink"].startswith("https://")
        for i in first["incidents"]
    )
    second = await call(
        tools, "incident_io_incidents", {"action": "list", "page_size": 2, "after": first["next_after"]}
    )
    seen = {i["id"] for i in first["incidents"]} & {i["id"] for i in second["incidents"]}
    assert seen == set()
    live = [i for i in demo.state.incidents.values() if i["incident_status"]["category"] == "live"]
    everything = await call(tools, "incident_io_incidents", {"action": "list", "page_size": 100})
    assert everything["count"] == len(live)
    assert "next_after" not in everything


async def test_list_rejects_an_unknown_status_category_naming_the_allowed_ones(tools: Any) -> None:
    text = await fails(tools, "incident_io_incidents", {"action": "list", "status_category": "open"})
    assert "status_category" in text and "'open'" in text and "triage, declined" in text


async def test_an_unknown_action_is_refused_with_the_actions_allowed(tools: Any) -> None:
    text = await fails(tools, "incident_io_incidents", {"action": "delete", "incident_id": "INC-1"})
    assert "action" in text and "'list', 'get', 'updates', 'context' or 'append_summary'" in text


async def test_get_needs_an_incident_id(tools: Any) -> None:
    text = await fails(tools, "incident_io_incidents", {"action": "get"})
    assert "incident_id" in text and "action=get" in text


async def test_get_and_updates_by_reference(tools: Any, demo: Emulator) -> None:
    got = await call(tools, "incident_io_incidents", {"action": "get", "incident_id": "INC-49"})
    incident = got["incident"]
    assert incident["reference"] == "INC-49" and incident["name"] == "Elevated 5xx errors on search"
    assert incident["services"] == ["search"] and incident["priority"] == "P2"
    assert incident["custom_fields"]["Affected services"] == ["search"]
    updates = await call(
        tools, "incident_io_incidents", {"action": "updates", "incident_id": "49", "page_size": 1}
    )
    expected = [u for u in demo.state.incident_updates if u["incident_id"] == incident["id"]]
    assert updates["count"] == min(1, len(expected))
    if len(expected) > 1:
        assert "next_after" in updates


async def test_a_missing_incident_says_so(tools: Any) -> None:
    text = await fails(tools, "get_incident_details", {"incident_id": "INC-9999"})
    assert "404" in text and "No incident was found" in text
    assert "incident_id" in text


async def test_details_with_the_timeline_oldest_first(tools: Any) -> None:
    await call(tools, "add_timeline_item", {"incident_id": "INC-48", "title": "Restarted the pods"})
    detail = await call(tools, "get_incident_details", {"incident_id": "INC-48"})
    assert detail["reference"] == "INC-48"
    assert any(item["title"] == "Restarted the pods" for item in detail["timeline"])
    times = [item["timestamp"] for item in detail["timeline"]]
    assert times == sorted(times)
    without = await call(tools, "get_incident_details", {"incident_id": "INC-48", "include_timeline": False})
    assert "timeline" not in without and "updates" not in without


async def test_recent_incidents_by_service_status_and_time_range(tools: Any) -> None:
    search = await call(
        tools, "list_recent_incidents", {"service": "Search", "status": "all", "time_range": "30d"}
    )
    assert search["incidents"] and all("search" in i["services"] for i in search["incidents"])
    created = [i["created_at"] for i in search["incidents"]]
    assert created == sorted(created, reverse=True)
    assert all(c >= search["since"][:10] for c in created)
    resolved = await call(tools, "list_recent_incidents", {"status": "resolved", "time_range": "30d"})
    assert resolved["incidents"] and all(
        i["status_category"] in ("learning", "closed") for i in resolved["incidents"]
    )
    recent = await call(tools, "list_recent_incidents", {"time_range": "4d"})
    assert [i["reference"] for i in recent["incidents"]] == ["INC-49"]


async def test_recent_incidents_by_severity_and_bad_inputs(tools: Any) -> None:
    critical = await call(
        tools, "list_recent_incidents", {"severity": "Critical", "status": "all", "time_range": "365d"}
    )
    assert critical["incidents"] and all(i["severity"] == "Critical" for i in critical["incidents"])
    unknown = await fails(tools, "list_recent_incidents", {"severity": "Apocalyptic"})
    assert "Apocalyptic" in unknown and "Critical" in unknown
    too_long = await fails(tools, "list_recent_incidents", {"time_range": "900d"})
    assert "time_range" in too_long and "at most 365d" in too_long
    status = await fails(tools, "list_recent_incidents", {"status": "open"})
    assert "'active', 'resolved' or 'all'" in status


async def test_post_update_changes_the_status_once_even_when_retried(tools: Any, demo: Emulator) -> None:
    arguments = {"incident_id": "INC-48", "message": "Leak found in the cache layer", "status": "Monitoring"}
    first = await call(tools, "post_update", arguments)
    again = await call(tools, "post_update", arguments)
    assert first["update"]["id"] == again["update"]["id"]
    assert first["incident"] == "INC-48" and first["update"]["status"] == "Monitoring"
    incident = next(i for i in demo.state.incidents.values() if i["reference"] == "INC-48")
    assert incident["incident_status"]["name"] == "Monitoring"
    posted = [u for u in demo.state.incident_updates if u.get("message") == arguments["message"]]
    assert len(posted) == 1


async def test_post_update_errors_name_the_argument(tools: Any) -> None:
    blank = await fails(tools, "post_update", {"incident_id": "INC-48", "message": "  "})
    assert blank.startswith("Error executing tool post_update: message: is required")
    status = await fails(
        tools, "post_update", {"incident_id": "INC-48", "message": "x", "status": "Sleeping"}
    )
    assert "Sleeping" in status and "Monitoring" in status


async def test_add_timeline_item_at_a_time(tools: Any) -> None:
    item = await call(
        tools,
        "add_timeline_item",
        {
            "incident_id": "INC-47",
            "title": "Rolled back",
            "description": "to v1",
            "at": "2026-02-28T10:00:00Z",
        },
    )
    assert item["timeline_item"]["timestamp"].startswith("2026-02-28T10:00:00")
    assert item["timeline_item"]["description"] == "to v1"
    bad = await fails(tools, "add_timeline_item", {"incident_id": "INC-47", "title": "x", "at": "yesterday"})
    assert "at: 'yesterday' is not an RFC 3339 timestamp" in bad


async def test_follow_ups_are_created_once_and_listed(tools: Any) -> None:
    arguments = {"incident_id": "INC-47", "title": "Add a memory alert", "assignee": "mei@example.com"}
    made = await call(tools, "create_follow_up", arguments)
    assert made["created"] is True and made["follow_up"]["assignee"] == "Mei Lin <mei@example.com>"
    again = await call(tools, "create_follow_up", {**arguments, "title": "add a memory ALERT"})
    assert again["created"] is False and again["follow_up"]["id"] == made["follow_up"]["id"]
    listed = await call(tools, "list_follow_ups", {"incident_id": "INC-47"})
    assert [f["title"] for f in listed["follow_ups"]].count("Add a memory alert") == 1
    nobody = await fails(
        tools, "create_follow_up", {**arguments, "title": "Other", "assignee": "ghost@example.com"}
    )
    assert "assignee" in nobody and "ghost@example.com" in nobody


async def test_append_summary_keeps_the_summary_and_adds_a_finding_once(tools: Any, demo: Emulator) -> None:
    incident = next(i for i in demo.state.incidents.values() if i["reference"] == "INC-49")
    before = incident["summary"]
    arguments = {
        "action": "append_summary",
        "incident_id": "INC-49",
        "title": "Bad deploy",
        "body": "v2 leaks",
    }
    first = await call(tools, "incident_io_incidents", arguments)
    again = await call(tools, "incident_io_incidents", arguments)
    assert first["appended"] is True and again["appended"] is False
    summary = first["incident"]["summary"]
    assert summary.startswith(before) and summary.endswith("**Finding: Bad deploy**\nv2 leaks")
    assert again["incident"]["summary"] == summary
    missing = await fails(
        tools, "incident_io_incidents", {"action": "append_summary", "incident_id": "INC-49"}
    )
    assert "title: is required" in missing
