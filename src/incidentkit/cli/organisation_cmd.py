"""``severities``, ``statuses``, ``types``, ``roles``, ``custom-fields`` and ``users``: the organisation."""

from __future__ import annotations

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.output import Column, column, emit_list, output_options
from incidentkit.wire import STATUS_CATEGORIES


@click.group()
def severities() -> None:
    """The organisation's severities."""


@severities.command("list")
@connection_options
@output_options
def severities_list(connection: Connection, output_format: str | None) -> None:
    """List severities, most severe first, with the SEV-n label each answers to (SEV-1 is the first)."""
    found = connection.client().severities.list()
    by_rank = sorted(found, key=lambda s: s.rank, reverse=True)
    labels = {s.id: f"SEV-{position}" for position, s in enumerate(by_rank, start=1)}
    emit_list(
        [s.to_json() for s in found],
        [
            Column("Label", lambda s: labels.get(s.get("id", ""), "")),
            column("Rank", "rank"),
            column("Name", "name"),
            column("Description", "description"),
            column("ID", "id"),
        ],
        output_format,
    )


@click.group()
def statuses() -> None:
    """The organisation's incident statuses."""


@statuses.command("list")
@click.option(
    "--category",
    type=click.Choice(STATUS_CATEGORIES, case_sensitive=False),
    help="Only statuses of this category.",
)
@connection_options
@output_options
def statuses_list(category: str | None, connection: Connection, output_format: str | None) -> None:
    """List incident statuses in rank order."""
    found = connection.client().incident_statuses.list(category=category)
    emit_list(
        [s.to_json() for s in found],
        [column("Rank", "rank"), column("Name", "name"), column("Category", "category"), column("ID", "id")],
        output_format,
    )


@click.group()
def types() -> None:
    """The organisation's incident types."""


@types.command("list")
@connection_options
@output_options
def types_list(connection: Connection, output_format: str | None) -> None:
    """List incident types."""
    found = connection.client().incident_types.list()
    emit_list(
        [t.to_json() for t in found],
        [
            column("Name", "name"),
            column("Default", "is_default"),
            column("Triage", "create_in_triage"),
            column("ID", "id"),
        ],
        output_format,
    )


@click.group()
def roles() -> None:
    """The organisation's incident roles."""


@roles.command("list")
@connection_options
@output_options
def roles_list(connection: Connection, output_format: str | None) -> None:
    """List incident roles."""
    found = connection.client().incident_roles.list()
    emit_list(
        [r.to_json() for r in found],
        [
            column("Name", "name"),
            column("Type", "role_type"),
            column("Short", "shortform"),
            column("ID", "id"),
        ],
        output_format,
    )


@click.group("custom-fields")
def custom_fields() -> None:
    """The organisation's custom fields."""


@custom_fields.command("list")
@connection_options
@output_options
def custom_fields_list(connection: Connection, output_format: str | None) -> None:
    """List custom fields."""
    found = connection.client().custom_fields.list()
    emit_list(
        [f.to_json() for f in found],
        [
            column("Name", "name"),
            column("Type", "field_type"),
            column("Description", "description"),
            column("ID", "id"),
        ],
        output_format,
    )


@custom_fields.command("options")
@click.argument("field")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N options.")
@connection_options
@output_options
def custom_fields_options(
    field: str, limit: int | None, connection: Connection, output_format: str | None
) -> None:
    """List the options of the select custom field FIELD (its name or id), in sort order."""
    found = connection.client().custom_field_options.list(field, limit=limit)
    emit_list(
        [o.to_json() for o in found],
        [column("Value", "value"), column("Sort key", "sort_key"), column("ID", "id")],
        output_format,
    )


@click.group()
def users() -> None:
    """The organisation's users."""


@users.command("list")
@click.option("--email", metavar="EMAIL", help="Only the user with this email address.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N users.")
@connection_options
@output_options
def users_list(
    email: str | None, limit: int | None, connection: Connection, output_format: str | None
) -> None:
    """List users."""
    found = connection.client().users.list(email=email, limit=limit)
    emit_list(
        [u.to_json() for u in found],
        [column("Name", "name"), column("Email", "email"), column("Role", "role"), column("ID", "id")],
        output_format,
    )
