"""The investigation, on-call, paging and approval tools over the MCP client, in process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incidentkit.agent_tools import Toolbox
from incidentkit.emulator import Emulator
from incidentkit.investigation import ChangeLog
from incidentkit.investigation.sync import sync_history
from incidentkit.store.runs import RunStore
from incidentkit.workflows.approvers import decide_approval
from tests.agent_tools.conftest import call, fails
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_context_gathers_the_incident_in_one_call(tools: Any) -> None:
    found = await call(tools, "incident_io_incidents", {"incident_id": "INC-49"})
    assert found["action"] == "context"
    assert found["incident"]["reference"] == "INC-49" and found["incident"]["priority"] == "P2"
    assert [service["name"] for service in found["services"]] == ["search"]
    assert found["updates"] and found["state_history"]


async def test_correlate_finds_the_synced_incidents_most_alike(tools: Any, box: Toolbox) -> None:
    empty = await call(tools, "correlate_incidents", {"incident_id": "INC-49"})
    assert empty["matches"] == [] and "incidentkit sync" in empty["note"]
    sync_history(box.client, box.history(), box.settings())
    found = await call(
        tools, "correlate_incidents", {"incident_id": "INC-49", "time_range": "365d", "limit": 3}
    )
    assert 0 < len(found["matches"]) <= 3
    best = found["matches"][0]
    assert best["reference"] != "INC-49" and best["reasons"] and best["permalink"]
    scores = [match["score"] for match in found["matches"]]
    assert scores == sorted(scores, reverse=True)
    strict = await call(tools, "correlate_incidents", {"incident_id": "INC-49", "similarity_threshold": 0.99})
    assert all(match["score"] >= 0.99 for match in strict["matches"])
    wrong = await fails(tools, "correlate_incidents", {"incident_id": "INC-49", "similarity_threshold": 2})
    assert "similarity_threshold" in wrong and "less than or equal to 1" in wrong


async def test_recent_changes_ranks_the_changes_before_the_start(
    tools: Any, box: Toolbox, demo: Emulator
) -> None:
    incident = next(i for i in demo.state.incidents.values() if i["reference"] == "INC-49")
    from incidentkit.timeutil import parse_iso

    started = parse_iso(incident["created_at"])
    log = ChangeLog(box.store())
    log.record("search", version="v2.3.1", at=started - timedelta(minutes=12), author="ana")
    log.record("search", version="v2.3.0", at=started - timedelta(hours=3))
    log.record("search", version="v2.2.9", at=started - timedelta(hours=6))
    log.record("billing", version="v9", at=started - timedelta(minutes=5))
    found = await call(tools, "recent_changes", {"incident_id": "INC-49"})
    assert [m["change"]["version"] for m in found["matches"]] == ["v2.3.1", "v2.3.0"]
    wider = await call(tools, "recent_changes", {"incident_id": "INC-49", "window": "8h"})
    assert [m["change"]["version"] for m in wider["matches"]] == ["v2.3.1", "v2.3.0", "v2.2.9"]
    bad = await fails(tools, "recent_changes", {"incident_id": "INC-49", "window": "forever"})
    assert "window: 'forever' is not a duration" in bad


async def test_who_is_on_call_for_every_schedule_or_one(tools: Any) -> None:
    everyone = await call(tools, "who_is_on_call")
    assert everyone["count"] == 1
    primary = everyone["schedules"][0]
    assert primary["schedule"] == "Primary on-call"
    assert all(person["email"] and person["until"] for person in primary["on_call"])
    one = await call(tools, "who_is_on_call", {"schedule": "Primary on-call"})
    assert one["schedules"] == everyone["schedules"]
    missing = await fails(tools, "who_is_on_call", {"schedule": "Nightwatch"})
    assert "Nightwatch" in missing and "Primary on-call" in missing


async def test_page_through_a_path_or_people_once(tools: Any, demo: Emulator) -> None:
    arguments = {"title": "search is down", "escalation_path": "Platform", "incident_id": "INC-49"}
    paged = await call(tools, "page", arguments)
    again = await call(tools, "page", arguments)
    assert paged["escalation"]["id"] == again["escalation"]["id"]
    assert [r["reference"] for r in paged["escalation"]["related_incidents"]] == ["INC-49"]
    direct = await call(tools, "page", {"title": "look at search", "users": ["mei@example.com"]})
    assert [p["email"] for p in direct["escalation"]["paged"]] == ["mei@example.com"]
    assert len(demo.state.escalations) == 2
    both = await fails(
        tools, "page", {"title": "x", "escalation_path": "Platform", "users": ["mei@example.com"]}
    )
    assert "either escalation_path or users" in both
    neither = await fails(tools, "page", {"title": "x"})
    assert "either escalation_path or users" in neither


async def test_an_agent_asks_for_approval_and_a_person_decides(
    tools: Any, box: Toolbox, clock: FakeClock
) -> None:
    arguments = {
        "action": "Roll back search to v2.3.0",
        "reason": "v2.3.1 went out 12 minutes before the errors",
        "incident_id": "INC-49",
        "approvers": ["priya@example.com"],
    }
    asked = await call(tools, "request_approval", arguments)
    assert asked["status"] == "pending" and asked["approval_id"].startswith("apr_")
    assert asked["incident"]["reference"] == "INC-49" and "incidentkit approvals approve" in asked["next"]
    assert (await call(tools, "request_approval", arguments))["approval_id"] == asked["approval_id"]
    runs = RunStore(box.store())
    approval = runs.get_approval(asked["approval_id"])
    assert "Roll back search to v2.3.0" in approval.prompt and "INC-49" in approval.prompt
    assert approval.approvers == {"users": ["priya@example.com"], "roles": []}
    # Someone who is not an approver is refused; the approver decides.
    from incidentkit.workflows.approvers import DecisionRefusedError

    with pytest.raises(DecisionRefusedError):
        decide_approval(runs, box.client, asked["approval_id"], "approved", "mei@example.com")
    decide_approval(runs, box.client, asked["approval_id"], "approved", "priya@example.com")
    status = await call(tools, "approval_status", {"approval_id": asked["approval_id"]})
    assert status["status"] == "approved" and status["decided_by"] == "priya@example.com"
    assert runs.get_run(status["run_id"]).status == "succeeded"
    # Asked again after the decision, it is a new request.
    fresh = await call(tools, "request_approval", arguments)
    assert fresh["approval_id"] != asked["approval_id"] and fresh["status"] == "pending"


async def test_an_unanswered_request_expires_as_rejected(tools: Any, clock: FakeClock) -> None:
    asked = await call(
        tools, "request_approval", {"action": "Page the whole company", "reason": "why not", "timeout": "15m"}
    )
    clock.advance(minutes=16)
    status = await call(tools, "approval_status", {"approval_id": asked["approval_id"]})
    assert status["status"] == "expired" and "do not go ahead" in status["next"]


async def test_approval_inputs_are_checked(tools: Any, box: Toolbox) -> None:
    long_wait = await fails(tools, "request_approval", {"action": "x", "reason": "y", "timeout": "30d"})
    assert "timeout" in long_wait and "at most 7d" in long_wait
    unknown = await fails(tools, "approval_status", {"approval_id": "apr_nope"})
    assert "approval_id: no approval 'apr_nope'" in unknown
    template = await call(
        tools, "request_approval", {"action": "{{ 1 + 1 }}", "reason": "a template is text"}
    )
    assert template["action"] == "{{ 1 + 1 }}"
    # The agent's words reach the approver as written, never evaluated.
    assert "asks to: {{ 1 + 1 }}" in RunStore(box.store()).get_approval(template["approval_id"]).prompt


async def test_no_tool_can_decide_an_approval(tools: Any) -> None:
    listed = await tools.list_tools()
    assert not [t.name for t in listed.tools if "approve" in t.name and t.name != "approval_status"]


async def test_investigate_reads_everything_and_writes_nothing(
    tools: Any, box: Toolbox, demo: Emulator
) -> None:
    sync_history(box.client, box.history(), box.settings())
    incident = next(i for i in demo.state.incidents.values() if i["reference"] == "INC-49")
    from incidentkit.timeutil import parse_iso

    ChangeLog(box.store()).record(
        "search", version="v2.3.1", at=parse_iso(incident["created_at"]) - timedelta(minutes=12)
    )
    timeline, updates = len(demo.state.timeline_items), len(demo.state.incident_updates)
    found = await call(tools, "investigate", {"incident_id": "INC-49"})
    assert found["incident"]["reference"] == "INC-49" and found["summary"]
    assert [m["change"]["version"] for m in found["changes"]["matches"]] == ["v2.3.1"]
    assert found["findings"] and all("confidence" in finding for finding in found["findings"])
    assert found["similar"]
    assert (len(demo.state.timeline_items), len(demo.state.incident_updates)) == (timeline, updates)
    missing = await fails(tools, "investigate", {"incident_id": "INC-4040"})
    assert "No incident was found" in missing
