"""``incidentkit serve`` as a process: what /healthz and /readyz say, and a clean stop on a signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest

from incidentkit.store import EventStatus, Store
from incidentkit.webhooks.verify import signed_headers
from tests.conftest import FakeClock

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DEADLINE_SECONDS = 30.0


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_health_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    database = tmp_path / "store.db"
    command = [
        sys.executable,
        "-m",
        "incidentkit",
        "serve",
        "--port",
        "0",
        "--store",
        f"sqlite:///{database}",
    ]
    command += ["--webhook-secret", SECRET]
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("INCIDENT_IO_API_KEY", None)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on" in first, first
        url = first.strip().rsplit(" ", 1)[1]
        health = httpx2.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json() == {"status": "ok", "store": "ok", "processor": "running", "workers": "running"}
        ready = httpx2.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json() == {"status": "ok", "store": "ok"}

        process.send_signal(stop_with)
        _, errors = process.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert "Workers and processor stopped; closing the store" in errors
    assert "Traceback" not in errors
    # The last connection closed cleanly: SQLite folded its write-ahead log in and removed it.
    assert not Path(f"{database}-wal").exists()


def test_the_claim_of_a_killed_server_comes_back_within_seconds(tmp_path: Path) -> None:
    # An incident.io that accepts connections and never answers: the processor hangs on its claim.
    silent = socket.create_server(("127.0.0.1", 0))
    database = tmp_path / "store.db"
    command = [
        sys.executable,
        "-m",
        "incidentkit",
        "serve",
        "--port",
        "0",
        "--store",
        f"sqlite:///{database}",
    ]
    command += ["--webhook-secret", SECRET, "--workers", "0"]
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "INCIDENT_IO_API_KEY": "key",
        "INCIDENT_IO_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
    }
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        event_type = "private_incident.incident_created_v2"
        body = json.dumps(
            {"event_type": event_type, event_type: {"id": "01FDAG4SAP5TYPT98WGR2N7W91"}}
        ).encode()
        headers = signed_headers(SECRET, "msg_1", body, int(time.time()))
        answer = httpx2.post(
            f"{url}/api/webhooks/ingest/incident-io", content=body, headers=headers, timeout=10
        )
        assert answer.status_code == 202
        with Store.open(f"sqlite:///{database}") as store:
            deadline = time.monotonic() + DEADLINE_SECONDS
            while store.get_event("msg_1").status != EventStatus.PROCESSING and time.monotonic() < deadline:
                time.sleep(0.02)
            claimed_at = store.get_event("msg_1").claimed_at
        assert claimed_at is not None
        process.kill()
        process.wait(DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()
        silent.close()

    clock = FakeClock(start=claimed_at + timedelta(seconds=10))
    with Store.open(f"sqlite:///{database}", clock=clock) as store:
        assert store.claim_pending(owner="survivor") == []  # the dead server's claim still stands...
        clock.advance(seconds=6)
        [event] = store.claim_pending(owner="survivor")  # ...for seconds, not minutes
        assert event.webhook_id == "msg_1"
