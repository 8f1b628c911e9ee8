"""`incidentkit escalations`, `oncall`, `schedules` and `overrides` against the sandbox emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.cli.conftest import Invoke


def on_call(sandbox: Callable[..., Any]) -> list[str]:
    return [row["user"]["email"] for row in sandbox("oncall", "now", "--schedule", "Primary on-call")]


def test_page_the_platform_path_then_acknowledge_from_the_command_line(
    sandbox: Callable[..., Any], invoke: Invoke
) -> None:
    [person] = on_call(sandbox)
    page = invoke(
        "escalations",
        "page",
        "--path",
        "Platform",
        "--title",
        "Checkout down",
        "--incident",
        "INC-1",
        "--sandbox",
        "--json",
    )
    assert page.exit_code == 0, page.stderr
    assert "Paged" in page.stderr
    escalation = json.loads(page.stdout)
    assert escalation["status"] == "triggered"
    assert escalation["events"][1]["users"][0]["email"] == person
    assert escalation["related_incidents"][0]["reference"] == "INC-1"
    listed = sandbox("escalations", "list", "--status", "triggered", "--path", "Platform")
    assert [e["id"] for e in listed] == [escalation["id"]]
    assert [e["id"] for e in sandbox("escalations", "list", "--incident", "INC-1")] == [escalation["id"]]
    acked = sandbox("escalations", "ack", escalation["id"])
    assert acked["status"] == "acked"
    assert sandbox("escalations", "show", escalation["id"])["status"] == "acked"
    assert sandbox("escalations", "list", "--status", "triggered") == []


def test_page_users_by_email_and_cancel(sandbox: Callable[..., Any]) -> None:
    page = sandbox(
        "escalations", "page", "--user", "sam@example.com", "--user", "mei@example.com", "--title", "DBA"
    )
    assert [u["email"] for u in page["events"][1]["users"]] == ["sam@example.com", "mei@example.com"]
    assert sandbox("escalations", "cancel", page["id"])["status"] == "cancelled"


def test_the_same_idempotency_key_pages_once(sandbox: Callable[..., Any]) -> None:
    first = sandbox(
        "escalations", "page", "--user", "sam@example.com", "--title", "x", "--idempotency-key", "k-1"
    )
    again = sandbox(
        "escalations", "page", "--user", "sam@example.com", "--title", "x", "--idempotency-key", "k-1"
    )
    assert again["id"] == first["id"] and len(sandbox("escalations", "list")) == 1


def test_bad_pages_exit_2_and_say_why(invoke: Invoke) -> None:
    neither = invoke("escalations", "page", "--title", "x", "--sandbox")
    assert neither.exit_code == 2 and "--path" in neither.stderr
    unknown = invoke("escalations", "page", "--path", "Nope", "--title", "x", "--sandbox")
    assert unknown.exit_code == 2 and "Platform" in unknown.stderr  # the valid names


def test_schedules_list_and_show(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    [schedule] = sandbox("schedules", "list")
    assert schedule["name"] == "Primary on-call" and schedule["current_shifts"]
    assert sandbox("schedules", "show", "Primary on-call")["id"] == schedule["id"]
    table = invoke("schedules", "show", schedule["id"], "--sandbox", "--table")
    assert table.exit_code == 0 and "Shifts" in table.stdout


def test_an_override_puts_someone_else_on_call_until_deleted(
    sandbox: Callable[..., Any], invoke: Invoke
) -> None:
    before = on_call(sandbox)
    override = sandbox(
        "overrides", "create", "--schedule", "Primary on-call", "--user", "sam@example.com", "--for", "2h"
    )
    assert override["user"]["email"] == "sam@example.com"
    assert on_call(sandbox) == ["sam@example.com"]
    assert [o["id"] for o in sandbox("overrides", "list", "--schedule", "Primary on-call")] == [
        override["id"]
    ]
    deleted = invoke("overrides", "delete", override["id"], "--sandbox")
    assert deleted.exit_code == 0 and "deleted" in deleted.stderr
    assert on_call(sandbox) == before


def test_an_override_needs_one_end(invoke: Invoke) -> None:
    both = invoke(
        "overrides", "create", "--schedule", "Primary on-call", "--user", "sam@example.com",
        "--for", "1h", "--end", "2030-01-01T00:00:00Z", "--sandbox",
    )  # fmt: skip
    assert both.exit_code == 2 and "--end" in both.stderr
    bad = invoke(
        "overrides",
        "create",
        "--schedule",
        "Primary on-call",
        "--user",
        "sam@example.com",
        "--for",
        "soon",
        "--sandbox",
    )
    assert bad.exit_code == 2 and "--for" in bad.stderr


def test_oncall_now_for_every_schedule_as_a_table(invoke: Invoke) -> None:
    result = invoke("oncall", "now", "--sandbox", "--table")
    assert result.exit_code == 0 and "Primary on-call" in result.stdout
