"""`incidentkit events` and `incidentkit serve`, as a user runs them."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY
from incidentkit.store import EventStatus, Store
from incidentkit.webhooks.verify import signed_headers
from tests.cli.conftest import SECRET, Invoke, read_log_until, running


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with Store.open(url) as store:
        store.insert_event(
            "msg_created",
            b'{"event_type": "public_incident.incident_created_v2"}',
            {"webhook-id": "msg_created", "authorization": "Bearer sk_secret"},
            event_type="public_incident.incident_created_v2",
        )
        store.insert_event("msg_junk", b"not json", {}, event_type=None)
        store.claim_pending()
        store.mark_processed("msg_created", outcome={"lifecycle": []})
        store.mark_dead("msg_junk", "cannot parse the event: the body is not valid JSON")
    return url


def test_list_shows_every_event_and_filters(invoke: Invoke, store_url: str) -> None:
    listed = json.loads(invoke("events", "list", "--store", store_url, "--json").stdout)
    assert {e["webhook_id"] for e in listed} == {"msg_created", "msg_junk"}
    assert "body" not in listed[0]

    dead = json.loads(invoke("events", "list", "--store", store_url, "--status", "dead", "--json").stdout)
    assert [(e["webhook_id"], e["reason"]) for e in dead] == [
        ("msg_junk", "cannot parse the event: the body is not valid JSON")
    ]
    typed = invoke(
        "events", "list", "--store", store_url, "--type", "public_incident.incident_created_v2", "--json"
    )
    assert [e["webhook_id"] for e in json.loads(typed.stdout)] == ["msg_created"]


def test_list_reads_the_store_from_the_environment(invoke: Invoke, store_url: str) -> None:
    result = invoke("events", "list", "--csv", env={"INCIDENTKIT_STORE": store_url})
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Received,Type,Status,Attempts,Reason,Webhook ID"
    assert len(result.stdout.splitlines()) == 3


def test_show_gives_headers_body_and_outcome_without_secrets(invoke: Invoke, store_url: str) -> None:
    shown = json.loads(invoke("events", "show", "msg_created", "--store", store_url, "--json").stdout)
    assert shown["headers"] == {"webhook-id": "msg_created"}
    assert shown["body"] == {"event_type": "public_incident.incident_created_v2"}
    assert (shown["status"], shown["outcome"]) == ("processed", {"lifecycle": []})

    table = invoke("events", "show", "msg_junk", "--store", store_url, "--table").stdout
    assert "not json" in table and "dead" in table


def test_show_and_replay_of_an_unknown_id_say_so(invoke: Invoke, store_url: str) -> None:
    for command in ("show", "replay"):
        result = invoke("events", command, "msg_nope", "--store", store_url)
        assert result.exit_code == 1
        assert "no event with webhook id 'msg_nope'" in result.stderr


def test_replay_makes_the_event_pending_again(invoke: Invoke, store_url: str) -> None:
    result = invoke("events", "replay", "msg_junk", "--store", store_url)
    assert result.exit_code == 0
    assert "msg_junk (unknown type) is pending again" in result.stdout
    with Store.open(store_url) as store:
        assert store.get_event("msg_junk").status is EventStatus.PENDING


def test_an_unreachable_store_is_a_clear_error_without_the_password(invoke: Invoke) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = invoke("events", "list", "--store", f"postgresql://me:hunter2@127.0.0.1:{port}/x")
    assert result.exit_code == 1
    assert f"cannot open the store postgresql://me:***@127.0.0.1:{port}/x" in result.stderr
    assert "hunter2" not in result.stderr


def test_a_bad_store_url_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("events", "list", "--store", "mysql://db/x")
    assert result.exit_code == 2
    assert "unsupported store URL scheme 'mysql'" in result.stderr


def test_serve_stores_and_processes_a_signed_delivery(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--store", url]
    env = {"INCIDENTKIT_WEBHOOK_SECRET": SECRET, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with running(command, env) as process:
        assert process.stdout is not None and process.stderr is not None
        announced = process.stdout.readline().strip()
        assert announced.startswith("incidentkit receiver listening on http://127.0.0.1:")
        webhook_url = process.stdout.readline().strip().removeprefix("Webhook URL: ")
        assert process.stdout.readline().strip() == f"Store: {url}"
        assert process.stdout.readline().startswith("Signing secrets: sha256:")
        body = json.dumps({"event_type": "brand_new.thing_v9", "brand_new.thing_v9": {"id": "x"}}).encode()
        headers = signed_headers(SECRET, "msg_served", body, int(time.time()))

        answer = httpx2.post(webhook_url, content=body, headers=headers)

        assert answer.status_code == 202
        # The processor logs each event it finishes; reading the log waits for it without sleeping.
        log = read_log_until(process, "msg_served", "processed")
        with Store.open(url) as store:
            assert store.get_event("msg_served").status is EventStatus.PROCESSED
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        log.append(process.stderr.read())
        assert SECRET.removeprefix("whsec_") not in "".join(log)


def test_serve_sandbox_receives_the_emulators_webhooks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sandbox.db'}"
    command = [sys.executable, "-m", "incidentkit", "serve", "--sandbox", "--port", "0", "--store", url]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with running(command, env) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(5)]
        assert lines[0].startswith("incidentkit receiver listening on http://127.0.0.1:")
        assert lines[4].startswith("Sandbox emulator on http://127.0.0.1:")
        emulator_url = lines[4].split()[3]
        headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
        severity = httpx2.get(f"{emulator_url}/v1/severities", headers=headers).json()["severities"][0]["id"]
        created = httpx2.post(
            f"{emulator_url}/v2/incidents",
            headers=headers,
            json={
                "idempotency_key": "serve",
                "name": "Sandbox outage",
                "severity_id": severity,
                "visibility": "public",
            },
        )
        assert created.status_code == 200, created.text

        read_log_until(process, "public_incident.incident_created_v2", "processed")

        with Store.open(url) as store:
            [event] = store.list_events()
            assert event.status is EventStatus.PROCESSED
            assert [item["event_type"] for item in event.outcome["lifecycle"]] == ["incident.created"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
