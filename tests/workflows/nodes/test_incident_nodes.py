"""The incident.io steps against the emulator: each effect is visible in the emulated organisation."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from incidentkit.api import Client, RetryPolicy
from incidentkit.emulator import Emulator
from incidentkit.workflows.nodes import NODE_TYPES, Completed, NodeContext, StepError
from tests.workflows.nodes.conftest import NOW, Seen


def run(step_type: str, inputs: dict[str, Any], context: NodeContext) -> dict[str, Any]:
    node = NODE_TYPES[step_type]
    result = node.run(node.validate_inputs(inputs), context)
    assert isinstance(result, Completed)
    return result.output


def declare(client: Client, name: str = "Checkout is down", **options: Any) -> str:
    options.setdefault("severity", "Minor")
    options.setdefault("status", "Triage")
    return client.incidents.create(name=name, **options).id


def record(emulator: Emulator, incident_id: str) -> dict[str, Any]:
    return emulator.state.incidents[incident_id]


def updates_of(emulator: Emulator, incident_id: str) -> list[dict[str, Any]]:
    """The updates posted on an incident after it was declared (declaring posts one with no message)."""
    return [u for u in emulator.state.incident_updates if u["incident_id"] == incident_id and "message" in u]


# Reads


def test_get_by_reference_outputs_the_fields_workflows_use(context: NodeContext, step_client: Client) -> None:
    incident_id = declare(step_client, severity="Major")
    reference = step_client.incidents.get(incident_id).reference
    output = run("incident_io.incident.get", {"incidentId": reference}, context)
    assert output["incident_id"] == incident_id and output["reference"] == reference
    assert (output["status"], output["status_category"], output["severity"]) == ("Triage", "triage", "Major")
    assert output["incident"]["id"] == incident_id


def test_list_open_means_triage_and_live(context: NodeContext, step_client: Client) -> None:
    triage = declare(step_client)
    closed = declare(step_client, status="Closed")
    output = run("incident_io.incident.list", {"status": "open"}, context)
    listed = {i["incident_id"] for i in output["incidents"]}
    assert triage in listed and closed not in listed
    assert {i["status_category"] for i in output["incidents"]} <= {"triage", "live"}
    closed_only = run("incident_io.incident.list", {"status": "closed"}, context)
    assert [i["incident_id"] for i in closed_only["incidents"]] == [closed]
    by_status = run("incident_io.incident.list", {"status": "Triage"}, context)
    assert [i["incident_id"] for i in by_status["incidents"]] == [triage]
    everything = run("incident_io.incident.list", {"status": "all"}, context)
    assert everything["count"] == 3


def test_list_by_severity_through_the_severity_map_and_limit(
    context: NodeContext, step_client: Client
) -> None:
    critical = declare(step_client, severity="Critical")
    declare(step_client, severity="Minor")
    mapped = dataclasses.replace(context, severity_map={"P1": "Critical"})
    for severity in ("SEV-1", "P0", "Critical"):
        output = run("incident_io.incident.list", {"severity": severity, "status": "all"}, context)
        assert [i["incident_id"] for i in output["incidents"]] == [critical], severity
    output = run("incident_io.incident.list", {"severity": "P1", "status": "all"}, mapped)
    assert [i["incident_id"] for i in output["incidents"]] == [critical]
    assert run("incident_io.incident.list", {"status": "all", "limit": 2}, context)["count"] == 2


def test_list_since_an_age_or_a_date(context: NodeContext, step_client: Client, emulator: Emulator) -> None:
    recent = declare(step_client)
    old = emulator.state.incidents["01HDH3SMWK0C2D8TN41PVW61TA"]["id"]  # the seed's 2023 incident
    output = run("incident_io.incident.list", {"status": "all", "since": "7d"}, context)
    listed = [i["incident_id"] for i in output["incidents"]]
    assert recent in listed and old not in listed
    output = run("incident_io.incident.list", {"status": "all", "since": "2020-01-01"}, context)
    assert old in [i["incident_id"] for i in output["incidents"]]
    with pytest.raises(StepError, match="input 'since'") as raised:
        run("incident_io.incident.list", {"since": "last tuesday"}, context)
    assert not raised.value.retryable


def test_list_by_team_matches_the_team_custom_field(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    """The documentation's example (status open, team, limit) runs, matching on the "Affected teams" field."""
    teams_field = next(f for f in emulator.state.custom_fields if f["name"] == "Affected teams")
    options = {o["value"]: o["id"] for o in emulator.state.custom_field_options[teams_field["id"]]}
    payments = declare(step_client, name="Payments down")
    declare(step_client, name="Login slow")
    run(
        "incident_io.incident.update",
        {"incidentId": payments, "customFields": {"Affected teams": [options["Payments"]]}},
        context,
    )
    output = run("incident_io.incident.list", {"status": "open", "team": "payments", "limit": 10}, context)
    assert [i["incident_id"] for i in output["incidents"]] == [payments]
    assert "Affected teams" in output["team_matched_on"]
    example = run(
        "incident_io.incident.list", {"status": "open", "team": "eng-on-call", "limit": 10}, context
    )
    assert example["incidents"] == [] and example["count"] == 0


def test_the_trigger_and_the_list_step_find_the_same_team(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    """One incident view: a team_field in another case names the field for $trigger and the list step."""
    from incidentkit.workflows.trigger_data import incident_fields

    teams_field = next(f for f in emulator.state.custom_fields if f["name"] == "Affected teams")
    options = {o["value"]: o["id"] for o in emulator.state.custom_field_options[teams_field["id"]]}
    payments = declare(step_client, name="Payments down")
    run(
        "incident_io.incident.update",
        {"incidentId": payments, "customFields": {"Affected teams": [options["Payments"]]}},
        context,
    )
    configured = dataclasses.replace(context, team_field="affected TEAMS")
    incident = step_client.incidents.get(payments).to_json()
    assert incident_fields(incident, None, team_field="affected TEAMS")["team"] == "Payments"
    output = run("incident_io.incident.list", {"status": "open", "team": "payments"}, configured)
    assert [i["incident_id"] for i in output["incidents"]] == [payments]
    assert output["incidents"][0]["team"] == "Payments"


@pytest.mark.incidentkit_seed("empty")
def test_list_by_team_without_a_team_field_says_it_matched_team_ids_only(context: NodeContext) -> None:
    output = run("incident_io.incident.list", {"status": "open", "team": "eng-on-call", "limit": 10}, context)
    assert output["incidents"] == []
    assert output["team_matched_on"].startswith("team_ids only")


def test_a_configured_team_field_that_does_not_exist_is_a_clear_error(context: NodeContext) -> None:
    with pytest.raises(StepError, match="team_field 'Squad' is not a custom field") as raised:
        run("incident_io.incident.list", {"team": "x"}, dataclasses.replace(context, team_field="Squad"))
    assert not raised.value.retryable


# Intents


def test_acknowledge_moves_triage_to_the_first_live_status_with_an_update(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    inputs = {"incidentId": incident_id, "message": "Acknowledged by automated workflow"}
    output = run("incident_io.incident.acknowledge", inputs, context)
    assert output["changed"] is True and output["status"] == "Investigating"
    assert record(emulator, incident_id)["incident_status"]["name"] == "Investigating"
    assert [u.get("message") for u in updates_of(emulator, incident_id)] == [
        "Acknowledged by automated workflow"
    ]
    again = run("incident_io.incident.acknowledge", inputs, context)
    assert again["changed"] is False and len(updates_of(emulator, incident_id)) == 1


def test_resolve_moves_to_the_first_closed_status_and_is_a_no_op_when_closed(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client, status="Investigating")
    output = run("incident_io.incident.resolve", {"incidentId": incident_id, "message": "Fixed"}, context)
    assert output["changed"] is True and output["status_category"] == "closed"
    assert record(emulator, incident_id)["incident_status"]["name"] == "Closed"
    assert run("incident_io.incident.resolve", {"incidentId": incident_id}, context)["changed"] is False


def test_escalate_raises_one_step_or_to_a_severity_and_posts_an_update(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client, severity="Minor")
    output = run("incident_io.incident.escalate", {"incidentId": incident_id}, context)
    assert output["severity"] == "Major" and record(emulator, incident_id)["severity"]["name"] == "Major"
    assert updates_of(emulator, incident_id)[-1]["message"] == "Escalated by an automated workflow"
    other = dataclasses.replace(context, idempotency_key="run-1:step-2")
    output = run("incident_io.incident.escalate", {"incidentId": incident_id, "severity": "SEV-1"}, other)
    assert output["severity"] == "Critical" and output["changed"] is True


@pytest.mark.parametrize(
    ("severity", "severity_map", "expected"),
    [
        ("SEV-1", {}, "Critical"),
        ("P1", {}, "Major"),
        ("Minor", {}, "Minor"),
        ("SEV-1", {"SEV-1": "Major"}, "Major"),
        ("p0", {"sev-1": "Minor"}, "Minor"),
    ],
)
def test_update_takes_severities_by_name_sev_priority_or_the_map(
    context: NodeContext,
    step_client: Client,
    emulator: Emulator,
    severity: str,
    severity_map: dict[str, str],
    expected: str,
) -> None:
    incident_id = declare(step_client, severity="Major" if expected != "Major" else "Minor")
    mapped = dataclasses.replace(context, severity_map=severity_map)
    output = run("incident_io.incident.update", {"incidentId": incident_id, "severity": severity}, mapped)
    assert output["severity"] == expected
    assert record(emulator, incident_id)["severity"]["name"] == expected


def test_update_edits_name_summary_status_and_custom_fields(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    service = next(f for f in emulator.state.custom_fields if f["name"] == "Affected service")
    option = emulator.state.custom_field_options[service["id"]][0]
    inputs = {
        "incidentId": incident_id,
        "name": "Checkout down in EU",
        "summary": "Payments failing",
        "status": "Fixing",
        "customFields": {"Affected service": option["id"]},
    }
    output = run("incident_io.incident.update", inputs, context)
    stored = record(emulator, incident_id)
    assert (stored["name"], stored["summary"], stored["incident_status"]["name"]) == (
        "Checkout down in EU",
        "Payments failing",
        "Fixing",
    )
    entry = next(e for e in stored["custom_field_entries"] if e["custom_field"]["id"] == service["id"])
    assert entry["values"][0]["value_option"]["id"] == option["id"]
    assert output["name"] == "Checkout down in EU"
    with pytest.raises(StepError, match="no custom field 'Squad'"):
        run(
            "incident_io.incident.update",
            {"incidentId": incident_id, "customFields": {"Squad": "x"}},
            context,
        )


def test_an_unknown_severity_names_the_valid_ones(context: NodeContext, step_client: Client) -> None:
    incident_id = declare(step_client)
    with pytest.raises(StepError, match=r"unknown severity 'SEV-9'.*Critical") as raised:
        run("incident_io.incident.update", {"incidentId": incident_id, "severity": "SEV-9"}, context)
    assert not raised.value.retryable


# Creates and idempotency


def test_create_twice_with_the_same_key_declares_one_incident(
    context: NodeContext, emulator: Emulator
) -> None:
    before = len(emulator.state.incidents)
    inputs = {"name": "Database on fire", "severity": "SEV-2", "summary": "Replica lag"}
    first = run("incident_io.incident.create", inputs, context)
    second = run("incident_io.incident.create", inputs, context)
    assert first["incident_id"] == second["incident_id"]
    assert len(emulator.state.incidents) == before + 1
    assert first["severity"] == "Major"
    third = run(
        "incident_io.incident.create", inputs, dataclasses.replace(context, idempotency_key="run-2:s")
    )
    assert third["incident_id"] != first["incident_id"]


def test_post_update_twice_with_the_same_key_posts_one(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    inputs = {"incidentId": incident_id, "message": "Rolled back", "status": "Monitoring", "severity": "P2"}
    first = run("incident_io.update.post", inputs, context)
    second = run("incident_io.update.post", inputs, context)
    assert first["update_id"] == second["update_id"]
    assert [u["message"] for u in updates_of(emulator, incident_id)] == ["Rolled back"]
    assert (first["status"], first["severity"]) == ("Monitoring", "Minor")
    assert record(emulator, incident_id)["incident_status"]["name"] == "Monitoring"


def test_a_lost_answer_retried_by_the_engine_makes_no_duplicate(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    emulator.inject_fault(status=502, path="/v2/incident_updates", method="POST", processed=True)
    inputs = {"incidentId": incident_id, "message": "Mitigated"}
    with pytest.raises(StepError) as raised:
        run("incident_io.update.post", inputs, context)
    assert raised.value.retryable
    run("incident_io.update.post", inputs, context)  # the engine's retry, same key
    assert [u["message"] for u in updates_of(emulator, incident_id)] == ["Mitigated"]


# Timeline and follow-ups


def test_add_event_adds_a_timeline_item(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    inputs = {
        "incidentId": incident_id,
        "eventType": "custom",
        "title": "Automated mitigation started",
        "description": "Agent triage began mitigation:\nrolled back deploy 42\n",
    }
    output = run("incident_io.timeline.add_event", inputs, context)
    assert output["fallback"] is None and output["event_type"] == "custom"
    item = emulator.state.timeline_items[output["timeline_item_id"]]
    assert (item["title"], item["description"]) == (inputs["title"], inputs["description"])
    assert item["timestamp"].startswith("2026-11-24T09:00:00")
    run("incident_io.timeline.add_event", inputs, context)
    assert len([i for i in emulator.state.timeline_items.values() if i["incident_id"] == incident_id]) == 1


def test_add_event_falls_back_to_an_update_when_the_api_refuses_it(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    emulator.inject_fault(status=403, path="/v2/incident_timeline_items", method="POST")
    inputs = {"incidentId": incident_id, "title": "Mitigation started", "description": "Rolled back"}
    output = run("incident_io.timeline.add_event", inputs, context)
    assert output["fallback"] == "incident_update" and "403" in output["fallback_reason"]
    assert output["timeline_item_id"] is None
    assert [u["message"] for u in updates_of(emulator, incident_id)] == ["Mitigation started\n\nRolled back"]
    assert not emulator.state.timeline_items


def test_add_event_does_not_fall_back_on_a_transient_failure(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    emulator.inject_fault(status=503, path="/v2/incident_timeline_items", method="POST")
    with pytest.raises(StepError) as raised:
        run("incident_io.timeline.add_event", {"incidentId": incident_id, "title": "x"}, context)
    assert raised.value.retryable and updates_of(emulator, incident_id) == []


def test_follow_up_create_reads_before_it_writes(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    reference = step_client.incidents.get(incident_id).reference
    inputs = {"incidentId": reference, "title": "Alert on replica lag", "labels": ["monitoring"]}
    first = run("incident_io.follow_up.create", inputs, context)
    second = run("incident_io.follow_up.create", inputs, context)
    assert first["created"] is True and second["created"] is False
    assert first["follow_up_id"] == second["follow_up_id"]
    assert [(f["incident_id"], f["title"], f["labels"]) for f in emulator.state.follow_ups] == [
        (incident_id, "Alert on replica lag", ["monitoring"])
    ]


def test_follow_up_create_on_a_test_incident_still_finds_its_earlier_attempt(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    """The API lists a test incident's follow-ups only when asked for its mode: the step asks."""
    incident_id = declare(step_client, mode="test")
    inputs = {"incidentId": incident_id, "title": "Alert on replica lag"}
    assert run("incident_io.follow_up.create", inputs, context)["created"] is True
    assert run("incident_io.follow_up.create", inputs, context)["created"] is False
    assert len(emulator.state.follow_ups) == 1


def test_the_client_lists_and_creates_follow_ups(step_client: Client) -> None:
    incident_id = declare(step_client)
    reference = step_client.incidents.get(incident_id).reference
    created = step_client.follow_ups.create(reference, title="Rotate the key", labels=["security"])
    assert (created.incident_id, created.title, created.labels) == (
        incident_id,
        "Rotate the key",
        ["security"],
    )
    listed = list(step_client.follow_ups.list(reference, page_size=1))
    assert [f.id for f in listed] == [created.id]
    assert step_client.incidents.resolve_id(reference) == incident_id


def test_the_client_resolves_custom_field_names(step_client: Client, emulator: Emulator) -> None:
    """Field names in any case: the rules the update and create steps use, now in the client."""
    teams_field = next(f for f in emulator.state.custom_fields if f["name"] == "Affected teams")
    options = {o["value"]: o["id"] for o in emulator.state.custom_field_options[teams_field["id"]]}
    payments = options["Payments"]
    entries = step_client.custom_fields.entries({"affected TEAMS": [payments]})
    assert entries == [{"custom_field_id": teams_field["id"], "values": [{"value_option_id": payments}]}]
    incident = step_client.incidents.create(
        name="x", severity="Minor", status="Triage", custom_fields={"Affected teams": payments}
    )
    assert incident_view_team(incident) == "Payments"
    with pytest.raises(ValueError, match="no custom field 'Squad'; custom fields: "):
        step_client.custom_fields.entries({"Squad": "x"})


def incident_view_team(incident: Any) -> Any:
    from incidentkit.api import incident_view

    return incident_view(incident, team_field="Affected teams").team


# Errors, classified as the engine expects


def test_a_429_is_retryable_with_the_servers_retry_after(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client)
    emulator.inject_fault(status=429, path=f"/v2/incidents/{incident_id}", retry_after=17)
    with pytest.raises(StepError) as raised:
        run("incident_io.incident.get", {"incidentId": incident_id}, context)
    assert raised.value.retryable and raised.value.retry_after == 17


def test_the_emulators_own_rate_limit_gives_retry_after_too(step_client: Client, emulator: Emulator) -> None:
    emulator.set_rate_limit(2)
    context = NodeContext(client=step_client, idempotency_key="k", clock=lambda: NOW)
    with pytest.raises(StepError) as raised:
        for _ in range(3):
            run("incident_io.incident.list", {"limit": 1}, context)
    assert raised.value.retryable and raised.value.retry_after is not None and raised.value.retry_after > 0


def test_a_500_is_retryable(context: NodeContext, step_client: Client, emulator: Emulator) -> None:
    incident_id = declare(step_client)
    emulator.inject_fault(status=500, path="/v2/incident_updates", method="POST")
    with pytest.raises(StepError) as raised:
        run("incident_io.update.post", {"incidentId": incident_id, "message": "x"}, context)
    assert raised.value.retryable and raised.value.retry_after is None
    assert "500" in raised.value.message


def test_a_422_is_final_with_the_apis_message(context: NodeContext, step_client: Client) -> None:
    incident_id = declare(step_client, status="Closed")
    with pytest.raises(StepError) as raised:
        run(
            "incident_io.update.post",
            {"incidentId": incident_id, "message": "x", "status": "Triage"},
            context,
        )
    assert not raised.value.retryable
    assert "422" in raised.value.message and "to_incident_status_id" in raised.value.message


def test_a_missing_incident_is_final(context: NodeContext) -> None:
    with pytest.raises(StepError, match="404") as raised:
        run("incident_io.incident.get", {"incidentId": "INC-999"}, context)
    assert not raised.value.retryable


def test_an_unreachable_api_is_retryable() -> None:
    # Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    client = Client("key", base_url="http://127.0.0.1:9", rate_limit=None, retry=RetryPolicy(max_retries=0))
    context = NodeContext(client=client, clock=lambda: NOW)
    with pytest.raises(StepError, match="could not reach") as raised:
        run("incident_io.incident.get", {"incidentId": "INC-1"}, context)
    assert raised.value.retryable


@pytest.mark.parametrize(
    "title", ["{{ 7*7 }}", "${{ secrets.TOKEN }} <script>alert(1)</script>", "🔥 Ünïcødé 事故 " * 40]
)
def test_a_hostile_title_passes_through_untouched(
    context: NodeContext, emulator: Emulator, step_client: Client, title: str
) -> None:
    created = run("incident_io.incident.create", {"name": title, "severity": "Minor"}, context)
    assert created["name"] == title and record(emulator, created["incident_id"])["name"] == title
    event = run(
        "incident_io.timeline.add_event", {"incidentId": created["incident_id"], "title": title}, context
    )
    assert emulator.state.timeline_items[event["timeline_item_id"]]["title"] == title


# Dry runs


@pytest.mark.parametrize(
    ("step_type", "inputs", "path", "body"),
    [
        (
            "incident_io.incident.resolve",
            {"incidentId": "INC-1"},
            "/actions/edit",
            {"notify_incident_channel": False},
        ),
        ("incident_io.incident.update", {"incidentId": "INC-1", "severity": "SEV-1"}, "/actions/edit", {}),
        ("incident_io.incident.escalate", {"incidentId": "INC-1"}, "/v2/incident_updates", {}),
        (
            "incident_io.incident.create",
            {"name": "New"},
            "/v2/incidents",
            {"name": "New", "visibility": "public"},
        ),
        (
            "incident_io.update.post",
            {"incidentId": "INC-1", "message": "Hi"},
            "/v2/incident_updates",
            {"message": "Hi"},
        ),
        (
            "incident_io.timeline.add_event",
            {"incidentId": "INC-1", "title": "T"},
            "/v2/incident_timeline_items",
            {"title": "T"},
        ),
        (
            "incident_io.follow_up.create",
            {"incidentId": "INC-1", "title": "F"},
            "/v3/follow_ups",
            {"title": "F"},
        ),
    ],
)
def test_a_dry_run_sends_no_write_and_shows_the_exact_request_it_would_make(
    context: NodeContext, seen: Seen, step_type: str, inputs: dict[str, Any], path: str, body: dict[str, Any]
) -> None:
    output = run(step_type, inputs, dataclasses.replace(context, dry_run=True))
    assert (output["dry_run"], output["type"]) == (True, step_type)
    would_send = output["would_send"]
    assert would_send["method"] == "POST" and would_send["path"].endswith(path)
    assert would_send["body"].items() >= body.items()
    assert all(method == "GET" for method, _ in seen.requests)  # reads resolve names; no write went out


def test_a_dry_run_resolves_names_to_the_ids_the_api_needs(context: NodeContext, emulator: Emulator) -> None:
    output = run(
        "incident_io.incident.update",
        {"incidentId": "INC-1", "severity": "SEV-1"},
        dataclasses.replace(context, dry_run=True),
    )
    incident = record(emulator, output["would_send"]["path"].split("/")[3])
    most_severe = max(emulator.state.severities, key=lambda s: s["rank"])
    assert incident["reference"] == "INC-1"
    assert output["would_send"]["body"]["incident"] == {"severity_id": most_severe["id"]}
    assert incident["severity"]["id"] != most_severe["id"]  # nothing changed


def test_a_dry_run_of_a_step_with_nothing_to_do_says_it_would_send_nothing(
    context: NodeContext, seen: Seen
) -> None:
    output = run(
        "incident_io.incident.acknowledge",
        {"incidentId": "INC-1", "message": "On it"},  # INC-1 is already live
        dataclasses.replace(context, dry_run=True),
    )
    assert output["dry_run"] is True and output["would_send"] is None
    assert all(method == "GET" for method, _ in seen.requests)


def test_reads_still_run_in_a_dry_run(context: NodeContext, seen: Seen) -> None:
    output = run(
        "incident_io.incident.get", {"incidentId": "INC-1"}, dataclasses.replace(context, dry_run=True)
    )
    assert output["reference"] == "INC-1" and seen.requests


def test_an_escalation_whose_answer_was_lost_escalates_once_when_retried(
    context: NodeContext, step_client: Client, emulator: Emulator
) -> None:
    incident_id = declare(step_client, severity="Minor")
    emulator.inject_fault(status=503, path="/v2/incident_updates", method="POST", processed=True)
    with pytest.raises(StepError) as raised:
        run("incident_io.incident.escalate", {"incidentId": incident_id}, context)
    assert raised.value.retryable
    output = run("incident_io.incident.escalate", {"incidentId": incident_id}, context)
    # The retry carries the same idempotency key, so the API replays the first update.
    assert output["severity"] == "Major" and record(emulator, incident_id)["severity"]["name"] == "Major"
    assert len(updates_of(emulator, incident_id)) == 1
