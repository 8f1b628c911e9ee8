"""``incidentkit incidents attachments|members|postmortems|related``: what hangs off an incident.

Attach and remove external resources, give and take away access to private incidents, link,
read and review post-mortem documents, and list related incidents. They are sub-commands of
``incidents`` (see :mod:`incidentkit.cli.incidents_cmd`).
"""

from __future__ import annotations

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, column, emit_list, emit_object, output_options, time_column

ATTACHMENT_COLUMNS = [
    column("Type", "resource", "resource_type"),
    column("Title", "resource", "title"),
    column("Link", "resource", "permalink"),
    column("ID", "id"),
]
DOCUMENT_COLUMNS = [
    column("Title", "title"),
    column("Status", "status"),
    column("Type", "type"),
    column("Link", "document_url"),
    time_column("Created", "created_at"),
    column("ID", "id"),
]
RESOURCE_TYPES = (
    "pager_duty_incident",
    "opsgenie_alert",
    "datadog_monitor_alert",
    "github_pull_request",
    "gitlab_merge_request",
    "sentry_issue",
    "jira_issue",
    "jsm_alert",
    "atlassian_statuspage_incident",
    "zendesk_ticket",
    "google_calendar_event",
    "outlook_calendar_event",
    "slack_file",
    "salesforce_case",
    "pylon_issue",
    "arbitrary_url",
    "statuspage_incident",
)


@click.group()
def attachments() -> None:
    """External resources attached to incidents: list, add and remove."""


@attachments.command("list")
@click.argument("ref")
@connection_options
@output_options
def attachments_list(ref: str, connection: Connection, output_format: str | None) -> None:
    """List what is attached to the incident REF."""
    found = connection.client().incident_attachments.list(ref)
    emit_list([a.to_json() for a in found], ATTACHMENT_COLUMNS, output_format)


@attachments.command("add")
@click.argument("ref")
@click.option(
    "--type",
    "resource_type",
    required=True,
    metavar="TYPE",
    type=click.Choice(RESOURCE_TYPES),
    help="What it is, as the API names it: pager_duty_incident, github_pull_request, jira_issue, "
    "sentry_issue, arbitrary_url...",
)
@click.option("--external-id", metavar="ID", help="Its id in the other system (or give --url).")
@click.option("--url", metavar="URL", help="Its link (or give --external-id).")
@click.option("--title", help="A title for an arbitrary_url link.")
@connection_options
@output_options
def attachments_add(
    ref: str,
    resource_type: str,
    external_id: str | None,
    url: str | None,
    title: str | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Attach an external resource to the incident REF, by its id or its link."""
    if (external_id is None) == (url is None):
        raise click.UsageError("give either --external-id or --url")
    attachment = connection.client().incident_attachments.create(
        ref, resource_type, external_id=external_id, url=url, title=title
    )
    click.echo(f"Attached {attachment.resource.title}", err=True)
    emit_object(attachment.to_json(), ATTACHMENT_COLUMNS, output_format)


@attachments.command("remove")
@click.argument("attachment_id")
@connection_options
def attachments_remove(attachment_id: str, connection: Connection) -> None:
    """Remove the attachment ATTACHMENT_ID from its incident."""
    connection.client().incident_attachments.delete(attachment_id)
    click.echo(f"Removed attachment {attachment_id}", err=True)


@click.group()
def members() -> None:
    """Who may see a private incident: add and remove members."""


@members.command("add")
@click.argument("ref")
@click.argument("user")
@connection_options
@output_options
def members_add(ref: str, user: str, connection: Connection, output_format: str | None) -> None:
    """Let USER (email, id or Slack user id) see the private incident REF."""
    membership = connection.client().incident_memberships.create(ref, user)
    click.echo(f"{membership.user.name} is a member of {ref}", err=True)
    emit_object(membership.to_json(), [column("User", "user", "name"), column("ID", "id")], output_format)


@members.command("remove")
@click.argument("ref")
@click.argument("user")
@connection_options
def members_remove(ref: str, user: str, connection: Connection) -> None:
    """Take away USER's access to the private incident REF."""
    connection.client().incident_memberships.revoke(ref, user)
    click.echo(f"{user} is no longer a member of {ref}", err=True)


@click.group()
def postmortems() -> None:
    """Post-mortem documents: list, link, read and review."""


@postmortems.command("list")
@click.argument("ref", required=False)
@connection_options
@output_options
def postmortems_list(ref: str | None, connection: Connection, output_format: str | None) -> None:
    """List post-mortem documents, newest first: the incident REF's, or all."""
    found = connection.client().postmortem_documents.list(ref)
    emit_list([d.to_json() for d in found], DOCUMENT_COLUMNS, output_format)


@postmortems.command("attach")
@click.argument("ref")
@click.argument("url")
@connection_options
@output_options
def postmortems_attach(ref: str, url: str, connection: Connection, output_format: str | None) -> None:
    """Link the document at URL as the post-mortem of the incident REF (again: re-points the link)."""
    document = connection.client().postmortem_documents.attach(ref, url)
    emit_object(document.to_json(), DOCUMENT_COLUMNS, output_format)


@postmortems.command("status")
@click.argument("document_id")
@click.argument("status", type=click.Choice(["in_progress", "in_review", "completed"]))
@connection_options
@output_options
def postmortems_status(
    document_id: str, status: str, connection: Connection, output_format: str | None
) -> None:
    """Move the post-mortem DOCUMENT_ID to STATUS."""
    document = connection.client().postmortem_documents.update_status(document_id, status)
    emit_object(document.to_json(), DOCUMENT_COLUMNS, output_format)


@postmortems.command("show")
@click.argument("document_id")
@connection_options
def postmortems_show(document_id: str, connection: Connection) -> None:
    """Print the in-app post-mortem DOCUMENT_ID as markdown."""
    click.echo(connection.client().postmortem_documents.content(document_id))


@click.command("related")
@click.argument("ref")
@connection_options
@output_options
def related(ref: str, connection: Connection, output_format: str | None) -> None:
    """List the incidents related to the incident REF."""
    found = connection.client().incident_relationships.list(ref)
    emit_list(
        [r.to_json() for r in found],
        [
            Column("Ref", lambda r: f"INC-{(r.get('incident') or {}).get('external_id', '?')}"),
            column("Name", "incident", "name"),
            column("ID", "incident", "id"),
        ],
        output_format,
    )
