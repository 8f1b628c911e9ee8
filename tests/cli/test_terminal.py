"""The CLI at a real terminal (a pseudo-terminal): tables by default, and a key typed without echo."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Terminal:
    """A command running with a pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self._master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "incidentkit", *args], stdin=slave, stdout=slave, stderr=slave, env=env
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
