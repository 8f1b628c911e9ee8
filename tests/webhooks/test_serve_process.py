"""``incidentkit serve`` as a process: what /healthz and /readyz say, and a clean stop on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

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
