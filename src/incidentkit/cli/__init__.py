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
    "approvals": (
        "incidentkit.cli.runs_cmd",
        "approvals",
        "Approval gates of workflow runs: list, approve and reject.",
    ),
    "completion": ("incidentkit.cli.completion", "completion", "Print the shell completion script."),
    "custom-fields": ("incidentkit.cli.catalog_cmd", "custom_fields", "The organisation's custom fields."),
    "demo": ("incidentkit.cli.demo_cmd", "demo", "Run the sandbox scenario end to end, no key needed."),
    "emulator": ("incidentkit.cli.emulator_cmd", "emulator", "Run incident.io on your machine."),
    "events": ("incidentkit.cli.events_cmd", "events", "Webhook events received: list, show and replay."),
    "incidents": ("incidentkit.cli.incidents_cmd", "incidents", "List, show, declare and change incidents."),
    "profiles": ("incidentkit.cli.setup_cmd", "profiles", "Saved profiles, one per organisation or key."),
    "roles": ("incidentkit.cli.catalog_cmd", "roles", "The organisation's incident roles."),
    "runs": ("incidentkit.cli.runs_cmd", "runs", "Workflow runs: list, show, logs, retry and cancel."),
    "serve": ("incidentkit.cli.serve_cmd", "serve", "Receive webhooks and run workflows on them."),
    "setup": ("incidentkit.cli.setup_cmd", "setup", "Store an incident.io API key, encrypted."),
    "severities": ("incidentkit.cli.catalog_cmd", "severities", "The organisation's severities."),
    "similar": ("incidentkit.cli.similar_cmd", "similar", "Past incidents similar to one, from the history."),
    "statuses": ("incidentkit.cli.catalog_cmd", "statuses", "The organisation's incident statuses."),
    "sync": ("incidentkit.cli.sync_cmd", "sync", "Copy incident history into the store, incrementally."),
    "timeline": ("incidentkit.cli.updates_cmd", "timeline", "Incident timelines: list and add items."),
    "types": ("incidentkit.cli.catalog_cmd", "types", "The organisation's incident types."),
    "updates": ("incidentkit.cli.updates_cmd", "updates", "Incident updates: list and post."),
    "users": ("incidentkit.cli.catalog_cmd", "users", "The organisation's users."),
    "verify": ("incidentkit.cli.setup_cmd", "verify", "Check the API key and what it can do."),
    "webhooks": (
        "incidentkit.cli.webhooks_cmd",
        "webhooks",
        "incident.io webhooks: secret and test delivery.",
    ),
    "worker": ("incidentkit.cli.worker_cmd", "worker", "Run workflow workers alone, on a shared store."),
    "workflows": ("incidentkit.cli.workflows_cmd", "workflows", "Workflow files: validate, list and run."),
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

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception as error:
            from incidentkit.cli.errors import fail

            fail(error)

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
