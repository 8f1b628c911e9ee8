from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from incidentkit.cli import main

Invoke = Callable[..., Result]


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
