"""The incident options by name (--lead, --field, --timestamp) and the incident extras' commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.cli.conftest import Invoke


def lead_of(incident: dict[str, Any]) -> Any:
    for assignment in incident["incident_role_assignments"]:
        if assignment["role"]["role_type"] == "lead":
            return assignment.get("assignee", {}).get("email")
    return None


def value_of(incident: dict[str, Any], name: str) -> datetime | None:
    entry = next(e for e in incident["incident_timestamp_values"] if e["incident_timestamp"]["name"] == name)
    value = entry.get("value", {}).get("value")
    return datetime.fromisoformat(value) if value else None


def field_of(incident: dict[str, Any], name: str) -> list[str]:
    for entry in incident["custom_field_entries"]:
        if entry["custom_field"]["name"] == name:
            return [v["value_option"]["value"] for v in entry["values"]]
    return []


def test_declare_and_edit_by_name(sandbox: Callable[..., Any]) -> None:
    created = sandbox(
        "incidents", "create", "--name", "Search down", "--severity", "Minor",
        "--lead", "priya@example.com", "--field", "Affected service=search",
        "--timestamp", "Impact started at=2026-03-01T09:30:00Z", "--slack-channel-name", "inc-search-down",
    )  # fmt: skip
    assert lead_of(created) == "priya@example.com"
    assert field_of(created, "Affected service") == ["search"]
    assert value_of(created, "Impact started at") == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert created["slack_channel_name"] == "inc-search-down"

    edited = sandbox(
        "incidents", "edit", created["reference"], "--lead", "U062HDG5MLN",
        "--timestamp", "Fixed at=2026-03-01", "--clear-timestamp", "Impact started at",
    )  # fmt: skip
    assert lead_of(edited) == "mei@example.com"
    assert value_of(edited, "Fixed at") == datetime(2026, 3, 1, tzinfo=UTC)
    assert value_of(edited, "Impact started at") is None
    assert lead_of(sandbox("incidents", "edit", created["reference"], "--no-lead")) is None


def test_list_by_lead_and_field(sandbox: Callable[..., Any]) -> None:
    led = sandbox("incidents", "list", "--lead", "tomas@example.com", "--all")
    assert led and {lead_of(i) for i in led} == {"tomas@example.com"}
    search = sandbox("incidents", "list", "--field", "Affected service=search", "--all")
    assert search and all(field_of(i, "Affected service") == ["search"] for i in search)


def test_bad_names_exit_2_saying_what_exists(invoke: Invoke) -> None:
    result = invoke("incidents", "create", "--name", "x", "--severity", "Minor",
                    "--timestamp", "Impact begun=2h", "--sandbox")  # fmt: skip
    assert result.exit_code == 2 and "Impact started at" in result.stderr
    result = invoke("incidents", "list", "--field", "Affected service=mainframe", "--sandbox")
    assert result.exit_code == 2 and "api-gateway" in result.stderr
    result = invoke("incidents", "create", "--name", "x", "--timestamp", "no-equals", "--sandbox")
    assert result.exit_code == 2 and "NAME=WHEN" in result.stderr
    result = invoke("incidents", "edit", "INC-1", "--lead", "a@example.com", "--no-lead", "--sandbox")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_custom_field_options(sandbox: Callable[..., Any]) -> None:
    options = sandbox("custom-fields", "options", "Affected service")
    assert [o["value"] for o in options][:3] == ["api-gateway", "auth-service", "checkout-web"]


def test_attachments_members_postmortems_and_related(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    ref = sandbox("incidents", "create", "--name", "Leak", "--severity", "Major", "--private")["reference"]
    attached = sandbox("incidents", "attachments", "add", ref, "--type", "pager_duty_incident",
                       "--external-id", "PX1")  # fmt: skip
    assert attached["resource"]["permalink"].endswith("/incidents/PX1")
    assert [a["id"] for a in sandbox("incidents", "attachments", "list", ref)] == [attached["id"]]
    assert invoke("incidents", "attachments", "remove", attached["id"], "--sandbox").exit_code == 0
    assert sandbox("incidents", "attachments", "list", ref) == []

    member = sandbox("incidents", "members", "add", ref, "sam@example.com")
    assert member["user"]["name"] == "Sam Okafor"
    assert invoke("incidents", "members", "remove", ref, "sam@example.com", "--sandbox").exit_code == 0

    document = sandbox("incidents", "postmortems", "attach", ref, "https://docs.example.com/leak")
    assert sandbox("incidents", "postmortems", "status", document["id"], "completed")["status"] == "completed"
    assert [d["id"] for d in sandbox("incidents", "postmortems", "list", ref)] == [document["id"]]

    some = next(i for i in sandbox("incidents", "list", "--all") if sandbox("incidents", "related", i["id"]))
    assert sandbox("incidents", "related", some["reference"])[0]["incident"]["id"] != some["id"]
