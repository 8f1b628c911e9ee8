"""Output, errors and completion as people and scripts see them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from rich.console import Console

from incidentkit.api import Client
from incidentkit.cli import main
from incidentkit.cli.incidents_cmd import _with_progress, wants_progress
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.cli.conftest import Invoke


def complete(args: list[str], incomplete: str) -> list[str]:
    completer = ShellComplete(main, {}, "incidentkit", "_INCIDENTKIT_COMPLETE")
    return [c.value for c in completer.get_completions(args, incomplete)]


def test_json_is_the_default_when_stdout_is_not_a_terminal(invoke: Invoke) -> None:
    result = invoke("incidents", "list", "--sandbox", "--limit", "3")
    assert result.exit_code == 0
    assert [i["reference"] for i in json.loads(result.stdout)] == ["INC-49", "INC-48", "INC-47"]


def demo_client() -> Client:
    return Client(SANDBOX_API_KEY, transport=Emulator(seed="demo").transport(), rate_limit=None)


def test_all_prints_only_json_on_stdout(invoke: Invoke) -> None:
    expected = [i.reference for i in demo_client().incidents.list(limit=None)]
    assert len(expected) > 25  # more than one default page
    result = invoke("incidents", "list", "--sandbox", "--all", "--json")
    assert result.exit_code == 0
    assert [i["reference"] for i in json.loads(result.stdout)] == expected
    assert result.stderr == ""


def test_the_progress_bar_draws_on_its_console_and_every_incident_comes_through() -> None:
    client = demo_client()
    expected = [i.id for i in client.incidents.list(limit=None)]
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    pages = _with_progress(client.incidents.list(page_size=10, limit=None).raw(), console)
    found = [incident for page in pages for incident in page.items]
    assert [i["id"] for i in found] == expected
    assert "Fetching incidents" in screen.getvalue()


@pytest.mark.parametrize(
    ("fmt", "stdout_tty", "stderr_tty", "wanted"),
    [
        ("table", True, True, True),  # a person at a terminal
        ("table", True, False, False),  # stderr goes to a log: no bar
        ("json", False, True, True),  # --all > file while a person watches the terminal
        ("json", True, True, True),  # JSON is printed once all pages are in; the bar clears first
        ("jsonl", False, True, True),
        ("jsonl", True, True, False),  # JSON lines streaming onto the terminal would mix with the bar
        ("json", False, False, False),  # a program reading both: stderr stays quiet
        ("csv", False, True, True),  # CSV into a file while a person watches
        ("csv", True, True, False),  # CSV streaming onto the terminal would mix with the bar
    ],
)
def test_when_the_progress_bar_is_drawn(fmt: str, stdout_tty: bool, stderr_tty: bool, wanted: bool) -> None:
    assert wants_progress(fmt, stdout_tty=stdout_tty, stderr_tty=stderr_tty) is wanted


def test_a_422_names_the_field_and_the_option_that_sets_it(invoke: Invoke) -> None:
    result = invoke("incidents", "create", "--name", "No severity", "--sandbox")
    assert result.exit_code == 1
    assert "The API refused the request (422)" in result.stderr
    assert "field 'severity_id' (set with --severity): A severity is required" in result.stderr


def test_a_status_category_that_does_not_exist_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("incidents", "list", "--status-category", "bogus", "--sandbox")
    assert result.exit_code == 2
    assert "'bogus' is not one of" in result.stderr and "'live'" in result.stderr
    live = invoke("statuses", "list", "--category", "LIVE", "--sandbox", "--json")
    assert {s["category"] for s in json.loads(live.stdout)} == {"live"}


def test_an_unknown_status_lists_the_valid_names(invoke: Invoke) -> None:
    result = invoke("incidents", "edit", "INC-1", "--status", "Sleeping", "--sandbox")
    assert result.exit_code == 2
    assert "unknown status 'Sleeping'" in result.stderr and "Investigating" in result.stderr


def test_closing_a_closed_incident_says_nothing_was_done(invoke: Invoke) -> None:
    closed = invoke("incidents", "list", "--sandbox", "--status-category", "closed", "--limit", "1", "--json")
    ref = json.loads(closed.stdout)[0]["reference"]
    result = invoke("incidents", "close", ref, "--sandbox", "--json")
    assert result.exit_code == 0
    assert f"{ref} is already closed" in result.stderr
    assert json.loads(result.stdout)["reference"] == ref


def test_status_names_complete_from_the_catalogue_any_command_fetched(invoke: Invoke) -> None:
    assert complete(["incidents", "edit", "INC-1", "--status"], "Inv") == []  # nothing cached yet
    # Listing by severity fetches the catalogue; completion remembers it.
    assert invoke("incidents", "list", "--severity", "Major", "--sandbox", "--json").exit_code == 0
    assert complete(["incidents", "edit", "INC-1", "--severity"], "Ma") == ["Major"]
    assert invoke("incidents", "list", "--status", "Fixing", "--sandbox", "--json").exit_code == 0
    assert complete(["incidents", "edit", "INC-1", "--status"], "inv") == ["Investigating"]
    assert complete(["updates", "post", "INC-1", "hi", "--status"], "Clo") == ["Closed"]


def test_profile_names_complete(invoke: Invoke) -> None:
    result = invoke("setup", "--api-key-stdin", "--no-input", "--no-verify", "--profile", "acme",
                    input="some-key\n")  # fmt: skip
    assert result.exit_code == 0
    assert complete(["incidents", "list", "--profile"], "ac") == ["acme"]


def test_completion_scripts_for_every_shell(invoke: Invoke) -> None:
    for shell in ("bash", "zsh", "fish"):
        result = invoke("completion", shell)
        assert result.exit_code == 0 and "_INCIDENTKIT_COMPLETE" in result.stdout
    assert invoke("completion", "powershell").exit_code == 2


def test_the_cli_listing_never_imports_pydantic(tmp_path: Path) -> None:
    # The models (and pydantic) are the heaviest part of the client; JSON out needs neither.
    script = (
        "import sys\n"
        "from incidentkit.cli import main\n"
        "try:\n"
        "    main(['incidents', 'list', '--sandbox', '--json', '--all'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'), file=sys.stderr)\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(result.stdout)
    assert result.stderr.strip() == "[]"
