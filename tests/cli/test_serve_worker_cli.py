"""`serve` and `worker` take --profile, --api-key and --base-url and say which organisation they act on."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentkit.emulator import Emulator, RunningServer, serve_in_thread
from tests.cli.conftest import Invoke
from tests.cli.test_events_cli import SECRET, running

KEY = "acme-key"


@pytest.fixture(scope="module")
def acme() -> Iterator[RunningServer]:
    emulator = Emulator(seed="default", api_keys=[KEY], rate_limit=None)
    emulator.state.organisation_slug = "acme"
    with serve_in_thread(emulator.asgi_app()) as server:
        yield server


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "INCIDENTKIT_WEBHOOK_SECRET": SECRET,
    }


def _first_lines_until(process: subprocess.Popen[str], prefix: str, most: int = 12) -> list[str]:
    assert process.stdout is not None
    lines = []
    for _ in range(most):
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(prefix):
            break
    return lines


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


def test_worker_with_api_key_and_base_url_names_the_organisation(tmp_path: Path, acme: RunningServer) -> None:
    store = f"sqlite:///{tmp_path / 'w.db'}"
    command = [sys.executable, "-m", "incidentkit", "worker", "--store", store, "--api-key", KEY,
               "--base-url", acme.url, "--poll-interval", "0.05"]  # fmt: skip
    with running(command, _env(tmp_path)) as process:
        lines = _first_lines_until(process, "Organisation:")
        assert "Organisation: 'acme' (https://app.incident.io/acme), API key" in lines[-1], lines
        _stop(process)


def test_serve_with_a_profile_names_the_organisation(
    tmp_path: Path, acme: RunningServer, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, env[name])
    saved = invoke("setup", "--api-key-stdin", "--no-input", "--base-url", acme.url, "--profile", "acme",
                   "--no-verify", input=KEY + "\n")  # fmt: skip
    assert saved.exit_code == 0, saved.output
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--workers", "0",
               "--store", f"sqlite:///{tmp_path / 's.db'}", "--profile", "acme"]  # fmt: skip
    with running(command, env) as process:
        lines = _first_lines_until(process, "Organisation:")
        assert lines[-1].startswith("Organisation: 'acme' (https://app.incident.io/acme)"), lines
        _stop(process)


def test_serve_says_when_the_organisation_cannot_be_known(tmp_path: Path, acme: RunningServer) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    command = [sys.executable, "-m", "incidentkit", "serve", "--port", "0", "--workers", "0",
               "--store", store, "--api-key", "wrong", "--base-url", acme.url]  # fmt: skip
    with running(command, _env(tmp_path)) as process:
        lines = _first_lines_until(process, "Organisation:")
        assert lines[-1].startswith("Organisation: unknown, GET /v1/identity failed"), lines
        assert "401" in lines[-1]
        _stop(process)


def test_serve_sandbox_refuses_account_flags(invoke: Invoke) -> None:
    result = invoke("serve", "--sandbox", "--port", "0", "--profile", "x")
    assert result.exit_code == 2 and "--sandbox runs against its own emulator" in result.stderr
