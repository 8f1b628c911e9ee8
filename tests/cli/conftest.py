"""Fixtures and helpers of the CLI tests: isolated directories, in-process runs, server processes."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from incidentkit.cli import main

Invoke = Callable[..., Result]

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
"""The webhook signing secret of the servers the CLI tests start."""


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every CLI test gets its own config and data directories, and no key from the outside."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # Never touch the OS keyring of the machine running the tests: the key file is used instead.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in (
        "INCIDENT_IO_API_KEY",
        "INCIDENTIO_API_KEY",
        "INCIDENT_IO_BASE_URL",
        "INCIDENTKIT_MASTER_KEY",
        "INCIDENTKIT_MASTER_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the client asked for between retries; nothing really sleeps."""
    return []


@pytest.fixture
def invoke(sleeps: list[float]) -> Invoke:
    """Run `incidentkit ARGS...` in-process; stdout and stderr are kept apart."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(
            main, list(args), input=input, env=env, catch_exceptions=False, obj={"sleep": sleeps.append}
        )

    return run


@pytest.fixture
def sandbox(invoke: Invoke) -> Callable[..., Any]:
    """Run a command against the sandbox with --json and return the parsed output."""

    def run(*args: str) -> Any:
        result = invoke(*args, "--sandbox", "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return run


# Server processes (`incidentkit serve`, `worker`), as a user starts them.


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A server process; killed on the way out if a failed assertion left it running."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def read_log_until(process: subprocess.Popen[str], *needles: str) -> list[str]:
    """Lines of the server's log up to the first holding every needle; reading waits without sleeping."""
    assert process.stderr is not None
    log = []
    watchdog = threading.Timer(60, process.kill)  # a broken server ends the read instead of hanging
    watchdog.start()
    try:
        for line in process.stderr:
            log.append(line)
            if all(needle in line for needle in needles):
                break
    finally:
        watchdog.cancel()
    return log
