"""`incidentkit catalog`, `teams` and `follow-ups` against the sandbox, as scripts and people use them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.cli.conftest import Invoke


def test_catalog_types_and_services(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    assert {t["name"] for t in sandbox("catalog", "types", "list")} == {"Team", "Service"}
    service = sandbox("catalog", "types", "show", "service")
    assert {a["name"] for a in service["schema"]["attributes"]} >= {"Owner", "Tier", "Depends on"}
    table = invoke("catalog", "types", "show", "Service", "--sandbox", "--table")
    assert table.exit_code == 0 and "Depends on" in table.stdout and 'Custom["Team"]' in table.stdout
    services = {s["name"]: s for s in sandbox("catalog", "services")}
    assert services["checkout-web"]["depends_on"] == ["api-gateway", "payments-api"]
    assert services["payments-api"]["owner"] == "Payments"
    unknown = invoke("catalog", "types", "show", "Widget", "--sandbox")
    assert unknown.exit_code == 2 and "Service" in unknown.stderr


def test_catalog_entries_from_create_to_delete(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    created = sandbox(
        "catalog", "entries", "create", "Service", "--name", "ledger",
        "--attribute", "Owner=Payments", "--attribute", "Tier=2",
        "--attribute", "Depends on=payments", "--attribute", "Depends on=auth",
        "--alias", "ledger-api", "--external-id", "ledger",
    )  # fmt: skip
    assert created["aliases"] == ["ledger-api"]
    shown = sandbox("catalog", "entries", "show", "Service", "ledger-api")
    assert shown["id"] == created["id"]
    updated = sandbox(
        "catalog", "entries", "update", "Service", "ledger", "--attribute", "Tier=3", "--clear", "Depends on"
    )
    labels = [v["value"]["label"] for v in updated["attribute_values"].values() if "value" in v]
    assert "3" in labels and "Payments" in labels
    assert not any("array_value" in v for v in updated["attribute_values"].values())
    table = invoke("catalog", "entries", "list", "Service", "--sandbox", "--table", env={"COLUMNS": "240"})
    assert table.exit_code == 0 and "ledger" in table.stdout and "Depends on" in table.stdout
    assert [
        e["name"] for e in sandbox("catalog", "entries", "list", "Service", "--identifier", "ledger")
    ] == ["ledger"]
    deleted = invoke("catalog", "entries", "delete", "Service", "ledger", "--sandbox")
    assert deleted.exit_code == 0
    gone = invoke("catalog", "entries", "show", "Service", "ledger", "--sandbox")
    assert gone.exit_code == 2 and "ledger" in gone.stderr


def test_bad_attributes_exit_2_naming_the_problem(invoke: Invoke) -> None:
    for args, needle in [
        (["--attribute", "Tier"], "NAME=VALUE"),
        (["--attribute", "Colour=red"], "Colour"),
        (["--attribute", "Owner=Payments", "--attribute", "Owner=Growth"], "one value"),
    ]:
        result = invoke("catalog", "entries", "create", "Service", "--name", "x", *args, "--sandbox")
        assert result.exit_code == 2 and needle in result.stderr, result.stderr
    refused = invoke(
        "catalog", "entries", "create", "Service", "--name", "x", "--attribute", "Tier=high", "--sandbox"
    )
    assert (
        refused.exit_code == 1 and "attribute_values" in refused.stderr and "not a number" in refused.stderr
    )


def test_teams_list_and_show(sandbox: Callable[..., Any]) -> None:
    assert [t["name"] for t in sandbox("teams", "list")] == ["Growth", "Identity", "Payments", "Platform"]
    payments = sandbox("teams", "show", "payments")
    assert {m["name"] for m in payments["members"]} == {"Priya Shah", "Mei Lin"}


def test_follow_ups_from_the_command_line(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    created = sandbox(
        "follow-ups", "create", "INC-49", "--title", "Add a canary", "--team", "Platform",
        "--assignee", "priya@example.com", "--label", "ci",
    )  # fmt: skip
    assert (
        created["assignee"]["email"] == "priya@example.com" and created["assignee_team"]["name"] == "Platform"
    )
    assert sandbox("follow-ups", "show", created["id"])["title"] == "Add a canary"
    done = sandbox("follow-ups", "update", created["id"], "--status", "completed", "--unassign-team")
    assert done["status"] == "completed" and "assignee_team" not in done and done["labels"] == ["ci"]
    linked = sandbox("follow-ups", "create", "INC-49", "--link", "https://linear.app/acme/issue/ENG-4/x")
    assert linked["external_issue_reference"]["issue_name"] == "ENG-4"
    listed = sandbox("follow-ups", "list", "--incident", "INC-49")
    assert [f["id"] for f in listed] == [created["id"], linked["id"]]
    assert sandbox("follow-ups", "list", "--incident", "INC-49", "--team", "Platform") == []
    table = invoke("follow-ups", "list", "--incident", "INC-49", "--sandbox", "--table")
    assert table.exit_code == 0 and "Title" in table.stdout and "ENG-4" in table.stdout
    both = invoke("follow-ups", "create", "INC-49", "--sandbox")
    assert both.exit_code == 2 and "--title or --link" in both.stderr
    nothing = invoke("follow-ups", "update", created["id"], "--sandbox")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    deleted_status = invoke("follow-ups", "update", created["id"], "--status", "deleted", "--sandbox")
    assert deleted_status.exit_code == 2
