"""`incidentkit changes record|list|for`, as a user runs them, and ``investigation.changes`` over the API."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from incidentkit.api import Client
from incidentkit.investigation import ChangeLog, History, InvestigationConfig, changes
from incidentkit.investigation.similar import HistoryNotFoundError
from incidentkit.store import Store
from incidentkit.timeutil import iso, parse_iso
from tests.cli.conftest import Invoke
from tests.conftest import FakeClock
from tests.investigation.conftest import START, incident


def test_record_then_list_with_filters(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'changes.db'}"
    first = invoke(
        "changes", "record", "--service", "checkout", "--version", "v1.4.2", "--author", "alice",
        "--at", "2026-03-01T10:42:00Z", "--link", "https://ci.example.com/7", "--external-id", "run-7",
        "--store", store, "--json",
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    change = json.loads(first.stdout)
    assert (change["service"], change["version"], change["source"], change["at"]) == (
        "checkout",
        "v1.4.2",
        "cli",
        "2026-03-01T10:42:00Z",
    )
    again = invoke(
        "changes", "record", "--service", "checkout", "--version", "v1.4.2", "--external-id", "run-7",
        "--store", store, "--json",
    )  # fmt: skip
    assert again.exit_code == 0 and json.loads(again.stdout)["id"] == change["id"]
    assert "Already recorded" in again.stderr
    flag = invoke(
        "changes", "record", "--service", "search", "--kind", "flag", "--description", "new ranker on",
        "--at", "2026-03-01T11:00:00Z", "--store", store, "--json",
    )  # fmt: skip
    assert flag.exit_code == 0, flag.stderr

    listed = json.loads(invoke("changes", "list", "--store", store, "--json").stdout)
    assert [c["service"] for c in listed] == ["search", "checkout"]
    only = json.loads(invoke("changes", "list", "--service", "CHECKOUT", "--store", store, "--json").stdout)
    assert [c["id"] for c in only] == [change["id"]]
    since = invoke("changes", "list", "--since", "2026-03-01T10:50:00Z", "--store", store, "--csv")
    assert since.exit_code == 0 and "search" in since.stdout and "checkout" not in since.stdout
    table = invoke("changes", "list", "--store", store, "--table")
    assert table.exit_code == 0 and "v1.4.2" in table.stdout


def test_bad_input_names_the_option(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'changes.db'}"
    missing = invoke("changes", "record", "--service", "web", "--store", store)
    assert missing.exit_code == 2 and "--version" in missing.stderr
    link = invoke(
        "changes", "record", "--service", "web", "--version", "1", "--link", "nope", "--store", store
    )
    assert link.exit_code == 2 and "--link" in link.stderr and "http(s) URL" in link.stderr
    when = invoke(
        "changes", "record", "--service", "web", "--version", "1", "--at", "soonish", "--store", store
    )
    assert when.exit_code == 2 and "--at" in when.stderr
    window = invoke("changes", "for", "INC-1", "--window", "a while", "--store", store)
    assert window.exit_code == 2 and "--window" in window.stderr
    nothing = invoke("changes", "list", "--store", f"sqlite:///{tmp_path / 'absent.db'}")
    assert nothing.exit_code == 2 and "`incidentkit changes record` creates it" in nothing.stderr


def test_changes_for_an_incident_in_the_synced_history(invoke: Invoke, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with Store.open(url) as store:
        History(store).upsert([incident(42, "Checkout errors", services=("checkout",))])
        log = ChangeLog(store)
        log.record("checkout", version="v9", at=START - timedelta(minutes=25))
        log.record("search", version="v3", at=START - timedelta(minutes=5))
        log.record("checkout", version="v8", at=START - timedelta(hours=5))
    found = invoke("changes", "for", "INC-42", "--store", url, "--json")
    assert found.exit_code == 0, found.stderr
    matches = json.loads(found.stdout)
    assert [(m["change"]["version"], m["before_start"], m["reason"]) for m in matches] == [
        ("v9", "25m", "checkout itself")
    ]
    wider = json.loads(invoke("changes", "for", "42", "--window", "6h", "--store", url, "--json").stdout)
    assert [m["change"]["version"] for m in wider] == ["v9", "v8"]
    table = invoke("changes", "for", "INC-42", "--store", url, "--table")
    assert table.exit_code == 0 and "v9" in table.stdout and "v8" not in table.stdout
    unknown = invoke("changes", "for", "INC-999", "--store", url)
    assert unknown.exit_code == 2 and "not in the synced history" in unknown.stderr


def test_changes_for_an_incident_fetched_from_the_api_with_dependencies(
    invoke: Invoke, tmp_path: Path
) -> None:
    shown = invoke("incidents", "show", "INC-10", "--sandbox", "--json")
    assert shown.exit_code == 0, shown.stderr
    sandbox_incident = json.loads(shown.stdout)
    [entry] = [
        e for e in sandbox_incident["custom_field_entries"] if e["custom_field"]["name"] == "Affected service"
    ]
    service = entry["values"][0]["value_option"]["value"]
    started = parse_iso(sandbox_incident["created_at"])
    config = tmp_path / "config.toml"
    config.write_text(f'[investigation.dependencies]\n"{service}" = ["kafka"]\n')
    url = f"sqlite:///{tmp_path / 'changes.db'}"
    for who, minutes in ((service, 90), ("kafka", 30)):
        recorded = invoke(
            "changes", "record", "--service", who, "--version", f"{who}-v2",
            "--at", iso(started - timedelta(minutes=minutes)), "--store", url,
        )  # fmt: skip
        assert recorded.exit_code == 0, recorded.stderr
    result = invoke("changes", "for", "INC-10", "--sandbox", "--store", url, "--json",
                    env={"INCIDENTKIT_CONFIG": str(config)})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    matches = json.loads(result.stdout)
    assert [(m["change"]["service"], m["service"], m["via"]) for m in matches] == [
        ("kafka", service, ["kafka"]),
        (service, service, []),
    ]


@pytest.mark.incidentkit_seed("demo")
def test_the_wrapper_reads_services_the_way_the_history_does(
    client: Client, store: Store, clock: FakeClock
) -> None:
    fetched = client.incidents.get("INC-10").to_json()
    started = parse_iso(fetched["created_at"])
    [entry] = [e for e in fetched["custom_field_entries"] if e["custom_field"]["name"] == "Affected service"]
    service = entry["values"][0]["value_option"]["value"]
    log = ChangeLog(store)
    log.record(service, version="v2", at=started - timedelta(minutes=10))
    config = InvestigationConfig(service_fields=("Affected service",))
    found = changes("INC-10", change_log=log, client=client, config=config)
    assert found.services == (service,) and found.started_at == started
    assert [(m.change.version, m.before_start) for m in found.matches] == [("v2", timedelta(minutes=10))]
    # Another configured field: the incident names no services, so the whole window is shown.
    other = changes(
        "INC-10", change_log=log, client=client, config=InvestigationConfig(service_fields=("Team",))
    )
    assert other.services == () and [m.service for m in other.matches] == [None]
    with pytest.raises(HistoryNotFoundError, match="not in the incident history"):
        changes("INC-10", change_log=log, history=History(store), config=config)
    with pytest.raises(HistoryNotFoundError, match=r"not found in incident\.io"):
        changes("INC-99999", change_log=log, client=client, config=config)


def test_serve_takes_changes_with_its_token_and_never_prints_it(tmp_path: Path) -> None:
    import os
    import signal
    import sys

    import httpx2

    from tests.cli.conftest import running

    url = f"sqlite:///{tmp_path / 'served.db'}"
    token = "ci-token-for-the-serve-test"
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--store", url, "--workers", "0"]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "INCIDENTKIT_CHANGES_TOKEN": token,
        # The sources under test, when they are not the installed package's.
        **{name: value for name, value in os.environ.items() if name == "PYTHONPATH"},
    }
    with running(command, env) as process:
        assert process.stdout is not None and process.stderr is not None
        lines = [process.stdout.readline().strip() for _ in range(5)]
        assert lines[4].startswith("Changes API: http://127.0.0.1:"), lines
        endpoint = lines[4].split()[2]
        refused = httpx2.post(endpoint, json={"service": "web", "version": "1"})
        answer = httpx2.post(
            endpoint, json={"service": "web", "version": "1"}, headers={"Authorization": f"Bearer {token}"}
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        output = process.stdout.read() + process.stderr.read()
    assert refused.status_code == 401 and answer.status_code == 201
    assert token not in "\n".join(lines) + output
    with Store.open(url) as store:
        assert [c.service for c in ChangeLog(store).recent()] == ["web"]
