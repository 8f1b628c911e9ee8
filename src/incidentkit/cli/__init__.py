"""The ``incidentkit`` command line: ``incidentkit <noun> <verb>``.

Sub-commands are registered by name and imported only when they run, so that
``incidentkit --help`` does not pay for importing the client, the emulator or the servers.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from incidentkit import __version__

# name -> (module, attribute, one-line help shown in `incidentkit --help` without importing it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "emulator": ("incidentkit.cli.emulator_cmd", "emulator", "Run incident.io on your machine."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attribute, _ = COMMANDS[cmd_name]
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        rows += [
            (name, command.get_short_help_str())
            for name, command in sorted(self.commands.items())
            if not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="incidentkit")
def main(**_: Any) -> None:
    """A toolkit for teams that run their incidents in incident.io."""
