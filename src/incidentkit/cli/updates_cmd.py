"""``incidentkit updates`` and ``incidentkit timeline``: what was said and what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from incidentkit.cli.completion import complete_severity, complete_status
from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.incidents_cmd import TIMELINE_COLUMNS, UPDATE_COLUMNS
from incidentkit.cli.output import emit_list, emit_object, output_options
from incidentkit.cli.timeparse import WhenType

# Clocks disagree by a few seconds; a time that far ahead is still "now".
FUTURE_TOLERANCE = timedelta(seconds=60)


@click.group()
def updates() -> None:
    """Incident updates: list them and post new ones."""


@updates.command("list")
@click.argument("ref")
@connection_options
@output_options
def updates_list(ref: str, connection: Connection, output_format: str | None) -> None:
    """List the updates of the incident REF."""
    found = connection.client().incident_updates.list(ref)
    emit_list((u.to_json() for u in found), UPDATE_COLUMNS, output_format)


@updates.command("post")
@click.argument("ref")
@click.argument("message")
@click.option("--status", shell_complete=complete_status, help="Also move the incident to this status.")
@click.option(
    "--severity", shell_complete=complete_severity, help="Also change the severity (name, id or SEV-n)."
)
@connection_options
@output_options
def updates_post(
    ref: str,
    message: str,
    status: str | None,
    severity: str | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Post MESSAGE as an update on the incident REF."""
    update = connection.client().incident_updates.create(
        ref, message=message, status=status, severity=severity
    )
    click.echo(f"Posted an update on {ref}", err=True)
    emit_object(update.to_json(), UPDATE_COLUMNS, output_format)


@click.group()
def timeline() -> None:
    """Incident timelines: list items and add new ones."""


@timeline.command("list")
@click.argument("ref")
@connection_options
@output_options
def timeline_list(ref: str, connection: Connection, output_format: str | None) -> None:
    """List the timeline items of the incident REF."""
    found = connection.client().incident_timeline_items.list(ref)
    emit_list((t.to_json() for t in found), TIMELINE_COLUMNS, output_format)


@timeline.command("add")
@click.argument("ref")
@click.option("--title", required=True, help="What happened.")
@click.option("--description", help="More detail.")
@click.option(
    "--at", "at", type=WhenType(), help="When it happened (default now): 10m, 2026-11-01T09:30:00Z, ..."
)
@connection_options
@output_options
def timeline_add(
    ref: str,
    title: str,
    description: str | None,
    at: datetime | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Add an item to the timeline of the incident REF."""
    if at is not None and at > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise click.BadParameter(
            f"{at.isoformat()} is in the future: a timeline item records something that happened "
            "(give a time ago, such as 10m, or a past timestamp)",
            param_hint="--at",
        )
    item = connection.client().incident_timeline_items.create(
        ref, title=title, description=description, timestamp=at
    )
    click.echo(f"Added to the timeline of {ref}", err=True)
    emit_object(item.to_json(), TIMELINE_COLUMNS, output_format)
