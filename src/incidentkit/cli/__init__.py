"""The ``incidentkit`` command line: ``incidentkit <noun> <verb>``.

Sub-commands are registered by name and imported only when they run, so that
``incidentkit --help`` does not pay for importing the client, the emulator or the servers.

The entry point also owns how the process ends: Ctrl-C exits 130 (128 + SIGINT, as shells report
it) with one line instead of a traceback, and a closed pipe (``incidentkit ... | head``) ends the
command quietly with 141 (128 + SIGPIPE), what a program killed by the pipe reports. Any other
exception goes to :func:`incidentkit.cli.errors.fail`: bad input exits 2, a failure 1, and a bug
exits 1 with one line while its traceback goes to the bug log.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from incidentkit import __version__
from incidentkit.cli.connection import ROOT_FLAGS, connection_flags

INTERRUPTED = 130
BROKEN_PIPE = 141

# name -> (module, attribute, one-line help shown in `incidentkit --help` without importing it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "alert-routes": (
        "incidentkit.cli.alerts_cmd",
        "alert_routes",
        "Alert routes: which alerts open incidents.",
    ),
    "alert-sources": (
        "incidentkit.cli.alerts_cmd",
        "alert_sources",
        "Alert sources, with the config id (and token) to send alerts.",
    ),
    "alerts": (
        "incidentkit.cli.alerts_cmd",
        "alerts",
        "Alerts: send one from a script, list, show, resolve.",
    ),
    "approvals": (
        "incidentkit.cli.runs_cmd",
        "approvals",
        "Approval gates of workflow runs: list, approve and reject.",
    ),
    "catalog": (
        "incidentkit.cli.catalog_cmd",
        "catalog",
        "The catalog: types, entries and services with their dependencies.",
    ),
    "changes": (
        "incidentkit.cli.changes_cmd",
        "changes",
        "Deploys, config changes and flags: record, list, and those before an incident.",
    ),
    "completion": ("incidentkit.cli.completion", "completion", "Print the shell completion script."),
    "context": (
        "incidentkit.cli.context_cmd",
        "context",
        "An incident with its services, history, alerts and follow-ups.",
    ),
    "custom-fields": (
        "incidentkit.cli.organisation_cmd",
        "custom_fields",
        "The organisation's custom fields.",
    ),
    "demo": ("incidentkit.cli.demo_cmd", "demo", "Run the sandbox scenario end to end, no key needed."),
    "emulator": ("incidentkit.cli.emulator_cmd", "emulator", "Run incident.io on your machine."),
    "escalations": (
        "incidentkit.cli.escalations_cmd",
        "escalations",
        "Page people and answer pages: page, list, show, ack, cancel.",
    ),
    "events": ("incidentkit.cli.events_cmd", "events", "Webhook events received: list, show and replay."),
    "follow-ups": (
        "incidentkit.cli.follow_ups_cmd",
        "follow_ups",
        "Follow-ups: list, show, create and update the work after incidents.",
    ),
    "incidents": ("incidentkit.cli.incidents_cmd", "incidents", "List, show, declare and change incidents."),
    "investigate": (
        "incidentkit.cli.investigate_cmd",
        "investigate",
        "What stands out about an incident; --post writes it back.",
    ),
    "mcp": ("incidentkit.cli.mcp_cmd", "mcp", "Serve the incident tools to AI agents (MCP, stdio or HTTP)."),
    "oncall": ("incidentkit.cli.oncall_cmd", "oncall", "Who is on call now, for each schedule or one."),
    "overrides": ("incidentkit.cli.oncall_cmd", "overrides", "Schedule overrides: create, list and delete."),
    "profiles": ("incidentkit.cli.setup_cmd", "profiles", "Saved profiles, one per organisation or key."),
    "roles": ("incidentkit.cli.organisation_cmd", "roles", "The organisation's incident roles."),
    "runs": ("incidentkit.cli.runs_cmd", "runs", "Workflow runs: list, show, logs, retry and cancel."),
    "serve": ("incidentkit.cli.serve_cmd", "serve", "Receive webhooks and run workflows on them."),
    "schedules": ("incidentkit.cli.oncall_cmd", "schedules", "On-call schedules: list and show."),
    "setup": ("incidentkit.cli.setup_cmd", "setup", "Store an incident.io API key, encrypted."),
    "severities": ("incidentkit.cli.organisation_cmd", "severities", "The organisation's severities."),
    "similar": ("incidentkit.cli.similar_cmd", "similar", "Past incidents similar to one, from the history."),
    "statuses": ("incidentkit.cli.organisation_cmd", "statuses", "The organisation's incident statuses."),
    "sync": ("incidentkit.cli.sync_cmd", "sync", "Copy incident history into the store, incrementally."),
    "teams": ("incidentkit.cli.teams_cmd", "teams", "The organisation's teams and their members."),
    "timeline": ("incidentkit.cli.updates_cmd", "timeline", "Incident timelines: list and add items."),
    "types": ("incidentkit.cli.organisation_cmd", "types", "The organisation's incident types."),
    "updates": ("incidentkit.cli.updates_cmd", "updates", "Incident updates: list and post."),
    "users": ("incidentkit.cli.organisation_cmd", "users", "The organisation's users."),
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
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            raise SystemExit(INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise SystemExit(BROKEN_PIPE) from None
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests run the CLI in-process)
        pass


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="incidentkit")
@connection_flags
@click.pass_context
def main(ctx: click.Context, /, **flags: Any) -> None:
    """A toolkit for teams that run their incidents in incident.io.

    The connection flags (--profile, --api-key, --base-url, --sandbox, --read-only, --max-wait,
    --no-retry) may be given here, before the command, or after it; after it wins.
    """
    ctx.meta[ROOT_FLAGS] = flags
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        ctx.exit(0)
