"""``incidentkit escalations``: page people, list and show pages, acknowledge and cancel them."""

from __future__ import annotations

from typing import Any

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import (
    Column,
    choose_format,
    column,
    emit_list,
    emit_object,
    output_options,
    time_column,
)

STATUSES = ("pending", "triggered", "acked", "resolved", "expired", "cancelled", "snoozed", "delayed")
DEFAULT_LIMIT = 25
STATUS_STYLES = {"triggered": "bold red", "pending": "yellow", "snoozed": "yellow", "acked": "green"}


def _paged(escalation: dict[str, Any]) -> str:
    """Everyone the escalation has notified, by name, in the order they were paged."""
    names: list[str] = []
    for event in escalation.get("events") or []:
        if event.get("event") == "notified_users":
            for user in event.get("users") or []:
                name = str(user.get("name") or user.get("email") or user.get("id") or "")
                if name not in names:
                    names.append(name)
    return ", ".join(names)


def _incidents(escalation: dict[str, Any]) -> str:
    return ", ".join(str(i.get("reference", "")) for i in escalation.get("related_incidents") or [])


def _status_style(escalation: dict[str, Any]) -> str | None:
    return STATUS_STYLES.get(str(escalation.get("status")))


ESCALATION_COLUMNS = [
    column("ID", "id"),
    column("Title", "title"),
    column("Status", "status", style=_status_style),
    Column("Paged", _paged),
    Column("Incident", _incidents),
    time_column("Created", "created_at"),
]

ESCALATION_FIELDS = [
    column("Title", "title"),
    column("Status", "status", style=_status_style),
    column("Description", "description"),
    Column("Paged", _paged),
    Column("Incident", _incidents),
    column("Path", "escalation_path_id"),
    column("Priority", "priority", "name"),
    time_column("Created", "created_at"),
    time_column("Updated", "updated_at"),
    column("ID", "id"),
]

EVENT_COLUMNS = [
    time_column("When", "occurred_at"),
    column("Event", "event"),
    Column("Who", lambda e: ", ".join(str(u.get("name", "")) for u in e.get("users") or [])),
    column("Urgency", "urgency"),
]


@click.group()
def escalations() -> None:
    """Page people through an escalation path or directly, and answer the pages."""


@escalations.command("page")
@click.option("--path", "path", metavar="NAME_OR_ID", help="Page through this escalation path.")
@click.option(
    "--user", "users", multiple=True, metavar="EMAIL_OR_ID", help="Or page this user directly (repeatable)."
)
@click.option("--title", required=True, help="What the page says; it is in every notification.")
@click.option("--description", help="More detail for the people paged.")
@click.option("--incident", metavar="REF", help="Link the incident REF (INC-123, 123, its id or URL).")
@click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Reuse this key to make retries safe: the same key returns the same page (default: generated).",
)
@connection_options
@output_options
def escalations_page(
    path: str | None,
    users: tuple[str, ...],
    title: str,
    description: str | None,
    incident: str | None,
    idempotency_key: str | None,
    connection: Connection,
    output_format: str | None,
) -> None:
    """Page people: give --path, or one or more --user, not both."""
    if (path is None) == (not users):
        raise click.UsageError(
            "say who to page: give --path NAME_OR_ID or --user EMAIL (repeatable), not both"
        )
    escalation = connection.client().escalations.create(
        title=title,
        path=path,
        users=list(users) or None,
        description=description,
        incident=incident,
        idempotency_key=idempotency_key,
    )
    shown = escalation.to_json()
    who = _paged(shown) or "nobody yet (no one is on call for the first level)"
    click.echo(f"Paged {who}: escalation {escalation.id} is {escalation.status}", err=True)
    emit_object(shown, ESCALATION_FIELDS, output_format)


@escalations.command("list")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only this status (repeatable)."
)
@click.option("--path", "paths", multiple=True, metavar="NAME_OR_ID", help="Only this path (repeatable).")
@click.option("--incident", metavar="REF", help="Only the pages linked to the incident REF.")
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help=f"Show at most N (default {DEFAULT_LIMIT})."
)
@click.option("--all", "fetch_all", is_flag=True, help="Show every matching page, fetching all pages.")
@connection_options
@output_options
def escalations_list(
    statuses: tuple[str, ...],
    paths: tuple[str, ...],
    incident: str | None,
    limit: int | None,
    fetch_all: bool,
    connection: Connection,
    output_format: str | None,
) -> None:
    """List pages, newest first."""
    if fetch_all and limit is not None:
        raise click.UsageError("give either --limit or --all, not both")
    client = connection.client()
    incident_id = client.incidents.resolve_id(incident) if incident else None
    found = client.escalations.list(
        status=list(statuses) or None,
        path=list(paths) or None,
        incident=incident_id,
        limit=None if fetch_all else (limit or DEFAULT_LIMIT),
    )
    emit_list((e.to_json() for e in found), ESCALATION_COLUMNS, output_format)


@escalations.command("show")
@click.argument("escalation_id")
@connection_options
@output_options
def escalations_show(escalation_id: str, connection: Connection, output_format: str | None) -> None:
    """Show the page ESCALATION_ID and what happened to it."""
    shown = connection.client().escalations.get(escalation_id).to_json()
    emit_object(shown, ESCALATION_FIELDS, output_format)
    if choose_format(output_format) == "table":
        click.echo("\nEvents")
        emit_list(shown.get("events") or [], EVENT_COLUMNS, "table")


@escalations.command("ack")
@click.argument("escalation_id")
@connection_options
@output_options
def escalations_ack(escalation_id: str, connection: Connection, output_format: str | None) -> None:
    """Acknowledge the page ESCALATION_ID: paging stops (acknowledging twice changes nothing).

    This answers the page; to move an incident out of triage use `incidents acknowledge`.
    """
    escalation = connection.client().escalations.acknowledge(escalation_id)
    click.echo(f"Escalation {escalation.id} is {escalation.status}", err=True)
    emit_object(escalation.to_json(), ESCALATION_FIELDS, output_format)


@escalations.command("cancel")
@click.argument("escalation_id")
@connection_options
@output_options
def escalations_cancel(escalation_id: str, connection: Connection, output_format: str | None) -> None:
    """Cancel the page ESCALATION_ID: no more notifications, no further levels."""
    escalation = connection.client().escalations.cancel(escalation_id)
    click.echo(f"Escalation {escalation.id} is {escalation.status}", err=True)
    emit_object(escalation.to_json(), ESCALATION_FIELDS, output_format)
