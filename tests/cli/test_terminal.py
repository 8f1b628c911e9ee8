"""The CLI at a real terminal (a pseudo-terminal): tables by default, and a key typed without echo."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Terminal:
    """A command running with a pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(self, args: list[str], env: dict[str, str], program: list[str] | None = None) -> None:
        self._master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [*(program or [sys.executable, "-m", "incidentkit"]), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
        )
        os.close(slave)
        self.screen = b""

    def read_until(self, wanted: bytes, timeout: float = 30) -> None:
        """Read what the command writes until ``wanted`` shows (select bounds the wait)."""
        while wanted not in self.screen:
            ready, _, _ = select.select([self._master], [], [], timeout)
            if not ready:
                raise AssertionError(f"{wanted!r} never appeared; the screen shows {self.screen!r}")
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # the command ended and closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"the command ended before {wanted!r}; the screen shows {self.screen!r}")
            self.screen += chunk

    def type(self, text: str) -> None:
        os.write(self._master, text.encode())

    def finish(self) -> int:
        """Read to the end and return the exit code."""
        while True:
            ready, _, _ = select.select([self._master], [], [], 30)
            try:
                chunk = os.read(self._master, 4096) if ready else b""
            except OSError:
                chunk = b""
            if not chunk:
                break
            self.screen += chunk
        os.close(self._master)
        return self.process.wait(timeout=30)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key
        not in ("INCIDENT_IO_API_KEY", "INCIDENTIO_API_KEY", "INCIDENT_IO_BASE_URL", "INCIDENTKIT_MASTER_KEY")
    }
    return {
        **environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "COLUMNS": "120",
    }


def test_a_table_is_the_default_on_a_terminal(env: dict[str, str]) -> None:
    terminal = Terminal(["severities", "list", "--sandbox"], env)
    assert terminal.finish() == 0
    screen = terminal.screen.decode()
    assert "Rank" in screen and "Critical" in screen
    assert "┃" in screen or "|" in screen  # a table, not JSON
    assert '"id"' not in screen


def test_setup_reads_the_key_without_echoing_it(env: dict[str, str]) -> None:
    terminal = Terminal(["setup", "--no-verify"], env)
    terminal.read_until(b"incident.io API key: ")
    terminal.type("inc_secret_typed_at_the_prompt\r")
    terminal.read_until(b"Base URL")
    terminal.type("\r")
    terminal.read_until(b"Profile name")
    terminal.type("laptop\r")
    assert terminal.finish() == 0
    screen = terminal.screen.decode()
    assert "Saved profile 'laptop'" in screen
    assert "inc_secret_typed_at_the_prompt" not in screen


# The CLI with an injected sleep, so a terminal test sees every wait announced without waiting.
NO_WAITING = [
    sys.executable,
    "-c",
    "import sys\nfrom incidentkit.cli import main\nmain(sys.argv[1:], obj={'sleep': lambda seconds: None})",
]


def test_a_rate_limit_wait_is_announced_and_the_error_counts_the_attempts(env: dict[str, str]) -> None:
    emulator = Emulator(seed="default", rate_limit=1)
    with serve_in_thread(emulator.asgi_app()) as server:
        headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
        assert (
            httpx2.get(f"{server.url}/v1/incident_types", headers=headers).status_code == 200
        )  # the one token
        terminal = Terminal(
            ["types", "list", "--api-key", SANDBOX_API_KEY, "--base-url", server.url], env, NO_WAITING
        )
        terminal.read_until(b"(attempt 5; Ctrl-C to stop)")
        code = terminal.finish()
    screen = terminal.screen.decode()
    assert code == 1
    assert "rate limited by incident.io; retrying in " in screen and "(attempt 2; Ctrl-C to stop)" in screen
    assert "gave up after 5 attempts" in screen


def test_a_server_error_wait_is_announced(env: dict[str, str]) -> None:
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=503, path="/v1/incident_types", times=1)
    with serve_in_thread(emulator.asgi_app()) as server:
        terminal = Terminal(
            ["types", "list", "--api-key", SANDBOX_API_KEY, "--base-url", server.url], env, NO_WAITING
        )
        code = terminal.finish()
    screen = terminal.screen.decode()
    assert code == 0
    assert "incident.io answered 503; retrying in" in screen and "Default" in screen


def test_the_incidents_table_colours_status_on_a_terminal(env: dict[str, str]) -> None:
    terminal = Terminal(["incidents", "list", "--sandbox", "--live", "--limit", "3"], env)
    assert terminal.finish() == 0
    assert b"\x1b[1;31m" in terminal.screen  # live statuses in bold red
