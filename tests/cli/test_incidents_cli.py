"""`incidentkit` commands against the sandbox emulator, as scripts and people use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.cli.conftest import Invoke


def test_severities_list_is_most_severe_first(sandbox: Callable[..., Any]) -> None:
    severities = sandbox("severities", "list")
    ranks = [s["rank"] for s in severities]
    assert ranks == sorted(ranks, reverse=True)
    assert {"id", "name", "rank"} <= set(severities[0])


def test_statuses_list_filters_by_category(sandbox: Callable[..., Any]) -> None:
    live = sandbox("statuses", "list", "--category", "live")
    assert live and {s["category"] for s in live} == {"live"}


def test_catalogue_commands_print_the_api_objects(sandbox: Callable[..., Any]) -> None:
    assert all("is_default" in t for t in sandbox("types", "list"))
    assert all("role_type" in r for r in sandbox("roles", "list"))
    assert all("field_type" in f for f in sandbox("custom-fields", "list"))
    assert all("email" in u or "name" in u for u in sandbox("users", "list"))


def test_a_whole_incident_life_from_the_command_line(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    created = sandbox("incidents", "create", "--name", "Payments failing", "--severity", "SEV-3",
                      "--summary", "Card payments fail with 502")  # fmt: skip
    ref = created["reference"]
    assert created["name"] == "Payments failing"
    assert created["visibility"] == "public"

    shown = sandbox("incidents", "show", ref)
    assert shown["id"] == created["id"]

    escalated = sandbox("incidents", "escalate", ref, "--to", "SEV-1", "--message", "Worse")
    assert escalated["severity"]["rank"] == max(s["rank"] for s in sandbox("severities", "list"))

    sandbox("updates", "post", ref, "Rolled back")
    messages = [u.get("message") for u in sandbox("updates", "list", ref)]
    assert "Rolled back" in messages and "Worse" in messages

    sandbox("timeline", "add", ref, "--title", "Rollback started", "--at", "5m")
    assert [t["title"] for t in sandbox("timeline", "list", ref)] == ["Rollback started"]

    closed = sandbox("incidents", "close", ref, "--message", "Fixed")
    assert closed["incident_status"]["category"] == "closed"

    again = invoke("incidents", "close", ref, "--sandbox", "--json")
    assert again.exit_code == 0
    assert "already closed" in again.stderr

    both = sandbox("incidents", "show", ref, "--updates", "--timeline")
    assert set(both) == {"incident", "incident_updates", "incident_timeline_items"}


def test_list_filters_and_limit(sandbox: Callable[..., Any]) -> None:
    live = sandbox("incidents", "list", "--live", "--all")
    assert live and all(i["incident_status"]["category"] == "live" for i in live)
    two = sandbox("incidents", "list", "--limit", "2")
    assert len(two) == 2
    recent = sandbox("incidents", "list", "--since", "7d", "--all")
    everything = sandbox("incidents", "list", "--all")
    assert len(recent) < len(everything)
    critical = sandbox("incidents", "list", "--severity", "SEV-1", "--all")
    assert critical and {i["severity"]["name"] for i in critical} == {critical[0]["severity"]["name"]}


def test_acknowledge_moves_a_triage_incident_to_live(sandbox: Callable[..., Any]) -> None:
    triage_status = next(s for s in sandbox("statuses", "list") if s["category"] == "triage")
    created = sandbox("incidents", "create", "--name", "Alert fired", "--status", triage_status["name"],
                      "--severity", "SEV-2")  # fmt: skip
    acknowledged = sandbox("incidents", "acknowledge", created["reference"])
    assert acknowledged["incident_status"]["category"] == "live"


def test_output_formats(invoke: Invoke) -> None:
    jsonl = invoke("severities", "list", "--sandbox", "--jsonl")
    assert all(json.loads(line)["id"] for line in jsonl.stdout.splitlines())
    csv_out = invoke("severities", "list", "--sandbox", "--csv")
    assert csv_out.stdout.splitlines()[0] == "Label,Rank,Name,Description,ID"
    table = invoke("severities", "list", "--sandbox", "--table")
    assert "Rank" in table.stdout and not table.stdout.lstrip().startswith("[")


def test_unknown_reference_is_an_api_error(invoke: Invoke) -> None:
    result = invoke("incidents", "show", "INC-99999", "--sandbox")
    assert result.exit_code == 1
    assert "404" in result.stderr and "Check the reference" in result.stderr


def test_malformed_reference_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("incidents", "show", "https://evilincident.io/acme/incidents/1", "--sandbox")
    assert result.exit_code == 2
    assert "dashboard URL" in result.stderr


def test_unknown_severity_lists_the_valid_names(invoke: Invoke) -> None:
    result = invoke("incidents", "create", "--name", "x", "--severity", "Catastrophic", "--sandbox")
    assert result.exit_code == 2
    assert "Catastrophic" in result.stderr
    assert "Critical" in result.stderr and "SEV-1" in result.stderr


def test_edit_with_no_fields_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("incidents", "edit", "INC-1", "--sandbox")
    assert result.exit_code == 2
    assert "nothing to edit" in result.stderr


def test_since_that_does_not_parse(invoke: Invoke) -> None:
    result = invoke("incidents", "list", "--since", "yesterday-ish", "--sandbox")
    assert result.exit_code == 2
    assert "is not a time" in result.stderr


def test_read_only_refuses_writes(invoke: Invoke) -> None:
    result = invoke("incidents", "create", "--name", "x", "--severity", "SEV-1", "--sandbox", "--read-only")
    assert result.exit_code == 2
    assert "read-only" in result.stderr


def test_no_key_explains_how_to_get_one(invoke: Invoke) -> None:
    result = invoke("incidents", "list")
    assert result.exit_code == 2
    assert "incidentkit setup" in result.stderr and "--sandbox" in result.stderr


def test_create_with_every_option_and_a_reused_idempotency_key(sandbox: Callable[..., Any]) -> None:
    args = ("incidents", "create", "--name", "Suspicious logins", "--summary", "Many failed logins",
            "--severity", "Major", "--type", "Security", "--private", "--mode", "test",
            "--idempotency-key", "declare-once")  # fmt: skip
    created = sandbox(*args)
    assert created["visibility"] == "private" and created["mode"] == "test"
    assert created["incident_type"]["name"] == "Security" and created["severity"]["name"] == "Major"
    assert created["summary"] == "Many failed logins"
    assert sandbox(*args)["id"] == created["id"]  # the same key gives the same incident back
    tests_only = sandbox("incidents", "list", "--mode", "test", "--all")
    assert created["id"] in [i["id"] for i in tests_only]
    assert created["id"] not in [i["id"] for i in sandbox("incidents", "list", "--all")]


def test_edit_sends_only_the_fields_given(sandbox: Callable[..., Any]) -> None:
    before = sandbox("incidents", "show", "INC-49")
    edited = sandbox("incidents", "edit", "INC-49", "--name", "Search errors", "--severity", "Critical",
                     "--status", "Fixing", "--notify")  # fmt: skip
    assert edited["name"] == "Search errors"
    assert edited["severity"]["name"] == "Critical"
    assert edited["incident_status"]["name"] == "Fixing"
    assert edited["summary"] == before["summary"]  # untouched
    assert sandbox("incidents", "show", "49")["name"] == "Search errors"


def test_list_by_status_type_severity_floor_and_time_window(sandbox: Callable[..., Any]) -> None:
    fixing = sandbox("incidents", "list", "--status", "Fixing", "--all")
    assert fixing and {i["incident_status"]["name"] for i in fixing} == {"Fixing"}
    default_type = sandbox("incidents", "list", "--type", "Default", "--all")
    assert default_type and {i["incident_type"]["name"] for i in default_type} == {"Default"}
    at_least_major = sandbox("incidents", "list", "--severity-at-least", "Major", "--all")
    assert at_least_major and {i["severity"]["name"] for i in at_least_major} <= {"Critical", "Major"}
    old = sandbox("incidents", "list", "--until", "30d", "--all")
    recent = sandbox("incidents", "list", "--since", "30d", "--all")
    everything = sandbox("incidents", "list", "--all")
    assert old and recent and len(old) + len(recent) == len(everything)
    assert max(i["created_at"] for i in old) < min(i["created_at"] for i in recent)
