"""Every command and option explains itself, and the README's reference matches the commands."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from incidentkit.cli.reference import BEGIN, END, all_commands, render
from tests.cli.conftest import Invoke

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("path", "command"), all_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_every_command_and_option_has_help(path: list[str], command: click.Command) -> None:
    assert command.help or command.short_help, f"`{' '.join(path)}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("help",):
            assert param.help, f"option {param.opts} of `{' '.join(path)}` has no help text"


def test_the_readme_reference_is_current() -> None:
    readme = README.read_text()
    assert BEGIN in readme and END in readme, "README.md lacks the generated CLI reference markers"
    current = readme[readme.index(BEGIN) : readme.index(END) + len(END)]
    assert current == render(), "README.md's CLI reference is stale: run `make readme`"


def test_completion_scripts(invoke: Invoke) -> None:
    result = invoke("completion", "bash")
    assert result.exit_code == 0
    assert "_INCIDENTKIT_COMPLETE" in result.stdout


def test_severity_names_complete_from_the_cached_catalogue(invoke: Invoke) -> None:
    from click.shell_completion import ShellComplete

    from incidentkit.cli import main

    assert invoke("severities", "list", "--sandbox", "--json").exit_code == 0
    completer = ShellComplete(main, {}, "incidentkit", "_INCIDENTKIT_COMPLETE")
    values = [c.value for c in completer.get_completions(["incidents", "create", "--severity"], "Cr")]
    assert values == ["Critical"]
    sev = [c.value for c in completer.get_completions(["incidents", "create", "--severity"], "SEV")]
    assert "SEV-1" in sev
