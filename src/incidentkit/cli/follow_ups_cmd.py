"""``incidentkit follow-ups``: the work to do after incidents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, column, emit_list, emit_object, output_options, time_column
from incidentkit.cli.timeparse import WhenType

if TYPE_CHECKING:
    from incidentkit.api import Client

STATUSES = ["outstanding", "completed", "not_doing"]
MODES = ["standard", "retrospective", "test", "tutorial", "stream"]

FOLLOW_UP_COLUMNS = [
    column("Title", "title"),
    column("Status", "status"),
    column("Assignee", "assignee", "name"),
    column("Team", "assignee_team", "name"),
    column("Issue", "external_issue_reference", "issue_name"),
    time_column("Created", "created_at"),
    column("ID", "id"),
]
FOLLOW_UP_FIELDS = [
    *FOLLOW_UP_COLUMNS[:-1],
    column("Description", "description"),
    Column("Labels", lambda f: ", ".join(f.get("labels", []))),
    column("Incident", "incident_id"),
    column("Link", "external_issue_reference", "issue_permalink"),
    time_column("Completed", "completed_at"),
    column("ID", "id"),
]


def _user_id(client: Client, value: str) -> str:
    """A user's id from an email or an id."""
    if "@" not in value:
        return value
    found = client.users.list(email=value, limit=1).first_page().items
    if not found:
        raise click.BadParameter(f"no user has the email {value!r}", param_hint="--assignee")
    return found[0].id


@click.group("follow-ups")
def follow_ups() -> None:
    """Follow-ups: list, show, create and update the work after incidents."""


@follow_ups.command("list")
@click.option("--incident", "ref", help="Only this incident's follow-ups (INC-123, 123 or its id).")
@click.option("--team", help="Only follow-ups assigned to this team (name or id).")
@click.option(
    "--mode", type=click.Choice(MODES), help="Incidents of this mode (default standard and retrospective)."
)
@click.option("--since", type=WhenType(), help="Created at or after (2026-01-31, 7d, ...).")
@click.option("--until", type=WhenType(), help="Created at or before.")
@connection_options
@output_options
def follow_ups_list(
    ref: str | None,
    team: str | None,
    mode: str | None,
    since: datetime | None,
    until: datetime | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """List follow-ups, of every incident or of one."""
    client = connection.client()
    found = client.follow_ups.list(
        ref,
        incident_mode=mode,
        assignee_team_id=client.teams.get(team).id if team else None,
        created_at_gte=since,
        created_at_lte=until,
    )
    emit_list((f.to_json() for f in found), FOLLOW_UP_COLUMNS, output_format)


@follow_ups.command("show")
@click.argument("follow_up_id", metavar="ID")
@connection_options
@output_options
def follow_ups_show(follow_up_id: str, connection: Connection, output_format: str | None) -> None:
    """Show the follow-up ID."""
    emit_object(connection.client().follow_ups.get(follow_up_id).to_json(), FOLLOW_UP_FIELDS, output_format)


@follow_ups.command("create")
@click.argument("ref")
@click.option("--title", help="What to do (not with --link).")
@click.option("--link", help="Create it from an issue that already exists, by its URL.")
@click.option("--description", help="More detail (Markdown).")
@click.option("--assignee", help="Who does it: an email or a user id.")
@click.option("--team", help="The team that owns it (name or id).")
@click.option("--label", "labels", multiple=True, help="A label; repeatable.")
@connection_options
@output_options
def follow_ups_create(
    ref: str,
    title: str | None,
    link: str | None,
    description: str | None,
    assignee: str | None,
    team: str | None,
    labels: tuple[str, ...],
    connection: Connection,
    output_format: str | None,
) -> None:
    """Create a follow-up on the incident REF: with --title, or from an issue with --link."""
    if (title is None) == (link is None):
        raise click.UsageError("give either --title or --link")
    client = connection.client()
    if link is not None:
        if description or assignee or team or labels:
            raise click.UsageError(
                "--link takes the title and assignee from the issue: give no other options"
            )
        created = client.follow_ups.create_from_link(ref, link)
    else:
        assert title is not None
        created = client.follow_ups.create(
            ref,
            title=title,
            description=description,
            assignee_id=_user_id(client, assignee) if assignee else None,
            assignee_team_id=client.teams.get(team).id if team else None,
            labels=list(labels) or None,
        )
    click.echo(f"Created a follow-up on {ref}", err=True)
    emit_object(created.to_json(), FOLLOW_UP_FIELDS, output_format)


@follow_ups.command("update")
@click.argument("follow_up_id", metavar="ID")
@click.option("--title", help="A new title.")
@click.option("--status", type=click.Choice(STATUSES), help="A new status.")
@click.option("--description", help="A new description.")
@click.option("--assignee", help="A new assignee: an email or a user id.")
@click.option("--team", help="A new team (name or id).")
@click.option("--label", "labels", multiple=True, help="Replace the labels with these; repeatable.")
@click.option("--unassign", is_flag=True, help="Remove the assignee.")
@click.option("--unassign-team", is_flag=True, help="Remove the team.")
@connection_options
@output_options
def follow_ups_update(
    follow_up_id: str,
    title: str | None,
    status: str | None,
    description: str | None,
    assignee: str | None,
    team: str | None,
    labels: tuple[str, ...],
    unassign: bool,
    unassign_team: bool,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Change the follow-up ID; what is not given stays as it is."""
    if (unassign and assignee) or (unassign_team and team):
        raise click.UsageError(
            "--unassign and --assignee (or --unassign-team and --team) contradict each other"
        )
    if not (title or status or description or assignee or team or labels or unassign or unassign_team):
        raise click.UsageError("nothing to change: give at least one option")
    client = connection.client()
    updated = client.follow_ups.update(
        follow_up_id,
        title=title,
        status=status,
        description=description,
        assignee_id=_user_id(client, assignee) if assignee else None,
        assignee_team_id=client.teams.get(team).id if team else None,
        labels=list(labels) or None,
        unassign_user=unassign,
        unassign_team=unassign_team,
    )
    click.echo(f"Updated the follow-up {updated.title!r}", err=True)
    emit_object(updated.to_json(), FOLLOW_UP_FIELDS, output_format)
