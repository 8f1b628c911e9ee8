"""`incidentkit alerts`, `alert-sources` and `alert-routes`, as scripts and monitors use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from incidentkit.emulator import RunningServer
from incidentkit.emulator.seed import MONITORING_ROUTE_ID, MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from tests.cli.conftest import Invoke


def test_the_seeded_source_shows_its_config_id_and_token(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    [source] = sandbox("alert-sources", "list", "--show-token")
    assert (source["id"], source["secret_token"]) == (MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN)
    assert sandbox("alert-sources", "show", "Monitoring")["id"] == MONITORING_SOURCE_ID
    table = invoke("alert-sources", "list", "--sandbox", "--table")
    assert MONITORING_SOURCE_ID in table.stdout and "Monitoring" in table.stdout
    # The token is a secret: printed only when asked for, a fingerprint otherwise, in every format.
    assert MONITORING_SOURCE_TOKEN not in table.stdout and "sha256:" in table.stdout
    assert sandbox("alert-sources", "show", "Monitoring")["secret_token"].startswith("sha256:")
    [listed] = sandbox("alert-sources", "list")
    assert MONITORING_SOURCE_TOKEN not in json.dumps(listed)
    [route] = sandbox("alert-routes", "list")
    assert route["id"] == MONITORING_ROUTE_ID
    shown = sandbox("alert-routes", "show", MONITORING_ROUTE_ID)
    assert shown["incident_config"]["enabled"] is True


def test_send_list_show_and_resolve_an_alert(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    sent = sandbox(
        "alerts", "send", "--title", "Checkout 5xx above 5%", "--dedup-key", "checkout-5xx",
        "--metadata", "severity=Critical", "--metadata", "service=checkout-web",
        "--description", "Since 09:12",
    )  # fmt: skip
    assert sent == {
        "deduplication_key": "checkout-5xx",
        "message": "Event accepted for processing",
        "status": "success",
    }
    [alert] = sandbox("alerts", "list", "--status", "firing")
    assert (alert["title"], alert["deduplication_key"]) == ("Checkout 5xx above 5%", "checkout-5xx")
    assert sandbox("alerts", "show", alert["id"])["description"] == "Since 09:12"
    table = invoke("alerts", "show", alert["id"], "--sandbox", "--table")
    assert table.exit_code == 0 and "INC-" in table.stdout  # the route's incident is shown
    incidents = sandbox("incidents", "list", "--status-category", "triage")
    assert any(
        i["name"] == "Checkout 5xx above 5%" and i["severity"]["name"] == "Critical" for i in incidents
    )
    assert sandbox("alerts", "resolve", alert["id"])["status"] == "resolved"
    assert sandbox("alerts", "list", "--status", "firing") == []


def test_a_resolved_event_resolves_by_dedup_key(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    sandbox("alerts", "send", "--title", "Backup late", "--dedup-key", "backup")
    result = invoke("alerts", "send", "--sandbox", "--title", "Backup late", "--dedup-key", "backup",
                    "--status", "resolved", "--json")  # fmt: skip
    assert result.exit_code == 0 and "Resolved alert 'backup'" in result.stderr
    assert [a["status"] for a in sandbox("alerts", "list", "--dedup-key", "backup")] == ["resolved"]


def test_a_monitor_needs_only_the_source_and_its_token(
    emulator_server: RunningServer, invoke: Invoke
) -> None:
    env = {
        "INCIDENT_IO_ALERT_SOURCE": MONITORING_SOURCE_ID,
        "INCIDENT_IO_ALERT_TOKEN": MONITORING_SOURCE_TOKEN,
    }
    result = invoke(
        "alerts", "send", "--base-url", emulator_server.url, "--title", "Cron job failed", "--json", env=env
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "success"
    refused = invoke(
        "alerts", "send", "--base-url", emulator_server.url, "--title", "x", "--token", "wrong",
        "--source", MONITORING_SOURCE_ID,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "wrong" not in refused.stderr and "token" in refused.stderr.lower()


def test_bad_input_exits_2_saying_what_is_wrong(invoke: Invoke) -> None:
    result = invoke("alerts", "send", "--sandbox", "--title", "x", "--metadata", "severity")
    assert result.exit_code == 2 and "'severity' is not KEY=VALUE" in result.stderr
    result = invoke("alerts", "send", "--title", "x", "--token", "t")
    assert result.exit_code == 2 and "INCIDENT_IO_ALERT_SOURCE" in result.stderr
    result = invoke("alerts", "send", "--title", "x", "--source", MONITORING_SOURCE_ID)
    assert result.exit_code == 2 and "INCIDENT_IO_ALERT_TOKEN" in result.stderr
    result = invoke("alerts", "send", "--sandbox", "--title", "x", "--status", "open")
    assert result.exit_code == 2
    result = invoke("alert-sources", "show", "Datadog", "--sandbox")
    assert result.exit_code == 2 and "Monitoring" in result.stderr
