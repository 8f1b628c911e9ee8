"""The SQLite store file on disk: who may read it, and recovering when it could not be written."""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

from incidentkit.store import Store
from incidentkit.webhooks.verify import signed_headers

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DEADLINE_SECONDS = 30.0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_file_its_log_and_its_new_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "incidentkit"
    database = folder / "store.db"
    with Store.open(f"sqlite:///{database}") as store:
        store.insert_event("msg_1", b"{}", {})
        assert mode(database) == 0o600
        assert mode(Path(f"{database}-wal")) == 0o600
        assert mode(Path(f"{database}-shm")) == 0o600
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}"):
        pass
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "store.db") == 0o600


def deliver(url: str, number: int) -> int:
    body = (
        b'{"event_type": "public_incident.incident_created_v2", "private_incident.incident_created_v2": {}}'
    )
    headers = {
        **signed_headers(SECRET, f"msg_{number}", body, int(time.time())),
        "content-type": "application/json",
    }
    return httpx2.post(
        f"{url}/api/webhooks/ingest/incident-io", content=body, headers=headers, timeout=10
    ).status_code


def without_permission_override() -> None:
    """Run as root without the capabilities to override file permissions (CAP_DAC_OVERRIDE, _READ_SEARCH)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


PR_CAPBSET_DROP = 24


@contextmanager
def serving(store_url: str, home: Path) -> Iterator[str]:
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--store", store_url]
    command += ["--webhook-secret", SECRET, "--workers", "0"]
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    env.pop("INCIDENT_IO_API_KEY", None)
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=without_permission_override if os.geteuid() == 0 else None,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on" in first, first
        yield first.strip().rsplit(" ", 1)[1]
    finally:
        process.terminate()
        try:
            process.wait(DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def test_a_store_opened_read_only_recovers_once_it_can_be_written(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    database = folder / "store.db"
    store_url = f"sqlite:///{database}"
    home = tmp_path / "home"
    home.mkdir()
    with Store.open(store_url) as keeper:
        keeper.insert_event("msg_0", b"{}", {})  # holds the write-ahead log open, as a running store does
        paths = [folder, database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        for path in paths[1:]:
            path.chmod(0o400)
        folder.chmod(0o500)
        with serving(store_url, home) as url:
            assert deliver(url, 1) == 503
            folder.chmod(0o700)
            for path in paths[1:]:
                path.chmod(0o600)
            deadline = time.monotonic() + DEADLINE_SECONDS
            statuses = []
            while time.monotonic() < deadline:
                statuses.append(deliver(url, 2))
                if statuses[-1] == 202:
                    break
                time.sleep(0.05)
            # At once, without a restart: no connection opened read-only was kept.
            assert statuses[-1] == 202, statuses
        assert keeper.get_event("msg_2").webhook_id == "msg_2"  # stored, so acknowledged
